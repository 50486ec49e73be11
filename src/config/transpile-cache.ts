/**
 * Entries of `.comfygen/config/`: a transpiled comfy.config.ts, sealed with the key of the source
 * it came from and the hash of its own text. An entry that was edited, cut short or left by
 * another source or loader version is never run: the caller transpiles again and replaces it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeCacheFile } from '../io/cache-file.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** What an entry must be made from: the loader, its tools (versions, paths) and the source text. */
export function sourceKey(loaderVersion: number, toolchain: string, source: string): string {
  return sha256(`${loaderVersion}\0${toolchain}\0${source}`);
}

function seal(key: string, code: string): string {
  return `// comfygen transpiled config ${key} ${sha256(code)}\n`;
}

/** The cached code for `key`, or null when there is none that can be trusted. */
export function readCachedModule(file: string, key: string): string | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const newline = text.indexOf('\n');
  const code = text.slice(newline + 1);
  return newline >= 0 && text.slice(0, newline + 1) === seal(key, code) ? code : null;
}

/** Best effort: false when the cache cannot be written (the caller then runs the code another way). */
export function writeCachedModule(file: string, key: string, code: string): boolean {
  return writeCacheFile(file, seal(key, code) + code);
}
