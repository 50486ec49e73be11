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
