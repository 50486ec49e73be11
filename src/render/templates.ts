/**
 * Loads Handlebars templates from `<package>/templates/`. Each caller gets its own strict
 * Handlebars environment (never the global one), so helpers cannot leak between outputs.
 *
 * Compiling the templates cost a first build ~0.1 s (the compiler, its source-map dependency,
 * and compiling ~70 KB of templates on every run). `npm run build` precompiles them into
 * `dist/templates/` (scripts/precompile-templates.mjs); a build runs such a template on
 * Handlebars' small runtime when it was made from the very bytes of `templates/<name>` by this
 * Handlebars, and compiles the source otherwise (an edited template, running from src/).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type Handlebars from 'handlebars';
import { packageRoot } from '../core/package-root.js';

const require = createRequire(import.meta.url);

/** `<package root>/templates`. */
export function findTemplatesDir(): string {
  return join(packageRoot(), 'templates');
}

/** Where `npm run build` puts the precompiled templates. */
export function precompiledDir(): string {
  return join(packageRoot(), 'dist', 'templates');
}

export type HelperMap = Record<string, Handlebars.HelperDelegate>;

/** The compile options of every template, precompiled or not. */
const OPTIONS: CompileOptions = { strict: true, noEscape: true };
type CompileOptions = Parameters<typeof Handlebars.compile>[1];

/** One precompiled template: the spec and what it was made from. */
interface Precompiled {
  sha256: string;
  handlebars: string;
  spec: Parameters<typeof Handlebars.template>[0];
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Compile `templates/<name>` in strict mode with the given helpers. */
export function compileTemplate<T>(name: string, helpers: HelperMap = {}, fromDir = precompiledDir()): (view: T) => string {
  const source = readFileSync(join(findTemplatesDir(), name), 'utf8');
  const runtime = require('handlebars/runtime') as typeof Handlebars;
  const made = readPrecompiled(join(fromDir, `${name}.cjs`));
  const fresh = made !== null && made.sha256 === sha256(source) && made.handlebars === runtime.VERSION;
  const hbs = (fresh ? runtime : (require('handlebars') as typeof Handlebars)).create();
  for (const [key, fn] of Object.entries(helpers)) hbs.registerHelper(key, fn);
  const template = fresh ? hbs.template<T>(made.spec) : hbs.compile<T>(source, OPTIONS);
  return (view) => template(view);
}

function readPrecompiled(file: string): Precompiled | null {
  try {
    return require(file) as Precompiled;
  } catch {
    return null; // not built (running from src/), or not readable: compile the source
  }
}

/** Precompiles every template into `outDir` (what `npm run build` runs); returns the files written. */
export function precompileTemplates(outDir = precompiledDir()): string[] {
  const hbs = require('handlebars') as typeof Handlebars;
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const name of readdirSync(findTemplatesDir()).filter((n) => n.endsWith('.hbs')).sort()) {
    const source = readFileSync(join(findTemplatesDir(), name), 'utf8');
    const spec = hbs.precompile(source, OPTIONS);
    const file = join(outDir, `${name}.cjs`);
    writeFileSync(file, `// Precompiled from templates/${name} by npm run build: do not edit.\nmodule.exports = { sha256: ${JSON.stringify(sha256(source))}, handlebars: ${JSON.stringify(hbs.VERSION)}, spec: ${String(spec)} };\n`);
    written.push(file);
  }
  return written;
}
