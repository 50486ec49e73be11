/**
 * A workflow file's identity for the caches (scan-memo.ts, build-stamp.ts): size, mtime, ctime
 * and inode, taken once per build before anything is read, so every cache records the state
 * that was actually scanned.
 */
import { statSync } from 'node:fs';

export interface FileStamp {
  stamp: string;
  mtimeMs: number;
}

/**
 * A file modified this recently may change again within the filesystem's timestamp resolution
 * without its stamp moving (git's "racy clean" problem): no cache on disk trusts its stamp.
 */
export const RACY_MS = 3000;

/** One stamp per file; null for a file that cannot be stat'ed (the scanner reports it). */
export function stampFiles(files: readonly { absPath: string }[]): (FileStamp | null)[] {
  return files.map((f) => {
    try {
      const st = statSync(f.absPath);
      return { stamp: `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`, mtimeMs: st.mtimeMs };
    } catch {
      return null;
    }
  });
}
