/**
 * comfy.config.json. JSON.parse does the parsing; when it fails, its message is not enough (it
 * names no line, differs between Node versions and may quote the whole file), so a small strict
 * scanner finds where the text stops being JSON and what was expected there.
 */
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

const WS = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

/** Where `text` first breaks RFC 8259 JSON, or null when it does not (or nests too deep to tell). */
export function findJsonError(text: string): JsonError | null {
  let i = 0;
  class Stop {
    constructor(readonly expected: string) {}
  }
  const ws = () => {
    while (i < text.length && WS.has(text[i]!)) i++;
  };
  const expect = (char: string, expected: string) => {
    ws();
    if (text[i] !== char) throw new Stop(expected);
    i++;
  };
  const string = () => {
    i++; // the opening quote
    for (;;) {
      const c = text[i];
      if (c === undefined) throw new Stop('a closing "');
      if (c === '"') return void i++;
      if (c < ' ') throw new Stop('a closing " on the same line (or \\n)');
      if (c === '\\') {
        const e = text[++i];
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) i += 5;
        else if (e !== undefined && ESCAPES.has(e)) i++;
        else throw new Stop('an escape such as \\" \\\\ \\n or \\u00e9');
      } else i++;
    }
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') throw new Stop('a property name in double quotes');
        string();
        expect(':', "':' after the property name");
        value();
        ws();
        if (text[i] === '}') return void i++;
        expect(',', "',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ']') return void i++;
        expect(',', "',' or ']'");
      }
    }
    if (c === '"') return string();
    for (const word of ['true', 'false', 'null']) if (text.startsWith(word, i)) return void (i += word.length);
    NUMBER.lastIndex = i;
    if (NUMBER.test(text)) return void (i = NUMBER.lastIndex);
    throw new Stop('a value (a string in double quotes, a number, an object, an array, true, false or null)');
  };
  try {
    value();
    ws();
    if (i < text.length) throw new Stop('the end of the file after the top-level value');
    return null;
  } catch (stop) {
    if (stop instanceof Stop) return { offset: i, expected: stop.expected };
    return null; // nested deeper than the stack allows
  }
}
