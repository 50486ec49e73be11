/** Small constructors for the answers every source gives, so plugins read as decisions. */
import type { LockEntry, LockedModel, ModelKey } from '../core/types.js';
import { scrubCredentials } from '../scan/refs/credentials.js';
import { PUBLIC_BASE, type ApiFailure, type Service } from './api.js';
import type { Resolution, ResolveRequest, ServiceTrouble, SourceContext } from './types.js';

/** Answers every request on its own, all at once, keyed by model: the shape of most sources. */
export async function resolveEach(
  requests: readonly ResolveRequest[],
  ctx: Pick<SourceContext, 'answered'>,
  one: (request: ResolveRequest) => Promise<Resolution> | Resolution,
): Promise<Map<ModelKey, Resolution>> {
  const answers = await Promise.all(requests.map(async (request) => {
    const answer = await one(request);
    ctx.answered?.(request.key);
    return answer;
  }));
  return new Map(requests.map((r, i) => [r.key, answers[i]!]));
}

export function pinned(original: LockEntry['original'], locked: LockedModel): Resolution {
  return { status: 'pinned', original, locked };
}

export function miss(reason?: string): Resolution {
  return reason ? { status: 'miss', reason } : { status: 'miss' };
}

export function failed(reason: string, hint?: string): Resolution {
  return hint ? { status: 'failed', reason, hint } : { status: 'failed', reason };
}

/** Service troubles that say nothing about the model: asked again later, the answer may differ. */
const TRANSIENT: ReadonlySet<ServiceTrouble['kind']> = new Set(['unreachable', 'timeout', 'rate-limited', 'server-error']);

/**
 * The reason a model stays unresolved because its service was not asked (offline) or did not
 * answer (unreachable, too slow, rate limits, server errors). The same words on every machine and
 * in every run, whichever request failed first or which host or error it was (the terminal's
 * `source-failed` warning says that), so a build during an outage writes the same lock each time.
 */
export function unavailable(service: Service, how: 'offline' | 'unavailable'): string {
  const host = new URL(PUBLIC_BASE[service]).host;
  return how === 'offline' ? `${host} not asked (offline)` : `${host} unavailable; the next build asks again`;
}

/**
 * `resolution` with the service trouble behind `failure`, if it is one: not a model-specific
 * answer (404, no such file) but the service failing (see ServiceTrouble). A transient failure
 * (and an offline one) gets the neutral reason of `unavailable` instead of its own words.
 */
export function withTrouble(resolution: Resolution, failure: ApiFailure, tokenVar: string | null): Resolution {
  if (resolution.status !== 'failed' || !failure.service || resolution.trouble) return resolution;
  if (failure.kind === 'offline') return { status: 'failed', reason: unavailable(failure.service, 'offline'), transient: 'offline' };
  const kind = troubleKind(failure);
  if (!kind) return resolution;
  const trouble: ServiceTrouble = {
    service: failure.service, kind, detail: failure.detail ?? failure.message,
    ...(failure.host ? { host: failure.host } : {}), ...(failure.via ? { via: failure.via } : {}),
    ...(kind === 'auth' ? { tokenVar } : {}),
  };
  if (TRANSIENT.has(kind)) return { status: 'failed', reason: unavailable(failure.service, 'unavailable'), trouble, transient: 'unavailable' };
  return { ...resolution, trouble };
}

function troubleKind(f: ApiFailure): ServiceTrouble['kind'] | null {
  switch (f.kind) {
    case 'network':
      return 'unreachable';
    case 'timeout':
      return 'timeout';
    case 'schema':
      return 'bad-answer';
    case 'http':
      if (f.status === 401 && !f.errorCode) return 'auth';
      if (f.status === 429) return 'rate-limited';
      return f.status !== undefined && f.status >= 500 ? 'server-error' : null;
    case 'offline':
      return null;
  }
}

/**
 * A URL as it may be recorded (lock `original` and `locked`, messages): without credentials
 * (secret query parameters, `user:password@`; see scan/refs/credentials.ts), which must never
 * land in a file.
 */
export function scrubUrl(url: string): string {
  return scrubCredentials(url).url;
}

/**
 * A URL as the lock records it for download.sh: the WHATWG serialisation (spaces, `"`, `<`, `>`
 * and non-ASCII percent-encoded, host lower-cased) without the fragment, which no server sees. A URL
 * with control characters is left as written: the parser would silently drop tabs and line breaks
 * and fetch another URL; download.sh refuses it instead.
 */
export function normalUrl(url: string): string {
  if (/[\x00-\x1f\x7f]/.test(url)) return url;
  try {
    const parsed = new URL(url.trim());
    parsed.hash = '';
    return parsed.href;
  } catch {
    return url;
  }
}

/** `original` for a URL the workflow gave: the URL (credentials removed) and the sha256 it declared. */
export function originalOf(url: string, request: { declaredSha256: string | null }): { url: string; sha256?: string } {
  const clean = scrubUrl(url);
  return request.declaredSha256 ? { url: clean, sha256: request.declaredSha256 } : { url: clean };
}

export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The host of a configured endpoint (a mirror), whose URLs count as the service's own. */
export function endpointHosts(endpoint: string): string[] {
  try {
    return [new URL(endpoint).host];
  } catch {
    return [];
  }
}
