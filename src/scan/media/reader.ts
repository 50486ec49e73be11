/**
 * Container parsers are generators that ask for byte ranges instead of holding the file:
 * the same parser runs over an in-memory buffer (scanBytes, pure) or over a file handle with
 * positional reads (scanFile), so a 2 GB video costs a few header reads, not 2 GB of memory.
 */

export interface ReadRequest {
  offset: number;
  length: number;
}

/** Yields read requests, receives the bytes (shorter at end of file), returns its result. */
export type Parser<T> = Generator<ReadRequest, T, Uint8Array>;

/**
 * Metadata one media file may cost, counted twice: the bytes read from the file, and the text
 * the parsers produce from them (after inflating a compressed PNG chunk, or for each EXIF tag,
 * whose values may overlap). Each is at most this much per file, across all its chunks, so a
 * small file cannot inflate or repeat its way to gigabytes of strings.
 */
export const MAX_METADATA_BYTES = 64 * 1024 * 1024;

/** Stops a parser that walks pathological numbers of chunks or boxes. */
export const MAX_STRUCTURES = 100_000;

export interface MetadataEntry {
  key: string;
  value: string;
}

/**
 * What a scan needs of a metadata entry, by its key: the value of an embedded graph
 * (`workflow`, `prompt`, compared as graphCandidates does), the name alone (A1111 `parameters`,
 * for the hint), or nothing. Parsers decode, inflate and keep only what is needed.
 */
export function keyUse(key: string): 'value' | 'name' | null {
  if (key.length > 64) return null;
  const name = key.trim().toLowerCase();
  if (name === 'workflow' || name === 'prompt') return 'value';
  return name === 'parameters' ? 'name' : null;
}

/** The text still allowed to one file (MAX_METADATA_BYTES): take() before producing it. */
export class TextBudget {
  private left = MAX_METADATA_BYTES;

  get remaining(): number {
    return this.left;
  }

  /** True, and counted, when `bytes` more still fit. */
  take(bytes: number): boolean {
    if (bytes > this.left) return false;
    this.left -= bytes;
    return true;
  }
}

/** What a container parser found: text entries in file order, and why it stopped early, if it did. */
export interface MediaMetadata {
  entries: MetadataEntry[];
  problem: string | null;
}

export function runSync<T>(parser: Parser<T>, bytes: Uint8Array): T {
  let step = parser.next();
  while (!step.done) {
    const { offset, length } = step.value;
    const start = Math.min(Math.max(0, offset), bytes.length);
    step = parser.next(bytes.subarray(start, Math.min(bytes.length, start + Math.max(0, length))));
  }
  return step.value;
}

export type ReadAt = (offset: number, length: number) => Promise<Uint8Array>;

export async function runAsync<T>(parser: Parser<T>, read: ReadAt): Promise<T> {
  let step = parser.next();
  while (!step.done) {
    const { offset, length } = step.value;
    step = parser.next(await read(Math.max(0, offset), Math.max(0, length)));
  }
  return step.value;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

/** UTF-8 when valid, else Latin-1 (PNG tEXt is Latin-1 by spec; ComfyUI writes ASCII JSON). */
export function decodeText(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return latin1.decode(bytes);
  }
}

export function u32be(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;
}

export function u32le(b: Uint8Array, i: number): number {
  return ((b[i + 3]! << 24) >>> 0) + (b[i + 2]! << 16) + (b[i + 1]! << 8) + b[i]!;
}

export function u16(b: Uint8Array, i: number, little: boolean): number {
  return little ? b[i]! + (b[i + 1]! << 8) : (b[i]! << 8) + b[i + 1]!;
}

export function indexOfZero(b: Uint8Array, from = 0): number {
  for (let i = from; i < b.length; i++) if (b[i] === 0) return i;
  return -1;
}
