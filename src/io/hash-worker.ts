/**
 * Worker thread entry for the hash pool (hash-pool.ts): hashes one file at a time and reports
 * progress every PROGRESS_STEP bytes, so a 20 GB file still moves the progress bar. The read
 * loop is synchronous; progress messages still reach the main thread while it runs.
 */
import { parentPort } from 'node:worker_threads';
import { hashFileSync, prepareDigests } from './hash-file.js';
import type { WorkerPrepare, WorkerReply, WorkerRequest } from './hash-pool.js';

const PROGRESS_STEP = 64 * 1024 * 1024;

const port = parentPort;
if (!port) throw new Error('hash-worker.ts runs only as a worker thread');

port.on('message', async (message: WorkerRequest | WorkerPrepare) => {
  if ('prepare' in message) {
    await prepareDigests(message.prepare).catch(() => undefined); // a file asking for it will say why
    return;
  }
  const { id, path, algorithms } = message;
  let unreported = 0;
  const reply = (message: WorkerReply) => port.postMessage(message);
  try {
    const start = await prepareDigests(algorithms);
    const result = hashFileSync(path, start, (bytes) => {
      unreported += bytes;
      if (unreported < PROGRESS_STEP) return;
      reply({ id, kind: 'progress', bytes: unreported });
      unreported = 0;
    });
    reply({ id, kind: 'done', result, unreported });
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    reply({ id, kind: 'error', message: err.message, code: err.code ?? null, unreported });
  }
});
