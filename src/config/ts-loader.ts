/**
 * comfy.config.ts / .mts without loading the TypeScript compiler on every build: the
 * transpiled module is kept in `.comfygen/config/`, keyed by the source text and the compiler
 * version and verified before it runs (transpile-cache.ts), so only an edited config pays the
 * ~0.5 s that loading `typescript` costs. The code runs under the config's own URL
 * (module-hooks.ts), so relative imports inside the config resolve as written.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Diagnostic } from 'typescript';
import { UserError } from '../core/errors.js';
import { codeFrame, positionAt } from './code-frame.js';
import { importAs } from './module-hooks.js';
import { readCachedModule, sourceKey, writeCachedModule } from './transpile-cache.js';

/**
 * Bump when the transpile options below change (2: a config with syntax errors is refused, not
 * cached; 3: entries are sealed).
 */
const LOADER_VERSION = 3;

export async function loadTsConfigFile(filepath: string, content: string, shown = filepath): Promise<unknown> {
  const require = createRequire(import.meta.url);
  const tsVersion = String((require('typescript/package.json') as { version: string }).version);
  const key = sourceKey(LOADER_VERSION, tsVersion, content);
  const cached = join(dirname(filepath), '.comfygen', 'config', `${key.slice(0, 32)}.mjs`);
  let code = readCachedModule(cached, key);
  if (code === null) {
    code = await transpile(filepath, content, shown);
    writeCachedModule(cached, key, code);
  }
  return (await importAs(filepath, code)).default;
}

async function transpile(filepath: string, content: string, shown: string): Promise<string> {
  const ts = (await import('typescript')).default;
  let output;
  try {
    output = ts.transpileModule(content, {
      fileName: filepath,
      reportDiagnostics: true,
      compilerOptions: { module: ts.ModuleKind.ES2022, moduleResolution: ts.ModuleResolutionKind.Bundler, target: ts.ScriptTarget.ES2022 },
    });
  } catch (error) {
    throw new Error(`TypeScript error in ${filepath}: ${(error as Error).message}`);
  }
  // transpileModule repairs what it cannot parse (a missing brace turns keys into nested ones),
  // so code with syntax errors would run as some other config: refuse it.
  const errors = (output.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) throw syntaxError(ts, errors, content, shown);
  return output.outputText;
}

const MORE_SHOWN = 4;

function syntaxError(ts: typeof import('typescript'), errors: readonly Diagnostic[], content: string, shown: string): UserError {
  const describe = (d: Diagnostic) => {
    const at = positionAt(content, d.start ?? 0);
    return { at, line: `${shown}:${at.line}:${at.column}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')} (TS${d.code})` };
  };
  const [first, ...rest] = errors.map(describe);
  const more = rest.slice(0, MORE_SHOWN).map((d) => `  also ${d.line}`);
  if (rest.length > MORE_SHOWN) more.push(`  … and ${rest.length - MORE_SHOWN} more`);
  return new UserError(
    `${first!.line}\n\n${codeFrame(content, first!.at)}\n\n${more.length > 0 ? `${more.join('\n')}\n\n` : ''}` +
      `  ${shown} has a syntax error, so none of it was loaded; fix it and run comfygen again.`,
  );
}

