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

/** The service's pin for `url`, or null when the URL belongs to no service comfygen knows. */
export function pinKnownUrl(
  url: string,
  request: ResolveRequest,
  ctx: SourceContext,
  opts: { source: string; original: LockEntry['original'] },
): Promise<Resolution> | null {
  const hf = parseHfUrl(url, endpointHosts(ctx.env.hfEndpoint));
  if (hf) return pinHfFile(hf, request, ctx, opts);
  const civitai = parseCivitaiUrl(url, endpointHosts(ctx.env.civitaiEndpoint));
  if (civitai) return pinCivitaiUrl(civitai, request, ctx, opts);
  return null;
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
