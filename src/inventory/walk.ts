/**
 * Walk every folder directory of every root and list the files, like ComfyUI's recursive
 * search (symlinks followed, `.git` skipped) but safe against symlink loops. One readdir per
 * directory and one stat per entry, many in flight at once (so a cold disk or a network mount
 * overlaps its latencies).
 */
import { type Dirent, type Stats, readdir, stat } from 'node:fs';
import type { Diagnostic, LocalFile } from '../core/types.js';
import { byString } from '../core/stable-json.js';
import type { ModelRoot } from './types.js';

/** Directories listed at once (bounds open handles); stats are queued to libuv freely. */
const READDIR_CONCURRENCY = 64;

// Callback fs wrapped by hand: on a warm cache fs/promises' stat costs twice as much per call,
// which is most of the walk's time over 50k files.
const statOf = (path: string) => new Promise<Stats>((resolve, reject) => stat(path, (e, s) => (e ? reject(e) : resolve(s))));
const listDir = (path: string) => new Promise<Dirent[]>((resolve, reject) => readdir(path, { withFileTypes: true }, (e, d) => (e ? reject(e) : resolve(d))));

/** A minimal semaphore (p-limit's per-call overhead showed up in profiles). */
function limiter(max: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (fn) => {
    // A released slot is handed straight to the next waiter, so `active` never exceeds max.
    if (active >= max) await new Promise<void>((go) => waiting.push(go));
    else active += 1;
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active -= 1;
    }
  };
}

/** Dotfiles and dot-folders (`.git`, `.cache`, `.DS_Store`) and partial downloads are not models. */
export function isSkippedEntry(name: string): boolean {
  return name.startsWith('.') || name.endsWith('.part');
}

interface Found {
  file: LocalFile;
  rootIndex: number;
  dirIndex: number;
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? 'EIO';
}

export async function walkInventory(roots: ModelRoot[]): Promise<{ files: LocalFile[]; diagnostics: Diagnostic[] }> {
  const limitDirs = limiter(READDIR_CONCURRENCY);
  const found: Found[] = [];
  const diagnostics: Diagnostic[] = [];

  async function walkDir(abs: string, rel: string, ancestors: readonly string[], emit: (rel: string, abs: string, s: { size: number; mtimeMs: number; ino: number }) => void): Promise<void> {
    let entries;
    try {
      entries = await limitDirs(() => listDir(abs));
    } catch (error) {
      diagnostics.push({ code: 'unreadable-folder', severity: 'warning', message: `cannot list ${abs} (${errorCode(error)}); models below it are not seen` });
      return;
    }
    await Promise.all(entries.map(async (entry) => {
      if (isSkippedEntry(entry.name)) return;
      if (!entry.isFile() && !entry.isDirectory() && !entry.isSymbolicLink()) return;
      const path = `${abs}/${entry.name}`;
      const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
      let s;
      try {
        s = await statOf(path);
      } catch (error) {
        // A dangling link is worth a note; anything else vanished between readdir and stat.
        if (entry.isSymbolicLink()) diagnostics.push({ code: 'broken-symlink', severity: 'info', message: `${path} is a symlink to nothing (${errorCode(error)})` });
        return;
      }
      if (s.isDirectory()) {
        const id = `${s.dev}:${s.ino}`;
        if (ancestors.includes(id)) {
          diagnostics.push({ code: 'symlink-loop', severity: 'info', message: `${path} leads back to a folder above it; not followed` });
          return;
        }
        await walkDir(path, childRel, [...ancestors, id], emit);
      } else if (s.isFile()) {
        emit(childRel, path, s);
      }
    }));
  }

  async function walkFolderDir(root: ModelRoot, rootIndex: number, folder: string, dir: string, dirIndex: number): Promise<void> {
    let top;
    try {
      top = await statOf(dir);
    } catch (error) {
      // ComfyUI ignores registered folders that do not exist; so do we, unless it is not ENOENT.
      if (errorCode(error) !== 'ENOENT') diagnostics.push({ code: 'unreadable-folder', severity: 'warning', message: `cannot read ${dir} (${errorCode(error)}); models below it are not seen` });
      return;
    }
    if (!top.isDirectory()) {
      diagnostics.push({ code: 'not-a-folder', severity: 'warning', message: `${root.label}: ${folder} points at ${dir}, which is not a folder` });
      return;
    }
    await walkDir(dir, '', [`${top.dev}:${top.ino}`], (name, absPath, s) => {
      found.push({ file: { root: root.label, folder, name, absPath, size: s.size, mtimeMs: s.mtimeMs, ino: s.ino }, rootIndex, dirIndex });
    });
  }

  await Promise.all(roots.flatMap((root, r) =>
    Object.entries(root.folders).flatMap(([folder, dirs]) => dirs.map((dir, d) => walkFolderDir(root, r, folder, dir, d)))));

  // ComfyUI returns the first root (and first dir) that has a name, so that order wins ties.
  found.sort((a, b) => byString(a.file.folder, b.file.folder) || byString(a.file.name, b.file.name)
    || a.rootIndex - b.rootIndex || a.dirIndex - b.dirIndex || byString(a.file.absPath, b.file.absPath));
  const seen = new Set<string>();
  const files: LocalFile[] = [];
  for (const { file } of found) {
    const id = `${file.folder}\0${file.name}\0${file.absPath}`;
    if (seen.has(id)) continue;
    seen.add(id);
    files.push(file);
  }
  diagnostics.sort((a, b) => byString(a.code, b.code) || byString(a.message, b.message));
  return { files, diagnostics };
}
