/**
 * A long string in slices of at most `units` UTF-16 code units, never cut between the two
 * halves of a surrogate pair, so each slice encodes to UTF-8 on its own exactly as it does
 * within the whole. For handing a large output (report.md at 30,000 workflows: 17 MB) to an
 * encoder or a hash a slice at a time: each call that takes a string otherwise makes a
 * temporary UTF-8 copy of all of it.
 */
export function* textSlices(text: string, units = 256 * 1024): Generator<string> {
  for (let at = 0; at < text.length;) {
    let end = Math.min(text.length, at + units);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    yield text.slice(at, end);
    at = end;
  }
}
