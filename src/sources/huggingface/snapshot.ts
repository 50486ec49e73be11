/**
 * Pinning a whole repository as `snapshot_download` fetches it (a self-downloading node's
 * folder): the revision → commit, one recursive listing, the pack's allow/ignore patterns, and
 * every file's sha256 (LFS files from the listing, others downloaded and hashed) and size.
 */
import type { SnapshotFile, SnapshotSpec } from '../../core/types.js';
import { failed, pinned } from '../resolution.js';
import type { Resolution, SourceContext } from '../types.js';
import { passesPatterns } from './patterns.js';
import { explainHfFailure, fetchRevision, isByteCount, listFiles, probeAccess } from './pin.js';
import { canonicalUrl, hfRefProblem, parseRepoSpec, repoLabel, repoPage, resolvePath } from './url.js';

/** Git files on the Hub are capped at 10 MB; anything bigger is not a small config file. */
const MAX_SMALL_FILE = 64 * 2 ** 20;

export interface SnapshotOptions {
  source: string;
  /** Record each file's ETag (the snapshot goes into the Hugging Face cache). */
  etag: boolean;
  /** Why a file of the snapshot may not be installed where the key puts it (null: it may). */
  refuse: (path: string) => string | null;
}

export async function pinSnapshot(spec: SnapshotSpec, ctx: SourceContext, opts: SnapshotOptions): Promise<Resolution> {
  const repo = parseRepoSpec(`${spec.repo}@${spec.revision}`);
  const refused = hfRefProblem({ ...repo, path: 'x' });
  if (refused) return failed(`not pinned: ${refused}`);
  const explain = (f: Parameters<typeof explainHfFailure>[0]) => explainHfFailure(f, repo, ctx.env.hfTokenVar);
  const revision = await fetchRevision(ctx.api, repo, repo.revision);
  if (!revision.ok) return explain(revision);
  const commit = revision.data.sha;
  const listing = await listFiles(ctx.api, repo, commit, '', true);
  if (!listing.ok) return explain(listing);
  const wanted = listing.data.filter((f) => passesPatterns(f.path, spec.allow, spec.ignore));
  if (wanted.length === 0) return failed(`no file of ${repoLabel(repo)} at ${spec.revision} passes the pack's patterns`);
  for (const file of wanted) {
    const problem = hfRefProblem({ ...repo, revision: commit, path: file.path }) ?? opts.refuse(file.path);
    if (problem) return failed(`not pinned: ${file.path} in ${repoLabel(repo)}: ${problem}`);
    if (file.size !== null && !isByteCount(file.size)) return failed(`not pinned: Hugging Face lists ${file.path} in ${repoLabel(repo)} with the size ${JSON.stringify(file.size)}, which is no number of bytes`);
  }
  const restricted = revision.data.private === true || (revision.data.gated !== undefined && revision.data.gated !== false);
  if (restricted && !ctx.api.offline) {
    const denied = await probeAccess(ctx.api, { ...repo, revision: commit, path: wanted[0]!.path }, ctx.env.hfToken);
    if (denied) return explain(denied);
  }
  // Files outside LFS are hashed from their bytes, all at once (the client limits requests per host).
  const hashed = await Promise.all(wanted.map((file) => file.sha256
    ? null
    : ctx.api.hashFile('huggingface', resolvePath({ ...repo, revision: commit, path: file.path }), MAX_SMALL_FILE)));
  const files: Record<string, SnapshotFile> = {};
  let total = 0;
  for (const [i, file] of wanted.entries()) {
    const answer = hashed[i];
    if (answer && !answer.ok) return explain(answer);
    const sha256 = answer ? answer.data.sha256 : file.sha256!;
    const size = answer ? answer.data.size : file.size;
    if (size === null) return failed(`not pinned: Hugging Face lists ${file.path} in ${repoLabel(repo)} without its size`);
    const etag = file.sha256 ?? file.oid;
    if (opts.etag && !etag) return failed(`not pinned: Hugging Face lists ${file.path} in ${repoLabel(repo)} without a git blob id, which names it in the Hugging Face cache`);
    files[file.path] = { url: canonicalUrl({ ...repo, revision: commit, path: file.path }), sha256, size, ...(opts.etag ? { etag: etag! } : {}) };
    total += size;
  }
  const computed = hashed.some((h) => h !== null);
  return pinned({ repo: repoLabel(repo) }, {
    source: opts.source,
    url: `${repoPage(repo)}/tree/${commit}`,
    sha256: null,
    size: total,
    hashOrigin: computed ? 'computed' : 'api',
    files,
    ...(restricted ? { auth: 'huggingface' as const } : {}),
  });
}
