/**
 * A workflow file's identity for the caches (scan-memo.ts, build-stamp.ts): size, mtime, ctime
 * and inode, taken once per build before anything is read, so every cache records the state
 * that was actually scanned.
 */
import { statSync } from 'node:fs';

export interface FileStamp {
  stamp: string;
  mtimeMs: number;
  /** Device and inode: the same file reached by two paths (a symlink) has one identity. */
  identity: string;
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
      return { stamp: `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`, mtimeMs: st.mtimeMs, identity: `${st.dev}:${st.ino}` };
    } catch {
      return null;
    }
  });
}

/**
 * Each file once: a path that reaches a file already listed (through a symlink, or a symlink to a
 * folder above it) is dropped, and named. `files` is sorted, so the first path in order stays.
 */
export function oncePerFile<F extends { relPath: string }>(files: readonly F[], stamps: readonly (FileStamp | null)[]): { files: F[]; stamps: (FileStamp | null)[]; aliases: { relPath: string; sameAs: string }[] } {
  const firstPath = new Map<string, string>();
  const kept: F[] = [];
  const keptStamps: (FileStamp | null)[] = [];
  const aliases: { relPath: string; sameAs: string }[] = [];
  files.forEach((file, i) => {
    const stamp = stamps[i] ?? null;
    const first = stamp ? firstPath.get(stamp.identity) : undefined;
    if (first !== undefined) {
      aliases.push({ relPath: file.relPath, sameAs: first });
      return;
    }
    if (stamp) firstPath.set(stamp.identity, file.relPath);
    kept.push(file);
    keptStamps.push(stamp);
  });
  return aliases.length === 0 ? { files: [...files], stamps: [...stamps], aliases } : { files: kept, stamps: keptStamps, aliases };
}
