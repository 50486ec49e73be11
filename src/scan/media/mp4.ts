/**
 * MP4 / MOV (SaveVideo): PyAV with `movflags=use_metadata_tags` writes `moov/udta/meta` with a
 * `keys` box (mdta names such as `prompt`, `workflow`) and an `ilst` whose items are numbered by
 * key index, each holding a `data` box. iTunes-style `----` items (mean/name/data) are read too.
 * Only box headers are read on the way, so `mdat` (the video) is skipped by seeking.
 */
import { ascii } from '../sniff.js';
import {
  MAX_METADATA_BYTES, MAX_STRUCTURES, type MediaMetadata, type MetadataEntry, type Parser,
  decodeText, u32be,
} from './reader.js';

interface Box {
  type: string;
  /** The type field as a number: ilst items use it as a 1-based key index. */
  code: number;
  start: number;
  body: number;
  end: number;
}

type Children = { boxes: Box[]; problem: string | null };

export function* readMp4(size: number): Parser<MediaMetadata> {
  const state: MetaState = { entries: [], budget: MAX_METADATA_BYTES, boxes: MAX_STRUCTURES, problem: null };
  const top = yield* children(state, 0, size, 'file');
  for (const moov of top.boxes.filter((b) => b.type === 'moov')) {
    const inner = yield* children(state, moov.body, moov.end, 'moov');
    for (const box of inner.boxes) {
      if (box.type === 'meta') yield* readMeta(box, state);
      if (box.type !== 'udta') continue;
      const udta = yield* children(state, box.body, box.end, 'udta');
      for (const meta of udta.boxes) if (meta.type === 'meta') yield* readMeta(meta, state);
    }
    state.problem ??= inner.problem;
  }
  return { entries: state.entries, problem: state.problem ?? top.problem };
}

interface MetaState {
  entries: MetadataEntry[];
  /** Bytes of metadata still allowed. */
  budget: number;
  /** Box headers still allowed, across the whole walk (nested lists multiply otherwise). */
  boxes: number;
  problem: string | null;
}

function* readMeta(meta: Box, state: MetaState): Parser<void> {
  // ISO `meta` is a full box (4 bytes version/flags); QuickTime's is not. Tell them apart by
  // whether a child box type appears right after the header.
  const peek: Uint8Array = yield { offset: meta.body, length: 8 };
  const first = meta.body + (ascii(peek, 4, 4) === 'hdlr' ? 0 : 4);
  const list = yield* children(state, first, meta.end, 'meta');
  state.problem ??= list.problem;
  let keys: string[] = [];
  const items: { index: number; value: string }[] = [];
  for (const box of list.boxes) {
    if (box.type === 'keys') {
      const data = yield* readBody(box, state);
      if (data) keys = parseKeys(data);
    } else if (box.type === 'ilst') {
      const ilst = yield* children(state, box.body, box.end, 'ilst');
      for (const item of ilst.boxes) {
        const parts = yield* children(state, item.body, item.end, 'ilst item');
        let name: string | null = null;
        for (const part of parts.boxes) {
          if (part.type !== 'data' && part.type !== 'name') continue;
          const data = yield* readBody(part, state);
          if (!data) continue;
          // `data` = 4-byte type indicator + 4-byte locale + value; `name` = 4-byte version/flags + name.
          const text = decodeText(data.subarray(part.type === 'data' ? 8 : 4));
          if (part.type === 'name') name = text;
          else if (item.type === '----' && name !== null) state.entries.push({ key: name, value: text });
          else items.push({ index: item.code, value: text });
        }
      }
    }
  }
  for (const { index, value } of items) {
    const key = keys[index - 1];
    if (key !== undefined) state.entries.push({ key, value });
  }
}

/** `keys` box body: version/flags, entry count, then (size, namespace, name) records. */
function parseKeys(data: Uint8Array): string[] {
  const keys: string[] = [];
  const count = data.length >= 8 ? u32be(data, 4) : 0;
  let at = 8;
  for (let i = 0; i < count && at + 8 <= data.length; i++) {
    const size = u32be(data, at);
    if (size < 8 || at + size > data.length) break;
    keys.push(decodeText(data.subarray(at + 8, at + size)));
    at += size;
  }
  return keys;
}

function* readBody(box: Box, state: MetaState): Parser<Uint8Array | null> {
  const length = box.end - box.body;
  if (length > state.budget) {
    state.problem ??= `MP4 metadata box of ${length} bytes exceeds the ${MAX_METADATA_BYTES}-byte metadata limit`;
    return null;
  }
  state.budget -= length;
  const data: Uint8Array = yield { offset: box.body, length };
  return data;
}

/** Headers of the boxes between start and end; stops at the first box that does not fit. */
function* children(state: MetaState, start: number, end: number, where: string): Parser<Children> {
  const boxes: Box[] = [];
  let pos = start;
  while (pos + 8 <= end) {
    if (--state.boxes < 0) return { boxes, problem: `more than ${MAX_STRUCTURES} MP4 boxes` };
    const h: Uint8Array = yield { offset: pos, length: 16 };
    if (h.length < 8) return { boxes, problem: `MP4 is truncated at byte ${pos}` };
    let size = u32be(h, 0);
    let header = 8;
    if (size === 1) {
      if (h.length < 16) return { boxes, problem: `MP4 is truncated at byte ${pos}` };
      size = u32be(h, 8) * 2 ** 32 + u32be(h, 12);
      header = 16;
    } else if (size === 0) {
      size = end - pos;
    }
    const type = ascii(h, 4, 4);
    if (size < header || pos + size > end) {
      return { boxes, problem: `MP4 box ${JSON.stringify(type)} at byte ${pos} runs past the end of ${where}` };
    }
    boxes.push({ type, code: u32be(h, 4), start: pos, body: pos + header, end: pos + size });
    pos += size;
  }
  return { boxes, problem: null };
}
