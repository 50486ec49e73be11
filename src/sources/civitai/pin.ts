/**
 * Pinning one Civitai file: version → the file the URL's query (or the declared hash, or the
 * primary flag) chooses → `?fileId=` URL with its SHA256. Shared by every source that meets a
 * Civitai URL (civitai, url, catalog).
 */
import type { LockEntry } from '../../core/types.js';
import type { ApiAnswer, ApiFailure, SourceApi } from '../api.js';
import { basename, failed, pinned, withTrouble } from '../resolution.js';
import type { Resolution, ResolveRequest, SourceContext } from '../types.js';
import { ModelSchema, VersionSchema, type CivitaiFile, type CivitaiVersion } from './schema.js';
import { canonicalDownloadUrl, FILE_QUERY_KEYS, modelPageUrl, type CivitaiRef, type FileQuery } from './url.js';

export function fetchVersion(api: SourceApi, versionId: number): Promise<ApiAnswer<CivitaiVersion>> {
  return api.call({ service: 'civitai', path: `/api/v1/model-versions/${versionId}`, schema: VersionSchema, cache: 'mutable' });
}

/**
 * The file a download URL would serve: `fileId`, else the file with the declared hash, else the
 * files matching the query, best first by Civitai's own preference (civitai-samples.json
 * `primary_file_rule`). Returns null when nothing matches.
 */
export function pickFile(files: readonly CivitaiFile[], query: FileQuery, declaredSha256: string | null): CivitaiFile | null {
  if (query.fileId !== undefined) return files.find((f) => f.id === query.fileId) ?? null;
  const byHash = declaredSha256 ? files.find((f) => sha256Of(f) === declaredSha256) : undefined;
  if (byHash) return byHash;
  const matching = files.filter((f) =>
    FILE_QUERY_KEYS.every((key) => query[key] === undefined || query[key] === (key === 'type' ? f.type : f.metadata?.[key])),
  );
  const hasQuery = FILE_QUERY_KEYS.some((key) => query[key] !== undefined);
  if (!hasQuery) {
    const primary = matching.find((f) => f.primary === true);
    if (primary) return primary;
  }
  return [...matching].sort((a, b) => preference(b) - preference(a) || a.id - b.id)[0] ?? null;
}

/** Civitai's default preference weights (format 100, size 10, fp 1) plus model-file types. */
const PREFERRED = { format: ['SafeTensor', 100], size: ['pruned', 10], fp: ['fp16', 1] } as const;
const MODEL_TYPES = new Set(['Model', 'Pruned Model']);

function preference(file: CivitaiFile): number {
  let score = MODEL_TYPES.has(file.type ?? '') ? 1000 : 0;
  for (const [key, [value, weight]] of Object.entries(PREFERRED)) {
    const actual = file.metadata?.[key as keyof typeof PREFERRED];
    if (actual) score += actual === value ? weight : -weight;
  }
  return score;
}

export function sha256Of(file: CivitaiFile): string | null {
  const hash = file.hashes?.SHA256?.toLowerCase();
  return hash && /^[0-9a-f]{64}$/.test(hash) ? hash : null;
}

export interface CivitaiPinOptions {
  source: string;
  original: LockEntry['original'];
  /** Exact size of a local copy known to have this sha256 (`sizeKB` is only approximate). */
  localSize?: number;
}

/** The lock entry for one file of a version. */
export function pinFile(version: { id: number }, file: CivitaiFile, request: ResolveRequest, opts: CivitaiPinOptions): Resolution {
  const sha256 = sha256Of(file);
  if (!sha256) return failed(`Civitai publishes no SHA256 for file ${file.id} (${file.name}) of version ${version.id}`);
  const blake3 = file.hashes?.BLAKE3?.toLowerCase();
  return pinned(opts.original, {
    source: opts.source,
    url: canonicalDownloadUrl(version.id, file.id),
    sha256,
    // sizeKB is rounded (6775430.35 KiB), so bytes are only known to a few either way, and an
    // integral product proves nothing. download.sh takes `size` as exact (skip, conflict, resume),
    // so it gets the size of a local copy with this very hash, or none, and relies on the hash.
    size: opts.localSize ?? null,
    ...(opts.localSize === undefined && typeof file.sizeKB === 'number' && file.sizeKB > 0 && Number.isSafeInteger(Math.round(file.sizeKB * 1024))
      ? { approxSize: Math.round(file.sizeKB * 1024) }
      : {}),
    hashOrigin: 'api',
    ...(blake3 && /^[0-9a-f]{64}$/.test(blake3) ? { blake3 } : {}),
    auth: 'civitai',
    ...(file.name !== basename(request.name) ? { remoteName: file.name } : {}),
  });
}

/** A Civitai download or model-page URL → the pinned file. */
export async function pinCivitaiUrl(ref: CivitaiRef, request: ResolveRequest, ctx: SourceContext, opts: CivitaiPinOptions): Promise<Resolution> {
  const explainFailure = (f: ApiFailure): Resolution => explainCivitaiFailure(f, ctx.env.civitaiTokenVar);
  let versionId = ref.versionId;
  if (versionId === null && ref.modelId !== null) {
    const model = await ctx.api.call({ service: 'civitai', path: `/api/v1/models/${ref.modelId}`, schema: ModelSchema, cache: 'mutable' });
    if (!model.ok) return explainFailure(model);
    const newest = [...model.data.modelVersions].sort((a, b) => (b.publishedAt ?? '').localeCompare(a.publishedAt ?? '') || b.id - a.id)[0];
    if (!newest) return failed(`Civitai model ${ref.modelId} has no published version`);
    versionId = newest.id;
    ctx.report({
      code: 'civitai-unpinned-version',
      severity: 'warning',
      message: `${request.key}: the URL names Civitai model ${ref.modelId} without a version; pinned its newest, ${modelPageUrl(ref.modelId, versionId)}`,
      hint: 'add ?modelVersionId=… to the URL to choose the version yourself',
    });
  }
  if (versionId === null) return failed('Civitai URL names no model version');
  const version = await fetchVersion(ctx.api, versionId);
  if (!version.ok) return explainFailure(version);
  const file = pickFile(version.data.files, ref.query, request.declaredSha256);
  if (!file) return failed(`no file of Civitai version ${versionId} matches ${describeQuery(ref.query)}`);
  const sha256 = sha256Of(file);
  if (request.declaredSha256 && sha256 && request.declaredSha256 !== sha256) {
    ctx.report({
      code: 'declared-hash-mismatch',
      severity: 'warning',
      message: `${request.key}: the workflow declares sha256 ${request.declaredSha256}, but Civitai version ${versionId} file ${file.id} has ${sha256}; pinned the published file`,
    });
  }
  return pinFile(version.data, file, request, opts);
}

function describeQuery(query: FileQuery): string {
  const parts = Object.entries(query).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join('&') : 'the primary-file rule';
}

/**
 * Civitai answers in words a user can act on (civitai-api.md §2–4), with the service trouble
 * behind them for the build's summary. `tokenVar` is the variable the token came from
 * (`CIVITAI_TOKEN` or `CIVITAI_API_TOKEN`), null when none is set.
 */
export function explainCivitaiFailure(f: ApiFailure, tokenVar: string | null): Resolution {
  return withTrouble(explain(f, tokenVar), f, tokenVar);
}

function explain(f: ApiFailure, tokenVar: string | null): Resolution {
  const said = f.serverMessage ? ` (${f.serverMessage})` : '';
  const url = f.url;
  switch (f.status) {
    case 401:
      return tokenVar
        ? failed(`Civitai refused ${tokenVar} for ${url}${said}`, 'check that the token is valid')
        : failed(`Civitai needs a login for ${url}${said}`, 'set CIVITAI_TOKEN (an API key from civitai.com/user/account)');
    case 403:
      return failed(`no access to ${url} on Civitai${said}`);
    case 404:
      return failed(`not found on Civitai: ${url}${said}`);
    case 410:
      return failed(`archived on Civitai, no longer downloadable: ${url}`);
    case 429:
      return failed(`rate limited by Civitai; try again later (${url})`);
  }
  return failed(f.message);
}
