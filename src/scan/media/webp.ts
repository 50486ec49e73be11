/**
 * WebP (SaveAnimatedWEBP / SaveImageWebP): the RIFF `EXIF` chunk holds a TIFF IFD whose ASCII
 * tags carry `key:json` strings: 0x0110 Model = `prompt:…`, 0x010F Make = `workflow:…`, and
 * further extra_pnginfo keys at 0x010E, 0x010D, … An `Exif\0\0` prefix is optional.
 *
 * Tags point at their values by offset, so many tags can name the same bytes: only graph keys
 * are decoded, and their text counts against the file's budget, however often it is named.
 */
import { ascii } from '../sniff.js';
import {
  MAX_METADATA_BYTES, MAX_STRUCTURES, type MediaMetadata, type MetadataEntry, type Parser,
  TextBudget, decodeText, keyUse, u16, u32le,
} from './reader.js';

export function* readWebp(size: number): Parser<MediaMetadata> {
  const entries: MetadataEntry[] = [];
  const header: Uint8Array = yield { offset: 0, length: 12 };
  // Tools that append an EXIF chunk do not always grow the RIFF size: chunks past the declared
  // end are still read, but there anything that is not a whole chunk is trailing data, not a fault.
  const declaredEnd = 8 + u32le(header, 4);
  let budget = MAX_METADATA_BYTES;
  const text = new TextBudget();
  let problem: string | null = null;
  let pos = 12;
  for (let count = 0; pos + 8 <= size; count++) {
    if (count >= MAX_STRUCTURES) return { entries, problem: `more than ${MAX_STRUCTURES} RIFF chunks` };
    const head: Uint8Array = yield { offset: pos, length: 8 };
    if (head.length < 8) return { entries, problem: `WebP is truncated at byte ${pos}` };
    const fourcc = ascii(head, 0, 4);
    const length = u32le(head, 4);
    const beyond = pos >= declaredEnd;
    if (beyond && (!FOURCC.test(fourcc) || pos + 8 + length > size)) break;
    if (pos + 8 + length > size) return { entries, problem: `WebP chunk ${JSON.stringify(fourcc)} at byte ${pos} runs past the end of the file` };
    if (fourcc === 'EXIF') {
      if (length > budget) return { entries, problem: `WebP EXIF data beyond ${MAX_METADATA_BYTES} bytes exceeds the metadata limit` };
      budget -= length;
      const data: Uint8Array = yield { offset: pos + 8, length };
      const exif = readExif(data, text);
      entries.push(...exif.entries);
      problem ??= exif.problem;
    }
    pos += 8 + length + (length & 1);
  }
  return { entries, problem };
}

const FOURCC = /^[A-Z0-9 ]{4}$/;
const ASCII_LIKE = new Set([1, 2, 7]); // BYTE, ASCII, UNDEFINED
const KEY = /^[A-Za-z_][A-Za-z0-9_ -]{0,63}$/;

/**
 * `key:value` strings from the first IFD of a TIFF/EXIF block; malformed parts are skipped, and
 * a graph value that no longer fits `budget` is left out with a problem.
 */
export function readExif(block: Uint8Array, budget = new TextBudget()): { entries: MetadataEntry[]; problem: string | null } {
  const none = { entries: [], problem: null };
  const tiff = ascii(block, 0, 6) === 'Exif\0\0' ? block.subarray(6) : block;
  if (tiff.length < 8) return none;
  const order = ascii(tiff, 0, 2);
  if (order !== 'II' && order !== 'MM') return none;
  const little = order === 'II';
  if (u16(tiff, 2, little) !== 42) return none;
  const ifd = u32(tiff, 4, little);
  if (ifd + 2 > tiff.length) return none;
  const count = u16(tiff, ifd, little);
  const entries: MetadataEntry[] = [];
  let problem: string | null = null;
  for (let i = 0; i < count; i++) {
    const at = ifd + 2 + i * 12;
    if (at + 12 > tiff.length) break;
    if (!ASCII_LIKE.has(u16(tiff, at + 2, little))) continue;
    const n = u32(tiff, at + 4, little);
    const start = n <= 4 ? at + 8 : u32(tiff, at + 8, little);
    if (start + n > tiff.length) continue;
    const bytes = tiff.subarray(start, start + n);
    const key = keyOf(bytes);
    const use = key === null ? null : keyUse(key);
    if (use === 'name') entries.push({ key: key!, value: '' });
    if (use !== 'value') continue;
    if (!budget.take(n)) {
      problem ??= `EXIF tag ${i} (${JSON.stringify(key)}) was not read: with it, the file's metadata text would exceed ${MAX_METADATA_BYTES / (1024 * 1024)} MiB (the limit per file, however many tags share the bytes)`;
      continue;
    }
    const text = decodeText(bytes).replace(/\0+$/, '');
    entries.push({ key: key!, value: text.slice(key!.length + 1) });
  }
  return { entries, problem };
}

/** The key before the first `:` of a tag's text (ASCII, so read from the bytes), or null. */
function keyOf(bytes: Uint8Array): string | null {
  const end = Math.min(bytes.length, 65);
  for (let i = 1; i < end; i++) {
    if (bytes[i] !== 0x3a) continue;
    const key = ascii(bytes, 0, i);
    return KEY.test(key) ? key : null;
  }
  return null;
}

function u32(b: Uint8Array, i: number, little: boolean): number {
  return little ? u32le(b, i) : ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;
}
