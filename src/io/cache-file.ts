/**
 * Best-effort atomic write of a file in comfygen's cache (`.comfygen/`): written beside, then
 * renamed into place, so a crash leaves the old file or none, never half of one. A cache that
 * cannot be written (a read-only project) only costs a later run its short cut: false, no throw.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function writeCacheFile(file: string, text: string): boolean {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(tmp, text);
    renameSync(tmp, file);
    return true;
  } catch {
    removeQuietly(tmp);
    return false;
  }
}

/**
 * Removes a cache file if it is there. Never throws: `force` forgives only a missing file, and a
 * cache path can fail in other ways (ENOTDIR when `.comfygen` is a file, EACCES), which must not
 * turn a cache that could not be written into a crash.
 */
export function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // Nothing was there to remove, or nothing can be done about it; either way only a cache.
  }
}
