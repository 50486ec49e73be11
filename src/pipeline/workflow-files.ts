/**
 * Expands the config's workflow globs into a sorted file list (relative to the config dir).
 * What comfygen itself reads or writes is never a workflow, whatever the globs say (even a glob
 * matching every file): the outputs, the cache, the lock, the config, and model roots inside
 * the project.
 */
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { escapePath, glob } from 'tinyglobby';
import type { Config } from '../config/normalize.js';
import { byString } from '../core/stable-json.js';

export async function findWorkflowFiles(config: Config, home = process.env.HOME || homedir()): Promise<{ absPath: string; relPath: string }[]> {
  // `~/` is the home folder, as in model roots (init writes ComfyUI's own workflow folder so).
  const patterns = config.workflows.map((g) => (g.startsWith('~/') ? `${escapePath(home.split('\\').join('/'))}${g.slice(1)}` : g));
  const found = await glob(patterns, {
    cwd: config.configDir,
    onlyFiles: true,
    dot: false,
    followSymbolicLinks: true,
    ignore: ['**/node_modules/**', `${config.outputDir}/**`, '.comfygen/**', ...ownFiles(config)],
    expandDirectories: false,
  });
  return [...new Set(found.map((p) => p.split('\\').join('/')))]
    .sort(byString)
    .map((relPath) => ({ relPath, absPath: join(config.configDir, relPath) }));
}

/** The lock, the config and the model roots, as ignore patterns, where they lie inside the config's folder. */
function ownFiles(config: Config): string[] {
  const inside = (path: string): string | null => {
    const rel = relative(config.configDir, path).split('\\').join('/');
    return rel === '' || rel.startsWith('../') || rel === '..' || isAbsolute(rel) ? null : escapePath(rel);
  };
  const patterns: string[] = [];
  for (const file of [config.lockPath, config.configPath]) {
    const rel = inside(file);
    if (rel) patterns.push(rel);
  }
  // Roots with ~ or $VARS expand per machine; only plain paths are known here.
  for (const root of config.models.roots) {
    if (root.startsWith('~') || root.includes('$')) continue;
    const rel = inside(resolve(config.configDir, root));
    if (rel) patterns.push(`${rel}/**`);
  }
  return patterns;
}
