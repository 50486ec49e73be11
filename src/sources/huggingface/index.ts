/**
 * `huggingface` source: pins every huggingface.co URL a model carries, then looks for the
 * remaining files by name in the configured `repos` (one recursive listing per repo+revision).
 */
import { modelDirsOf } from '../../core/folders.js';
import { endpointHosts, failed, miss, originalOf, resolveEach } from '../resolution.js';
import type { Resolution, ResolveRequest, Source, SourceContext } from '../types.js';
import { explainHfFailure, fetchRevision, listFiles, pinHfFile, type HfFile } from './pin.js';
import { parseHfUrl, parseRepoSpec, repoLabel } from './url.js';

export const HUGGINGFACE = 'huggingface';

export function createHuggingfaceSource(config: { repos: string[] }): Source {
  const repos = config.repos.map(parseRepoSpec);
  return {
    id: HUGGINGFACE,
    resolve: (requests, ctx) => resolveEach(requests, ctx, (r) => resolveOne(r, ctx)),
  };

  async function resolveOne(request: ResolveRequest, ctx: SourceContext): Promise<Resolution> {
    let firstFailure: Resolution | null = null;
    for (const url of request.urls) {
      const ref = parseHfUrl(url, endpointHosts(ctx.env.hfEndpoint));
      if (!ref) continue;
      const answer = await pinHfFile(ref, request, ctx, { source: HUGGINGFACE, original: originalOf(url, request) });
      if (answer.status === 'pinned') return answer;
      firstFailure ??= answer;
    }
    if (firstFailure) return firstFailure;
    for (const repo of repos) {
      const answer = await searchRepo(repo, request, ctx);
      if (answer.status === 'pinned') return answer;
      if (answer.status === 'failed') firstFailure ??= answer;
    }
    return firstFailure ?? miss(repos.length > 0 ? `not in ${repos.map(repoLabel).join(', ')}` : undefined);
  }

  async function searchRepo(repo: (typeof repos)[number], request: ResolveRequest, ctx: SourceContext): Promise<Resolution> {
    const revision = await fetchRevision(ctx.api, repo, repo.revision);
    if (!revision.ok) return explainHfFailure(revision, repo, ctx.env.hfTokenVar);
    const listing = await listFiles(ctx.api, repo, revision.data.sha, '', true);
    if (!listing.ok) return explainHfFailure(listing, repo, ctx.env.hfTokenVar);
    const found = findFile(listing.data, request.folder, request.name);
    if (found.length === 0) return miss();
    if (found.length > 1) {
      return failed(
        `${found.length} files named ${request.name} in ${repoLabel(repo)}: ${found.map((f) => f.path).join(', ')}`,
        'name the file by URL in the workflow or a url source',
      );
    }
    const file = found[0]!;
    return pinHfFile({ ...repo, path: file.path }, request, ctx, {
      source: HUGGINGFACE,
      original: { repo: repoLabel(repo) },
      known: { revision: revision.data, file },
    });
  }
}

/**
 * Files matching a ref: the exact path, else paths ending in `/<name>`; several of those are
 * narrowed to the ones under a directory named like the ref's folder (`split_files/vae/…`).
 */
export function findFile(files: readonly HfFile[], folder: string, name: string): HfFile[] {
  const exact = files.filter((f) => f.path === name);
  if (exact.length > 0) return exact;
  const suffix = files.filter((f) => f.path.endsWith(`/${name}`));
  if (suffix.length <= 1) return suffix;
  // A pack folder's directory may be nested (`CogVideo/loras`): its last segment names it in a repo.
  const dirs = new Set([folder, ...(modelDirsOf(folder) ?? []).map((d) => d.slice(d.lastIndexOf('/') + 1))]);
  const inFolder = suffix.filter((f) => f.path.split('/').slice(0, -1).some((d) => dirs.has(d)));
  return inFolder.length > 0 ? inFolder : suffix;
}
