/**
 * Worker thread entry for scan-files.ts: scans the batches it is sent, one file at a time with
 * synchronous reads (large media falls back to windowed async reads), and posts the results.
 * Results travel as compact JSON text (codec.ts) over one string table that lives as long as the
 * worker: each reply carries only the strings the table gained since the previous reply, so a
 * folder or node type name crosses once per worker, not once per batch. A string is cheap to
 * post; a structured clone of the nested arrays cost more than encoding them.
 */
import { parentPort } from 'node:worker_threads';
import type { ScannedWorkflow } from '../core/types.js';
import { StringTable, encodeWorkflow } from './codec.js';
import { scanFile, scanFileSync } from './scan-file.js';

export interface ScanBatch {
  id: number;
  files: { absPath: string; relPath: string }[];
}

export interface ScanBatchResult {
  id: number;
  /** Per file: the compact form as JSON text, or the result as is where the codec does not cover its shape. */
  results: (string | ScannedWorkflow)[];
  /** Strings added to this worker's table since its previous reply, in table order. */
  strings: string[];
}

const port = parentPort;
if (!port) throw new Error('scan-worker runs only as a worker thread');

const table = new StringTable();
let sent = 0;

port.on('message', async (batch: ScanBatch) => {
  const results: (string | ScannedWorkflow)[] = [];
  for (const f of batch.files) {
    const wf = scanFileSync(f.absPath, f.relPath) ?? (await scanFile(f.absPath, f.relPath));
    const encoded = encodeWorkflow(wf, table);
    results.push(encoded ? JSON.stringify(encoded) : wf);
  }
  const strings = table.strings.slice(sent);
  sent = table.strings.length;
  port.postMessage({ id: batch.id, results, strings } satisfies ScanBatchResult);
});
