/** Custom node packs in the pipeline: which packs the workflows need, pinned in the lock's `nodes` map. */
import type { Config } from '../config/normalize.js';
import type { Diagnostic, Lockfile, NodeLockEntry, ScannedWorkflow } from '../core/types.js';
import { collectPacks, resolvePacks } from '../nodes/index.js';
import { type ProgressSink, step } from './progress.js';

export async function resolveNodeLock(
  config: Config,
  workflows: readonly ScannedWorkflow[],
  previous: Lockfile | null,
  opts: { offline: boolean; check: boolean; frozen: boolean; update: boolean | string[]; env: NodeJS.ProcessEnv; progress: ProgressSink; report: (d: Diagnostic) => void },
): Promise<Record<string, NodeLockEntry>> {
  if (!config.nodes.install) return {};
  const demand = collectPacks(workflows);
  if (demand.length === 0) return {};
  const result = await step(opts.progress, 'nodes', `Pin ${demand.length} custom node pack(s)`, () =>
    resolvePacks(demand, previous?.nodes ?? {}, {
      offline: opts.offline || opts.frozen,
      update: opts.check || opts.frozen ? false : opts.update,
      pins: config.nodes.pins,
      registryEndpoint: (opts.env.COMFY_REGISTRY_ENDPOINT ?? 'https://api.comfy.org').replace(/\/+$/, ''),
      githubEndpoint: (opts.env.GITHUB_ENDPOINT ?? 'https://github.com').replace(/\/+$/, ''),
      cacheDir: opts.check ? null : config.cacheDir,
      report: opts.report,
    }),
  );
  return result.nodes;
}
