/**
 * Loads Handlebars templates from `<package>/templates/`. Each caller gets its own strict
 * Handlebars environment (never the global one), so helpers cannot leak between outputs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../core/package-root.js';
import Handlebars from 'handlebars';

/** `<package root>/templates`. */
export function findTemplatesDir(): string {
  return join(packageRoot(), 'templates');
}

export type HelperMap = Record<string, Handlebars.HelperDelegate>;

/** Compile `templates/<name>` in strict mode with the given helpers. */
export function compileTemplate<T>(name: string, helpers: HelperMap = {}): (view: T) => string {
  const hbs = Handlebars.create();
  for (const [key, fn] of Object.entries(helpers)) hbs.registerHelper(key, fn);
  const source = readFileSync(join(findTemplatesDir(), name), 'utf8');
  const template = hbs.compile<T>(source, { strict: true, noEscape: true });
  return (view) => template(view);
}
