/**
 * PNG / APNG text metadata: `tEXt` (SaveImage), `iTXt` (parsed properly, compressed or not),
 * `zTXt`, and ComfyUI's private `comf` chunk (SaveAnimatedPNG writes it after IDAT).
 */
import { inflateSync } from 'node:zlib';
import { ascii } from '../sniff.js';
import {
  MAX_METADATA_BYTES, MAX_STRUCTURES, type MediaMetadata, type MetadataEntry, type Parser,
  decodeText, indexOfZero, u32be,
} from './reader.js';

const TEXT_CHUNKS = new Set(['tEXt', 'iTXt', 'zTXt', 'comf']);
const latin1 = new TextDecoder('latin1');

export function* readPng(size: number): Parser<MediaMetadata> {
  const entries: MetadataEntry[] = [];
  let budget = MAX_METADATA_BYTES;
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
      if (length > budget) return { entries, problem: `PNG text chunk of ${length} bytes exceeds the ${MAX_METADATA_BYTES}-byte metadata limit` };
      budget -= length;
      const data: Uint8Array = yield { offset: pos + 8, length };
      const entry = decodeChunk(type, data);
      if (typeof entry === 'string') problem ??= entry;
      else if (entry) entries.push(entry);
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

/** The entry, null when the chunk is not a keyed text, or a problem when its text cannot be inflated. */
function decodeChunk(type: string, data: Uint8Array): MetadataEntry | string | null {
  const nul = indexOfZero(data);
  if (nul <= 0) return null;
  const key = latin1.decode(data.subarray(0, nul));
  if (type === 'tEXt' || type === 'comf') return { key, value: decodeText(data.subarray(nul + 1)) };
  if (type === 'zTXt') {
    const text = inflate(data.subarray(nul + 2));
    return text === null ? inflateProblem(key) : { key, value: decodeText(text) };
  }
  // iTXt: keyword NUL, compression flag, method, language NUL, translated keyword NUL, text.
  const compressed = data[nul + 1] === 1;
  const langEnd = indexOfZero(data, nul + 3);
  const transEnd = langEnd < 0 ? -1 : indexOfZero(data, langEnd + 1);
  if (transEnd < 0) return null;
  const body = data.subarray(transEnd + 1);
  const text = compressed ? inflate(body) : body;
  return text === null ? inflateProblem(key) : { key, value: decodeText(text) };
}

function inflateProblem(key: string): string {
  return `compressed text chunk ${JSON.stringify(key)} is corrupt or inflates beyond the ${MAX_METADATA_BYTES}-byte metadata limit`;
}

function inflate(bytes: Uint8Array): Uint8Array | null {
  try {
    // The output cap keeps a zip bomb from costing more than the metadata budget.
    return inflateSync(bytes, { maxOutputLength: MAX_METADATA_BYTES });
  } catch {
    return null;
  }
}
