/**
 * Worker thread entry for scan-files.ts: scans the batches it is sent, one file at a time with
 * synchronous reads (large media falls back to windowed async reads), and posts the results.
 */
import { parentPort } from 'node:worker_threads';
import type { ScannedWorkflow } from '../core/types.js';
import { type EncodedWorkflow, StringTable, encodeWorkflow } from './codec.js';
import { scanFile, scanFileSync } from './scan-file.js';

export interface ScanBatch {
  id: number;
  files: { absPath: string; relPath: string }[];
}

export interface ScanBatchResult {
  id: number;
  /** Compact results (codec.ts) over `strings`; a shape the codec does not cover comes as is. */
  results: (EncodedWorkflow | ScannedWorkflow)[];
  strings: string[];
}

const port = parentPort;
if (!port) throw new Error('scan-worker runs only as a worker thread');

port.on('message', async (batch: ScanBatch) => {
  const results: ScannedWorkflow[] = [];
  for (const f of batch.files) results.push(scanFileSync(f.absPath, f.relPath) ?? (await scanFile(f.absPath, f.relPath)));
  const table = new StringTable();
  const encoded = results.map((wf) => encodeWorkflow(wf, table) ?? wf);
  port.postMessage({ id: batch.id, results: encoded, strings: table.strings } satisfies ScanBatchResult);
});
