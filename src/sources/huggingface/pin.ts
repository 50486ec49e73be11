/**
 * Pinning one Hugging Face file: revision → commit sha, tree listing → sha256 (`lfs.oid`) and size,
 * small non-LFS files downloaded and hashed. Shared by every source that meets a huggingface.co
 * URL (huggingface, url, catalog), so the rules live once.
 */
import { createHash } from 'node:crypto';
import type * as v from 'valibot';
import type { HashOrigin, LockEntry } from '../../core/types.js';
import type { ApiAnswer, ApiFailure, SourceApi } from '../api.js';
import { failed, pinned, withTrouble } from '../resolution.js';
import type { Resolution, ResolveRequest, SourceContext } from '../types.js';
import { RevisionSchema, TreePageSchema, type Revision } from './schema.js';
import {
  canonicalUrl, hfRefProblem, isCommitSha, repoLabel, repoPage, resolvePath, revisionApiPath, treeApiPath,
  type HfFileRef, type HfRepo,
} from './url.js';

/** A file as the lock needs it; `sha256` is null for files outside LFS (hash them). */
export interface HfFile {
  path: string;
  size: number | null;
  sha256: string | null;
  /** Git blob sha1 (of the LFS pointer for an LFS file): the ETag, and the cache's blob name, of a file outside LFS. */
  oid: string | null;
}

/** A whole, non-negative byte count JavaScript holds exactly (an answer's -1, 1.5 or 1e300 is not). */
export const isByteCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** Git files on the Hub are capped at 10 MB; anything bigger is not a small config file. */
const MAX_SMALL_FILE = 64 * 2 ** 20;
const MAX_TREE_PAGES = 200;
const SHA256 = /^[0-9a-f]{64}$/;
const SHA1 = /^[0-9a-f]{40}$/;

export function fetchRevision(api: SourceApi, repo: HfRepo, revision: string): Promise<ApiAnswer<Revision>> {
  return api.call({
    service: 'huggingface',
    path: revisionApiPath(repo, revision),
    schema: RevisionSchema,
    cache: isCommitSha(revision) ? 'immutable' : 'mutable',
  });
}

/** Every file below `dir` at a commit (all pages), cached once per repo+commit+dir. */
export function listFiles(api: SourceApi, repo: HfRepo, commit: string, dir: string, recursive: boolean): Promise<ApiAnswer<HfFile[]>> {
  const first = treeApiPath(repo, commit, dir, recursive);
  const url = api.publicUrl('huggingface', first).replace(/\?.*$/s, '');
  // `TREE2`: listings cached before git blob ids were kept lack them.
  return api.cached('huggingface', `TREE2 ${first}`, 'immutable', async () => {
    const files: HfFile[] = [];
    let path: string | null = first;
    for (let page = 0; path; page++) {
      if (page === MAX_TREE_PAGES) return { ok: false, kind: 'schema', service: 'huggingface', url, detail: 'too many pages of files', message: `${url}: more than ${MAX_TREE_PAGES} pages of files` };
      const answer: ApiAnswer<v.InferOutput<typeof TreePageSchema>> = await api.call({
        service: 'huggingface', path, schema: TreePageSchema, keepHeaders: ['link'],
      });
      if (!answer.ok) return answer;
      for (const entry of answer.data) {
        if (entry.type !== 'file') continue;
        const sha256 = entry.lfs && SHA256.test(entry.lfs.oid) ? entry.lfs.oid : null;
        files.push({ path: entry.path, size: entry.lfs?.size ?? entry.size ?? null, sha256, oid: entry.oid && SHA1.test(entry.oid) ? entry.oid : null });
      }
      const next: string | undefined = /<([^>]+)>\s*;\s*rel="?next"?/.exec(answer.headers.link ?? '')?.[1];
      path = next ? api.pathOf('huggingface', next) : null;
    }
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { ok: true, status: 200, headers: {}, data: files };
  }, url);
}

export interface PinOptions {
  /** Id of the answering source (`locked.source`). */
  source: string;
  original: LockEntry['original'];
  /** Already known from a repo search: saves the calls. */
  known?: { revision: Revision; file: HfFile };
  /** Record the file's ETag too: it goes into the Hugging Face cache, whose blobs are named by it. */
  etag?: boolean;
}

export async function pinHfFile(ref: HfFileRef, request: ResolveRequest, ctx: SourceContext, opts: PinOptions): Promise<Resolution> {
  const { api } = ctx;
  const explain = (f: ApiFailure): Resolution => explainHfFailure(f, ref, ctx.env.hfTokenVar);
  // Validated here, where every way to a pin meets (a workflow's URL, a repository search), so a
  // listing's odd path or size is refused with a reason instead of written into the lock.
  const refused = hfRefProblem(ref);
  if (refused) return failed(`not pinned: ${refused}`);
  let revision = opts.known?.revision;
  if (!revision) {
    const answer = await fetchRevision(api, ref, ref.revision);
    if (!answer.ok) return explain(answer);
    revision = answer.data;
  }
  const at: HfFileRef = { ...ref, revision: revision.sha };
  let file = opts.known?.file;
  if (!file) {
    const dir = ref.path.includes('/') ? ref.path.slice(0, ref.path.lastIndexOf('/')) : '';
    const listing = await listFiles(api, ref, revision.sha, dir, false);
    if (!listing.ok) return explain(listing);
    file = listing.data.find((f) => f.path === ref.path);
    if (!file) return failed(`no file ${ref.path} in ${repoLabel(ref)} at ${ref.revision}`);
  }
  if (file.size !== null && !isByteCount(file.size)) {
    return failed(`not pinned: Hugging Face lists ${ref.path} in ${repoLabel(ref)} with the size ${JSON.stringify(file.size)}, which is no number of bytes`);
  }
  const restricted = revision.private === true || (revision.gated !== undefined && revision.gated !== false);
  let sha256 = file.sha256;
  let size = file.size;
  let hashOrigin: HashOrigin = 'api';
  if (!sha256) {
    const hashed = await api.hashFile('huggingface', resolvePath(at), MAX_SMALL_FILE);
    if (!hashed.ok) return explain(hashed);
    ({ sha256, size } = hashed.data);
    hashOrigin = 'computed';
  } else if (restricted && !api.offline) {
    // Listing a gated repo is public; downloading is not. Probe so the lock only holds what this
    // account can fetch, and the user learns about the licence now rather than on the GPU box.
    const denied = await probeAccess(api, at, ctx.env.hfToken);
    if (denied) return explain(denied);
  }
  // The Hub's ETag: an LFS file's sha256, any other file's git blob sha1 (huggingface-api.md §4).
  const etag = file.sha256 ?? file.oid;
  if (opts.etag && !etag) return failed(`not pinned: Hugging Face lists ${ref.path} in ${repoLabel(ref)} without a git blob id, which names it in the Hugging Face cache`);
  if (request.declaredSha256 && request.declaredSha256 !== sha256) {
    ctx.report({
      code: 'declared-hash-mismatch',
      severity: 'warning',
      message: `${request.key}: the workflow declares sha256 ${request.declaredSha256}, but ${canonicalUrl(at)} has ${sha256}; pinned the published file`,
    });
  }
  return pinned(opts.original, {
    source: opts.source,
    url: canonicalUrl(at),
    sha256,
    size,
    hashOrigin,
    ...(restricted ? { auth: 'huggingface' as const } : {}),
    ...(opts.etag && etag ? { etag } : {}),
  });
}

/**
 * Whether this account may download a restricted file: null, or the Hub's refusal. The answer
 * (a refusal too) is kept like a branch's, per token, so a rebuild within the hour asks nothing
 * and `--update` asks again; the key holds a fingerprint of the token, never the token.
 */
export async function probeAccess(api: SourceApi, at: HfFileRef, token: string | null): Promise<ApiFailure | null> {
  const who = token === null ? 'anonymous' : `token ${createHash('sha256').update(`comfygen:${token}`).digest('hex').slice(0, 16)}`;
  const path = resolvePath(at);
  const answer = await api.cached<{ denied: ApiFailure | null }>('huggingface', `ACCESS ${who} ${path}`, 'mutable', async () => {
    const head = await api.call({ service: 'huggingface', method: 'HEAD', path });
    if (head.ok) return { ...head, data: { denied: null } };
    const refusal = head.kind === 'http' && (head.status === 401 || head.status === 403 || head.status === 404);
    return refusal ? { ok: true, status: head.status ?? 0, headers: {}, data: { denied: head } } : head;
  }, api.publicUrl('huggingface', path));
  return answer.ok ? answer.data.denied : answer;
}

/**
 * Hub failures in words a user can act on (huggingface-api.md §5: `X-Error-Code` first), with the
 * service trouble behind them for the build's summary. `tokenVar` is the variable HF_TOKEN came
 * from (`HF_TOKEN` or `HF_API_TOKEN`), null when none is set. Reasons name the public host; a
 * mirror (`via HF_ENDPOINT`) is named by the terminal's `source-failed` warning only.
 */
export function explainHfFailure(f: ApiFailure, ref: HfRepo & { revision?: string; path?: string }, tokenVar: string | null): Resolution {
  const repo = repoLabel(ref);
  // The public host, never the mirror this machine went through: the reason goes into the lock.
  const hub = 'huggingface.co';
  switch (f.errorCode) {
    case 'GatedRepo':
      return {
        status: 'failed',
        reason: `gated repository ${repo}: accept the licence at ${repoPage(ref)} and set HF_TOKEN`,
        hint: tokenVar ? `${tokenVar} is set, but its account has not been granted access yet` : 'HF_TOKEN is not set',
        trouble: { service: 'huggingface', kind: 'gated', detail: repoPage(ref), ...(f.host ? { host: f.host } : {}), ...(f.via ? { via: f.via } : {}), tokenVar },
      };
    case 'RepoNotFound':
      return tokenVar
        ? failed(`repository ${repo} not found on ${hub}, or ${tokenVar} has no access to it`)
        : failed(`repository ${repo} not found on ${hub} (if it is private, set HF_TOKEN)`);
    case 'RevisionNotFound':
      return failed(`revision ${ref.revision ?? '?'} not found in ${repo}`);
    case 'EntryNotFound':
      return failed(`no file ${ref.path ?? '?'} in ${repo} at ${ref.revision ?? '?'}`);
  }
  const explained = f.status === 401 && tokenVar
    ? failed(`${hub} rejected ${tokenVar} (${f.serverMessage ?? 'invalid credentials'})`)
    : f.status === 429
      ? failed(`rate limited by ${hub}; try again later (${f.url})`)
      : failed(f.message);
  return withTrouble(explained, f, tokenVar);
}
