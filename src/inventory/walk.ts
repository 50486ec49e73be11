/**
 * Walk every folder directory of every root and list the files, like ComfyUI's recursive
 * search (symlinks followed, `.git` skipped) but safe against symlink loops. One readdir per
 * directory, with synchronous calls: on a local disk fs's async calls cost three times as much
 * (thread-pool hop and promise). A regular file is not stat'ed until its size, mtime or inode is
 * asked for: a build needs them only for the few files a workflow names, and 72k stats were
 * most of the walk. Links and entries of unknown type are stat'ed at once (file or folder?).
 * The walk yields to the event loop between directories, so scan workers and progress keep
 * being served while it runs.
 */
import { type Dirent, type Stats, readdirSync, statSync } from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Diagnostic, LocalFile } from '../core/types.js';
import { byString } from '../core/stable-json.js';
import type { ModelRoot } from './types.js';

/** Entries listed between two yields to the event loop. */
const ENTRIES_PER_SLICE = 2000;

/** Dotfiles and dot-folders (`.git`, `.cache`, `.DS_Store`) and partial downloads (and their chunk maps) are not models. */
export function isSkippedEntry(name: string): boolean {
  return name.startsWith('.') || name.endsWith('.part') || name.endsWith('.part.map');
}

type Identity = Pick<LocalFile, 'size' | 'mtimeMs' | 'ino'>;

/** What a file that vanished after it was listed reports: a size no pin or model has. */
const VANISHED: Identity = { size: -1, mtimeMs: 0, ino: 0 };

/** A listed file whose stat is taken on first use (and kept: one stat per file at most). */
class ListedFile implements LocalFile {
  #identity: Identity | undefined;

  constructor(readonly root: string, readonly folder: string, readonly name: string, readonly absPath: string, stats?: Stats) {
    if (stats) this.#identity = { size: stats.size, mtimeMs: stats.mtimeMs, ino: stats.ino };
  }

  get size(): number {
    return this.#stat().size;
  }

  get mtimeMs(): number {
    return this.#stat().mtimeMs;
  }

  get ino(): number {
    return this.#stat().ino;
  }

  toJSON(): LocalFile {
    return { root: this.root, folder: this.folder, name: this.name, absPath: this.absPath, size: this.size, mtimeMs: this.mtimeMs, ino: this.ino };
  }

  #stat(): Identity {
    if (!this.#identity) {
      try {
        const s = statSync(this.absPath);
        this.#identity = s.isFile() ? { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino } : VANISHED;
      } catch {
        this.#identity = VANISHED;
      }
    }
    return this.#identity;
  }
}

interface Found {
  file: LocalFile;
  rootIndex: number;
  dirIndex: number;
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? 'EIO';
}

export interface WalkOptions {
  /** Stat every file during the walk and leave out those that vanish (`comfygen inventory` lists them all). */
  statAll?: boolean;
}

export async function walkInventory(roots: ModelRoot[], opts: WalkOptions = {}): Promise<{ files: LocalFile[]; diagnostics: Diagnostic[] }> {
  const found: Found[] = [];
  const diagnostics: Diagnostic[] = [];

  let sinceYield = 0;

  async function walkDir(abs: string, rel: string, ancestors: readonly string[], emit: (rel: string, abs: string, s?: Stats) => void): Promise<void> {
    // Yield before listing, not after: a listing held across the yield (and across the walk of
    // its subfolders) outlives the collections meanwhile and ends up in the old generation.
    if (sinceYield >= ENTRIES_PER_SLICE) {
      sinceYield = 0;
      await yieldToLoop();
    }
    const subdirs = listDir(abs, rel, ancestors, emit);
    for (const [path, childRel, chain] of subdirs) await walkDir(path, childRel, chain, emit);
  }

  /** One directory, synchronously: its files emitted, its subfolders returned. */
  function listDir(abs: string, rel: string, ancestors: readonly string[], emit: (rel: string, abs: string, s?: Stats) => void): [string, string, string[]][] {
    let entries: Dirent[];
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch (error) {
      diagnostics.push({ code: 'unreadable-folder', severity: 'warning', message: `cannot list ${abs} (${errorCode(error)}); models below it are not seen` });
      return [];
    }
    sinceYield += entries.length;
    const subdirs: [string, string, string[]][] = [];
    for (const entry of entries) {
      if (isSkippedEntry(entry.name)) continue;
      // Devices, sockets and pipes are no models. (An entry of unknown type, from a file system
      // that does not report types, is stat'ed below rather than skipped.)
      if (entry.isFIFO() || entry.isSocket() || entry.isCharacterDevice() || entry.isBlockDevice()) continue;
      const path = `${abs}/${entry.name}`;
      const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isFile() && !opts.statAll) {
        emit(childRel, path);
        continue;
      }
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
    return subdirs;
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
      found.push({ file: new ListedFile(root.label, folder, name, absPath, s), rootIndex, dirIndex });
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
  // The same file reached twice (two configured paths to one folder) is listed once. Sorted,
  // such copies share a folder and name with their neighbours, so only a run is compared.
  const files: LocalFile[] = [];
  let runStart = 0;
  for (const { file } of found) {
    const first = files[runStart];
    if (!first || first.folder !== file.folder || first.name !== file.name) runStart = files.length;
    else if (files.slice(runStart).some((f) => f.absPath === file.absPath)) continue;
    files.push(file);
  }
  diagnostics.sort((a, b) => byString(a.code, b.code) || byString(a.message, b.message));
  return { files, diagnostics };
}
