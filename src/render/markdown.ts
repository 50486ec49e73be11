/** Markdown helpers: any name from a workflow is shown as an inline code span that cannot break out. */

const SPECIAL_IN_CODE = /[`|\r\n]/;

/** An inline code span whose fence is longer than any backtick run inside; newlines shown as ⏎. */
export function mdCode(value: string): string {
  // Nearly every name is plain: skip the scans (the report of a large collection has ~100k spans).
  if (!SPECIAL_IN_CODE.test(value)) return `\`${value}\``;
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
