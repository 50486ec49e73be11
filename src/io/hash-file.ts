/**
 * Digests of one file, only the algorithms asked for: SHA-256 (node:crypto) and BLAKE3
 * (`./blake3.ts`, loaded on first use so a build that only pins SHA-256 never loads it).
 *
 * Reads are synchronous into one reused 128 KiB buffer per thread. On a worker nothing else waits
 * for the thread, and over page-cached files this beat overlapping async reads (each read then
 * runs on libuv's pool, competing with the hashing threads for the cores). The size is the one
 * whose chunk is still in the core's cache when it is hashed right after the copy: over 4 × 1 GiB
 * (`inventory --hash`, 2 workers, 2 cores) 128 KiB took 0.88× the CPU of 4 MiB for BLAKE3 and
 * 0.94× for SHA-256 (less copying in the kernel), 0.93× of 256 KiB – 1 MiB and 0.96× of 64 KiB.
 * Figures: bench/README.md.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { loadBlake3 } from './blake3.js';

export type HashAlgorithm = 'sha256' | 'blake3';

/** Every algorithm, in the order they are listed and serialized. */
export const HASH_ALGORITHMS: readonly HashAlgorithm[] = ['sha256', 'blake3'];

/** Lower-case hex digests by algorithm; which ones are present depends on what was asked. */
export type Digests = { [A in HashAlgorithm]?: string };

export const CHUNK_SIZE = 128 * 1024;

/** The file's identity when it was opened, so the cache is keyed by what was actually read. */
export interface FileIdentity {
  size: number;
  mtimeMs: number;
  ino: number;
}

export interface HashedFile extends FileIdentity {
  digests: Digests;
  /** Bytes read (equals size unless the file changed while being read). */
  bytes: number;
  /** True when size or mtime moved during the read: the digests describe no stable state. */
  changed: boolean;
}

interface Digester {
  update(chunk: Uint8Array): void;
  finish(): Digests;
}

/** Starts one digest per requested algorithm for a new file; made by `prepareDigests`. */
export type StartDigests = () => Digester;

/** Sorted, de-duplicated algorithms; none given means SHA-256 alone. */
export function normalizeAlgorithms(algorithms: readonly HashAlgorithm[] | undefined): HashAlgorithm[] {
  if (!algorithms || algorithms.length === 0) return ['sha256'];
  const unknown = algorithms.filter((a) => !HASH_ALGORITHMS.includes(a));
  if (unknown.length > 0) throw new TypeError(`unknown hash algorithm: ${unknown.join(', ')}`);
  return HASH_ALGORITHMS.filter((a) => algorithms.includes(a));
}

/** Loads what the algorithms need (the BLAKE3 addon only when asked), once. */
export async function prepareDigests(algorithms: readonly HashAlgorithm[]): Promise<StartDigests> {
  const b3 = algorithms.includes('blake3') ? loadBlake3() : null;
  const sha = algorithms.includes('sha256');
  return () => {
    const sha256 = sha ? createHash('sha256') : null;
    const blake = b3 ? b3.createHash() : null;
    return {
      update(chunk) {
        sha256?.update(chunk);
        blake?.update(chunk);
      },
      finish() {
        const out: Digests = {};
        if (sha256) out.sha256 = sha256.digest('hex');
        if (blake) out.blake3 = blake.digest();
        return out;
      },
    };
  };
}

let buffer: Buffer | null = null;

/**
 * Hashes the file in CHUNK_SIZE synchronous reads into one buffer per thread. Blocks the calling
 * thread for the whole file: call it on a worker, or with `workers: 0` on purpose.
 */
export function hashFileSync(path: string, start: StartDigests, onBytes?: (bytes: number) => void): HashedFile {
  return readAndHash(path, start, Infinity, onBytes)!;
}

/** Files up to this size are hashed on the calling thread: a worker round trip costs more. */
export const SMALL_FILE_BYTES = 1024 * 1024;

/** A small file on the calling thread; null when it is larger than SMALL_FILE_BYTES after all. */
export function hashSmallFileSync(path: string, start: StartDigests): HashedFile | null {
  return readAndHash(path, start, SMALL_FILE_BYTES);
}

function readAndHash(path: string, start: StartDigests, maxBytes: number, onBytes?: (bytes: number) => void): HashedFile | null {
  buffer ??= Buffer.allocUnsafe(CHUNK_SIZE);
  const fd = openSync(path, 'r');
  try {
    const before = fstatSync(fd);
    if (before.size > maxBytes) return null;
    const digest = start();
    let position = 0;
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, position);
      if (n === 0) break;
      position += n;
      if (position > maxBytes) return null; // grew since the walk: the caller streams it instead
      digest.update(n === buffer.length ? buffer : buffer.subarray(0, n));
      onBytes?.(n);
    }
    return finished(fd, before, digest, position);
  } finally {
    closeSync(fd);
  }
}

/** Chunks read between two turns of the event loop by `hashFileYielding` (8 MiB). */
const CHUNKS_PER_TURN = 64;

/**
 * `hashFileSync` for a thread that must stay responsive (the main thread, hashing beside the
 * workers): it lets the event loop run every CHUNKS_PER_TURN chunks, and reports bytes then.
 * Each chunk is hashed before the loop turns, so the thread's one buffer may serve others
 * (`hashSmallFileSync`) in between. `stop()` true at a turn abandons the file.
 */
export async function hashFileYielding(path: string, start: StartDigests, onBytes: (bytes: number) => void, stop: () => boolean): Promise<HashedFile> {
  const fd = openSync(path, 'r');
  try {
    const before = fstatSync(fd);
    const digest = start();
    let position = 0;
    let unreported = 0;
    for (let chunks = 1; ; chunks++) {
      buffer ??= Buffer.allocUnsafe(CHUNK_SIZE);
      const n = readSync(fd, buffer, 0, buffer.length, position);
      if (n === 0) break;
      position += n;
      unreported += n;
      digest.update(n === buffer.length ? buffer : buffer.subarray(0, n));
      if (chunks % CHUNKS_PER_TURN === 0) {
        onBytes(unreported);
        unreported = 0;
        await new Promise((turned) => setImmediate(turned));
        if (stop()) throw new Error('hash pool closed');
      }
    }
    onBytes(unreported);
    return finished(fd, before, digest, position);
  } finally {
    closeSync(fd);
  }
}

function finished(fd: number, before: FileIdentity, digest: Digester, position: number): HashedFile {
  const after = fstatSync(fd);
  return {
    digests: digest.finish(),
    size: before.size,
    mtimeMs: before.mtimeMs,
    ino: before.ino,
    bytes: position,
    changed: after.size !== before.size || after.mtimeMs !== before.mtimeMs || position !== before.size,
  };
}

/**
 * `cannot hash <path>: <why>`, carrying the error code. A system error's own text ends by
 * naming the path again (`ENOENT: no such file or directory, open '<path>'`); that tail is cut.
 */
export function hashError(path: string, message: string, code: string | null | undefined): Error {
  const why = message.replace(/, \w+ '[^']*'$/, '');
  return Object.assign(new Error(`cannot hash ${path}: ${why}`), { code: code ?? undefined });
}
