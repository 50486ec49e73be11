/**
 * Loads Handlebars templates from `<package>/templates/`. Each caller gets its own strict
 * Handlebars environment (never the global one), so helpers cannot leak between outputs.
 *
 * Compiling the templates cost a first build ~0.1 s (the compiler, its source-map dependency,
 * and compiling ~70 KB of templates on every run). `npm run build` precompiles them into
 * `dist/templates/` (scripts/precompile-templates.mjs); a build runs such a template on
 * Handlebars' small runtime when it was made from the very bytes of `templates/<name>` by this
 * Handlebars, and compiles the source otherwise (an edited template, running from src/).
 *
 * `templates/partials/<name>.hbs` is text several outputs share (a function both generated scripts
 * carry): every template can use it as `{{> name}}`, precompiled alike.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
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

/** A template or partial: its source and, when one was made from these very bytes, its precompiled spec. */
interface Unit {
  source: string;
  made: Precompiled | null;
}

function loadUnit(rel: string, fromDir: string, version: string): Unit {
  const source = readFileSync(join(findTemplatesDir(), rel), 'utf8');
  const made = readPrecompiled(join(fromDir, `${rel}.cjs`));
  return { source, made: made !== null && made.sha256 === sha256(source) && made.handlebars === version ? made : null };
}

/** The partial names, from `templates/partials/*.hbs`. */
function partialNames(): string[] {
  try {
    return readdirSync(join(findTemplatesDir(), 'partials')).filter((n) => n.endsWith('.hbs')).map((n) => n.slice(0, -4)).sort();
  } catch {
    return [];
  }
}

/** Compile `templates/<name>` in strict mode with the given helpers (and every partial). */
export function compileTemplate<T>(name: string, helpers: HelperMap = {}, fromDir = precompiledDir()): (view: T) => string {
  // The runtime as the package's one-file build: `handlebars/runtime` is the same code as 22
  // CommonJS modules, which cost a first build ~10 ms more to load.
  const runtime = require('handlebars/dist/handlebars.runtime.js') as typeof Handlebars;
  const main = loadUnit(name, fromDir, runtime.VERSION);
  const partials = partialNames().map((p) => [p, loadUnit(join('partials', `${p}.hbs`), fromDir, runtime.VERSION)] as const);
  // The runtime alone only when nothing needs compiling.
  const fresh = main.made !== null && partials.every(([, unit]) => unit.made !== null);
  const hbs = (fresh ? runtime : (require('handlebars') as typeof Handlebars)).create();
  for (const [key, fn] of Object.entries(helpers)) hbs.registerHelper(key, fn);
  const build = <V>(unit: Unit) => (unit.made !== null ? hbs.template<V>(unit.made.spec) : hbs.compile<V>(unit.source, OPTIONS));
  for (const [partial, unit] of partials) hbs.registerPartial(partial, build(unit));
  const template = build<T>(main);
  return (view) => template(view);
}

function readPrecompiled(file: string): Precompiled | null {
  try {
    return require(file) as Precompiled;
  } catch {
    return null; // not built (running from src/), or not readable: compile the source
  }
}

/**
 * Precompiles every template into `outDir`, and every partial into `outDir/partials/` (what
 * `npm run build` runs); returns the files written.
 */
export function precompileTemplates(outDir = precompiledDir()): string[] {
  const hbs = require('handlebars') as typeof Handlebars;
  const units = [
    ...readdirSync(findTemplatesDir()).filter((n) => n.endsWith('.hbs')).sort(),
    ...partialNames().map((p) => join('partials', `${p}.hbs`)),
  ];
  const written: string[] = [];
  for (const rel of units) {
    const source = readFileSync(join(findTemplatesDir(), rel), 'utf8');
    const spec = hbs.precompile(source, OPTIONS);
    const file = join(outDir, `${rel}.cjs`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `// Precompiled from templates/${rel} by npm run build: do not edit.\nmodule.exports = { sha256: ${JSON.stringify(sha256(source))}, handlebars: ${JSON.stringify(hbs.VERSION)}, spec: ${String(spec)} };\n`);
    written.push(file);
  }
  return written;
}
