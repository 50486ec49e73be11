/**
 * comfy.config.ts / .mts: types stripped (nothing else changed; `transpiler()` below), made
 * runnable from `.comfygen/config/` (relocate.ts) and kept there, keyed by the source text and
 * the tools' versions and verified before it runs (transpile-cache.ts). A build whose config did
 * not change imports that file as it is: no transpiler, no module hooks. An edited config pays
 * for the transpiler once (~7 ms of CPU).
 *
 * Only a project whose cache cannot be written (read-only) runs the code through the module
 * hooks (module-hooks.ts), under the config's own URL; nothing is ever written beside the config.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../core/errors.js';
import { packageVersion } from '../core/package-root.js';
import { codeFrame, positionAt } from './code-frame.js';
import { importAs } from './module-hooks.js';
import { readCachedModule, sourceKey, writeCachedModule } from './transpile-cache.js';

/**
 * Bump when the transpile options or the relocation change (2: a config with syntax errors is
 * refused, not cached; 3: entries are sealed; 4: esbuild, run from the cache folder; 5:
 * oxc-transform or sucrase).
 */
const LOADER_VERSION = 5;

/** The entry point a config's `import … from 'comfygen'` gets: this copy of comfygen. */
const SELF_URL = new URL(`../index.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url).href;

/** Node's ESM loader keeps a module per URL: each load of a config gets its own. */
let loads = 0;

export async function loadTsConfigFile(filepath: string, content: string, shown = filepath): Promise<unknown> {
  const key = sourceKey(LOADER_VERSION, `${toolVersions()}\0${SELF_URL}\0${filepath}`, content);
  const cached = join(dirname(filepath), '.comfygen', 'config', `${key.slice(0, 32)}.mjs`);
  if (readCachedModule(cached, key) === null) {
    const { relocateModule } = await import('./relocate.js');
    const code = await relocateModule(transpile(content, shown), filepath, SELF_URL);
    if (!writeCachedModule(cached, key, code)) return (await importAs(filepath, code)).default;
  }
  return ((await import(`${pathToFileURL(cached).href}?load=${++loads}`)) as { default: unknown }).default;
}

/**
 * What the cached code depends on besides the source: the transpilers, and comfygen (the
 * relocation). Both transpilers' versions, read from their package.json: loading oxc-transform's
 * binding only to learn which one would run cost a build whose config is cached ~5 ms.
 */
function toolVersions(): string {
  const versions = TRANSPILER_PACKAGES.map((name) => {
    try {
      return versionOf(name);
    } catch {
      return `${name}@-`; // not installed here (oxc-transform's bindings are optional)
    }
  });
  return `${versions.join(' ')} comfygen@${packageVersion()}`;
}

const TRANSPILER_PACKAGES = ['oxc-transform', 'sucrase'];

/**
 * Types are stripped by oxc-transform (a prebuilt native binding: ~7 ms of CPU for a config,
 * loaded in-process), else, on a platform it has no binding for, by sucrase (pure JavaScript,
 * ~55 ms). esbuild, measured first, cost ~65 ms of CPU and a child process; the TypeScript
 * compiler ~0.7 s. Neither strips more than types: syntax is kept as written.
 */
export interface Transpiler {
  version: string;
  /** JavaScript, or the syntax errors (never a "repaired" program). */
  strip(content: string, shown: string): { code: string } | { errors: SyntaxProblem[] };
}

export interface SyntaxProblem {
  text: string;
  /** UTF-16 offset into the source, when the tool gives one. */
  offset: number | null;
}

let chosen: Transpiler | null = null;

function transpiler(): Transpiler {
  return (chosen ??= oxc() ?? sucrase());
}

/** Each transpiler that loads here, for tests that hold both to the same rules. */
export function transpilers(): Transpiler[] {
  return [oxc(), sucrase()].filter((t): t is Transpiler => t !== null);
}

const require = createRequire(import.meta.url);
const versionOf = (name: string) => `${name}@${(require(`${name}/package.json`) as { version: string }).version}`;

function oxc(): Transpiler | null {
  let mod: typeof import('oxc-transform');
  try {
    mod = require('oxc-transform') as typeof import('oxc-transform');
  } catch {
    return null; // no binding for this platform (its packages are optional): use sucrase
  }
  return {
    version: versionOf('oxc-transform'),
    strip(content, shown) {
      const out = mod.transformSync(shown, content, { lang: 'ts', sourceType: 'module' });
      // oxc's parser recovers from some errors and still returns code: any error refuses it.
      const errors = out.errors.filter((e) => e.severity === 'Error');
      if (errors.length === 0) return { code: out.code };
      // Spans count UTF-8 bytes; positions here count UTF-16 characters.
      const bytes = Buffer.from(content, 'utf8');
      return { errors: errors.map((e) => ({ text: e.message, offset: e.labels[0] ? bytes.subarray(0, e.labels[0].start).toString('utf8').length : null })) };
    },
  };
}

function sucrase(): Transpiler {
  const mod = require('sucrase') as typeof import('sucrase');
  return {
    version: versionOf('sucrase'),
    strip(content) {
      try {
        return { code: mod.transform(content, { transforms: ['typescript'], disableESTransforms: true }).code };
      } catch (error) {
        const { pos } = error as { pos?: number };
        return { errors: [{ text: (error as Error).message.replace(/ \(\d+:\d+\)$/, ''), offset: typeof pos === 'number' ? pos : null }] };
      }
    },
  };
}

function transpile(content: string, shown: string): string {
  const out = transpiler().strip(content, shown);
  if ('errors' in out) throw syntaxError(out.errors, content, shown);
  return out.code;
}

const MORE_SHOWN = 4;

function syntaxError(errors: readonly SyntaxProblem[], content: string, shown: string): UserError {
  const describe = (p: SyntaxProblem) => {
    const at = p.offset === null ? null : positionAt(content, p.offset);
    return { at, line: at ? `${shown}:${at.line}:${at.column}: ${p.text}` : `${shown}: ${p.text}` };
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
