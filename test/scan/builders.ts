/**
 * In-memory builders for scanner tests: UI workflows, API prompts, and the media containers
 * ComfyUI writes (PNG/APNG, WebP EXIF, FLAC, MP4/MOV), byte for byte.
 */
import { deflateSync } from 'node:zlib';

// ---------- UI workflows ----------

export interface UiNodeSpec {
  id: number | string;
  type: string;
  widgets?: unknown[] | Record<string, unknown>;
  mode?: number;
  inputs?: { name: string; type?: string; link?: number | null; widget?: { name: string } }[];
  properties?: Record<string, unknown>;
}

export function uiNode(spec: UiNodeSpec): Record<string, unknown> {
  const node: Record<string, unknown> = {
    id: spec.id, type: spec.type, pos: [0, 0], size: [200, 100], flags: {}, order: 0, mode: spec.mode ?? 0,
    inputs: spec.inputs ?? [], outputs: [], properties: { 'Node name for S&R': spec.type, ...spec.properties },
  };
  if (spec.widgets !== undefined) node.widgets_values = spec.widgets;
  return node;
}

/** A 0.4 workflow; links are 6-tuples [id, from, fromSlot, to, toSlot, type]. */
export function uiWorkflow(nodes: Record<string, unknown>[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { last_node_id: 100, last_link_id: 100, nodes, links: [], groups: [], config: {}, extra: { ds: { scale: 1, offset: [0, 0] } }, version: 0.4, ...extra };
}

export function apiNode(type: string, inputs: Record<string, unknown>): { class_type: string; inputs: Record<string, unknown> } {
  return { class_type: type, inputs };
}

// ---------- PNG ----------

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const enc = new TextEncoder();
export const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function be32(n: number): Uint8Array {
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}
function le32(n: number): Uint8Array {
  return Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
}

export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const body = concat(latin1(type), data);
  return concat(be32(data.length), body, be32(crc32(body)));
}

export const tEXt = (key: string, text: string) => pngChunk('tEXt', concat(latin1(key), Uint8Array.of(0), latin1(text)));
export const zTXt = (key: string, text: string) => pngChunk('zTXt', concat(latin1(key), Uint8Array.of(0, 0), deflateSync(enc.encode(text))));
export const comf = (key: string, text: string) => pngChunk('comf', concat(latin1(key), Uint8Array.of(0), enc.encode(text)));
export function iTXt(key: string, text: string, compressed = false): Uint8Array {
  const body = compressed ? deflateSync(enc.encode(text)) : enc.encode(text);
  return pngChunk('iTXt', concat(latin1(key), Uint8Array.of(0, compressed ? 1 : 0, 0), latin1('en'), Uint8Array.of(0), enc.encode(key), Uint8Array.of(0), body));
}

const IHDR = pngChunk('IHDR', Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0));
const IDAT = pngChunk('IDAT', deflateSync(Uint8Array.of(0, 0, 0, 0)));
const IEND = pngChunk('IEND', new Uint8Array(0));

/** A 1×1 PNG with the given text chunks before IDAT and `after` chunks after it (APNG `comf`). */
export function png(chunks: Uint8Array[], after: Uint8Array[] = []): Uint8Array {
  return concat(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), IHDR, ...chunks, IDAT, ...after, IEND);
}

// ---------- WebP ----------

/** TIFF block with ASCII IFD0 tags, as PIL writes ComfyUI's `key:json` strings. */
export function exif(tags: [number, string][], opts: { prefix?: boolean; big?: boolean } = {}): Uint8Array {
  const little = !opts.big;
  const u16 = (n: number) => (little ? Uint8Array.of(n & 0xff, n >> 8) : Uint8Array.of(n >> 8, n & 0xff));
  const u32 = (n: number) => (little ? le32(n) : be32(n));
  const values = tags.map(([, s]) => concat(latin1(s), Uint8Array.of(0)));
  let dataAt = 8 + 2 + tags.length * 12 + 4;
  const entries = tags.map(([tag], i) => {
    const v = values[i]!;
    const inline = v.length <= 4;
    const entry = concat(u16(tag), u16(2), u32(v.length), inline ? concat(v, new Uint8Array(4 - v.length)) : u32(dataAt));
    if (!inline) dataAt += v.length;
    return entry;
  });
  const tiff = concat(latin1(little ? 'II' : 'MM'), u16(42), u32(8), u16(tags.length), ...entries, u32(0), ...values.filter((v) => v.length > 4));
  return opts.prefix ? concat(latin1('Exif\0\0'), tiff) : tiff;
}

export function webp(exifBlock: Uint8Array | null): Uint8Array {
  const chunk = (fourcc: string, data: Uint8Array) => concat(latin1(fourcc), le32(data.length), data, data.length & 1 ? Uint8Array.of(0) : new Uint8Array(0));
  const body = concat(latin1('WEBP'), chunk('VP8X', new Uint8Array(10)), chunk('VP8 ', new Uint8Array(11)), exifBlock ? chunk('EXIF', exifBlock) : new Uint8Array(0));
  return concat(latin1('RIFF'), le32(body.length), body);
}

// ---------- FLAC ----------

export function flac(comments: string[]): Uint8Array {
  const vendor = enc.encode('Lavf61');
  const list = comments.map((c) => enc.encode(c));
  const vorbis = concat(le32(vendor.length), vendor, le32(list.length), ...list.flatMap((c) => [le32(c.length), c]));
  const block = (type: number, last: boolean, data: Uint8Array) =>
    concat(Uint8Array.of((last ? 0x80 : 0) | type, (data.length >> 16) & 0xff, (data.length >> 8) & 0xff, data.length & 0xff), data);
  return concat(latin1('fLaC'), block(0, false, new Uint8Array(34)), block(4, true, vorbis), new Uint8Array(16));
}

// ---------- MP4 / MOV ----------

export function box(type: string, ...children: Uint8Array[]): Uint8Array {
  const body = concat(...children);
  return concat(be32(8 + body.length), latin1(type), body);
}

/** `moov/udta/meta` with mdta keys and ilst values, the shape PyAV writes with use_metadata_tags. */
export function mp4(meta: Record<string, string>, opts: { quicktime?: boolean; moovLast?: boolean } = {}): Uint8Array {
  const { ftyp, moov } = mp4Parts(meta, opts);
  const mdat = box('mdat', new Uint8Array(64));
  return opts.moovLast ? concat(ftyp, mdat, moov) : concat(ftyp, moov, mdat);
}

export function mp4Parts(meta: Record<string, string>, opts: { quicktime?: boolean } = {}): { ftyp: Uint8Array; moov: Uint8Array } {
  const keys = Object.keys(meta);
  const keysBox = box('keys', be32(0), be32(keys.length), ...keys.map((k) => concat(be32(8 + enc.encode(k).length), latin1('mdta'), enc.encode(k))));
  const items = keys.map((k, i) => {
    const data = box('data', be32(1), be32(0), enc.encode(meta[k]!));
    return concat(be32(8 + data.length), be32(i + 1), data);
  });
  const hdlr = box('hdlr', be32(0), be32(0), latin1('mdta'), new Uint8Array(13));
  const metaBox = opts.quicktime ? box('meta', hdlr, keysBox, box('ilst', ...items)) : box('meta', be32(0), hdlr, keysBox, box('ilst', ...items));
  const moov = box('moov', box('mvhd', new Uint8Array(100)), box('udta', metaBox));
  const ftyp = box('ftyp', latin1(opts.quicktime ? 'qt  ' : 'isom'), be32(512));
  return { ftyp, moov };
}

export { be32 };

/** Deterministic PRNG (mulberry32): fuzz and shuffle tests replay exactly from their seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A TIFF block whose `count` ASCII tags all point at the same value bytes (a hostile file's trick). */
export function exifShared(tag: number, count: number, value: string): Uint8Array {
  const bytes = concat(latin1(value), Uint8Array.of(0));
  const valueAt = 8 + 2 + count * 12 + 4;
  const u16 = (n: number) => Uint8Array.of(n & 0xff, n >> 8);
  const entry = concat(u16(tag), u16(2), le32(bytes.length), le32(valueAt));
  const entries = new Uint8Array(count * 12);
  for (let i = 0; i < count; i++) entries.set(entry, i * 12);
  return concat(latin1('II'), u16(42), le32(8), u16(count), entries, le32(0), bytes);
}
