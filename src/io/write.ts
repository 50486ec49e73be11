/**
 * The one writer (STYLE.md §2). Compares rendered files with disk, refuses to overwrite a file
 * that is not ours, writes only what changed, atomically (temp file + rename). `check` and
 * `--dry-run` use the plan without applying it.
 */
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { RenderedFile } from '../core/types.js';
import { hasMarker } from '../render/marker.js';

export type WriteStatus = 'create' | 'update' | 'unchanged' | 'foreign';

export interface PlannedWrite extends RenderedFile {
  absPath: string;
  status: WriteStatus;
  /**
   * Why the path cannot take a file at all, even with --force (status `foreign`): a folder is
   * there, or a file where a parent folder should be. Replacing those would mean deleting them.
   */
  blocked?: string;
}

export interface PlanOptions {
  baseDir: string;
  /** Overwrite files that lack the marker. */
  force?: boolean;
  /** Paths (relative) that are comfygen's by name even without a marker (the lock). */
  owned?: ReadonlySet<string>;
}

const isExecutable = (mode: number) => (mode & 0o111) !== 0;

export async function planWrites(files: readonly RenderedFile[], opts: PlanOptions): Promise<PlannedWrite[]> {
  return Promise.all(
    files.map(async (file): Promise<PlannedWrite> => {
      const absPath = join(opts.baseDir, file.path);
      const current = await readCurrent(absPath, opts.baseDir);
      if (current !== null && 'blocked' in current) return { ...file, absPath, status: 'foreign', blocked: current.blocked };
      let status: WriteStatus;
      if (current === null) status = 'create';
      // Git records only the executable bit: a checkout under another umask (0664 files) or a
      // read-only one is the same output, not drift.
      else if (current.content === file.content && isExecutable(current.mode) === isExecutable(file.mode)) status = 'unchanged';
      else if (!opts.force && !opts.owned?.has(file.path) && !hasMarker(current.content)) status = 'foreign';
      else status = 'update';
      return { ...file, absPath, status };
    }),
  );
}

async function readCurrent(absPath: string, baseDir: string): Promise<{ content: string; mode: number } | { blocked: string } | null> {
  try {
    const st = await lstat(absPath);
    if (st.isDirectory()) return { blocked: 'is a folder' };
    return { content: await readFile(absPath, 'utf8'), mode: st.mode };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    // A symlink to a folder.
    if (code === 'EISDIR') return { blocked: 'leads to a folder' };
    if (code === 'ENOTDIR') return { blocked: `cannot be created: ${await fileInTheWay(absPath, baseDir)} is a file, not a folder` };
    throw err;
  }
}

/** The nearest ancestor of `absPath` that exists, as a path relative to `baseDir`: the file in the way. */
async function fileInTheWay(absPath: string, baseDir: string): Promise<string> {
  for (let dir = dirname(absPath); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      await lstat(dir);
      return relative(baseDir, dir).split(sep).join('/') || dir;
    } catch {
      // Not there either: look further up.
    }
  }
  return dirname(absPath);
}

/** Apply create/update entries; foreign and unchanged ones are left alone. */
export async function applyWrites(plan: readonly PlannedWrite[]): Promise<void> {
  for (const item of plan) {
    if (item.status !== 'create' && item.status !== 'update') continue;
    await mkdir(dirname(item.absPath), { recursive: true });
    const tmp = `${item.absPath}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, item.content, { mode: item.mode });
      await chmod(tmp, item.mode); // writeFile's mode is filtered by the umask
      await rename(tmp, item.absPath);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}
