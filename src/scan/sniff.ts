/**
 * What a file holds, from its first bytes (never from its extension: a `.png` may be JSON and
 * a `.json` may be an image renamed by a browser).
 */

export type ContentKind = 'json' | 'png' | 'webp' | 'flac' | 'mp4' | 'unknown';

/** Bytes sniff() needs to decide; read at least this many from the start of a file. */
export const SNIFF_BYTES = 64;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const ISO_BOX_TYPES = new Set(['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot', 'uuid']);

export function sniff(head: Uint8Array): ContentKind {
  if (PNG_SIGNATURE.every((b, i) => head[i] === b)) return 'png';
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 4) === 'WEBP') return 'webp';
  if (ascii(head, 0, 4) === 'fLaC') return 'flac';
  if (head.length >= 8 && ISO_BOX_TYPES.has(ascii(head, 4, 4))) return 'mp4';
  return looksLikeJson(head) ? 'json' : 'unknown';
}

/**
 * Any JSON value may open the text (`{`, `[`, a string, number, true/false/null): a file holding
 * `null` is valid JSON that is no workflow (not-a-workflow), not an unknown format. A head of
 * only whitespace counts too, so a workflow after a long run of blank lines is still parsed,
 * and an all-blank file gets JSON's own message.
 */
function looksLikeJson(head: Uint8Array): boolean {
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i++;
  if (i === head.length) return i > 0;
  const c = head[i]!;
  return c === 0x7b || c === 0x5b || c === 0x22 || c === 0x2d || (c >= 0x30 && c <= 0x39) || isWord(head, i, 'true') || isWord(head, i, 'false') || isWord(head, i, 'null');
}

function isWord(head: Uint8Array, at: number, word: string): boolean {
  return ascii(head, at, word.length) === word;
}

export function ascii(bytes: Uint8Array, start: number, length: number): string {
  let out = '';
  for (let i = start; i < start + length && i < bytes.length; i++) out += String.fromCharCode(bytes[i]!);
  return out;
}
