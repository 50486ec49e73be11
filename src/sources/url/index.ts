/**
 * `url` source: the files the config declares by hand (`files: { '<folder>/<name>': { url, sha256?, size? } }`).
 * With a sha256 the entry is pinned exactly as written. Without one, a Hugging Face or Civitai
 * URL is pinned the way those sources pin (commit / version+file, published hash); any other
 * URL is pinned as written and unverified (`sha256: null`).
 */
import { asWritten, pinKnownUrl } from '../known-urls.js';
import { miss, pinned, resolveEach, scrubUrl } from '../resolution.js';
import type { Resolution, ResolveRequest, Source, SourceConfig, SourceContext } from '../types.js';

export const URL_SOURCE = 'url';

type UrlConfig = Extract<SourceConfig, { type: 'url' }>;

export function createUrlSource(config: Pick<UrlConfig, 'files'>): Source {
  return {
    id: URL_SOURCE,
    resolve: (requests, ctx) => resolveEach(requests, ctx, (r) => resolveOne(r, ctx)),
  };

  async function resolveOne(request: ResolveRequest, ctx: SourceContext): Promise<Resolution> {
    const entry = Object.hasOwn(config.files, request.key) ? config.files[request.key] : undefined;
    if (!entry) return miss();
    const url = scrubUrl(entry.url);
    const sha256 = entry.sha256?.toLowerCase() ?? null;
    const original = sha256 ? { url, sha256 } : { url };
    if (!sha256) {
      const known = await pinKnownUrl(url, request, ctx, { source: URL_SOURCE, original });
      if (known) return known;
    }
    return pinned(original, asWritten(url, sha256, entry.size ?? null, 'declared', ctx, URL_SOURCE));
  }
}
