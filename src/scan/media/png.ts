/**
 * PNG / APNG text metadata: `tEXt` (SaveImage), `iTXt` (parsed properly, compressed or not),
 * `zTXt`, and ComfyUI's private `comf` chunk (SaveAnimatedPNG writes it after IDAT).
 *
 * A chunk's keyword is read before its body: only the embedded graphs (`workflow`, `prompt`)
 * are read, decoded and inflated, and their text counts against one budget per file, so neither
 * other keys nor a zip bomb spread over many chunks can cost more than MAX_METADATA_BYTES.
 */
import { inflateSync } from 'node:zlib';
import { ascii } from '../sniff.js';
import {
  MAX_METADATA_BYTES, MAX_STRUCTURES, type MediaMetadata, type MetadataEntry, type Parser,
  TextBudget, decodeText, indexOfZero, keyUse, u32be,
} from './reader.js';

const TEXT_CHUNKS = new Set(['tEXt', 'iTXt', 'zTXt', 'comf']);
const latin1 = new TextDecoder('latin1');
/** A keyword is 1–79 bytes, then NUL (PNG spec 11.3.4.3). */
const KEYWORD_BYTES = 80;
const MIB = 1024 * 1024;

export function* readPng(size: number): Parser<MediaMetadata> {
  const entries: MetadataEntry[] = [];
  let budget = MAX_METADATA_BYTES;
  const text = new TextBudget();
  let problem: string | null = null;
  let pos = 8;
  for (let count = 0; pos < size; count++) {
    if (count >= MAX_STRUCTURES) return { entries, problem: `more than ${MAX_STRUCTURES} PNG chunks` };
    const head: Uint8Array = yield { offset: pos, length: 8 };
    if (head.length < 8) return { entries, problem: `PNG is truncated at byte ${pos}` };
    const length = u32be(head, 0);
    const type = ascii(head, 4, 4);
    if (pos + 12 + length > size) return { entries, problem: `PNG chunk ${JSON.stringify(type)} at byte ${pos} runs past the end of the file` };
    if (TEXT_CHUNKS.has(type)) {
      const start: Uint8Array = yield { offset: pos + 8, length: Math.min(length, KEYWORD_BYTES) };
      const nul = indexOfZero(start);
      const key = nul > 0 ? latin1.decode(start.subarray(0, nul)) : null;
      const use = key === null ? null : keyUse(key);
      if (key !== null && use === 'name') entries.push({ key, value: '' });
      if (key !== null && use === 'value') {
        if (length > budget) return { entries, problem: `PNG text chunk of ${length} bytes exceeds the ${MAX_METADATA_BYTES}-byte metadata limit` };
        budget -= length;
        const data: Uint8Array = yield { offset: pos + 8, length };
        const entry = decodeChunk(type, key, nul, data, text, pos);
        if (typeof entry === 'string') problem ??= entry;
        else if (entry) entries.push(entry);
      }
    }
    if (type === 'IEND') break;
    // SaveImage writes its text chunks before the image data: once a workflow has been seen, the
    // rest of the file (megabytes of IDAT) has nothing more to offer. APNG `comf` chunks follow
    // IDAT, so without a workflow the walk goes on.
    if (type === 'IDAT' && entries.some((e) => e.key.toLowerCase() === 'workflow')) break;
    pos += 12 + length;
  }
  return { entries, problem };
}

/**
 * The entry, null when the chunk holds no text, or a problem when its text cannot be had: the
 * compressed text is corrupt, or it (or, uncompressed, the chunk) does not fit what is left of
 * the file's budget. Either way the walk goes on: a later chunk may still hold a graph.
 */
function decodeChunk(type: string, key: string, nul: number, data: Uint8Array, budget: TextBudget, at: number): MetadataEntry | string | null {
  if (type === 'tEXt' || type === 'comf') return take(data.subarray(nul + 1));
  if (type === 'zTXt') return inflated(data.subarray(nul + 2));
  // iTXt: keyword NUL, compression flag, method, language NUL, translated keyword NUL, text.
  const compressed = data[nul + 1] === 1;
  const langEnd = indexOfZero(data, nul + 3);
  const transEnd = langEnd < 0 ? -1 : indexOfZero(data, langEnd + 1);
  if (transEnd < 0) return null;
  const body = data.subarray(transEnd + 1);
  return compressed ? inflated(body) : take(body);

  function take(bytes: Uint8Array): MetadataEntry | string {
    return budget.take(bytes.length) ? { key, value: decodeText(bytes) } : overBudget();
  }

  function inflated(bytes: Uint8Array): MetadataEntry | string {
    if (budget.remaining === 0) return overBudget();
    try {
      // The output cap is what is left of the budget: a bomb stops at it, it is never inflated.
      const out = inflateSync(bytes, { maxOutputLength: budget.remaining });
      budget.take(out.length);
      return { key, value: decodeText(out) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return overBudget();
      return `compressed text chunk ${JSON.stringify(key)} at byte ${at} is corrupt`;
    }
  }

  function overBudget(): string {
    return `text chunk ${JSON.stringify(key)} at byte ${at} was not read: with it, the file's metadata text would exceed ${MAX_METADATA_BYTES / MIB} MiB (the limit per file, across its chunks, after inflating)`;
  }
}
