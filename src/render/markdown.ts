/** Markdown helpers: any name from a workflow is shown as an inline code span that cannot break out. */
import { visible } from '../core/visible.js';

const SPECIAL_IN_CODE = /[`|\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** An inline code span whose fence is longer than any backtick run inside; newlines shown as ⏎. */
export function mdCode(value: string): string {
  // Nearly every name is plain: skip the scans (the report of a large collection has ~100k spans).
  if (!SPECIAL_IN_CODE.test(value)) return `\`${value}\``;
  const text = visible(value.replace(/\r?\n|\r/g, '⏎').replace(/\t/g, ' ')).replace(/\|/g, '\\|');
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** Plain text for a table cell or list item: no newlines, no pipes, no HTML. */
export function mdText(value: string): string {
  return visible(value.replace(/\r?\n|\r/g, ' ')).replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
