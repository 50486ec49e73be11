/**
 * SHA-256 and BLAKE3 of one file in one read pass (hashing.md §3: large reads into reused
 * buffers; node:crypto for SHA-256, the native `blake3` addon for BLAKE3). The next chunk is
 * read while the current one is hashed, so disk and CPU overlap.
 */
import { createHash } from 'node:crypto';
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

export async function hashFile(path: string, onBytes?: (bytes: number) => void): Promise<HashedFile> {
  // The wasm fallback of `blake3` needs load(); for the native addon it is a no-op.
  await (ready ??= loadBlake3());
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
    return {
      sha256: sha256.digest('hex'),
      blake3: blake3.digest().toString('hex'),
      size: before.size,
      mtimeMs: before.mtimeMs,
      ino: before.ino,
      bytes: position,
      changed: after.size !== before.size || after.mtimeMs !== before.mtimeMs || position !== before.size,
    };
  } finally {
    // A read still in flight after an error must land before the handle closes and the
    // buffers are reused.
    if (!clean) await pending?.catch(() => undefined);
    await handle.close();
    spare.push(buffers);
  }
}
