/**
 * The IO edge: one file from disk. JSON is read whole (up to a limit); media small enough is read
 * whole too, larger media is parsed with positional reads so only box/chunk headers and the
 * metadata itself are loaded (a multi-GB video costs a few kilobytes). Never throws.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import type { ScannedWorkflow } from '../core/types.js';
import { mediaParser } from './media/index.js';
import { type ReadAt, runAsync } from './media/reader.js';
import { fromMedia, scanBytes, unreadable } from './scan-bytes.js';
import { SNIFF_BYTES, sniff } from './sniff.js';

/** JSON workflows above this size are refused rather than parsed. */
export const MAX_JSON_BYTES = 256 * 1024 * 1024;
const WHOLE_READ_LIMIT = 256 * 1024;
const WINDOW_BYTES = 64 * 1024;

export interface ScanFileOptions {
  /** Media files up to this size are read in one go; larger ones by seeking (tests lower it). */
  wholeReadLimit?: number;
}

export async function scanFile(absPath: string, relPath: string, opts: ScanFileOptions = {}): Promise<ScannedWorkflow> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(absPath, 'r');
    const stat = await fh.stat();
    if (!stat.isFile()) return unreadable(relPath, null, 'not a regular file', 'unreadable-file');
    const size = stat.size;
    const head = await readAt(fh, 0, Math.min(size, SNIFF_BYTES));
    const kind = sniff(head);
    if (kind === 'unknown') return scanBytes(relPath, head);
    if (kind === 'json' && size > MAX_JSON_BYTES) {
      return unreadable(relPath, null, `JSON file of ${size} bytes exceeds the ${MAX_JSON_BYTES}-byte limit`, 'file-too-large');
    }
    if (kind === 'json' || size <= (opts.wholeReadLimit ?? WHOLE_READ_LIMIT)) return scanBytes(relPath, await readAt(fh, 0, size));
    const meta = await runAsync(mediaParser(kind, size), windowedReader(fh, size));
    return fromMedia(relPath, kind, meta);
  } catch (err) {
    // The message names the error class only: outputs never carry absolute paths.
    const code = (err as NodeJS.ErrnoException).code;
    return unreadable(relPath, null, `cannot read the file (${code ?? (err as Error).name ?? 'error'})`, 'unreadable-file');
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/**
 * The common case without the event loop (the scan workers have nothing else to run): JSON and
 * small media read whole with synchronous calls. Returns null for media too large to read
 * whole; scanFile parses those with windowed reads. Same results as scanFile, never throws.
 */
export function scanFileSync(absPath: string, relPath: string, opts: ScanFileOptions = {}): ScannedWorkflow | null {
  let fd: number | undefined;
  try {
    fd = openSync(absPath, 'r');
    const stat = fstatSync(fd);
    if (!stat.isFile()) return unreadable(relPath, null, 'not a regular file', 'unreadable-file');
    const size = stat.size;
    if (size <= (opts.wholeReadLimit ?? WHOLE_READ_LIMIT)) return scanBytes(relPath, readAtSync(fd, 0, size));
    const head = readAtSync(fd, 0, SNIFF_BYTES);
    const kind = sniff(head);
    if (kind === 'unknown') return scanBytes(relPath, head);
    if (kind !== 'json') return null;
    if (size > MAX_JSON_BYTES) return unreadable(relPath, null, `JSON file of ${size} bytes exceeds the ${MAX_JSON_BYTES}-byte limit`, 'file-too-large');
    return scanBytes(relPath, readAtSync(fd, 0, size));
  } catch (err) {
    return unreadable(relPath, null, `cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).name ?? 'error'})`, 'unreadable-file');
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function readAtSync(fd: number, offset: number, length: number): Uint8Array {
  const buffer = new Uint8Array(length);
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
