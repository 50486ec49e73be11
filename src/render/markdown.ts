/** Markdown helpers: any name from a workflow is shown as an inline code span that cannot break out. */

/** An inline code span whose fence is longer than any backtick run inside; newlines shown as ⏎. */
export function mdCode(value: string): string {
  const text = value.replace(/\r?\n|\r/g, '⏎').replace(/\|/g, '\\|');
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** Plain text for a table cell or list item: no newlines, no pipes, no HTML. */
export function mdText(value: string): string {
  return value.replace(/\r?\n|\r/g, ' ').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Bytes as a short human size (binary units), deterministic. */
export function humanSize(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return 'unknown';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2)} ${units[unit]}`;
}
