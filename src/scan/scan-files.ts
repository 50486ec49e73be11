/**
 * Many files at once; results sorted by path whatever the input order or the split. Large sets
 * are parsed on worker threads (one per core, fed small batches so a slow file does not leave a
 * core idle); small sets, and any batch whose worker dies, are scanned on this thread. Scanning
 * is pure per file, so the split never changes a result.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { byString } from '../core/stable-json.js';
import type { ScannedWorkflow } from '../core/types.js';
import { spawnModuleWorker } from '../io/spawn-worker.js';
import { decodeWorkflowText } from './codec.js';
import { type ContentCheck, type ContentScan, digestFileSync, scanFileContent } from './scan-file.js';
import type { ScanBatch, ScanBatchResult, ScanWorkerData } from './scan-worker.js';

type FileRef = { absPath: string; relPath: string };

/** Below this many files per worker, starting threads costs more than it saves. */
const MIN_FILES_PER_WORKER = 48;
const BATCH_SIZE = 16;
/**
 * A worker's young generation (V8 grows it to 48 MB by default). What survives a collection
 * there is at most the file being parsed, so a small one costs nothing measurable, and the
 * scan of 30,000 workflows peaks ~60 MB lower with two workers. Only the young generation is
 * capped: a cap on the old one can take the process down (see onWorkers).
 */
const WORKER_YOUNG_MB = 16;
const BATCHES_IN_FLIGHT = 4;

export interface ScanFilesOptions {
  /** Files read at once on this thread. */
  concurrency?: number;
  /** Worker threads; default one per core (0 or 1: scan on this thread). */
  workers?: number;
  /** Starts one scan worker (tests use it to make workers that die). */
  spawnWorker?: (data: ScanWorkerData) => Worker;
  /**
   * Digest each file read whole, and skip parsing those whose digest is `known` (the scan cache
   * keyed by content, scan-memo.ts). Without it nothing is digested and every file is parsed.
   */
  content?: ContentCheck;
  /**
   * Leave results that arrive in compact form (from workers) undecoded (`result: null`): the
   * caller decodes each when it uses it, so a large collection never exists decoded at once.
   */
  lazy?: boolean;
  /**
   * Called with each result as it arrives (from a worker, in batches, in no particular order),
   * so a caller can use results while the others are still being scanned. The results are then
   * handed over only there: the returned list is empty, and none is kept here.
   */
  onResult?: (result: PackedScan) => void;
}

/** A result in the compact form of codec.ts, as JSON text over a string table. */
export type Packed = { text: string; table: readonly string[] };

/**
 * A result with the compact form it arrived in from a worker (as JSON text over `table`),
 * which the scan cache stores as it is instead of encoding the result again.
 */
export type PackedScan = {
  kind: 'scanned';
  path: string;
  /** The result; null only with `lazy`, when it stays in its compact form (decodePacked). */
  result: ScannedWorkflow | null;
  packed: Packed | null;
  /** The digest of the bytes parsed, when `content` asked for it and the file was read whole. */
  digest: string | null;
} | {
  /** Not parsed: `content.known` held the digest of its bytes. */
  kind: 'known';
  path: string;
  digest: string;
};

/** The result a compact form stands for, under `path` (decodeWorkflowText). */
export function decodePacked(path: string, packed: Packed): ScannedWorkflow {
  return decodeWorkflowText(path, packed.text, packed.table);
}

export async function scanFiles(files: readonly FileRef[], opts: Omit<ScanFilesOptions, 'content' | 'lazy'> = {}): Promise<ScannedWorkflow[]> {
  return (await scanFilesPacked(files, opts)).map((r) => (r.kind === 'scanned' ? r.result! : never()));
}

function never(): never {
  throw new Error('scanFiles: a result was skipped though no content check was asked for');
}

export async function scanFilesPacked(files: readonly FileRef[], opts: ScanFilesOptions = {}): Promise<PackedScan[]> {
  const sorted = [...files].sort((a, b) => byString(a.relPath, b.relPath) || byString(a.absPath, b.absPath));
  const workers = workerCount(sorted.length, opts.workers);
  const content = opts.content ?? null;
  const onResult = opts.onResult;
  const told = (results: PackedScan[]): PackedScan[] => {
    if (!onResult) return results;
    for (const r of results) onResult(r);
    return [];
  };
  if (workers < 2) return told((await scanInline(sorted, content, opts.concurrency)).map((s, i) => unpacked(s, sorted[i]!.relPath)));
  // One instance of each string across the workers' tables (folder and node type names repeat
  // tens of thousands of times in a large collection).
  const interned = new Map<string, string>();
  const intern = (s: string) => {
    const known = interned.get(s);
    if (known !== undefined) return known;
    interned.set(s, s);
    return s;
  };
  const data: ScanWorkerData = { digests: content !== null, known: content?.known ? [...content.known] : [] };
  const results = await onWorkers(sorted, workers, data, false, opts.spawnWorker, {
    unpack: (reply, table) => {
      for (const s of reply.strings) table.push(intern(s));
      return told(reply.results.map((r, i): PackedScan => {
        const digest = reply.digests[i] ?? null;
        const path = sorted[reply.id + i]!.relPath;
        if (r === null) return { kind: 'known', path, digest: digest! };
        if (typeof r !== 'string') return { kind: 'scanned', path, result: r, packed: null, digest };
        const packed = { text: r, table };
        return { kind: 'scanned', path, result: opts.lazy ? null : decodePacked(path, packed), packed, digest };
      }));
    },
    inline: async (start, batch) => told((await scanInline(batch, content, opts.concurrency)).map((s, i) => unpacked(s, sorted[start + i]!.relPath))),
  });
  return onResult ? [] : results;
}

/**
 * The digest a scan of each file would record (scan-file.ts digestFileSync), in `files` order,
 * without parsing anything: on worker threads when there are many.
 */
export async function digestFiles(files: readonly FileRef[], opts: Pick<ScanFilesOptions, 'workers' | 'spawnWorker'> = {}): Promise<(string | null)[]> {
  const workers = workerCount(files.length, opts.workers);
  const inline = (batch: readonly FileRef[]) => batch.map((f) => digestFileSync(f.absPath));
  if (workers < 2) return inline(files);
  return onWorkers(files, workers, { digests: true, known: [] }, true, opts.spawnWorker, {
    unpack: (reply) => reply.digests,
    inline: async (_start, batch) => inline(batch),
  });
}

function workerCount(files: number, wanted: number | undefined): number {
  return Math.min(wanted ?? availableParallelism(), Math.floor(files / MIN_FILES_PER_WORKER));
}

const unpacked = (s: ContentScan, path: string): PackedScan => (s.result === null ? { kind: 'known', path, digest: s.digest } : { kind: 'scanned', path, result: s.result, packed: null, digest: s.digest });

async function scanInline(sorted: readonly FileRef[], content: ContentCheck | null, concurrency = 8): Promise<ContentScan[]> {
  const results: ContentScan[] = new Array(sorted.length);
  const limit = Math.max(1, Math.min(sorted.length, Math.floor(concurrency)));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < sorted.length) {
      const i = next++;
      results[i] = await scanFileContent(sorted[i]!.absPath, sorted[i]!.relPath, content);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

/**
 * `files` in batches over `count` workers; one value per file, in `files` order. A batch whose
 * worker dies or fails to start is done by `inline` on this thread, never lost.
 */
async function onWorkers<T>(
  files: readonly FileRef[],
  count: number,
  data: ScanWorkerData,
  digestOnly: boolean,
  spawnWorker: ((data: ScanWorkerData) => Worker) | undefined,
  how: { unpack: (reply: ScanBatchResult, table: string[]) => readonly T[]; inline: (start: number, batch: readonly FileRef[]) => Promise<readonly T[]> },
): Promise<T[]> {
  const spawn = spawnWorker ?? ((d: ScanWorkerData) => spawnModuleWorker(import.meta.url, 'scan-worker', { workerData: d, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB } }));
  const results: T[] = new Array(files.length);
  const batches: number[] = [];
  for (let start = 0; start < files.length; start += BATCH_SIZE) batches.push(start);
  const orphans: number[] = [];
  const place = (start: number, done: readonly T[]) => done.forEach((r, i) => (results[start + i] = r));

  const runWorker = () => new Promise<void>((resolve) => {
    const worker = spawn(data);
    // This side's copy of the worker's string table, grown by each reply (replies arrive in order).
    const table: string[] = [];
    const inFlight = new Set<number>();
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      orphans.push(...inFlight);
      // Anything still queued is picked up by the surviving workers or the inline pass below.
      void worker.terminate().finally(resolve);
    };
    const feed = () => {
      const start = batches.shift();
      if (start === undefined) {
        if (inFlight.size === 0) finish();
        return;
      }
      inFlight.add(start);
      worker.postMessage({ id: start, files: files.slice(start, start + BATCH_SIZE), digestOnly } satisfies ScanBatch);
    };
    worker.on('message', (reply: ScanBatchResult) => {
      // After an error the worker's batches belong to the inline pass; a late reply is ignored.
      if (settled || !inFlight.delete(reply.id)) return;
      place(reply.id, how.unpack(reply, table));
      feed();
    });
    // A worker that dies or fails to start costs its batches a rescan here, never the build.
    // (Heap limits per worker are deliberately not set: on Node 20 a worker that reaches one
    // inside JSON.parse can take the whole process down instead of just exiting.)
    worker.on('error', finish);
    worker.on('exit', finish);
    // A few batches queued per worker keep it busy while this thread is occupied elsewhere
    // (the inventory walk runs alongside).
    for (let i = 0; i < BATCHES_IN_FLIGHT; i++) feed();
  });

  await Promise.all(Array.from({ length: count }, runWorker));
  for (const start of [...orphans, ...batches.splice(0)]) place(start, await how.inline(start, files.slice(start, start + BATCH_SIZE)));
  return results;
}
