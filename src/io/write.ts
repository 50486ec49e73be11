/**
 * The one writer (STYLE.md §2). Compares rendered files with disk, refuses to overwrite a file
 * that is not ours, writes only what changed, atomically (temp file + rename). `check` and
 * `--dry-run` use the plan without applying it.
 *
 * Links the user made stay links. An output path that is a symbolic link to a regular file is
 * written through it: the temp file goes beside the link's real target and is renamed over
 * that, so the link still points where it did and the target is replaced atomically. A link
 * that leads nowhere (dangling, a loop) or to anything but a regular file is never replaced,
 * not even with --force. A file that cannot be written (a read-only folder, a full disk) is
 * reported with its cause, and the other files are still written.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, chmod, lstat, mkdir, open, readlink, realpath, rename, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { textSlices } from '../core/text-slices.js';
import type { RenderedFile } from '../core/types.js';
import { hasMarker } from '../render/marker.js';

export type WriteStatus = 'create' | 'update' | 'unchanged' | 'foreign';

/** Why a path cannot take the file at all, even with --force, and what the user can do. */
export interface Blocked {
  why: string;
  fix: string;
}

export interface PlannedWrite extends RenderedFile {
  absPath: string;
  status: WriteStatus;
  /**
   * Why the path cannot take a file at all, even with --force (status `foreign`): a folder is
   * there, a file where a parent folder should be, a link that leads nowhere, or a file that
   * cannot be read. Replacing those would mean deleting them, or guessing.
   */
  blocked?: Blocked;
  /** The real file a symbolic link at `absPath` leads to: written through, the link kept. */
  target?: string;
}

/** A create or update that could not be applied (applyWrites): what failed, and what to do. */
export interface WriteFailure {
  path: string;
  message: string;
  hint: string;
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
      const found = await readCurrent(absPath, opts.baseDir);
      const current = found !== null && !('blocked' in found) ? await compare(found, file.content) : found;
      if (current !== null && 'blocked' in current) return { ...file, absPath, status: 'foreign', blocked: current.blocked };
      const target = current?.target !== undefined ? { target: current.target } : {};
      let status: WriteStatus;
      if (current === null) status = 'create';
      // Git records only the executable bit: a checkout under another umask (0664 files) or a
      // read-only one is the same output, not drift.
      else if (current.same && isExecutable(current.mode) === isExecutable(file.mode)) status = 'unchanged';
      else if (!opts.force && !opts.owned?.has(file.path) && !current.marked) status = 'foreign';
      else status = 'update';
      return { ...file, absPath, status, ...target };
    }),
  );
}

/** The regular file at an output path (through a link: `target`), before it is compared. */
type OnDisk = { file: string; size: number; mode: number; target?: string };
type Current = OnDisk | { blocked: Blocked } | null;

const MOVE_IT = 'move it away: comfygen writes only files, and never removes a folder or a file in its way (not even with --force)';
const LINK_KEPT = 'comfygen never replaces a link you made: remove the link (comfygen then writes a regular file there), or point it at an existing file, which is then written through the link';
const UNREADABLE = 'make it readable (and its folder writable) for the user running comfygen, or move it away';

async function readCurrent(absPath: string, baseDir: string): Promise<Current> {
  try {
    const st = await lstat(absPath);
    if (st.isDirectory()) return { blocked: { why: 'is a folder', fix: MOVE_IT } };
    if (st.isSymbolicLink()) return await throughLink(absPath);
    // A FIFO would block the read forever; a device or socket is no output either.
    if (!st.isFile()) return { blocked: { why: 'is not a regular file', fix: MOVE_IT } };
    return { file: absPath, size: st.size, mode: st.mode };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ENOTDIR') return { blocked: { why: `cannot be created: ${await fileInTheWay(absPath, baseDir)} is a file, not a folder`, fix: MOVE_IT } };
    return { blocked: { why: `cannot be read (${code ?? (err as Error).message}), so comfygen cannot tell whether it may replace it`, fix: UNREADABLE } };
  }
}

/**
 * Whether the file holds exactly `content`, and whether it carries the marker, read a slice at
 * a time: a 17 MB report is compared without a second copy of it as a string.
 */
async function compare(disk: OnDisk, content: string): Promise<(OnDisk & { same: boolean; marked: boolean }) | { blocked: Blocked }> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(disk.file, 'r');
    // The marker is in the first five lines (render/marker.ts): the head of the file holds them.
    const head = Buffer.allocUnsafe(Math.min(disk.size, HEAD_BYTES));
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const marked = hasMarker(head.subarray(0, bytesRead).toString('utf8'));
    return { ...disk, same: await sameBytes(fh, disk.size, content), marked };
  } catch (err) {
    // Unreadable, so comfygen cannot tell whether the file is its own: never guessed.
    const code = (err as NodeJS.ErrnoException).code;
    return { blocked: { why: `cannot be read (${code ?? (err as Error).message}), so comfygen cannot tell whether it may replace it`, fix: UNREADABLE } };
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

const HEAD_BYTES = 64 * 1024;

async function sameBytes(fh: FileHandle, size: number, content: string): Promise<boolean> {
  if (Buffer.byteLength(content, 'utf8') !== size) return false;
  const ours = Buffer.allocUnsafe(Math.min(SLICE_UNITS, content.length) * 3);
  const theirs = Buffer.allocUnsafe(ours.length);
  let at = 0;
  for (const slice of textSlices(content, SLICE_UNITS)) {
    const length = ours.write(slice, 0, 'utf8');
    for (let got = 0; got < length;) {
      const { bytesRead } = await fh.read(theirs, got, length - got, at + got);
      if (bytesRead === 0) return false;
      got += bytesRead;
    }
    if (!ours.subarray(0, length).equals(theirs.subarray(0, length))) return false;
    at += length;
  }
  return true;
}

/** A symbolic link at an output path: the regular file it leads to, or why it is left alone. */
async function throughLink(absPath: string): Promise<Current> {
  let target: string;
  try {
    target = await realpath(absPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const to = await readlink(absPath).catch(() => '?');
    if (code === 'ENOENT' || code === 'ENOTDIR') return { blocked: { why: `is a symbolic link to ${JSON.stringify(to)}, which does not exist`, fix: LINK_KEPT } };
    if (code === 'ELOOP') return { blocked: { why: 'is a symbolic link that leads back to itself (a loop)', fix: LINK_KEPT } };
    return { blocked: { why: `is a symbolic link to ${JSON.stringify(to)}, which cannot be followed (${code ?? 'error'})`, fix: LINK_KEPT } };
  }
  const st = await stat(target);
  if (st.isDirectory()) return { blocked: { why: 'is a symbolic link to a folder', fix: MOVE_IT } };
  if (!st.isFile()) return { blocked: { why: 'is a symbolic link to something that is not a regular file', fix: LINK_KEPT } };
  return { file: target, size: st.size, mode: st.mode, target };
}

/** The nearest ancestor of `absPath` that exists, as a path relative to `baseDir`: the file in the way. */
async function fileInTheWay(absPath: string, baseDir: string): Promise<string> {
  for (let dir = dirname(absPath); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      await lstat(dir);
      return shownPath(dir, baseDir);
    } catch {
      // Not there either: look further up.
    }
  }
  return dirname(absPath);
}

/** Relative to `baseDir` (with /) when inside it, else absolute. */
function shownPath(abs: string, baseDir: string): string {
  const rel = relative(baseDir, abs);
  if (rel === '') return '.';
  return rel.startsWith('..') || isAbsolute(rel) ? abs : rel.split(sep).join('/');
}

/**
 * Apply create/update entries; foreign and unchanged ones are left alone. A file that cannot be
 * written is reported (and its temp file removed); the rest are still written. `baseDir` is
 * where paths in the messages are relative to.
 */
export async function applyWrites(plan: readonly PlannedWrite[], baseDir?: string): Promise<WriteFailure[]> {
  const failures: WriteFailure[] = [];
  for (const item of plan) {
    if (item.status !== 'create' && item.status !== 'update') continue;
    const destination = item.target ?? item.absPath;
    const folder = dirname(destination);
    const tmp = `${destination}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await mkdir(folder, { recursive: true });
      await writeText(tmp, item.content, item.mode);
      await chmod(tmp, item.mode); // writeFile's mode is filtered by the umask
      await rename(tmp, destination);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      failures.push(writeFailure(item, err, shownPath(folder, baseDir ?? dirname(item.absPath))));
    }
  }
  return failures;
}

/**
 * A new file holding `text` as UTF-8, encoded a slice at a time into one buffer: a large
 * output (report.md of 30,000 workflows is 17 MB) never exists as one more copy beside its
 * string, nor as a trail of buffers waiting for the collector.
 */
async function writeText(path: string, text: string, mode: number): Promise<void> {
  const fh = await open(path, 'wx', mode);
  try {
    // At most 3 bytes per UTF-16 unit (a pair, 2 units, takes 4): a slice always fits.
    const buffer = Buffer.allocUnsafe(Math.min(SLICE_UNITS, text.length) * 3);
    for (const slice of textSlices(text, SLICE_UNITS)) {
      const length = buffer.write(slice, 0, 'utf8');
      for (let done = 0; done < length;) done += (await fh.write(buffer, done, length - done)).bytesWritten;
    }
  } finally {
    await fh.close();
  }
}

const SLICE_UNITS = 256 * 1024;

function writeFailure(item: PlannedWrite, err: unknown, folder: string): WriteFailure {
  const code = (err as NodeJS.ErrnoException).code;
  const through = item.target ? ` (through the symbolic link, to ${item.target})` : '';
  const cause: Record<string, [string, string]> = {
    EACCES: ['permission denied', `make ${folder} writable for the user running comfygen (for example: chmod u+w '${folder}'), or run comfygen where it may write`],
    EPERM: ['not permitted', `make ${folder} writable for the user running comfygen, or run comfygen where it may write`],
    EROFS: ['read-only file system', `${folder} is on a read-only file system: run comfygen in a writable copy of the project`],
    ENOSPC: ['no space left on the device', 'free some space, then build again'],
    EDQUOT: ['disk quota exceeded', 'free some space, then build again'],
    EEXIST: ['a file or a broken link is in the way of its folder', `check the path ${folder}: comfygen never removes what is in its way`],
    ENOTDIR: ['a file is in the way of its folder', `check the path ${folder}: comfygen never removes what is in its way`],
  };
  const [what, hint]: [string, string] = (code !== undefined ? cause[code] : undefined) ?? [(err as Error).message, `check ${folder}`];
  return { path: item.path, message: `${item.path} could not be written${through}: ${what} (${code ?? 'error'}) in ${folder}; it was left as it was`, hint };
}
