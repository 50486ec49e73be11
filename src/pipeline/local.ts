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
  /**
   * After locking: drop name matches whose size (or known hash) is not the pin's, then find
   * pinned models present under another name (same size, same sha256). Returns what it dropped,
   * as warnings.
   */
  finishContentMatches(lock: Lockfile): Promise<Diagnostic[]>;
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
      const differing = await dropDiffering(matches, lock, hasher);
      const wanted = Object.entries(lock.models)
        .filter(([key, e]) => !matches.has(key) && e.locked?.sha256)
        .map(([key, e]) => ({ key, sha256: e.locked!.sha256!, size: e.locked!.size }));
      if (wanted.length > 0 && files.length > 0) {
        const found = await step(opts.progress, 'hash', 'Look for pinned models under other names', () => matchByContent(wanted, files, hashLocal),
          (m) => `${m.size} found`);
        for (const [key, match] of found) matches.set(key, match);
      }
      return differing.map(({ key, file, why }) => ({
        code: 'local-differs-from-pin', severity: 'warning', file: file.absPath,
        message: matches.has(key)
          ? `${file.absPath} has the name of ${key} but not its pinned content (${why}); another local file fits the pin`
          : `${file.absPath} has the name of ${key} but not its pinned content (${why}); download.sh will leave it untouched and report a conflict`,
        hint: `if the pin is wrong, \`comfygen build --update ${key}\`; otherwise move the local file aside`,
      }));
    },
    async close() {
      await hasher.save();
      await hasher.close();
    },
  };
}

/**
 * Name matches that cannot be the pinned file: another size, or a hash the cache already knows
 * that is not the pin's (nothing is read for this). An equally good alternative that fits stands in.
 */
async function dropDiffering(matches: Map<string, LocalMatch>, lock: Lockfile, hasher: Hasher): Promise<{ key: string; file: LocalFile; why: string }[]> {
  const dropped: { key: string; file: LocalFile; why: string }[] = [];
  const differs = async (file: LocalFile, pin: NonNullable<Lockfile['models'][string]['locked']>): Promise<string | null> => {
    if (pin.size !== null && file.size !== pin.size) return `${file.size} bytes, pinned ${pin.size}`;
    const known = pin.sha256 ? (await hasher.cached(file))?.sha256 : undefined;
    return known && known !== pin.sha256 ? `sha256 ${known.slice(0, 12)}…, pinned ${pin.sha256!.slice(0, 12)}…` : null;
  };
  for (const [key, match] of [...matches]) {
    const pin = lock.models[key]?.locked;
    if (!pin || match.how === 'content') continue;
    const why = await differs(match.file, pin);
    if (why === null) continue;
    dropped.push({ key, file: match.file, why });
    let replacement: LocalFile | undefined;
    for (const alt of match.alternatives ?? []) {
      if ((await differs(alt, pin)) === null) { replacement = alt; break; }
    }
    if (replacement) matches.set(key, { file: replacement, how: match.how });
    else matches.delete(key);
  }
  return dropped;
}
