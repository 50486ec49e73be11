/**
 * The whole environment in the pipeline (DESIGN §10): ComfyUI's pin (lock `comfyui`) and the
 * Python plan (lock `python`), after the packs are pinned. Both are opt-in (`comfyui.install`,
 * `python.plan`), so a project that only wants its models pays nothing for them.
 */
import type { Config } from '../config/normalize.js';
import type { ComfyuiLockEntry, Diagnostic, Lockfile, NodeLockEntry, PythonLock } from '../core/types.js';
import type { PackDemand } from '../nodes/types.js';
import { comfyuiWanted, pinComfyui } from '../comfyui/pin.js';
import { createHttpClient, httpOptionsFromEnv } from '../io/http.js';
import { openGitStore } from '../nodes/git.js';
import { planPython } from '../python/plan.js';
import { type ProgressSink, step, waitNotes } from './progress.js';

export interface EnvironmentLock {
  comfyui?: ComfyuiLockEntry;
  python?: PythonLock;
}

export async function resolveEnvironment(
  config: Config,
  /** What the workflows record (the `comfy-core` versions choose ComfyUI's ref). */
  packs: readonly PackDemand[],
  previous: Lockfile | null,
  nodes: Record<string, NodeLockEntry>,
  opts: { offline: boolean; check: boolean; frozen: boolean; update: boolean | string[]; env: NodeJS.ProcessEnv; progress: ProgressSink; report: (d: Diagnostic) => void },
): Promise<EnvironmentLock> {
  if (!config.comfyui.install && !config.python.plan) return {};
  const named = (key: string) => !opts.check && !opts.frozen && (opts.update === true || (Array.isArray(opts.update) && opts.update.some((u) => u.toLowerCase() === key)));
  const offline = opts.offline || opts.frozen;
  const githubEndpoint = (opts.env.GITHUB_ENDPOINT ?? 'https://github.com').replace(/\/+$/, '');
  const cacheDir = opts.check ? null : config.cacheDir;
  const out: EnvironmentLock = {};
  if (config.comfyui.install) {
    const want = comfyuiWanted(config.comfyui, packs);
    out.comfyui = await step(opts.progress, 'comfyui', `Pin ComfyUI (${want.ref ?? 'default branch'})`, async () => {
      const git = await openGitStore(cacheDir);
      try {
        return await pinComfyui(want, previous?.comfyui, { offline, update: named('comfyui'), githubEndpoint, git, report: opts.report });
      } finally {
        await git.dispose();
      }
    }, (entry) => (entry.locked ? entry.locked.commit.slice(0, 12) : 'unresolved'));
  }
  if (config.python.plan) {
    const sources = Object.values(nodes).filter((n) => n.locked).length + (out.comfyui?.locked ? 1 : 0);
    const { python } = await step(opts.progress, 'python', `Plan Python requirements of ${sources} tree(s)`, () => planPython(out.comfyui, nodes, previous?.python, {
      offline,
      check: opts.check,
      frozen: opts.frozen,
      update: named('python'),
      resolve: config.python.resolve,
      githubEndpoint,
      registryEndpoint: (opts.env.COMFY_REGISTRY_ENDPOINT ?? 'https://api.comfy.org').replace(/\/+$/, ''),
      cacheDir,
      env: opts.env,
      http: createHttpClient({ ...httpOptionsFromEnv(opts.env), ...waitNotes(opts.progress, 'python') }),
      report: opts.report,
    }), (r) => (r.python.resolved ? `${Object.keys(r.python.resolved.packages).length} package(s) pinned` : `${r.plan.install.length} requirement(s), not pinned`));
    out.python = python;
  }
  return out;
}
