/**
 * One entry point for "pin this URL properly if a service knows it": Hugging Face URLs go through
 * the commit pinning, Civitai URLs through the version/file pinning. Sources that carry URLs from
 * elsewhere (url, catalog) call this instead of repeating either rule.
 */
import type { LockEntry } from '../core/types.js';
import { pinCivitaiUrl } from './civitai/pin.js';
import { parseCivitaiUrl } from './civitai/url.js';
import { pinHfFile } from './huggingface/pin.js';
import { parseHfUrl } from './huggingface/url.js';
import { endpointHosts } from './resolution.js';
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
