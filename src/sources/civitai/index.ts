/**
 * `civitai` source, in three passes over the models still unpinned: their Civitai URLs; their
 * content (local file's sha256, or the workflow's declared one) through batched by-hash; and for
 * models whose content and URL nobody knows, an exact file-name search, pinned only when exactly
 * one file matches.
 */
import type { ModelKey } from '../../core/types.js';
import { basename, endpointHosts, failed, miss, originalOf } from '../resolution.js';
import type { Resolution, ResolveRequest, Source, SourceContext } from '../types.js';
import { lookupHashes, searchByFileName } from './identify.js';
import { explainCivitaiFailure, pinCivitaiUrl, pinFile } from './pin.js';
import { parseCivitaiUrl } from './url.js';

export const CIVITAI = 'civitai';

export function createCivitaiSource(): Source {
  return { id: CIVITAI, resolve };
}

async function resolve(requests: ResolveRequest[], ctx: SourceContext): Promise<Map<ModelKey, Resolution>> {
  const answers = new Map<ModelKey, Resolution>();
  const answer = (key: ModelKey, resolution: Resolution): void => {
    answers.set(key, resolution);
    ctx.answered?.(key);
  };
  const urlFailures = new Map<ModelKey, Resolution>();
  await Promise.all(
    requests.map(async (request) => {
      for (const url of request.urls) {
        const ref = parseCivitaiUrl(url, endpointHosts(ctx.env.civitaiEndpoint));
        if (!ref) continue;
        const pin = await pinCivitaiUrl(ref, request, ctx, { source: CIVITAI, original: originalOf(url, request) });
        if (pin.status === 'pinned') return answer(request.key, pin);
        if (!urlFailures.has(request.key)) urlFailures.set(request.key, pin);
      }
    }),
  );
  const open = requests.filter((r) => !answers.has(r.key));
  const hashes = await contentHashes(open, ctx);
  const lookup = await lookupHashes(ctx.api, [...hashes.values()].flatMap((h) => h.all));
  const hashFailures = new Map<ModelKey, Resolution>();
  for (const request of open) {
    for (const hash of hashes.get(request.key)?.all ?? []) {
      const match = lookup.found.get(hash);
      if (match) {
        const localSize = hash === hashes.get(request.key)?.local ? request.local?.size : undefined;
        answer(request.key, pinFile(match.version, match.file, request, { source: CIVITAI, original: { sha256: hash }, localSize }));
        break;
      }
      const failure = lookup.failures.get(hash);
      if (failure && !hashFailures.has(request.key)) hashFailures.set(request.key, explainCivitaiFailure(failure, ctx.env.civitaiTokenVar));
    }
  }
  await Promise.all(
    requests.map(async (request) => {
      if (answers.has(request.key)) return;
      const earlier = urlFailures.get(request.key) ?? hashFailures.get(request.key);
      if (earlier) return answer(request.key, earlier);
      if (request.urls.length > 0) return answer(request.key, miss());
      // A name search could only find other bytes than the ones by-hash just failed to find:
      // one request per unknown local file, for nothing that could be pinned.
      if (hashes.has(request.key)) return answer(request.key, miss('no Civitai file has this sha256'));
      answer(request.key, await byName(request, ctx));
    }),
  );
  return answers;
}

/** sha256s to look up per model: the local file's first (the bytes the user has), then the declared one. */
async function contentHashes(requests: ResolveRequest[], ctx: SourceContext): Promise<Map<ModelKey, { local: string | null; all: string[] }>> {
  // All at once: the hasher's pool keeps every core busy on large files (one at a time left all
  // but one idle), and answers in request order below whatever order they finish in.
  const locals = await Promise.all(requests.map(async (request): Promise<string | Error | null> => {
    if (!request.local) return null;
    try {
      return (await ctx.hashLocal(request.local)).sha256;
    } catch (err) {
      return err as Error;
    }
  }));
  const out = new Map<ModelKey, { local: string | null; all: string[] }>();
  for (const [i, request] of requests.entries()) {
    const hashed = locals[i]!;
    if (hashed instanceof Error) {
      ctx.report({ code: 'hash-failed', severity: 'warning', message: `${request.key}: Civitai cannot identify the local file: ${hashed.message}` });
    }
    const local = typeof hashed === 'string' ? hashed : null;
    const all = [...new Set([local, request.declaredSha256].filter((h): h is string => h !== null))];
    if (all.length > 0) out.set(request.key, { local, all });
  }
  return out;
}

/** Last resort, for models whose content nobody knows: a unique exact file name. */
async function byName(request: ResolveRequest, ctx: SourceContext): Promise<Resolution> {
  const name = basename(request.name);
  const search = await searchByFileName(ctx.api, name);
  if (!search.ok) return explainCivitaiFailure(search, ctx.env.civitaiTokenVar);
  const candidates = search.data;
  if (candidates.length === 0) return miss(`no file named ${name} on Civitai`);
  if (candidates.length > 1) {
    const pages = candidates.map((c) => c.page).join(', ');
    return failed(`${candidates.length} files named ${name} on Civitai: ${pages}`, 'choose one with a Civitai URL in a url source');
  }
  const only = candidates[0]!;
  return pinFile({ id: only.versionId }, only.file, request, { source: CIVITAI, original: {} });
}
