/**
 * What is on this machine: roots, files, which demand each file satisfies, and hashing on
 * demand. Influences resolution (lookups by content) and the terminal summary, never outputs.
 */
import { join } from 'node:path';
import type { Config } from '../config/normalize.js';
import type { Diagnostic, LocalFile, LocalMatch, Lockfile } from '../core/types.js';
// Not from inventory/index.js, which would also load the YAML reader for extra_model_paths.yaml.
import { loadRoots } from '../inventory/load-roots.js';
import { matchByContent, matchByName } from '../inventory/match.js';
import type { ModelRoot } from '../inventory/types.js';
import { walkInventory } from '../inventory/walk.js';
import { createHasher, type Hasher } from '../io/hash.js';
import type { ModelDemand } from './demand.js';
import { type ProgressSink, step } from './progress.js';

export interface LocalState {
  roots: ModelRoot[];
  files: LocalFile[];
  /** Demand key → the local file that satisfies it, and how it matched. */
  matches: Map<string, LocalMatch>;
  diagnostics: Diagnostic[];
  hasher: Hasher;
  hashLocal(file: LocalFile): Promise<{ sha256: string }>;
  /** After locking: find pinned models present under another name (same size, same sha256). */
  finishContentMatches(lock: Lockfile): Promise<void>;
  close(): Promise<void>;
}

export interface Inventory {
  roots: ModelRoot[];
  files: LocalFile[];
  diagnostics: Diagnostic[];
}

/** Lists the model roots' files; started early so the walk overlaps the workflow scan. */
export async function walkLocal(config: Config, env: NodeJS.ProcessEnv): Promise<Inventory> {
  const loaded = await loadRoots({ roots: config.models.roots, extraModelPaths: config.models.extraModelPaths, configDir: config.configDir, env });
  const walked = await walkInventory(loaded.roots);
  return { roots: loaded.roots, files: walked.files, diagnostics: [...loaded.diagnostics, ...walked.diagnostics] };
}

export async function inspectLocal(
  config: Config,
  demands: readonly ModelDemand[],
  inventory: Promise<Inventory>,
  opts: { progress: ProgressSink },
): Promise<LocalState> {
  const { roots, files, diagnostics } = await step(opts.progress, 'inventory', 'Inventory local models', () => inventory,
    (r) => `${r.files.length} file(s) in ${r.roots.length} root(s)`);
  const matches = matchByName(demands.map((d) => ({ key: d.key, folder: d.folder, name: d.name })), files);
  const hasher = createHasher({ cacheFile: join(config.cacheDir, 'hashes.json') });
  const hashLocal = (file: LocalFile) => hasher.hash(file);
  return {
    roots,
    files,
    matches,
    diagnostics,
    hasher,
    hashLocal,
    async finishContentMatches(lock) {
      const wanted = Object.entries(lock.models)
        .filter(([key, e]) => !matches.has(key) && e.locked?.sha256)
        .map(([key, e]) => ({ key, sha256: e.locked!.sha256!, size: e.locked!.size }));
      if (wanted.length === 0 || files.length === 0) return;
      const found = await step(opts.progress, 'hash', 'Look for pinned models under other names', () => matchByContent(wanted, files, hashLocal),
        (m) => `${m.size} found`);
      for (const [key, match] of found) matches.set(key, match);
    },
    async close() {
      await hasher.save();
      await hasher.close();
    },
  };
}
