/**
 * Pins that come from the Comfy Registry: a version's zip (with a sha256 computed here, since the
 * registry publishes none), the newest usable version, and a pack's repository for git pins.
 */
import { canonicalRegistryUrl, REGISTRY_VARIABLE, registryFetchUrl } from './endpoints.js';
import { hashDownload } from './http.js';
import { CANONICAL_REGISTRY, canonicalRepo, compareSemver, isRegistryId, isSafeHttpsUrl, normalizeVersion } from './ids.js';
import { isUsableVersion, isWithdrawn, registryFailure, type RegistryVersion } from './registry.js';
import { failedWith, unresolved, type Outcome, type ResolveContext, type Unresolved } from './context.js';

export async function registryVersionPin(ctx: ResolveContext, key: string, id: string, version: string): Promise<Outcome> {
  let lookup = await ctx.registry.version(id, version);
  let realId = id;
  if (lookup.kind === 'missing') {
    // Tell "unknown pack" from "unknown version"; the node lookup also follows a case redirect.
    const node = await ctx.registry.node(id);
    if (node.kind === 'error') return failedWith(node);
    if (node.kind === 'missing') return unresolved(`the Comfy Registry does not know the pack ${id}`);
    realId = node.value.id;
    lookup = realId === id ? lookup : await ctx.registry.version(realId, version);
    if (lookup.kind === 'missing') return unresolved(`the Comfy Registry has no version ${version} of ${realId}`);
  }
  if (lookup.kind === 'error') return failedWith(lookup);
  return pinVersion(ctx, key, realId, lookup.value);
}

/** The newest usable version by semver (the registry's own "latest" has sorted versions as text). */
export async function registryLatestPin(ctx: ResolveContext, key: string, id: string): Promise<Outcome | { noVersions: true; repository: string | null }> {
  const node = await ctx.registry.node(id);
  if (node.kind === 'error') return failedWith(node);
  if (node.kind === 'missing') return unresolved(`the Comfy Registry does not know the pack ${id}`);
  if (isWithdrawn(node.value.status)) return unresolved(`the Comfy Registry lists ${node.value.id} as ${node.value.status}`);
  const listed = await ctx.registry.versions(node.value.id);
  if (listed.kind === 'error') return failedWith(listed);
  const candidates = (listed.kind === 'found' ? listed.value : [])
    .filter((v) => isUsableVersion(v) && normalizeVersion(v.version)?.kind === 'semver')
    .sort((a, b) => compareSemver(b.version, a.version));
  const newest = candidates[0] ?? node.value.latest_version ?? null;
  if (newest === null) return { noVersions: true, repository: node.value.repository ?? null };
  const full = newest.downloadUrl ? { kind: 'found' as const, value: newest } : await ctx.registry.version(node.value.id, newest.version);
  if (full.kind === 'error') return failedWith(full);
  if (full.kind === 'missing') return unresolved(`the Comfy Registry lists version ${newest.version} of ${node.value.id} but does not serve it`);
  return pinVersion(ctx, key, node.value.id, full.value);
}

/** The canonical repository the registry records for a pack. */
export async function registryRepository(ctx: ResolveContext, id: string): Promise<{ repo: string } | Unresolved> {
  const node = await ctx.registry.node(id);
  if (node.kind === 'error') return failedWith(node);
  if (node.kind === 'missing') {
    return { unresolved: `the Comfy Registry does not know the pack ${id}, so its repository is unknown` };
  }
  const raw = node.value.repository ?? '';
  const repo = canonicalRepo(raw);
  if (repo === null) return { unresolved: `the Comfy Registry gives no usable repository for ${id} (${JSON.stringify(raw.slice(0, 200))})` };
  return { repo };
}

async function pinVersion(ctx: ResolveContext, key: string, id: string, version: RegistryVersion): Promise<Outcome> {
  if (!isRegistryId(id)) return unresolved(`the Comfy Registry answered with an unusable pack id ${JSON.stringify(id.slice(0, 120))}`);
  const ver = normalizeVersion(version.version);
  if (ver?.kind !== 'semver') return unresolved(`the Comfy Registry answered with an unusable version ${JSON.stringify(version.version.slice(0, 60))}`);
  if (isWithdrawn(version.status)) return unresolved(`version ${ver.ver} of ${id} is ${version.status} on the Comfy Registry`);
  if (!isUsableVersion(version)) {
    ctx.report({
      code: 'pack-version-status',
      severity: 'warning',
      message: `${key}: version ${ver.ver} is ${version.deprecated ? 'deprecated' : version.status} on the Comfy Registry`,
      hint: 'pin another version in nodes.pins, or update the workflow',
    });
  }
  let downloadUrl = version.downloadUrl ?? '';
  if (downloadUrl === '') {
    // Only here: /install counts an install, so it is the fallback for an empty URL.
    const install = await ctx.registry.install(id, ver.ver);
    if (install.kind !== 'found' || !install.value.downloadUrl) {
      return unresolved(`the Comfy Registry gives no download URL for ${id} ${ver.ver}`);
    }
    downloadUrl = install.value.downloadUrl;
  }
  const url = canonicalRegistryUrl(downloadUrl, ctx.opts.registryEndpoint);
  if (!isSafeHttpsUrl(url)) return unresolved(`the Comfy Registry gives an unusable download URL for ${id} ${ver.ver}`);
  let hashed = ctx.zipHashes.get(url);
  if (hashed === undefined) {
    const download = await hashDownload(ctx.http, registryFetchUrl(url, ctx.opts.registryEndpoint));
    if (!download.ok) return failedWith(registryFailure(download, url, url.startsWith(`${CANONICAL_REGISTRY}/`) && ctx.opts.registryEndpoint !== CANONICAL_REGISTRY ? REGISTRY_VARIABLE : undefined), `downloading ${id} ${ver.ver} to hash it failed`);
    hashed = { sha256: download.sha256, size: download.size };
    ctx.zipHashes.set(url, hashed);
  }
  return { locked: { type: 'registry', id, version: ver.ver, url, sha256: hashed.sha256 } };
}
