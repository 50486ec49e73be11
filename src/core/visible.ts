/**
 * Text from workflows and file names made safe to show on a terminal or in Markdown: control
 * characters (ESC, NUL, BEL…, and the C1 set some terminals obey) and bidirectional overrides
 * (which can make a name read as another) become visible marks instead of acting. Line breaks
 * and tabs stay: callers that need one line replace them themselves.
 */
const INVISIBLE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const TEST = new RegExp(INVISIBLE.source);

export function visible(text: string): string {
  if (!TEST.test(text)) return text;
  return text.replace(INVISIBLE, (c) => {
    const code = c.charCodeAt(0);
    // Control Pictures (␛, ␀…) for C0 and DEL, `\u{…}` for the rest.
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return '\u2421';
    return `\\u{${code.toString(16)}}`;
  });
}
