/**
 * Walk every folder directory of every root and list the files, like ComfyUI's recursive
 * search (symlinks followed, `.git` skipped) but safe against symlink loops. One readdir per
 * directory and one stat per entry, with synchronous calls: on a local disk fs's async stat
 * costs three times as much per call (thread-pool hop and promise), which was most of the walk
 * over 50k files. The walk yields to the event loop between directories, so scan workers and
 * progress keep being served while it runs.
 */
import { type Dirent, type Stats, readdirSync, statSync } from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Diagnostic, LocalFile } from '../core/types.js';
import { byString } from '../core/stable-json.js';
import type { ModelRoot } from './types.js';

/** Entries stat'ed between two yields to the event loop. */
const ENTRIES_PER_SLICE = 2000;

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
  const found: Found[] = [];
  const diagnostics: Diagnostic[] = [];

  let sinceYield = 0;

  async function walkDir(abs: string, rel: string, ancestors: readonly string[], emit: (rel: string, abs: string, s: Stats) => void): Promise<void> {
    let entries: Dirent[];
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch (error) {
      diagnostics.push({ code: 'unreadable-folder', severity: 'warning', message: `cannot list ${abs} (${errorCode(error)}); models below it are not seen` });
      return;
    }
    sinceYield += entries.length;
    if (sinceYield >= ENTRIES_PER_SLICE) {
      sinceYield = 0;
      await yieldToLoop();
    }
    const subdirs: [string, string, string[]][] = [];
    for (const entry of entries) {
      if (isSkippedEntry(entry.name)) continue;
      if (!entry.isFile() && !entry.isDirectory() && !entry.isSymbolicLink()) continue;
      const path = `${abs}/${entry.name}`;
      const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
      let s: Stats;
      try {
        s = statSync(path);
      } catch (error) {
        // A dangling link is worth a note; anything else vanished between readdir and stat.
        if (entry.isSymbolicLink()) diagnostics.push({ code: 'broken-symlink', severity: 'info', message: `${path} is a symlink to nothing (${errorCode(error)})` });
        continue;
      }
      if (s.isDirectory()) {
        const id = `${s.dev}:${s.ino}`;
        if (ancestors.includes(id)) {
          diagnostics.push({ code: 'symlink-loop', severity: 'info', message: `${path} leads back to a folder above it; not followed` });
          continue;
        }
        subdirs.push([path, childRel, [...ancestors, id]]);
      } else if (s.isFile()) {
        emit(childRel, path, s);
      }
    }
    for (const [path, childRel, chain] of subdirs) await walkDir(path, childRel, chain, emit);
  }

  async function walkFolderDir(root: ModelRoot, rootIndex: number, folder: string, dir: string, dirIndex: number): Promise<void> {
    let top: Stats;
    try {
      top = statSync(dir);
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

  for (const [r, root] of roots.entries()) {
    for (const [folder, dirs] of Object.entries(root.folders)) {
      for (const [d, dir] of dirs.entries()) await walkFolderDir(root, r, folder, dir, d);
    }
  }

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
