/**
 * Canonical URLs live in the lock; endpoints (`GITHUB_ENDPOINT`, `COMFY_REGISTRY_ENDPOINT`) are
 * only how this machine reaches them. These two maps are the whole translation, both ways.
 */
import { CANONICAL_GITHUB, CANONICAL_REGISTRY } from './ids.js';

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** The variables that move the registry and GitHub to a mirror (DESIGN §9). */
export const REGISTRY_VARIABLE = 'COMFY_REGISTRY_ENDPOINT';
export const GITHUB_VARIABLE = 'GITHUB_ENDPOINT';

/** The endpoints this machine uses; a variable that is unset or blank means the public host. */
export function nodeEndpoints(env: NodeJS.ProcessEnv): { registryEndpoint: string; githubEndpoint: string } {
  const pick = (name: string, fallback: string) => trimSlash(env[name]?.trim() || fallback);
  return { registryEndpoint: pick(REGISTRY_VARIABLE, CANONICAL_REGISTRY), githubEndpoint: pick(GITHUB_VARIABLE, CANONICAL_GITHUB) };
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
