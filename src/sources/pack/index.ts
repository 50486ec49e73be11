/**
 * `pack` source: what a self-downloading node fetches (the ref's `fetch`, from the pack's code),
 * pinned like any model. A Hugging Face URL is pinned to its commit with the published sha256
 * (pinHfFile); a whole repository snapshot file by file (pinSnapshot); any other URL is
 * downloaded once and hashed. The pin's URL is the first the pack tries that answers, the others
 * stay as mirrors in the pack's order. Files going into the Hugging Face cache also record the
 * ETag their blob is named by. Always asked first, and the only source asked about keys outside
 * MODELS_DIR: nothing else knows where those files come from.
 */
import { parseKey, rootedKeyProblem } from '../../core/roots.js';
import type { FetchSpec } from '../../core/types.js';
import { pinHfFile } from '../huggingface/pin.js';
import { pinSnapshot } from '../huggingface/snapshot.js';
import { parseHfUrl } from '../huggingface/url.js';
import { basename, endpointHosts, failed, miss, normalUrl, pinned, resolveEach } from '../resolution.js';
import type { Resolution, ResolveRequest, Source, SourceContext } from '../types.js';
import { pinWebFile } from './web.js';

export const PACK = 'pack';

export function createPackSource(): Source {
  return {
    id: PACK,
    resolve: (requests, ctx) => resolveEach(requests, ctx, (r) => (r.fetch ? resolveOne(r, r.fetch, ctx) : miss())),
  };
}

async function resolveOne(request: ResolveRequest, fetch: FetchSpec, ctx: SourceContext): Promise<Resolution> {
  const parsed = parseKey(request.key);
  if ('problem' in parsed) return failed(`not pinned: ${parsed.problem}`);
  const inCache = parsed.root === 'hf-cache';
  if ('snapshot' in fetch) {
    // Each file of the snapshot obeys the key's rules where it lands (no code in a pack folder…).
    return pinSnapshot(fetch.snapshot, ctx, { source: PACK, etag: inCache, refuse: (path) => rootedKeyProblem(request.key + path) });
  }
  let first: Resolution | null = null;
  for (const url of fetch.urls) {
    const answer = await pinOne(url, request, ctx, inCache ? parsed : null);
    if (answer.status === 'pinned') {
      const mirrors = fetch.urls.filter((u) => u !== url).map(normalUrl);
      return mirrors.length > 0 ? { ...answer, locked: { ...answer.locked, mirrors } } : answer;
    }
    first ??= answer;
  }
  return first ?? miss();
}

async function pinOne(url: string, request: ResolveRequest, ctx: SourceContext, cache: Extract<ReturnType<typeof parseKey>, { root: 'hf-cache' }> | null): Promise<Resolution> {
  const original = { url: request.fetch && 'urls' in request.fetch ? request.fetch.urls[0]! : url };
  const hf = parseHfUrl(url, endpointHosts(ctx.env.hfEndpoint));
  if (!hf) {
    if (cache) return failed(`not pinned: ${url} is no Hugging Face file, and only those go into the Hugging Face cache`);
    return pinWebFile(url, ctx, { source: PACK, original });
  }
  // The cache's layout comes from the key: the URL must name the same file of the same repository.
  if (cache && (hf.type !== cache.type || hf.id !== cache.repo || hf.path !== cache.path || hf.revision !== cache.revision)) {
    return failed(`not pinned: ${url} is not the file ${request.key} names`);
  }
  const answer = await pinHfFile(hf, request, ctx, { source: PACK, original, etag: cache !== null });
  if (answer.status !== 'pinned' || basename(hf.path) === basename(request.name)) return answer;
  return pinned(answer.original, { ...answer.locked, remoteName: basename(hf.path) });
}
