/**
 * JSON as ComfyUI writes it: Python's json.dumps emits bare `NaN`, `Infinity` and `-Infinity`
 * (the frontend parses video metadata leniently too). They become `null`, which keeps every
 * array position, and positions are what widget indexes rely on.
 */

export type JsonResult = { ok: true; value: unknown } | { ok: false; error: string };

const NON_FINITE = /NaN|Infinity/;

export function parseJsonLenient(text: string): JsonResult {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (err) {
    const strict = (err as Error).message;
    if (!NON_FINITE.test(body)) return { ok: false, error: strict };
    try {
      return { ok: true, value: JSON.parse(replaceNonFinite(body)) };
    } catch {
      return { ok: false, error: strict };
    }
  }
}

/** Replace bare NaN / Infinity / -Infinity tokens outside strings with null, in one pass. */
export function replaceNonFinite(text: string): string {
  const parts: string[] = [];
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      continue;
    }
    let len = 0;
    if (c === 0x4e && text.startsWith('NaN', i)) len = 3;
    else if (c === 0x49 && text.startsWith('Infinity', i)) len = 8;
    else if (c === 0x2d && text.startsWith('-Infinity', i)) len = 9;
    if (len === 0) continue;
    parts.push(text.slice(last, i), 'null');
    i += len - 1;
    last = i + 1;
  }
  if (parts.length === 0) return text;
  parts.push(text.slice(last));
  return parts.join('');
}
