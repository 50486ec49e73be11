/**
 * SHA-256 and BLAKE3 of one file in one read pass (hashing.md §3: large reads into reused
 * buffers; node:crypto for SHA-256, the native `blake3` addon for BLAKE3). The next chunk is
 * read while the current one is hashed, so disk and CPU overlap.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createHash as createBlake3, load as loadBlake3 } from 'blake3';

export const CHUNK_SIZE = 4 * 1024 * 1024;

/** The file's identity when it was opened, so the cache is keyed by what was actually read. */
export interface FileIdentity {
  size: number;
  mtimeMs: number;
  ino: number;
}

export interface HashedFile extends FileIdentity {
  sha256: string;
  blake3: string;
  /** Bytes read (equals size unless the file changed while being read). */
  bytes: number;
  /** True when size or mtime moved during the read: the digests describe no stable state. */
  changed: boolean;
}

let ready: Promise<void> | null = null;
const spare: Buffer[][] = [];

/** The wasm fallback of `blake3` needs load(); for the native addon it is a no-op. */
export function loadBlake3Once(): Promise<void> {
  return (ready ??= loadBlake3());
}

export async function hashFile(path: string, onBytes?: (bytes: number) => void): Promise<HashedFile> {
  await loadBlake3Once();
  const buffers = spare.pop() ?? [Buffer.allocUnsafe(CHUNK_SIZE), Buffer.allocUnsafe(CHUNK_SIZE)];
  const handle = await open(path, 'r');
  let pending: Promise<{ bytesRead: number }> | null = null;
  let clean = false;
  try {
    const before = await handle.stat();
    const sha256 = createHash('sha256');
    const blake3 = createBlake3();
    let position = 0;
    let current = 0;
    pending = handle.read(buffers[0]!, 0, CHUNK_SIZE, 0);
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) break;
      const chunk = buffers[current]!.subarray(0, bytesRead);
      position += bytesRead;
      current ^= 1;
      pending = handle.read(buffers[current]!, 0, CHUNK_SIZE, position);
      sha256.update(chunk);
      blake3.update(chunk);
      onBytes?.(bytesRead);
    }
    const after = await handle.stat();
    clean = true;
    return hashed(sha256.digest('hex'), blake3.digest().toString('hex'), before, after, position);
  } finally {
    // A read still in flight after an error must land before the handle closes and the
    // buffers are reused.
    if (!clean) await pending?.catch(() => undefined);
    await handle.close();
    spare.push(buffers);
  }
}

/** The digests with the identity at open time, and whether the file moved while it was read. */
function hashed(sha256: string, blake3: string, before: FileIdentity, after: FileIdentity, bytes: number): HashedFile {
  return {
    sha256,
    blake3,
    size: before.size,
    mtimeMs: before.mtimeMs,
    ino: before.ino,
    bytes,
    changed: after.size !== before.size || after.mtimeMs !== before.mtimeMs || bytes !== before.size,
  };
}

/** Files up to this size are hashed on the calling thread in one synchronous read. */
export const SMALL_FILE_BYTES = 1024 * 1024;

/**
 * A small file hashed in one synchronous read: a worker round trip and six async calls cost
 * more than hashing a megabyte. Returns null when the file is larger than SMALL_FILE_BYTES
 * after all (it grew since the walk); the caller then streams it.
 */
export function hashSmallFileSync(path: string): HashedFile | null {
  const fd = openSync(path, 'r');
  try {
    const before = fstatSync(fd);
    if (before.size > SMALL_FILE_BYTES) return null;
    const buffer = Buffer.allocUnsafe(before.size + 1);
    let position = 0;
    for (;;) {
      const n = readSync(fd, buffer, position, buffer.length - position, position);
      if (n === 0) break;
      position += n;
      if (position === buffer.length) return null; // grew while read: stream it instead
    }
    const after = fstatSync(fd);
    const bytes = buffer.subarray(0, position);
    return hashed(createHash('sha256').update(bytes).digest('hex'), createBlake3().update(bytes).digest().toString('hex'), before, after, position);
  } finally {
    closeSync(fd);
  }
}
