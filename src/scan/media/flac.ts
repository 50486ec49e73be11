/**
 * FLAC (SaveAudio): PyAV writes the metadata as Vorbis comments `prompt=…`, `workflow=…` in the
 * VORBIS_COMMENT metadata block (type 4). Keys are case-insensitive by the Vorbis spec.
 */
import {
  MAX_METADATA_BYTES, MAX_STRUCTURES, type MediaMetadata, type MetadataEntry, type Parser,
  decodeText, keyUse, u32le,
} from './reader.js';

const VORBIS_COMMENT = 4;

export function* readFlac(size: number): Parser<MediaMetadata> {
  const entries: MetadataEntry[] = [];
  let budget = MAX_METADATA_BYTES;
  let pos = 4;
  for (let count = 0; pos + 4 <= size; count++) {
    if (count >= MAX_STRUCTURES) return { entries, problem: `more than ${MAX_STRUCTURES} FLAC metadata blocks` };
    const head: Uint8Array = yield { offset: pos, length: 4 };
    if (head.length < 4) return { entries, problem: `FLAC is truncated at byte ${pos}` };
    const last = (head[0]! & 0x80) !== 0;
    const type = head[0]! & 0x7f;
    const length = (head[1]! << 16) + (head[2]! << 8) + head[3]!;
    if (type === 127) return { entries, problem: `invalid FLAC metadata block at byte ${pos}` };
    if (pos + 4 + length > size) return { entries, problem: `FLAC metadata block at byte ${pos} runs past the end of the file` };
    if (type === VORBIS_COMMENT) {
      if (length > budget) return { entries, problem: `FLAC comments beyond ${MAX_METADATA_BYTES} bytes exceed the metadata limit` };
      budget -= length;
      const data: Uint8Array = yield { offset: pos + 4, length };
      for (const entry of readVorbisComments(data)) entries.push(entry);
    }
    if (last) break;
    pos += 4 + length;
  }
  return { entries, problem: null };
}

/**
 * `KEY=value` comments after the vendor string; stops quietly at the first malformed length.
 * Only the comments a scan uses are kept (keyUse): a block can hold millions of tiny ones.
 */
export function readVorbisComments(data: Uint8Array): MetadataEntry[] {
  const entries: MetadataEntry[] = [];
  if (data.length < 8) return entries;
  let at = 4 + u32le(data, 0);
  if (at + 4 > data.length) return entries;
  const count = u32le(data, at);
  at += 4;
  for (let i = 0; i < count && at + 4 <= data.length; i++) {
    const length = u32le(data, at);
    at += 4;
    if (at + length > data.length) break;
    const comment = data.subarray(at, at + length);
    at += length;
    const eq = comment.indexOf(0x3d);
    if (eq <= 0 || eq > 64) continue;
    const key = decodeText(comment.subarray(0, eq));
    const use = keyUse(key);
    if (use !== null) entries.push({ key, value: use === 'value' ? decodeText(comment.subarray(eq + 1)) : '' });
  }
  return entries;
}
