/** Expands the config's workflow globs into a sorted file list (relative to the config dir). */
import { glob } from 'tinyglobby';
import { byString } from '../core/stable-json.js';
import type { Config } from '../config/normalize.js';
import { join } from 'node:path';

export async function findWorkflowFiles(config: Config): Promise<{ absPath: string; relPath: string }[]> {
  const found = await glob(config.workflows, {
    cwd: config.configDir,
    onlyFiles: true,
    dot: false,
    followSymbolicLinks: true,
    ignore: ['**/node_modules/**', `${config.outputDir}/**`, '.comfygen/**'],
    expandDirectories: false,
  });
  return [...new Set(found.map((p) => p.split('\\').join('/')))]
    .sort(byString)
    .map((relPath) => ({ relPath, absPath: join(config.configDir, relPath) }));
}
