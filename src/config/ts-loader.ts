/**
 * comfy.config.ts / .mts without loading the TypeScript compiler on every build: the
 * transpiled module is kept in `.comfygen/config/`, keyed by the source text and the compiler
 * version, so only an edited config pays the ~0.5 s that loading `typescript` costs. The module
 * is imported from a temporary file beside the config (as cosmiconfig does), so relative imports
 * inside the config resolve as written; the temporary file is always removed.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeCacheFile } from '../io/cache-file.js';

/** Bump when the transpile options below change. */
const LOADER_VERSION = 1;

export async function loadTsConfigFile(filepath: string, content: string): Promise<unknown> {
  const require = createRequire(import.meta.url);
  const tsVersion = String((require('typescript/package.json') as { version: string }).version);
  const key = createHash('sha256').update(`${LOADER_VERSION}\0${tsVersion}\0${content}`).digest('hex').slice(0, 32);
  const cached = join(dirname(filepath), '.comfygen', 'config', `${key}.mjs`);
  let code: string;
  try {
    code = readFileSync(cached, 'utf8');
  } catch {
    code = await transpile(filepath, content);
    writeCacheFile(cached, code); // a read-only project still loads its config
  }
  const temp = `${filepath}.${randomUUID()}.mjs`;
  try {
    writeFileSync(temp, code);
    const mod = (await import(pathToFileURL(temp).href)) as { default?: unknown };
    return mod.default;
  } finally {
    rmSync(temp, { force: true });
  }
}

async function transpile(filepath: string, content: string): Promise<string> {
  const ts = (await import('typescript')).default;
  try {
    return ts.transpileModule(content, {
      fileName: filepath,
      compilerOptions: { module: ts.ModuleKind.ES2022, moduleResolution: ts.ModuleResolutionKind.Bundler, target: ts.ScriptTarget.ES2022 },
    }).outputText;
  } catch (error) {
    throw new Error(`TypeScript error in ${filepath}: ${(error as Error).message}`);
  }
}

