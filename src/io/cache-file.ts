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
    try {
      rmSync(tmp, { force: true });
    } catch {
      // ENOTDIR / EACCES: the folder it would be in is not there to clean either.
    }
    return false;
  }
}
