/**
 * Civitai URLs as data (civitai-api.md §3, §6): download URLs with their file-choosing query,
 * model pages with `modelVersionId`, and the canonical `?fileId=` URL the lock records.
 */
import { PUBLIC_BASE } from '../api.js';
import { parseHostUrl } from '../parse-host-url.js';

/** Download query keys that choose a file, in the order Civitai's own URLs use them. */
export const FILE_QUERY_KEYS = ['type', 'format', 'size', 'fp', 'quantType'] as const;
export type FileQuery = Partial<Record<(typeof FILE_QUERY_KEYS)[number], string>> & { fileId?: number };

export interface CivitaiRef {
  modelId: number | null;
  /** Null for a model page without `modelVersionId` (the version is then chosen, and unpinned). */
  versionId: number | null;
  query: FileQuery;
}

const PUBLIC_HOSTS = ['civitai.com', 'www.civitai.com', 'civitai.red', 'www.civitai.red'];

export function parseCivitaiUrl(url: string, extraHosts: readonly string[] = []): CivitaiRef | null {
  const parsed = parseHostUrl(url, PUBLIC_HOSTS, extraHosts);
  if (!parsed) return null;
  const query: FileQuery = {};
  for (const key of FILE_QUERY_KEYS) {
    const value = parsed.searchParams.get(key);
    if (value) query[key] = value;
  }
  const fileId = Number(parsed.searchParams.get('fileId') ?? NaN);
  if (Number.isSafeInteger(fileId)) query.fileId = fileId;
  const path = parsed.pathname.replace(/\/+$/, '');
  const download = /^\/api\/download\/models\/(\d+)$/.exec(path) ?? /^\/api\/v1\/model-versions\/(\d+)$/.exec(path);
  if (download) return { modelId: null, versionId: Number(download[1]), query };
  const page = /^\/models\/(\d+)(?:\/[^/]*)?$/.exec(path);
  if (page) {
    const version = Number(parsed.searchParams.get('modelVersionId') ?? NaN);
    return { modelId: Number(page[1]), versionId: Number.isSafeInteger(version) ? version : null, query };
  }
  return null;
}

export function canonicalDownloadUrl(versionId: number, fileId: number): string {
  return `${PUBLIC_BASE.civitai}/api/download/models/${versionId}?fileId=${fileId}`;
}

export function modelPageUrl(modelId: number, versionId: number): string {
  return `${PUBLIC_BASE.civitai}/models/${modelId}?modelVersionId=${versionId}`;
}
