/**
 * Cutting the tokens' text out of what servers say. A server may quote the token it got (in an
 * error, a file name, a link), whole or in part: an error that previews its first characters,
 * or a message that comfygen cuts short itself. Whatever reaches the lock, report.md,
 * download.sh, the cache or the terminal must hold no part of it.
 */

/** Parts of a token this long or longer are cut from messages (shorter ones say nothing about it). */
export const MESSAGE_FRAGMENT = 6;
/**
 * In API answers only longer parts are cut: answers are full of hex digests, and a Civitai token
 * is hex too, so a short window could match inside a sha256 by chance and damage it.
 */
export const ANSWER_FRAGMENT = 16;

/**
 * `text` with every token, and every run of at least `minFragment` characters of one, replaced
 * by `<token>` (whole tokens only without `minFragment`: for text comfygen wrote itself, whose
 * words a token could share; what servers say is cut to fragments before it is put in there).
 * Tokens shorter than 4 characters are not tokens anybody uses; they are left alone.
 */
export function cutTokens(text: string, tokens: readonly (string | null | undefined)[], minFragment = Infinity): string {
  const secrets = tokens.filter((t): t is string => typeof t === 'string' && t.length >= 4);
  if (secrets.length === 0 || text.length === 0) return text;
  const cut: [number, number][] = [];
  for (const secret of secrets) {
    const window = Math.min(minFragment, secret.length);
    for (let i = 0; i + window <= secret.length; i++) {
      const piece = secret.slice(i, i + window);
      for (let at = text.indexOf(piece); at !== -1; at = text.indexOf(piece, at + 1)) {
        // Grow the match both ways while text and token agree: the whole quoted part goes.
        let start = at;
        let end = at + window;
        let s = i;
        let e = i + window;
        while (start > 0 && s > 0 && text[start - 1] === secret[s - 1]) { start--; s--; }
        while (end < text.length && e < secret.length && text[end] === secret[e]) { end++; e++; }
        cut.push([start, end]);
      }
    }
  }
  if (cut.length === 0) return text;
  cut.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let out = '';
  let from = 0;
  for (const [start, end] of cut) {
    if (end <= from) continue;
    if (start >= from) {
      out += `${text.slice(from, start)}<token>`;
    }
    from = end;
  }
  return out + text.slice(from);
}
