/**
 * Finding files Civitai knows without a URL: by content (POST by-hash, ≤ 100 hashes a request,
 * each answer cached per hash) and, last, by exact file name (model search).
 */
import type { ApiAnswer, ApiFailure, SourceApi } from '../api.js';
import { ByHashSchema, SearchSchema, type CivitaiFile } from './schema.js';
import { modelPageUrl } from './url.js';
import { sha256Of } from './pin.js';

export const BY_HASH_BATCH = 100;

/** What a hash identifies; null when Civitai does not know it. */
export type HashMatch = { version: { id: number; modelId: number }; file: CivitaiFile } | null;

/**
 * Look up sha256 hashes (lower-case). Cached answers (misses too) cost nothing; the rest go out
 * in batches. A failed batch leaves its hashes out of the result and returns its failure.
 */
export async function lookupHashes(api: SourceApi, hashes: readonly string[]): Promise<{ found: Map<string, HashMatch>; failures: Map<string, ApiFailure> }> {
  const found = new Map<string, HashMatch>();
  const failures = new Map<string, ApiFailure>();
  const unknown: string[] = [];
  const sorted = [...new Set(hashes)].sort();
  const hits = await Promise.all(sorted.map((hash) => api.recall<HashMatch>('civitai', `BY-HASH ${hash}`, 'mutable')));
  for (const [i, hash] of sorted.entries()) {
    const hit = hits[i];
    if (hit !== undefined) found.set(hash, hit);
    else unknown.push(hash);
  }
  if (api.offline) {
    const url = api.publicUrl('civitai', '/api/v1/model-versions/by-hash');
    for (const hash of unknown) failures.set(hash, { ok: false, kind: 'offline', service: 'civitai', url, message: `${url}: not asked (offline), not in the cache` });
    return { found, failures };
  }
  const batches: string[][] = [];
  for (let i = 0; i < unknown.length; i += BY_HASH_BATCH) batches.push(unknown.slice(i, i + BY_HASH_BATCH));
  await Promise.all(
    batches.map(async (batch) => {
      const answer = await api.call({
        service: 'civitai',
        method: 'POST',
        path: '/api/v1/model-versions/by-hash',
        body: batch.map((h) => h.toUpperCase()),
        schema: ByHashSchema,
      });
      if (!answer.ok) {
        for (const hash of batch) failures.set(hash, answer);
        return;
      }
      const matches = new Map<string, HashMatch>();
      for (const version of answer.data) {
        for (const file of version.files) {
          const sha = sha256Of(file);
          if (sha) matches.set(sha, { version: { id: version.id, modelId: version.modelId }, file });
        }
      }
      for (const hash of batch) {
        const match = matches.get(hash) ?? null;
        found.set(hash, match);
        api.remember('civitai', `BY-HASH ${hash}`, match);
      }
    }),
  );
  return { found, failures };
}

export interface NameCandidate {
  modelId: number;
  versionId: number;
  file: CivitaiFile;
  page: string;
}

/** Files named exactly `fileName` among the models a full-text search for its stem returns. */
export async function searchByFileName(api: SourceApi, fileName: string): Promise<ApiAnswer<NameCandidate[]>> {
  const stem = fileName.replace(/\.[^.]+$/, '');
  const answer = await api.call({
    service: 'civitai',
    path: `/api/v1/models?query=${encodeURIComponent(stem)}&limit=100&nsfw=true`,
    schema: SearchSchema,
    cache: 'mutable',
  });
  if (!answer.ok) return answer;
  const byFile = new Map<number, NameCandidate>();
  for (const model of answer.data.items) {
    for (const version of model.modelVersions) {
      for (const file of version.files) {
        if (file.name !== fileName || byFile.has(file.id)) continue;
        byFile.set(file.id, { modelId: model.id, versionId: version.id, file, page: modelPageUrl(model.id, version.id) });
      }
    }
  }
  const candidates = [...byFile.values()].sort((a, b) => a.versionId - b.versionId || a.file.id - b.file.id);
  return { ok: true, status: answer.status, headers: {}, data: candidates };
}
