/**
 * `embedded` source: the URLs workflows carry for their models (`properties.models`, mirrors).
 * Hugging Face and Civitai URLs are hints for those sources when they are configured: answered
 * `miss` so they pin them properly (commit / file id, published hash). Other URLs are pinned as
 * written with the workflow's declared sha256, or unverified when it declares none.
 */
import type { ModelKey } from '../../core/types.js';
import { asWritten, serviceOf, type KnownService } from '../known-urls.js';
import { miss, originalOf, pinned } from '../resolution.js';
import type { Resolution, Source } from '../types.js';

export const EMBEDDED = 'embedded';

export function createEmbeddedSource(opts: { delegates: ReadonlySet<KnownService> }): Source {
  return {
    id: EMBEDDED,
    async resolve(requests, ctx) {
      const answers = new Map<ModelKey, Resolution>();
      for (const request of requests) {
        const services = request.urls.map((url) => serviceOf(url, ctx));
        const delegate = services.find((s): s is KnownService => s !== null && opts.delegates.has(s));
        // A proper pin beats an as-written one, even when a plain mirror URL is listed first.
        if (delegate) {
          answers.set(request.key, miss(`left to ${delegate}`));
          continue;
        }
        const first = request.urls[0];
        if (!first) {
          answers.set(request.key, miss());
          continue;
        }
        const original = originalOf(first, request);
        answers.set(request.key, pinned(original, asWritten(original.url, request.declaredSha256, null, 'embedded', ctx, EMBEDDED)));
      }
      return answers;
    },
  };
}
