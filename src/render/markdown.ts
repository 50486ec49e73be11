/** Markdown helpers: any name from a workflow is shown as an inline code span that cannot break out. */
import { hasInvisible, visible } from '../core/visible.js';

const SPECIAL_IN_CODE = /[`|\t\n\r]/;

/**
 * An inline code span whose fence is longer than any backtick run inside; newlines shown as ⏎.
 * Backslash escapes do not work inside a code span, except that a table row is split on unescaped
 * pipes before its cells are parsed: so `\|` in a table cell (`mdCell`), a bare `|` anywhere else.
 */
export function mdCode(value: string, inTable = false): string {
  // Nearly every name is plain: skip the scans (the report of a large collection has ~100k spans).
  if (!SPECIAL_IN_CODE.test(value) && !hasInvisible(value)) return `\`${value}\``;
  const shown = visible(value.replace(/\r?\n|\r/g, '⏎').replace(/\t/g, ' '));
  const text = inTable ? shown.replace(/\|/g, '\\|') : shown;
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** `mdCode` for a table cell. */
export function mdCell(value: string): string {
  return mdCode(value, true);
}

/** Plain text for a table cell or list item: no newlines, no pipes, no HTML. */
export function mdText(value: string): string {
  return visible(value.replace(/\r?\n|\r/g, ' ')).replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
