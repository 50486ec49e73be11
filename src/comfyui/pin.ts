/**
 * ComfyUI's own pin (DESIGN §10): the lock's `comfyui` entry, pinned like a git pack. The ref is
 * `comfyui.ref`, or else the release tag of the newest `comfy-core` version the workflows were
 * saved with (`0.3.59` → `v0.3.59`), or else the default branch's tip, marked as chosen by
 * comfygen. Keep rules are the packs': an entry stays while it answers the same repo and ref and
 * no `--update` names it; offline builds use the lock; a transient failure keeps the old pin.
 */
import type { ComfyuiLockEntry, Diagnostic } from '../core/types.js';
import { gitFetchUrl } from '../nodes/endpoints.js';
import type { GitStore } from '../nodes/git.js';
import { compareSemver, isFullCommit, versionKind } from '../nodes/ids.js';
import type { PackDemand } from '../nodes/types.js';

export interface WantedComfyui {
  repo: string;
  /** null: nothing asked for a version (the default branch's tip is pinned). */
  ref: string | null;
  chosenBy?: 'config' | 'comfygen';
  /** Where the ref came from, in words for the report. */
  because: string;
}

/** Which ref the config or the workflows ask for. `coreVersions`: the `comfy-core` versions recorded. */
export function wantedComfyui(config: { repo: string; ref: string | null }, coreVersions: readonly string[]): WantedComfyui {
  if (config.ref !== null) return { repo: config.repo, ref: config.ref, chosenBy: 'config', because: 'comfyui.ref in the config' };
  const newest = coreVersions.filter((v) => versionKind(v) === 'semver').sort(compareSemver).at(-1);
  if (newest !== undefined) {
    return { repo: config.repo, ref: `v${newest}`, because: `the newest ComfyUI version the workflows were saved with (comfy-core ${newest}); set comfyui.ref to choose another` };
  }
  return { repo: config.repo, ref: null, chosenBy: 'comfygen', because: 'no workflow records a ComfyUI version, so the default branch was pinned; set comfyui.ref to choose one' };
}

/** What the config and the workflows ask of ComfyUI (pure; report.md says it too). */
/** `packs`: what the workflows record (nodes/collect.ts), `comfy-core` versions included. */
export function comfyuiWanted(config: { repo: string; ref: string | null }, packs: readonly PackDemand[]): WantedComfyui {
  const core = config.ref === null ? packs.find((d) => d.kind === 'core') : undefined;
  return wantedComfyui(config, core?.kind === 'core' ? core.versions.map((v) => v.ver) : []);
}

export interface PinComfyuiOptions {
  offline: boolean;
  update: boolean;
  githubEndpoint: string;
  git: GitStore;
  report: (d: Diagnostic) => void;
}

export async function pinComfyui(want: WantedComfyui, previous: ComfyuiLockEntry | undefined, opts: PinComfyuiOptions): Promise<ComfyuiLockEntry> {
  const original = want.ref === null ? {} : { ref: want.ref };
  const fits = previous?.locked !== undefined && previous.locked.repo === want.repo && previous.original.ref === want.ref
    && (previous.chosenBy ?? null) === (want.chosenBy ?? null);
  if (previous && fits && !opts.update) return structuredClone(previous);
  if (opts.offline) {
    if (previous?.locked) {
      if (!fits) opts.report({ code: 'comfyui-lock-stale', severity: 'warning', message: `comfyui: the config or workflows ask for ${describe(want)}, the lock holds ${previous.locked.commit}; kept the lock (offline)`, hint: 'run comfygen build without --offline' });
      return structuredClone(previous);
    }
    return { original, ...chosen(want), unresolved: { reason: 'offline: not in the lock yet; run comfygen build without --offline' } };
  }
  const outcome = await resolve(want, opts);
  if ('commit' in outcome) return { original, ...chosen(want), locked: { repo: want.repo, commit: outcome.commit } };
  if (outcome.transient && previous?.locked) {
    opts.report({ code: 'comfyui-lock-kept', severity: 'warning', message: `comfyui: could not re-resolve ${describe(want)} (${outcome.reason}); kept the pin from the lock` });
    return structuredClone(previous);
  }
  opts.report({
    code: 'comfyui-unresolved',
    severity: want.chosenBy === 'config' ? 'error' : 'warning',
    message: `comfyui: ${describe(want)}: ${outcome.reason}`,
    hint: want.chosenBy === 'config' ? 'fix comfyui.ref or comfyui.repo in the config' : 'set comfyui.ref to a tag, branch or commit of the repository',
  });
  return { original, ...chosen(want), unresolved: { reason: outcome.reason } };
}

type Outcome = { commit: string } | { reason: string; transient: boolean };

async function resolve(want: WantedComfyui, opts: PinComfyuiOptions): Promise<Outcome> {
  const url = gitFetchUrl(want.repo, opts.githubEndpoint);
  let commit: string;
  if (want.ref !== null && isFullCommit(want.ref)) commit = want.ref;
  else {
    const found = want.ref === null ? await opts.git.defaultHead(want.repo, url) : await opts.git.refCommit(want.repo, url, want.ref);
    if (found.kind === 'error') return { reason: found.message, transient: true };
    if (found.kind === 'missing') return { reason: found.reason, transient: false };
    commit = found.value;
  }
  // As for packs: a commit goes into the lock only once it has been fetched.
  const fetched = await opts.git.commit(want.repo, url, commit);
  if (fetched.kind === 'error') return { reason: fetched.message, transient: true };
  if (fetched.kind === 'missing') return { reason: fetched.reason, transient: false };
  return { commit: fetched.value.commit };
}

function chosen(want: WantedComfyui): Pick<ComfyuiLockEntry, 'chosenBy'> {
  return want.chosenBy ? { chosenBy: want.chosenBy } : {};
}

function describe(want: WantedComfyui): string {
  return want.ref === null ? `the default branch of ${want.repo}` : `${want.ref} of ${want.repo}`;
}
