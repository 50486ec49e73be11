/**
 * comfy.config.ts / .mts: transpiled with esbuild (types stripped, nothing else changed), made
 * runnable from `.comfygen/config/` (relocate.ts) and kept there, keyed by the source text and
 * the tools' versions and verified before it runs (transpile-cache.ts). A build whose config did
 * not change imports that file as it is: no transpiler, no module hooks. An edited config pays
 * for esbuild once (~0.1 s; the TypeScript compiler cost ~0.7 s of CPU to load).
 *
 * Only a project whose cache cannot be written (read-only) runs the code through the module
 * hooks (module-hooks.ts), under the config's own URL; nothing is ever written beside the config.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../core/errors.js';
import { packageVersion } from '../core/package-root.js';
import { codeFrame, type Position } from './code-frame.js';
import { importAs } from './module-hooks.js';
import { readCachedModule, sourceKey, writeCachedModule } from './transpile-cache.js';

/**
 * Bump when the transpile options or the relocation change (2: a config with syntax errors is
 * refused, not cached; 3: entries are sealed; 4: esbuild, run from the cache folder).
 */
const LOADER_VERSION = 4;

/** The entry point a config's `import … from 'comfygen'` gets: this copy of comfygen. */
const SELF_URL = new URL(`../index.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url).href;

/** Node's ESM loader keeps a module per URL: each load of a config gets its own. */
let loads = 0;

export async function loadTsConfigFile(filepath: string, content: string, shown = filepath): Promise<unknown> {
  const key = sourceKey(LOADER_VERSION, `${toolVersions()}\0${SELF_URL}\0${filepath}`, content);
  const cached = join(dirname(filepath), '.comfygen', 'config', `${key.slice(0, 32)}.mjs`);
  if (readCachedModule(cached, key) === null) {
    const { relocateModule } = await import('./relocate.js');
    const code = await relocateModule(await transpile(content, shown), filepath, SELF_URL);
    if (!writeCachedModule(cached, key, code)) return (await importAs(filepath, code)).default;
  }
  return ((await import(`${pathToFileURL(cached).href}?load=${++loads}`)) as { default: unknown }).default;
}

/** What the cached code depends on besides the source: the transpiler, and comfygen (the relocation). */
function toolVersions(): string {
  const esbuild = (createRequire(import.meta.url)('esbuild/package.json') as { version: string }).version;
  return `esbuild@${esbuild} comfygen@${packageVersion()}`;
}

interface EsbuildMessage {
  text: string;
  location: { line: number; column: number; lineText: string } | null;
}

async function transpile(content: string, shown: string): Promise<string> {
  const esbuild = await import('esbuild');
  try {
    // The oldest Node comfygen supports: syntax it runs (import attributes, top-level await)
    // is kept as written, newer syntax is lowered where esbuild can.
    const out = await esbuild.transform(content, { loader: 'ts', format: 'esm', target: 'node20.12', sourcefile: shown, logLevel: 'silent' });
    return out.code;
  } catch (error) {
    const errors = (error as { errors?: EsbuildMessage[] }).errors;
    // esbuild refuses what it cannot parse (nothing is "repaired" into some other config).
    if (errors && errors.length > 0) throw syntaxError(errors, content, shown);
    throw new Error(`could not transpile ${shown}: ${(error as Error).message}`);
  } finally {
    // The transform service is a child process: no need to keep it for the rest of the build.
    await esbuild.stop();
  }
}

const MORE_SHOWN = 4;

function syntaxError(errors: readonly EsbuildMessage[], content: string, shown: string): UserError {
  const describe = (m: EsbuildMessage) => {
    const at = positionOf(m);
    return { at, line: at ? `${shown}:${at.line}:${at.column}: ${m.text}` : `${shown}: ${m.text}` };
  };
  const [first, ...rest] = errors.map(describe);
  const more = rest.slice(0, MORE_SHOWN).map((d) => `  also ${d.line}`);
  if (rest.length > MORE_SHOWN) more.push(`  … and ${rest.length - MORE_SHOWN} more`);
  const frame = first!.at ? `\n\n${codeFrame(content, first!.at)}` : '';
  return new UserError(
    `${first!.line}${frame}\n\n${more.length > 0 ? `${more.join('\n')}\n\n` : ''}` +
      `  ${shown} has a syntax error, so none of it was loaded; fix it and run comfygen again.`,
  );
}

/** esbuild counts columns in UTF-8 bytes from 0; messages count characters from 1. */
function positionOf(m: EsbuildMessage): Position | null {
  if (!m.location) return null;
  const { line, column, lineText } = m.location;
  return { line, column: Buffer.from(lineText, 'utf8').subarray(0, column).toString('utf8').length + 1 };
}
