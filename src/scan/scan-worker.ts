/**
 * Worker thread entry for scan-files.ts: scans the batches it is sent, one file at a time with
 * synchronous reads (large media falls back to windowed async reads), and posts the results.
 * Results travel as compact JSON text (codec.ts) over one string table that lives as long as the
 * worker: each reply carries only the strings the table gained since the previous reply, so a
 * folder or node type name crosses once per worker, not once per batch. A string is cheap to
 * post; a structured clone of the nested arrays cost more than encoding them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ScannedWorkflow } from '../core/types.js';
import { StringTable, encodeWorkflow } from './codec.js';
import { type ContentCheck, digestFileSync, scanFileContent, scanFileContentSync } from './scan-file.js';

export interface ScanBatch {
  id: number;
  files: { absPath: string; relPath: string }[];
  /** Digest the files (as a scan would record them) and parse nothing: results are all null. */
  digestOnly?: boolean;
}

/** What a worker is started with: whether to digest what it reads, and the digests already known. */
export interface ScanWorkerData {
  digests: boolean;
  known: string[];
}

export interface ScanBatchResult {
  id: number;
  /**
   * Per file: the compact form as JSON text, the result as is where the codec does not cover its
   * shape, or null where the file's digest was known or only digests were asked (nothing parsed).
   */
  results: (string | ScannedWorkflow | null)[];
  /** Per file: the digest of the bytes read (null: not read whole, or not asked for). */
  digests: (string | null)[];
  /** Strings added to this worker's table since its previous reply, in table order. */
  strings: string[];
}

const port = parentPort;
if (!port) throw new Error('scan-worker runs only as a worker thread');

const data = (workerData ?? { digests: false, known: [] }) as ScanWorkerData;
const content: ContentCheck | null = data.digests ? { known: data.known.length > 0 ? new Set(data.known) : null } : null;
const table = new StringTable();
let sent = 0;

port.on('message', async (batch: ScanBatch) => {
  const results: (string | ScannedWorkflow | null)[] = [];
  const digests: (string | null)[] = [];
  for (const f of batch.files) {
    if (batch.digestOnly) {
      digests.push(digestFileSync(f.absPath));
      results.push(null);
      continue;
    }
    const scanned = scanFileContentSync(f.absPath, f.relPath, content) ?? (await scanFileContent(f.absPath, f.relPath, content));
    digests.push(scanned.digest);
    if (scanned.result === null) {
      results.push(null);
      continue;
    }
    const encoded = encodeWorkflow(scanned.result, table);
    results.push(encoded ? JSON.stringify(encoded) : scanned.result);
  }
  const strings = table.strings.slice(sent);
  sent = table.strings.length;
  port.postMessage({ id: batch.id, results, digests, strings } satisfies ScanBatchResult);
});
