/**
 * One entry point for "pin this URL properly if a service knows it": Hugging Face URLs go through
 * the commit pinning, Civitai URLs through the version/file pinning. Sources that carry URLs from
 * elsewhere (url, embedded, catalog) call this instead of repeating either rule, and `asWritten`
 * when no service can do better.
 */
import type { LockEntry, LockedModel } from '../core/types.js';
import { pinCivitaiUrl } from './civitai/pin.js';
import { parseCivitaiUrl } from './civitai/url.js';
import { pinHfFile } from './huggingface/pin.js';
import { parseHfUrl } from './huggingface/url.js';
import { endpointHosts, normalUrl } from './resolution.js';
import type { Resolution, ResolveRequest, SourceContext } from './types.js';

export type KnownService = 'huggingface' | 'civitai';

/** Which service a URL belongs to, if any. */
export function serviceOf(url: string, ctx: SourceContext): KnownService | null {
  if (parseHfUrl(url, endpointHosts(ctx.env.hfEndpoint))) return 'huggingface';
  if (parseCivitaiUrl(url, endpointHosts(ctx.env.civitaiEndpoint))) return 'civitai';
  return null;
}

/**
 * The service's pin for `url`, or null when the URL belongs to no service comfygen knows. When the
 * service cannot be asked (offline, an outage), the failure still says what the source knows: the
 * URL it lists, so a local file (catalog, config) answers offline with more than "offline".
 */
export async function pinKnownUrl(
  url: string,
  request: ResolveRequest,
  ctx: SourceContext,
  opts: { source: string; original: LockEntry['original'] },
): Promise<Resolution | null> {
  const hf = parseHfUrl(url, endpointHosts(ctx.env.hfEndpoint));
  const civitai = hf ? null : parseCivitaiUrl(url, endpointHosts(ctx.env.civitaiEndpoint));
  const answer = hf ? await pinHfFile(hf, request, ctx, opts) : civitai ? await pinCivitaiUrl(civitai, request, ctx, opts) : null;
  if (answer?.status === 'failed' && answer.transient) return { ...answer, reason: `lists ${url}; ${answer.reason}` };
  return answer;
}

/**
 * A pin of a URL as given (normalised, see `normalUrl`). Its service's token may go along
 * (download.sh sends a token only to its own host), since nothing here knows whether the file is gated.
 */
export function asWritten(
  url: string,
  sha256: string | null,
  size: number | null,
  hashOrigin: 'declared' | 'embedded',
  ctx: SourceContext,
  source: string,
): LockedModel {
  const service = serviceOf(url, ctx);
  return { source, url: normalUrl(url), sha256, size, hashOrigin, ...(service ? { auth: service } : {}) };
}
