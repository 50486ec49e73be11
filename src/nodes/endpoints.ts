/**
 * Canonical URLs live in the lock; endpoints (`GITHUB_ENDPOINT`, `COMFY_REGISTRY_ENDPOINT`) are
 * only how this machine reaches them. These two maps are the whole translation, both ways.
 */
import { CANONICAL_GITHUB, CANONICAL_REGISTRY } from './ids.js';

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Where to fetch a canonical repository from (GitHub URLs follow `GITHUB_ENDPOINT`). */
export function gitFetchUrl(canonical: string, githubEndpoint: string): string {
  const prefix = `${CANONICAL_GITHUB}/`;
  return canonical.startsWith(prefix) ? `${trimSlash(githubEndpoint)}/${canonical.slice(prefix.length)}` : canonical;
}

/** A URL the registry gave, as it goes in the lock: the endpoint's host replaced by api.comfy.org. */
export function canonicalRegistryUrl(url: string, registryEndpoint: string): string {
  const base = `${trimSlash(registryEndpoint)}/`;
  return url.startsWith(base) ? `${CANONICAL_REGISTRY}/${url.slice(base.length)}` : url;
}

/** Where to download a locked registry URL from on this machine. */
export function registryFetchUrl(canonical: string, registryEndpoint: string): string {
  const prefix = `${CANONICAL_REGISTRY}/`;
  return canonical.startsWith(prefix) ? `${trimSlash(registryEndpoint)}/${canonical.slice(prefix.length)}` : canonical;
}
