/**
 * Text from workflows and file names made safe to show on a terminal or in Markdown: control
 * characters (ESC, NUL, BEL…, and the C1 set some terminals obey), bidirectional controls (which
 * can make a name read as another) and zero-width characters (which make two names look alike)
 * become visible marks instead of acting. Line breaks and tabs stay: callers that need one line
 * replace them themselves.
 *
 * This is the one rule: download.sh and nodes.sh carry it as a table rendered from `isInvisible`
 * (src/render/shell-marks.ts), so a name reads the same in report.md and on the GPU box.
 */
const INVISIBLE_CLASS = '\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u061c\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff';
const INVISIBLE = new RegExp(`[${INVISIBLE_CLASS}]`, 'g');
const TEST = new RegExp(`[${INVISIBLE_CLASS}]`);

/** True when `text` holds a character `visible` replaces. */
export function hasInvisible(text: string): boolean {
  return TEST.test(text);
}

/** The mark `visible` shows for one character, or the character itself when it stays. */
export function markOf(c: string): string {
  if (!TEST.test(c)) return c;
  const code = c.charCodeAt(0);
  // Control Pictures (␛, ␀…) for C0 and DEL, `\u{…}` for the rest.
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  return `\\u{${code.toString(16)}}`;
}

/**
 * Every character below U+10000 that `visible` replaces, in code order: one pass of the rule's
 * own pattern over all of them (testing each of the 63,000 on its own cost a first build ~30 ms).
 */
export function invisibleCharacters(): string[] {
  // NUL cannot be part of a bash string (shell-marks.ts); surrogates are not characters.
  const codes = new Uint16Array(0xffff - 0x800);
  let n = 0;
  for (let code = 1; code <= 0xffff; code++) if (code < 0xd800 || code > 0xdfff) codes[n++] = code;
  return new TextDecoder('utf-16le').decode(codes.subarray(0, n)).match(INVISIBLE) ?? [];
}

export function visible(text: string): string {
  if (!TEST.test(text)) return text;
  return text.replace(INVISIBLE, markOf);
}
