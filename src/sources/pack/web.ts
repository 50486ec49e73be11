/**
 * A file on any web host (a GitHub release asset, a project's own server), pinned by downloading
 * it once at lock time and hashing it as it streams: the lock records what was there, and
 * download.sh verifies that sha256 on the box. github.com URLs are fetched through
 * GITHUB_ENDPOINT when it is set (a mirror); the lock names github.com. A host that cannot be
 * reached or does not answer says nothing about the file: such a failure never changes the lock
 * (`transient`), and its reason names the host only, the same on every machine.
 */
import type { LockEntry } from '../../core/types.js';
import { failed, normalUrl, pinned } from '../resolution.js';
import type { Resolution, SourceContext } from '../types.js';

const GITHUB = 'https://github.com/';

export async function pinWebFile(url: string, ctx: SourceContext, opts: { source: string; original: LockEntry['original'] }): Promise<Resolution> {
  const canonical = normalUrl(url);
  let host: string;
  try {
    const parsed = new URL(canonical);
    if (parsed.protocol !== 'https:') return failed(`not pinned: ${canonical} is not an https URL`);
    if (parsed.username || parsed.password) return failed(`not pinned: ${canonical} carries credentials`);
    host = parsed.host;
  } catch {
    return failed(`not pinned: ${JSON.stringify(url.slice(0, 200))} is not a URL`);
  }
  const fetchUrl = canonical.startsWith(GITHUB) ? `${ctx.env.githubEndpoint}/${canonical.slice(GITHUB.length)}` : canonical;
  const answer = await ctx.api.hashUrl(canonical, fetchUrl);
  if (!answer.ok) {
    if (answer.kind === 'offline') return { status: 'failed', reason: `${host} not asked (offline)`, transient: 'offline' };
    const down = answer.kind === 'network' || answer.kind === 'timeout' || answer.status === 429 || (answer.status !== undefined && answer.status >= 500);
    if (down) return { status: 'failed', reason: `${host} unavailable; the next build asks again`, transient: 'unavailable' };
    return failed(answer.status ? `${canonical} answered HTTP ${answer.status}` : answer.message);
  }
  const { sha256, size, contentType, head } = answer.data;
  const start = head.toString('latin1').trimStart().slice(0, 15).toLowerCase();
  if (/^text\/html/i.test(contentType) || start.startsWith('<!doctype html') || start.startsWith('<html')) {
    return failed(`not pinned: ${canonical} answers with an HTML page, not the file`);
  }
  return pinned(opts.original, { source: opts.source, url: canonical, sha256, size, hashOrigin: 'computed' });
}
