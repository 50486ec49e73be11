/**
 * Finds and loads comfy.config.{ts,mts,js,mjs,json} with cosmiconfig, validates it with valibot
 * and turns every problem into one UserError that names the file, the key path, what was
 * expected and what was found.
 */
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { relative, resolve } from 'node:path';
import { cosmiconfig, defaultLoaders } from 'cosmiconfig';
import * as v from 'valibot';
import { UserError } from '../core/errors.js';
import { redactUrls } from '../scan/refs/credentials.js';
import { type Config, normalizeConfig } from './normalize.js';
import { loadJsonConfig } from './json-loader.js';
import { loadTsConfigFile } from './ts-loader.js';
import { ConfigSchema } from './schema.js';

export const CONFIG_FILES = ['comfy.config.ts', 'comfy.config.mts', 'comfy.config.js', 'comfy.config.mjs', 'comfy.config.json'];

let hookRegistered = false;

/**
 * `import { defineConfig } from 'comfygen'` must work even where comfygen runs through npx or a
 * global install and is not in the project's node_modules: resolve the bare name to ourselves
 * when normal resolution fails.
 */
function registerSelfResolution(): void {
  if (hookRegistered) return;
  hookRegistered = true;
  // From dist/ we resolve to our own entry point; from the TypeScript sources (tests, dev) a
  // loader hook cannot hand .ts to tsx, so a one-line runtime stand-in serves (types are erased).
  const self = import.meta.url.endsWith('.js')
    ? new URL('../index.js', import.meta.url).href
    : `data:text/javascript,${encodeURIComponent('export function defineConfig(c) { return c; }')}`;
  const hook = `
    export async function resolve(specifier, context, next) {
      if (specifier !== 'comfygen') return next(specifier, context);
      try { return await next(specifier, context); }
      catch { return { url: ${JSON.stringify(self)}, shortCircuit: true }; }
    }`;
  register(`data:text/javascript,${encodeURIComponent(hook)}`);
}

function withSelfResolution(loader: (filepath: string, content: string) => unknown): (filepath: string, content: string) => Promise<unknown> {
  return async (filepath, content) => {
    registerSelfResolution();
    return loader(filepath, content);
  };
}

/** A config path as messages show it: relative to where comfygen runs, when it is below it. */
function shownPath(cwd: string, filepath: string): string {
  return relative(cwd, filepath) || filepath;
}

export async function loadConfig(opts: { cwd: string; file?: string }): Promise<Config> {
  let result;
  try {
    const explorer = cosmiconfig('comfygen', {
      searchPlaces: CONFIG_FILES,
      searchStrategy: 'global',
      cache: false,
      // Only code configs need the `comfygen` resolve hook (registering it starts a loader
      // thread); TypeScript goes through the transpile cache.
      loaders: {
        '.ts': withSelfResolution((filepath, content) => loadTsConfigFile(filepath, content, shownPath(opts.cwd, filepath))),
        '.mts': withSelfResolution((filepath, content) => loadTsConfigFile(filepath, content, shownPath(opts.cwd, filepath))),
        '.js': withSelfResolution(defaultLoaders['.js']),
        '.mjs': withSelfResolution(defaultLoaders['.mjs']),
        // cosmiconfig's JSON loader prints its code frame twice and names no line.
        '.json': (filepath, content) => loadJsonConfig(filepath, content, shownPath(opts.cwd, filepath)),
      },
    });
    if (opts.file) {
      const file = resolve(opts.cwd, opts.file);
      if (!existsSync(file)) throw new UserError(`config file not found: ${file}`);
      result = await explorer.load(file);
    } else {
      result = await explorer.search(opts.cwd);
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    const where = opts.file ?? 'comfy.config.*';
    throw new UserError(`could not load ${where}: ${(err as Error).message}`);
  }
  if (!result) {
    throw new UserError(
      `no comfy.config.{ts,mts,js,mjs,json} found in ${opts.cwd} or any parent folder.\n` +
        `  Run \`comfygen init\` to write a starter config, or pass --config FILE.`,
    );
  }
  return validateConfig(result.config, result.filepath, opts.cwd);
}

/** Validate a loaded config object; exported for tests and for `--watch` reloads. */
export function validateConfig(raw: unknown, filepath: string, cwd = process.cwd()): Config {
  const value = raw && typeof raw === 'object' && 'default' in raw && Object.keys(raw).length === 1 ? (raw as { default: unknown }).default : raw;
  const parsed = v.safeParse(ConfigSchema, value);
  if (!parsed.success) {
    const shown = shownPath(cwd, filepath);
    const lines = parsed.issues.map((issue) => `  ${formatPath(issue)}: ${describeIssue(issue)}`);
    throw new UserError(`invalid config ${shown}:\n${[...new Set(lines)].join('\n')}`);
  }
  return normalizeConfig(parsed.output, filepath);
}

function formatPath(issue: v.BaseIssue<unknown>): string {
  const keys = issue.path?.map((p) => p.key) ?? [];
  if (keys.length === 0) return '(top level)';
  return keys.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
}

function describeIssue(issue: v.BaseIssue<unknown>): string {
  // What was found is quoted back, but never a credential in a URL.
  const found = issue.received === 'never' && issue.kind === 'schema' ? 'an unknown key' : redactUrls(issue.received);
  if (issue.type === 'strict_object' && issue.expected === 'never') return `unknown key (not a comfygen setting)`;
  if (issue.type === 'variant') return `expected a source with type 'url' | 'embedded' | 'huggingface' | 'civitai' | 'catalog', found ${found}`;
  const msg = issue.message.replace(/^Invalid \w+: /, '');
  const builtIn = /^Expected (.+) but received (.+)$/.exec(msg);
  if (builtIn) return `expected ${builtIn[1]!.toLowerCase()}, found ${redactUrls(builtIn[2]!)}`;
  return `${msg}, found ${found}`;
}
