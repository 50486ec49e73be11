/**
 * Content identity of local files: SHA-256 (what pins use) and, when asked, BLAKE3 (what Civitai
 * also indexes), computed on a worker pool and remembered in a persistent cache. Each call names
 * the algorithms it needs and reads only what the cache cannot answer: a build asks for SHA-256
 * alone, so BLAKE3 never slows it down (nor loads). No console output: progress goes to the
 * caller's callback.
 */
import { availableParallelism } from 'node:os';
import { byString } from '../core/stable-json.js';
import type { Diagnostic, LocalFile } from '../core/types.js';
import { HashCache } from './hash-cache.js';
import { type Digests, type HashAlgorithm, type HashedFile, SMALL_FILE_BYTES, hashError, hashSmallFileSync, normalizeAlgorithms, prepareDigests } from './hash-file.js';
import { HashPool } from './hash-pool.js';

export { HASH_ALGORITHMS, type HashAlgorithm } from './hash-file.js';

/** Whatever digests are known for a file (lower-case hex). */
export type FileHashes = Digests;

/** The digests asked for, certainly present, plus any others the cache already held. */
export type HashesOf<A extends HashAlgorithm> = FileHashes & { [K in A]: string };

/** What hashing needs from a file: where it is and the identity the cache is keyed by. */
export type HashableFile = Pick<LocalFile, 'absPath' | 'size' | 'mtimeMs' | 'ino'>;

export interface HashProgress {
  /** Files finished (cache hits included) out of totalFiles. */
  files: number;
  totalFiles: number;
  /** Bytes read so far out of totalBytes (the files the cache could not answer). */
  bytes: number;
  totalBytes: number;
}

export interface HashManyOptions<A extends HashAlgorithm> {
  /** Default `['sha256']`. */
  algorithms?: readonly A[];
  onProgress?: (p: HashProgress) => void;
}

export interface HasherOptions {
  /**
   * JSON cache file (e.g. `.comfygen/hashes.json`); null keeps hashes in memory only. A function
   * is asked when the cache is first needed: a caller that starts the workers before it knows
   * where the cache is (`inventory --hash`, before its config is loaded).
   */
  cacheFile: string | null | (() => string | null);
  /** Worker threads; default one per core. 0 hashes on the calling thread, blocking it per file. */
  workers?: number;
  /**
   * Start the workers at once, loading what these algorithms need, instead of on the first
   * large file: for a caller that will surely hash and has other work to do first.
   */
  startWorkers?: readonly HashAlgorithm[];
  /**
   * The calling thread is one of the `workers` hashers (it yields to its event loop every few
   * MiB): for a caller that only waits while files are hashed (`inventory --hash`).
   */
  callerHashes?: boolean;
}

export interface Hasher {
  /** The requested digests (default SHA-256 alone), reading the file only for those the cache lacks. */
  hash<A extends HashAlgorithm = 'sha256'>(file: HashableFile, algorithms?: readonly A[]): Promise<HashesOf<A>>;
  /** The cached digests if the file is unchanged since they were computed; never reads it. */
  cached(file: HashableFile): Promise<FileHashes | null>;
  /** Hash many files in parallel; unreadable files become diagnostics. Keyed by absPath. */
  hashMany<A extends HashAlgorithm = 'sha256'>(files: readonly HashableFile[], opts?: HashManyOptions<A>): Promise<{ hashes: Map<string, HashesOf<A>>; diagnostics: Diagnostic[] }>;
  /** Bytes of file content read by this hasher (cache hits read nothing). */
  readonly bytesRead: number;
  save(): Promise<void>;
  close(): Promise<void>;
}

function hasAll(known: FileHashes | null, algorithms: readonly HashAlgorithm[]): boolean {
  return known !== null && algorithms.every((a) => known[a] !== undefined);
}

export function createHasher(opts: HasherOptions): Hasher {
  const byteListeners = new Set<(path: string, bytes: number) => void>();
  let bytesRead = 0;
  const countBytes = (path: string, bytes: number) => {
    bytesRead += bytes;
    for (const listener of byteListeners) listener(path, bytes);
  };
  const pool = new HashPool(opts.workers ?? availableParallelism(), countBytes, opts.callerHashes === true);
  if (opts.startWorkers) pool.start(normalizeAlgorithms(opts.startWorkers));
  let cache: Promise<HashCache> | null = null;
  const loadCache = () => (cache ??= HashCache.load(typeof opts.cacheFile === 'function' ? opts.cacheFile() : opts.cacheFile));
  const inflight = new Map<string, Promise<FileHashes>>();

  async function read(file: HashableFile, algorithms: HashAlgorithm[]): Promise<FileHashes> {
    const store = await loadCache();
    const result = (file.size <= SMALL_FILE_BYTES ? await readSmall(file.absPath, algorithms) : null) ?? (await pool.run(file.absPath, algorithms));
    if (result.changed) throw hashError(file.absPath, 'it changed while being read; run again once it is complete', 'ECHANGED');
    // Keyed by the identity at open time, which is what was read, even if the walk saw another.
    store.merge(file.absPath, result, result.digests);
    return store.get(file.absPath, result)!;
  }

  async function readSmall(path: string, algorithms: HashAlgorithm[]): Promise<HashedFile | null> {
    const start = await prepareDigests(algorithms);
    try {
      const result = hashSmallFileSync(path, start);
      if (result) countBytes(path, result.bytes);
      return result;
    } catch (error) {
      const err = error as NodeJS.ErrnoException;
      throw hashError(path, err.message, err.code);
    }
  }

  /** Reads the file for the algorithms the cache lacks; concurrent asks for the same read share it. */
  async function complete(file: HashableFile, wanted: HashAlgorithm[]): Promise<FileHashes> {
    const hit = (await loadCache()).get(file.absPath, file);
    const missing = wanted.filter((a) => hit?.[a] === undefined);
    if (missing.length === 0) return hit!;
    const key = `${file.absPath}\0${file.size}\0${file.mtimeMs}\0${file.ino}\0${missing.join(',')}`;
    let running = inflight.get(key);
    if (!running) {
      running = read(file, missing).finally(() => inflight.delete(key));
      inflight.set(key, running);
    }
    return running;
  }

  const hasher: Hasher = {
    get bytesRead() {
      return bytesRead;
    },
    async cached(file) {
      return (await loadCache()).get(file.absPath, file);
    },
    async hash<A extends HashAlgorithm = 'sha256'>(file: HashableFile, algorithms?: readonly A[]) {
      const wanted = normalizeAlgorithms(algorithms);
      let got = await complete(file, wanted);
      if (!hasAll(got, wanted)) {
        // Replaced since the walk, so the digests the cache held describe the old content: read
        // the new one once more for those (the cache now knows its identity).
        const now = await read(file, wanted);
        if (!hasAll(now, wanted)) throw hashError(file.absPath, 'it keeps changing; run again once it is complete', 'ECHANGED');
        got = now;
      }
      return got as HashesOf<A>;
    },
    async hashMany<A extends HashAlgorithm = 'sha256'>(files: readonly HashableFile[], { algorithms, onProgress }: HashManyOptions<A> = {}) {
      const wanted = normalizeAlgorithms(algorithms);
      const unique = [...new Map(files.map((f) => [f.absPath, f])).values()];
      const store = await loadCache();
      const pending = new Set(unique.filter((f) => !hasAll(store.get(f.absPath, f), wanted)).map((f) => f.absPath));
      const progress: HashProgress = {
        files: unique.length - pending.size,
        totalFiles: unique.length,
        bytes: 0,
        totalBytes: unique.filter((f) => pending.has(f.absPath)).reduce((sum, f) => sum + f.size, 0),
      };
      const listener = (path: string, bytes: number) => {
        if (!pending.has(path)) return;
        progress.bytes += bytes;
        onProgress?.({ ...progress });
      };
      byteListeners.add(listener);
      onProgress?.({ ...progress });
      const hashes = new Map<string, HashesOf<A>>();
      const diagnostics: Diagnostic[] = [];
      try {
        await Promise.all(unique.map(async (file) => {
          try {
            hashes.set(file.absPath, await hasher.hash(file, wanted as A[]));
          } catch (error) {
            diagnostics.push({ code: 'unreadable-model-file', severity: 'warning', message: (error as Error).message });
          }
          if (!pending.has(file.absPath)) return;
          progress.files += 1;
          onProgress?.({ ...progress });
        }));
      } finally {
        byteListeners.delete(listener);
      }
      diagnostics.sort((a, b) => byString(a.message, b.message));
      return { hashes: new Map([...hashes].sort(([a], [b]) => byString(a, b))), diagnostics };
    },
    async save() {
      if (cache) await (await cache).save();
    },
    close: () => pool.close(),
  };
  return hasher;
}
