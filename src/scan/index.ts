/**
 * The workflow scanner (DESIGN §3 `comfygen scan`): workflow files → model refs, custom node
 * packs and diagnostics. See README.md in this folder for the diagnostic codes and the tables.
 */
export { scanBytes } from './scan-bytes.js';
export { scanFile, type ScanFileOptions } from './scan-file.js';
export { decodePacked, digestFiles, scanFiles, scanFilesPacked, type Packed, type PackedScan } from './scan-files.js';
export { extractRefs, type Extraction } from './extract.js';
export { SCAN_CODES, type ScanCode } from './diagnostics.js';
export { normalizeModelUrl } from './refs/embedded-models.js';
