/** Custom node packs in the pipeline: which packs the workflows need, pinned in the lock's `nodes` map. */
import type { Dispatcher } from 'undici';
import type { Config } from '../config/normalize.js';
import type { Diagnostic, Lockfile, NodeLockEntry } from '../core/types.js';
import type { Affected } from '../sources/types.js';
import { type PackDemand, type PackNote, resolvePacks } from '../nodes/index.js';
import { createHttpClient, httpOptionsFromEnv } from '../io/http.js';
import { nodeEndpoints } from '../nodes/endpoints.js';
import { type ProgressSink, step, waitNotes } from './progress.js';

export async function resolveNodeLock(
  config: Config,
  /** What the workflows need (nodes/collect.ts: collectPacks, or a PackFold as a build scans). */
  demand: readonly PackDemand[],
  previous: Lockfile | null,
  opts: {
    offline: boolean; check: boolean; frozen: boolean; update: boolean | string[]; env: NodeJS.ProcessEnv; progress: ProgressSink;
    report: (d: Diagnostic) => void; dispatcher?: Dispatcher;
  },
): Promise<{ nodes: Record<string, NodeLockEntry>; notes: PackNote[]; affected: Affected[] }> {
  if (!config.nodes.install) return { nodes: {}, notes: [], affected: [] };
  // Config pins add packs no workflow names: only with neither is there nothing to do.
  if (demand.length === 0 && Object.keys(config.nodes.pins).length === 0) return { nodes: {}, notes: [], affected: [] };
  const named = demand.filter((d) => d.kind === 'pack').length;
  const untagged = demand.filter((d) => d.kind === 'untagged').length;
  // comfy-core (ComfyUI itself) is in the demand too, but it is not a pack to pin.
  const title = `Pin ${named} custom node pack(s)${untagged > 0 ? `, look up ${untagged} untagged node type(s)` : ''}`;
  const result = await step(opts.progress, 'nodes', title, () =>
    resolvePacks(demand, previous?.nodes ?? {}, {
      offline: opts.offline || opts.frozen,
      update: opts.check || opts.frozen ? false : opts.update,
      pins: config.nodes.pins,
      ...nodeEndpoints(opts.env),
      cacheDir: opts.check ? null : config.cacheDir,
      http: createHttpClient({ ...httpOptionsFromEnv(opts.env), ...waitNotes(opts.progress, 'nodes'), dispatcher: opts.dispatcher }),
      report: opts.report,
    }),
  );
  return { nodes: result.nodes, notes: result.notes, affected: result.affected };
}

/** Every pack key a build knows before resolving (lower-case): named by workflows, in the lock, or pinned in the config. */
export function knownPackKeys(config: Config, packs: readonly PackDemand[], previous: Lockfile | null): Set<string> {
  const keys = new Set<string>();
  if (!config.nodes.install) return keys;
  for (const d of packs) if (d.kind === 'pack') keys.add(d.key);
  for (const key of [...Object.keys(previous?.nodes ?? {}), ...Object.keys(config.nodes.pins)]) keys.add(key.toLowerCase());
  return keys;
}
