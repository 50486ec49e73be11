/**
 * Which pin a pack gets (DESIGN §9, custom-nodes.md §5): a config pin wins; recorded commits give
 * a git pin (the newest when several); a semver gives the registry zip (or, for a pack known only
 * by repository, its release tag); nothing recorded gives the registry's newest version or the
 * default branch, marked as chosen by comfygen.
 */
import type { Outcome, ResolveContext, Want } from './context.js';
import { unresolved } from './context.js';
import { canonicalRepo, compareSemver, isFullCommit, isRegistryId, normalizeVersion, versionKind } from './ids.js';
import { gitCommitPin, gitHeadPin, gitTagPin } from './pin-git.js';
import { registryLatestPin, registryRepository, registryVersionPin } from './pin-registry.js';
import type { PackPin } from './types.js';

export type Choice = { outcome: Outcome; chosenBy?: 'config' | 'comfygen' };

export async function pinFromConfig(ctx: ResolveContext, want: Want, pin: PackPin): Promise<Choice> {
  const invalid = (what: string): Choice => {
    ctx.report({ code: 'invalid-pack-pin', severity: 'error', message: `nodes.pins.${want.key}: ${what}`, file: 'comfy.config.ts' });
    return { outcome: unresolved(`config pin is invalid: ${what}`), chosenBy: 'config' };
  };
  if ('repo' in pin) {
    const repo = canonicalRepo(pin.repo);
    if (repo === null) return invalid('repo must be an https URL or a GitHub owner/repo');
    if (!isFullCommit(pin.commit.toLowerCase())) return invalid('commit must be 40 hex digits');
    return { outcome: await gitCommitPin(ctx, want.key, repo, [pin.commit.toLowerCase()]), chosenBy: 'config' };
  }
  if (!isRegistryId(pin.registry)) return invalid('registry must be a Comfy Registry id');
  const version = normalizeVersion(pin.version);
  if (version?.kind !== 'semver') return invalid('version must be a semver version such as 1.2.3');
  return { outcome: await registryVersionPin(ctx, want.key, pin.registry, version.ver), chosenBy: 'config' };
}

export async function pinFromWorkflows(ctx: ResolveContext, want: Want): Promise<Choice> {
  const vers = want.versions.map((v) => v.ver);
  const commits = vers.filter((v) => versionKind(v) === 'commit');
  const semvers = vers.filter((v) => versionKind(v) === 'semver').sort(compareSemver);
  if (commits.length > 0) {
    let repo = want.repo;
    if (repo === null) {
      if (want.cnrId === null) return { outcome: unresolved('no repository is known for this pack') };
      const found = await registryRepository(ctx, want.cnrId);
      if ('unresolved' in found) return { outcome: found };
      repo = found.repo;
    }
    return { outcome: await gitCommitPin(ctx, want.key, repo, commits) };
  }
  const newest = semvers.at(-1);
  if (newest !== undefined) {
    if (want.cnrId !== null) return { outcome: withVer(await registryVersionPin(ctx, want.key, want.cnrId, newest), newest) };
    if (want.repo !== null) return { outcome: await gitTagPin(ctx, want.key, want.repo, newest) };
    return { outcome: unresolved('no registry id or repository is known for this pack') };
  }
  return { outcome: await latest(ctx, want), chosenBy: 'comfygen' };
}

async function latest(ctx: ResolveContext, want: Want): Promise<Outcome> {
  if (want.cnrId !== null) {
    const found = await registryLatestPin(ctx, want.key, want.cnrId);
    if (!('noVersions' in found)) return found;
    const repo = found.repository === null ? null : canonicalRepo(found.repository);
    if (repo === null) return unresolved(`the Comfy Registry has no version of ${want.cnrId} and no usable repository`);
    return gitHeadPin(ctx, repo);
  }
  if (want.repo !== null) return gitHeadPin(ctx, want.repo);
  return unresolved('no registry id or repository is known for this pack');
}

function withVer(outcome: Outcome, ver: string): Outcome {
  return 'locked' in outcome ? { ...outcome, ver } : outcome;
}
