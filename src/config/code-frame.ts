/**
 * The lines around a syntax error in a config file, with a caret under the column, for messages
 * such as `comfy.config.ts:3:27: ',' expected.` URLs in the quoted lines lose their credentials,
 * as everywhere else a config value is quoted back.
 */
import { redactUrls } from '../scan/refs/credentials.js';

export interface Position {
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units (what a JavaScript string index counts). */
  column: number;
}

export function positionAt(text: string, offset: number): Position {
  const before = text.slice(0, Math.max(0, offset));
  const lineStart = Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r')) + 1;
  const line = before.split(/\r\n|\r|\n/).length;
  return { line, column: offset - lineStart + 1 };
}

export function codeFrame(text: string, { line, column }: Position, context = 2): string {
  const lines = text.split(/\r\n|\r|\n/);
  const first = Math.max(1, line - context);
  const last = Math.min(lines.length, line + context);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const source = lines[n - 1] ?? '';
    const shown = redactUrls(source);
    out.push(`${n === line ? '>' : ' '} ${String(n).padStart(width)} | ${shown}`.trimEnd());
    if (n !== line) continue;
    // A redacted URL before the error shortens the line; keep the caret under the same character.
    const prefix = shown === source ? source.slice(0, column - 1) : redactUrls(source.slice(0, column - 1));
    out.push(`  ${' '.repeat(width)} | ${prefix.replace(/[^\t]/g, ' ')}^`);
  }
  return out.join('\n');
}
