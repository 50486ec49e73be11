/**
 * Content identity of local files: SHA-256 (what pins use) and BLAKE3 (what Civitai also
 * indexes), computed in one read pass on a worker pool, remembered in a persistent cache.
 * No console output: progress goes to the caller's callback.
 */
import { availableParallelism } from 'node:os';
import { byString } from '../core/stable-json.js';
import type { Diagnostic, LocalFile } from '../core/types.js';
import { HashCache, type FileHashes } from './hash-cache.js';
import { type HashedFile, SMALL_FILE_BYTES, hashSmallFileSync, loadBlake3Once } from './hash-file.js';
import { HashPool } from './hash-pool.js';

export type { FileHashes } from './hash-cache.js';

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

export interface HasherOptions {
  /** JSON cache file (e.g. `.comfygen/hashes.json`); null keeps hashes in memory only. */
  cacheFile: string | null;
  /** Worker threads; default one per core. 0 hashes on the calling thread. */
  workers?: number;
}

export interface Hasher {
  hash(file: HashableFile): Promise<FileHashes>;
  /** The cached hashes if the file is unchanged since they were computed; never reads it. */
  cached(file: HashableFile): Promise<FileHashes | null>;
  /** Hash many files in parallel; unreadable files become diagnostics. Keyed by absPath. */
  hashMany(files: readonly HashableFile[], onProgress?: (p: HashProgress) => void): Promise<{ hashes: Map<string, FileHashes>; diagnostics: Diagnostic[] }>;
  /** Bytes of file content read by this hasher (cache hits read nothing). */
  readonly bytesRead: number;
  save(): Promise<void>;
  close(): Promise<void>;
}

export function createHasher(opts: HasherOptions): Hasher {
  const byteListeners = new Set<(path: string, bytes: number) => void>();
  let bytesRead = 0;
  const pool = new HashPool(opts.workers ?? availableParallelism(), (path, bytes) => {
    bytesRead += bytes;
    for (const listener of byteListeners) listener(path, bytes);
  });
  let cache: Promise<HashCache> | null = null;
  const loadCache = () => (cache ??= HashCache.load(opts.cacheFile));
  const inflight = new Map<string, Promise<FileHashes>>();

  async function compute(file: HashableFile): Promise<FileHashes> {
    const store = await loadCache();
    const result = (file.size <= SMALL_FILE_BYTES ? await hashSmall(file.absPath) : null) ?? (await pool.run(file.absPath));
    if (result.changed) {
      throw Object.assign(new Error(`cannot hash ${file.absPath}: it changed while being read; run again once it is complete`), { code: 'ECHANGED' });
    }
    const hashes = { sha256: result.sha256, blake3: result.blake3 };
    // Keyed by the identity at open time, which is what was read, even if the walk saw another.
    store.set(file.absPath, result, hashes);
    return hashes;
  }

  async function hashSmall(path: string): Promise<HashedFile | null> {
    await loadBlake3Once();
    try {
      const result = hashSmallFileSync(path);
      if (result) {
        bytesRead += result.bytes;
        for (const listener of byteListeners) listener(path, result.bytes);
      }
      return result;
    } catch (error) {
      const err = error as NodeJS.ErrnoException;
      throw Object.assign(new Error(`cannot hash ${path}: ${err.message}`), { code: err.code });
    }
  }

  const hasher: Hasher = {
    get bytesRead() {
      return bytesRead;
    },
    async cached(file) {
      return (await loadCache()).get(file.absPath, file);
    },
    async hash(file) {
      const hit = (await loadCache()).get(file.absPath, file);
      if (hit) return hit;
      const key = `${file.absPath}\0${file.size}\0${file.mtimeMs}\0${file.ino}`;
      let running = inflight.get(key);
      if (!running) {
        running = compute(file).finally(() => inflight.delete(key));
        inflight.set(key, running);
      }
      return running;
    },
    async hashMany(files, onProgress) {
      const unique = [...new Map(files.map((f) => [f.absPath, f])).values()];
      const store = await loadCache();
      const pending = new Set(unique.filter((f) => !store.get(f.absPath, f)).map((f) => f.absPath));
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
      const hashes = new Map<string, FileHashes>();
      const diagnostics: Diagnostic[] = [];
      try {
        await Promise.all(unique.map(async (file) => {
          try {
            hashes.set(file.absPath, await hasher.hash(file));
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
