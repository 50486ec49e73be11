/**
 * Finds and loads comfy.config.{ts,mts,js,mjs,json} with cosmiconfig, validates it with valibot
 * and turns every problem into one UserError that names the file, the key path, what was
 * expected and what was found.
 */
import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cosmiconfig } from 'cosmiconfig';
import * as v from 'valibot';
import { UserError } from '../core/errors.js';
import { redactUrls } from '../scan/refs/credentials.js';
import { type Config, normalizeConfig } from './normalize.js';
import { importAs } from './module-hooks.js';
import { failIfNeverSettles } from './never-settles.js';
import { loadTsConfigFile } from './ts-loader.js';
import { ConfigSchema } from './schema.js';

export const CONFIG_FILES = ['comfy.config.ts', 'comfy.config.mts', 'comfy.config.js', 'comfy.config.mjs', 'comfy.config.json'];

type Loader = (filepath: string, content: string) => unknown;

/**
 * comfy.config.{js,mjs}, imported as Node imports any module. Only when it imports `comfygen`
 * and comfygen is not installed where the config is (npx, a global install) does it run again
 * through the module hooks, which resolve that name to this comfygen (module-hooks.ts): Node
 * resolves a module's whole static import graph before it runs any of it, so none of the
 * config's code had run.
 */
async function loadCodeConfig(filepath: string): Promise<unknown> {
  try {
    return ((await import(pathToFileURL(filepath).href)) as { default: unknown }).default;
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    if (err.code !== 'ERR_MODULE_NOT_FOUND' || !err.message.includes("'comfygen'")) throw error;
  }
  return (await importAs(filepath, readFileSync(filepath, 'utf8'))).default;
}

/** A config path as messages show it: relative to where comfygen runs, when it is below it. */
function shownPath(cwd: string, filepath: string): string {
  return relative(cwd, filepath) || filepath;
}

/**
 * Every loader goes through here. A config that never finishes loading is an error, not a
 * silent exit 0 (never-settles.ts).
 *
 * A config file that is there but yields nothing is an error, never "no config here": cosmiconfig's
 * search would go on upwards and load some other project's config. For the same reason no error
 * leaves a loader with its code: ENOENT, EACCES, ENOTDIR or EISDIR from a config that reads a
 * missing file would also make the search move on.
 */
function definingConfig(loader: Loader, cwd: string): Loader {
  return async (filepath, content) => {
    let value;
    try {
      value = await failIfNeverSettles(Promise.resolve().then(() => loader(filepath, content)), () => neverFinished(shownPath(cwd, filepath)));
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new UserError(`could not load ${shownPath(cwd, filepath)}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (value === undefined || value === null) {
      throw definesNoConfig(shownPath(cwd, filepath), filepath.endsWith('.json') ? 'holds null' : 'has no default export');
    }
    return value;
  };
}

function neverFinished(shown: string): UserError {
  return new UserError(
    `${shown} never finished loading: a top-level await in it (or in a module it imports) waits for a promise that nothing will settle.\n` +
      `  Make sure everything the config awaits resolves or rejects.`,
  );
}

function definesNoConfig(shown: string, why: string): UserError {
  const must = shown.endsWith('.json')
    ? 'hold a JSON object such as { "workflows": ["workflows/**/*.json"] }'
    : "`export default defineConfig({ workflows: ['workflows/**/*.json'] })` (or a plain object)";
  return new UserError(
    `${shown} ${why}, so it defines no config.\n` +
      `  It must ${must}.\n` +
      `  comfygen does not fall back to a config in a parent folder while this file is here.`,
  );
}

export async function loadConfig(opts: { cwd: string; file?: string }): Promise<Config> {
  const { cwd } = opts;
  const show = (filepath: string) => shownPath(cwd, filepath);
  const tsLoader = definingConfig((filepath, content) => loadTsConfigFile(filepath, content, show(filepath)), cwd);
  const codeLoader = definingConfig(loadCodeConfig, cwd);
  let result;
  try {
    const explorer = cosmiconfig('comfygen', {
      searchPlaces: CONFIG_FILES,
      searchStrategy: 'global',
      cache: false,
      ignoreEmptySearchPlaces: false,
      // No loader registers module hooks (a loader thread every import then waits on) unless
      // it must: TypeScript runs from the transpile cache, JavaScript as it is.
      loaders: {
        '.ts': tsLoader,
        '.mts': tsLoader,
        '.js': codeLoader,
        '.mjs': codeLoader,
        // cosmiconfig's JSON loader prints its code frame twice and names no line.
        '.json': definingConfig(async (filepath, content) => (await import('./json-loader.js')).loadJsonConfig(filepath, content, show(filepath)), cwd),
      },
    });
    if (opts.file) {
      const file = resolve(cwd, opts.file);
      if (!existsSync(file)) throw new UserError(`config file not found: ${file}`);
      result = await explorer.load(file);
    } else {
      result = await explorer.search(cwd);
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    const where = opts.file ?? 'comfy.config.*';
    throw new UserError(`could not load ${where}: ${(err as Error).message}`);
  }
  // Only an empty (or all-white-space) file gets here empty: cosmiconfig does not load it.
  if (result?.isEmpty) throw definesNoConfig(show(result.filepath), 'is empty');
  if (!result) {
    throw new UserError(
      `no comfy.config.{ts,mts,js,mjs,json} found in ${opts.cwd} or any parent folder.\n` +
        `  Run \`comfygen init\` to write a starter config, or pass --config FILE.`,
    );
  }
  return validateConfig(result.config, result.filepath, cwd);
}

/** Validate a loaded config object; exported for tests and for `--watch` reloads. */
export function validateConfig(raw: unknown, filepath: string, cwd = process.cwd()): Config {
  const value = raw && typeof raw === 'object' && 'default' in raw && Object.keys(raw).length === 1 ? (raw as { default: unknown }).default : raw;
  const parsed = v.safeParse(ConfigSchema, value);
  if (!parsed.success) {
    const shown = shownPath(cwd, filepath);
    const json = filepath.endsWith('.json');
    const lines = parsed.issues.map((issue) => `  ${formatPath(issue)}: ${describeIssue(issue, json)}`);
    throw new UserError(`invalid config ${shown}:\n${[...new Set(lines)].join('\n')}`);
  }
  return normalizeConfig(parsed.output, filepath);
}

function formatPath(issue: v.BaseIssue<unknown>): string {
  const keys = issue.path?.map((p) => p.key) ?? [];
  if (keys.length === 0) return '(top level)';
  return keys.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
}

/** Required keys a config may leave out by mistake: what each is for and a minimal value. */
const REQUIRED: Record<string, { what: string; ts: string; json: string }> = {
  workflows: {
    what: 'the globs of the workflow files to scan, relative to the config file',
    ts: "workflows: ['workflows/**/*.json']",
    json: '"workflows": ["workflows/**/*.json"]',
  },
};

function describeIssue(issue: v.BaseIssue<unknown>, json: boolean): string {
  // What was found is quoted back, but never a credential in a URL.
  const found = issue.received === 'never' && issue.kind === 'schema' ? 'an unknown key' : redactUrls(issue.received);
  if (issue.type === 'strict_object' && issue.expected === 'never') return `unknown key (not a comfygen setting)`;
  if (issue.type === 'variant') return `expected a source with type 'url' | 'embedded' | 'huggingface' | 'civitai' | 'catalog', found ${found}`;
  if (issue.kind === 'schema' && issue.received === 'undefined') {
    const known = REQUIRED[formatPath(issue)];
    return known ? `missing, and required: ${known.what}; for example ${json ? known.json : known.ts}` : 'missing, and required';
  }
  const msg = issue.message.replace(/^Invalid \w+: /, '');
  const builtIn = /^Expected (.+) but received (.+)$/.exec(msg);
  if (builtIn) return `expected ${builtIn[1]!.toLowerCase()}, found ${redactUrls(builtIn[2]!)}`;
  return `${msg}, found ${found}`;
}
