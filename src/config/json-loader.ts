/**
 * comfy.config.json. JSON.parse does the parsing; when it fails, its message is not enough (it
 * names no line, differs between Node versions and may quote the whole file), so jsonc-parser,
 * in strict mode, finds where the text stops being JSON and what was expected there.
 */
import { createRequire } from 'node:module';
import type * as Jsonc from 'jsonc-parser';
import { UserError } from '../core/errors.js';
import { codeFrame, positionAt } from './code-frame.js';

export function loadJsonConfig(filepath: string, content: string, shown = filepath): unknown {
  try {
    return JSON.parse(content);
  } catch (error) {
    const found = findJsonError(content);
    if (!found) throw new UserError(`${shown}: invalid JSON: ${(error as Error).message}`);
    const at = positionAt(content, found.offset);
    const what = found.offset >= content.length ? 'the end of the file' : `'${content[found.offset]}'`;
    throw new UserError(
      `${shown}:${at.line}:${at.column}: invalid JSON: expected ${found.expected}, found ${what}\n\n` +
        `${codeFrame(content, at)}\n\n` +
        `  Fix the file (JSON allows no comments, trailing commas or single quotes), or use comfy.config.ts.`,
    );
  }
}

export interface JsonError {
  offset: number;
  expected: string;
}

/** What each of jsonc-parser's errors (by the name `printParseErrorCode` gives it) expected. */
const EXPECTED: Record<string, string> = {
  InvalidSymbol: 'a value (a string in double quotes, a number, an object, an array, true, false or null)',
  ValueExpected: 'a value (a string in double quotes, a number, an object, an array, true, false or null)',
  InvalidNumberFormat: 'a number such as 0, 12 or -1.5e3',
  PropertyNameExpected: 'a property name in double quotes',
  ColonExpected: "':' after the property name",
  CloseBraceExpected: "',' or '}'",
  CloseBracketExpected: "',' or ']'",
  EndOfFileExpected: 'the end of the file after the top-level value',
  InvalidCommentToken: 'no comment (JSON has none)',
  UnexpectedEndOfComment: 'no comment (JSON has none)',
  UnexpectedEndOfString: 'a closing "',
  UnexpectedEndOfNumber: 'a digit',
  InvalidUnicode: 'four hex digits after \\u',
  InvalidEscapeCharacter: 'an escape such as \\" \\\\ \\n or \\u00e9',
  InvalidCharacter: 'a closing " on the same line (or \\n)',
};

/** Where `text` first breaks RFC 8259 JSON, or null when it does not. */
export function findJsonError(text: string): JsonError | null {
  // The open containers, to say which bracket a missing ',' would have been closed by.
  const open: string[] = [];
  let found: JsonError | null = null;
  // Loaded only to explain a config that JSON.parse refused.
  const jsonc = createRequire(import.meta.url)('jsonc-parser') as typeof Jsonc;
  jsonc.visit(text, {
    onObjectBegin: () => void open.push('}'),
    onObjectEnd: () => void open.pop(),
    onArrayBegin: () => void open.push(']'),
    onArrayEnd: () => void open.pop(),
    onError: (error, offset) => {
      if (found) return;
      const name = jsonc.printParseErrorCode(error);
      const expected = name === 'CommaExpected' ? `',' or '${open.at(-1) ?? '}'}'` : EXPECTED[name] ?? name;
      found = { offset, expected };
    },
  }, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  return found;
}
