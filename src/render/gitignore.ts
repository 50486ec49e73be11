/** gitignore.fragment: the model folders, partial downloads and cache a repo should not commit. */
import { isAbsolute, posix } from 'node:path';
import { byString } from '../core/stable-json.js';
import { MARKER } from './marker.js';
import { compileTemplate } from './templates.js';

let template: ((view: unknown) => string) | null = null;

/** Escape a literal path for a .gitignore pattern (wildcards, leading `#`/`!`, edge spaces). */
export function gitignoreEscape(path: string): string {
  return path
    .replace(/[\\*?[\]]/g, (c) => `\\${c}`)
    .replace(/^([#!])/, '\\$1')
    .replace(/ $/, '\\ ')
    .replace(/[\r\n]/g, '');
}

/**
 * Folders inside the repository that hold model files: the install target and the local roots,
 * when they are relative paths (absolute or `~`/`$VAR` ones live outside the repository).
 */
export function renderGitignore(opts: { target: string; roots: readonly string[] }): string {
  template ??= compileTemplate('gitignore.fragment.hbs');
  const inRepo = [opts.target, ...opts.roots]
    .filter((p) => !isAbsolute(p) && !p.startsWith('~') && !p.includes('$'))
    .map((p) => posix.normalize(p.replace(/\\/g, '/')).replace(/\/+$/, ''))
    .filter((p) => p !== '.' && !p.startsWith('..'));
  const dirs = [...new Set(inRepo)].sort(byString).map(gitignoreEscape);
  return template({ marker: MARKER, dirs });
}
