/**
 * The IO edge: one file from disk. JSON is read whole (up to a limit); media small enough is read
 * whole too, larger media is parsed with positional reads so only box/chunk headers and the
 * metadata itself are loaded (a multi-GB video costs a few kilobytes). Never throws.
 */
import { hash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import type { ScannedWorkflow } from '../core/types.js';
import { type MediaKind, mediaParser } from './media/index.js';
import { type ReadAt, runAsync } from './media/reader.js';
import { fromMedia, scanBytes, scanFailed, unreadable } from './scan-bytes.js';
import { type ContentKind, SNIFF_BYTES, sniff } from './sniff.js';

/** JSON workflows above this size are refused rather than parsed. */
export const MAX_JSON_BYTES = 256 * 1024 * 1024;
const WHOLE_READ_LIMIT = 256 * 1024;
const WINDOW_BYTES = 64 * 1024;

export interface ScanFileOptions {
  /** Media files up to this size are read in one go; larger ones by seeking (tests lower it). */
  wholeReadLimit?: number;
}

/**
 * Scanning keyed by content (the scan cache's fallback when a file's identity changed but its
 * bytes may not have): `known` holds digests whose results the caller already has.
 */
export interface ContentCheck {
  known: ReadonlySet<string> | null;
}

/**
 * `digest` names the exact bytes that were parsed: null when the file was not read whole (large
 * media, unreadable files). `result` is null only when `known` held the digest: nothing was
 * parsed, the caller's result for that content stands (a scan depends on the path only through
 * `path` and each diagnostic's `file`).
 */
export type ContentScan = { result: ScannedWorkflow; digest: string | null } | { result: null; digest: string };

/** SHA-256 of the bytes, base64url: one-shot, about 1.7 GB/s on workflow-sized inputs. */
export function contentDigest(bytes: Uint8Array): string {
  return hash('sha256', bytes, 'base64url');
}

function fromWhole(relPath: string, bytes: Uint8Array, content: ContentCheck | null): ContentScan {
  if (!content) return { result: scanBytes(relPath, bytes), digest: null };
  const digest = contentDigest(bytes);
  if (content.known?.has(digest)) return { result: null, digest };
  return { result: scanBytes(relPath, bytes), digest };
}

const partial = (result: ScannedWorkflow): ContentScan => ({ result, digest: null });

export async function scanFile(absPath: string, relPath: string, opts: ScanFileOptions = {}): Promise<ScannedWorkflow> {
  return (await scanFileContent(absPath, relPath, null, opts)).result!;
}

/** scanFile, with the content check (a null check: no digest, always a result). */
export async function scanFileContent(absPath: string, relPath: string, content: ContentCheck | null, opts: ScanFileOptions = {}): Promise<ContentScan> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(absPath, 'r');
    const stat = await fh.stat();
    if (!stat.isFile()) return partial(unreadable(relPath, null, 'not a regular file', 'unreadable-file'));
    const size = stat.size;
    if (readsWhole(size, opts)) return fromWhole(relPath, await readAt(fh, 0, size), content);
    const head = await readAt(fh, 0, SNIFF_BYTES);
    const plan = planFromHead(sniff(head), size);
    if (plan === 'unknown') return partial(scanBytes(relPath, head));
    if (plan === 'too-large') return partial(tooLarge(relPath, size));
    if (plan === 'whole') return fromWhole(relPath, await readAt(fh, 0, size), content);
    const meta = await runAsync(mediaParser(plan.media, size), windowedReader(fh, size));
    return partial(fromMedia(relPath, plan.media, meta));
  } catch (err) {
    return partial(cannotRead(relPath, err));
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/**
 * The message names the error class only: outputs never carry absolute paths. Only a failed
 * system call (an errno error) means the file cannot be read; anything else thrown while
 * reading or parsing is the scanner's own failure, and is said to be.
 */
function cannotRead(relPath: string, err: unknown): ScannedWorkflow {
  if (!isSystemError(err)) return scanFailed(relPath, err);
  const code = (err as NodeJS.ErrnoException).code;
  // Node.js decodes file names as UTF-8; a name that is not (say Latin-1 from an old archive)
  // comes back with U+FFFD in it, and no file has that name.
  if (code === 'ENOENT' && relPath.includes('\uFFFD')) {
    return unreadable(relPath, null, 'cannot read the file: its name is not valid UTF-8 (shown with �), so it cannot be opened by name; rename it (for example with convmv -f latin1 -t utf8)', 'unreadable-file');
  }
  return unreadable(relPath, null, `cannot read the file (${code ?? (err as Error).name ?? 'error'})`, 'unreadable-file');
}

function isSystemError(err: unknown): boolean {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}

/**
 * The common case without the event loop (the scan workers have nothing else to run): JSON and
 * small media read whole with synchronous calls. Returns null for media too large to read
 * whole; scanFile parses those with windowed reads. Same results as scanFile, never throws.
 */
export function scanFileSync(absPath: string, relPath: string, opts: ScanFileOptions = {}): ScannedWorkflow | null {
  return scanFileContentSync(absPath, relPath, null, opts)?.result ?? null;
}

/** scanFileSync, with the content check; null for media too large to read whole. */
export function scanFileContentSync(absPath: string, relPath: string, content: ContentCheck | null, opts: ScanFileOptions = {}): ContentScan | null {
  let fd: number | undefined;
  try {
    fd = openSync(absPath, 'r');
    const read = readWholeSync(fd, opts);
    if (read.kind === 'whole') return fromWhole(relPath, read.bytes, content);
    if (read.kind === 'not-a-file') return partial(unreadable(relPath, null, 'not a regular file', 'unreadable-file'));
    if (read.kind === 'unknown') return partial(scanBytes(relPath, read.head));
    if (read.kind === 'too-large') return partial(tooLarge(relPath, read.size));
    return null;
  } catch (err) {
    return partial(cannotRead(relPath, err));
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The digest a scan of the file would record (scanFileContentSync, scanFileContent), without
 * parsing anything: null where a scan records none (media too large to read whole, a file
 * that is not one or cannot be read). The build stamp's content key (build-stamp.ts) is made
 * of these.
 */
export function digestFileSync(absPath: string, opts: ScanFileOptions = {}): string | null {
  let fd: number | undefined;
  try {
    fd = openSync(absPath, 'r');
    const read = readWholeSync(fd, opts);
    return read.kind === 'whole' ? contentDigest(read.bytes) : null;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

type WholeRead =
  | { kind: 'whole'; bytes: Uint8Array }
  | { kind: 'not-a-file' }
  /** Too large to read whole, and neither JSON nor media: `head` is all that was read. */
  | { kind: 'unknown'; head: Uint8Array }
  | { kind: 'media' }
  | { kind: 'too-large'; size: number };

/**
 * Which files are read whole (and so digested): anything small, and JSON up to its limit. The
 * synchronous and async readers both follow these two steps: by size, then by the sniffed head.
 */
function readsWhole(size: number, opts: ScanFileOptions): boolean {
  return size <= (opts.wholeReadLimit ?? WHOLE_READ_LIMIT);
}

/** A file too large to read whole, by its head: skipped, refused, read whole (JSON) or parsed by seeking (media). */
function planFromHead(kind: ContentKind, size: number): 'unknown' | 'too-large' | 'whole' | { media: MediaKind } {
  if (kind === 'unknown') return 'unknown';
  if (kind !== 'json') return { media: kind };
  return size > MAX_JSON_BYTES ? 'too-large' : 'whole';
}

function tooLarge(relPath: string, size: number): ScannedWorkflow {
  return unreadable(relPath, null, `JSON file of ${size} bytes exceeds the ${MAX_JSON_BYTES}-byte limit`, 'file-too-large');
}

function readWholeSync(fd: number, opts: ScanFileOptions): WholeRead {
  const stat = fstatSync(fd);
  if (!stat.isFile()) return { kind: 'not-a-file' };
  const size = stat.size;
  if (readsWhole(size, opts)) return { kind: 'whole', bytes: readAtSync(fd, 0, size) };
  const head = readAtSync(fd, 0, SNIFF_BYTES);
  const plan = planFromHead(sniff(head), size);
  if (plan === 'unknown') return { kind: 'unknown', head };
  if (plan === 'too-large') return { kind: 'too-large', size };
  if (plan === 'whole') return { kind: 'whole', bytes: readAtSync(fd, 0, size) };
  return { kind: 'media' };
}

/**
 * One buffer for the synchronous reads of this thread, grown to the largest file up to
 * SCRATCH_LIMIT. Safe because a scan is synchronous and its result keeps no view of the bytes
 * (JSON is decoded to a string, media metadata to strings); it keeps a worker that only digests
 * (the scan cache's content check) from piling up hundreds of MB of dead buffers that no GC of
 * its little-used heap would reclaim soon.
 */
let scratch = new Uint8Array(0);
const SCRATCH_LIMIT = 4 * 1024 * 1024;

function readAtSync(fd: number, offset: number, length: number): Uint8Array {
  if (length > scratch.length && length <= SCRATCH_LIMIT) scratch = new Uint8Array(Math.max(length, 64 * 1024));
  const buffer = length <= scratch.length ? scratch.subarray(0, length) : new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const bytesRead = readSync(fd, buffer, filled, length - filled, offset + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}

/**
 * Serves the parsers' many small header reads from a 64 KiB window, so walking chunks costs one
 * read per window rather than one per chunk; large metadata reads go straight to the file.
 */
function windowedReader(fh: FileHandle, size: number): ReadAt {
  let start = 0;
  let window: Uint8Array = new Uint8Array(0);
  return async (offset, length) => {
    if (offset >= start && offset + length <= start + window.length) return window.subarray(offset - start, offset - start + length);
    if (length >= WINDOW_BYTES) return readAt(fh, offset, length);
    window = await readAt(fh, offset, Math.max(0, Math.min(WINDOW_BYTES, size - offset)));
    start = offset;
    return window.subarray(0, length);
  };
}

async function readAt(fh: FileHandle, offset: number, length: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await fh.read(buffer, filled, length - filled, offset + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}
