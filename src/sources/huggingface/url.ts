/**
 * Hugging Face URLs as data (huggingface-api.md §1): parse what workflows write (`/resolve/`,
 * `/blob/`, `?download=true`, datasets, mirrors) and build the canonical and API paths.
 */
import { PUBLIC_BASE } from '../api.js';
import { parseHostUrl } from '../parse-host-url.js';

export type HfRepoType = 'model' | 'dataset' | 'space';

export interface HfRepo {
  type: HfRepoType;
  /** `owner/name` (or a legacy single-segment id). */
  id: string;
}

export interface HfFileRef extends HfRepo {
  revision: string;
  /** Path inside the repo, `/`-separated, decoded. */
  path: string;
}

const PUBLIC_HOSTS = ['huggingface.co', 'www.huggingface.co', 'hf.co'];
const KIND_SEGMENTS = new Set(['resolve', 'blob', 'raw']);
const TYPE_PREFIX: Record<HfRepoType, string> = { model: '', dataset: 'datasets/', space: 'spaces/' };
const PREFIX_TYPE: Record<string, HfRepoType> = { datasets: 'dataset', spaces: 'space' };

export const isCommitSha = (rev: string): boolean => /^[0-9a-f]{40}$/.test(rev);

/** The file a huggingface.co (or `extraHosts` mirror) URL names, or null when it names none. */
export function parseHfUrl(url: string, extraHosts: readonly string[] = []): HfFileRef | null {
  const parsed = parseHostUrl(url, PUBLIC_HOSTS, extraHosts);
  if (!parsed) return null;
  let segments: string[];
  try {
    segments = parsed.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return null;
  }
  const type = PREFIX_TYPE[segments[0] ?? ''] ?? 'model';
  if (type !== 'model') segments.shift();
  // `gpt2/resolve/…` is a legacy single-segment id; otherwise `owner/name/resolve/…`.
  const idLength = KIND_SEGMENTS.has(segments[1] ?? '') ? 1 : 2;
  if (!KIND_SEGMENTS.has(segments[idLength] ?? '')) return null;
  const id = segments.slice(0, idLength).join('/');
  let rest = segments.slice(idLength + 1);
  let revision = rest[0];
  // An unencoded `refs/pr/1` spans three segments.
  if (revision === 'refs' && rest.length > 3) {
    revision = rest.slice(0, 3).join('/');
    rest = rest.slice(3);
  } else {
    rest = rest.slice(1);
  }
  if (!revision || rest.length === 0) return null;
  return { type, id, revision, path: rest.join('/') };
}

/**
 * Why a file reference cannot be pinned as a URL that names exactly that file, or null. A `..` or
 * `.` segment (from a workflow's URL, or a tree listing that has one) would be collapsed by curl
 * into another path, even another repository's `main`; empty segments, backslashes and control
 * characters name no file the Hub serves either.
 */
export function hfRefProblem(ref: HfFileRef): string | null {
  const bad = (segment: string) => segment === '' || segment === '.' || segment === '..' || /[\\\x00-\x1f\x7f]/.test(segment);
  if (!ref.id.split('/').every((segment) => /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/.test(segment) && !segment.includes('..'))) {
    return `${JSON.stringify(ref.id.slice(0, 200))} is not a Hugging Face repository id`;
  }
  if (ref.revision.split('/').some(bad)) return `the revision ${JSON.stringify(ref.revision.slice(0, 100))} is not a branch, tag or commit name`;
  if (ref.path.split('/').some(bad)) return `the path ${JSON.stringify(ref.path.slice(0, 200))} has a '..', '.' or empty segment, a backslash or a control character`;
  return null;
}

/** `owner/name`, `datasets/owner/name`, optionally `@revision` (the `repos:` config form). */
export function parseRepoSpec(spec: string): HfRepo & { revision: string } {
  const at = spec.indexOf('@');
  const name = at < 0 ? spec : spec.slice(0, at);
  const revision = at < 0 ? 'main' : spec.slice(at + 1);
  const first = name.split('/')[0] ?? '';
  const type = PREFIX_TYPE[first] ?? 'model';
  return { type, id: type === 'model' ? name : name.slice(first.length + 1), revision };
}

/**
 * RFC 3986 normal form: every byte but the unreserved ones percent-encoded (as huggingface_hub's
 * `quote` does), so one file has one URL and no name can put a space, `#`, `?` or quote in it.
 */
export function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const encodePath = (path: string): string => path.split('/').map(encodeSegment).join('/');

/** Path of the download URL below the host: `/{prefix}{id}/resolve/{rev}/{path}`. */
export function resolvePath(ref: HfFileRef): string {
  return `/${TYPE_PREFIX[ref.type]}${ref.id}/resolve/${encodeSegment(ref.revision)}/${encodePath(ref.path)}`;
}

/** The URL the lock records: public host, whatever endpoint served the API. */
export function canonicalUrl(ref: HfFileRef): string {
  return PUBLIC_BASE.huggingface + resolvePath(ref);
}

/** The repo's page, where gated licences are accepted. */
export function repoPage(repo: HfRepo): string {
  return `${PUBLIC_BASE.huggingface}/${TYPE_PREFIX[repo.type]}${repo.id}`;
}

export function revisionApiPath(repo: HfRepo, revision: string): string {
  return `/api/${repo.type}s/${repo.id}/revision/${encodeSegment(revision)}`;
}

export function treeApiPath(repo: HfRepo, commit: string, dir: string, recursive: boolean): string {
  const sub = dir ? `/${encodePath(dir)}` : '';
  return `/api/${repo.type}s/${repo.id}/tree/${commit}${sub}?recursive=${recursive}&expand=false`;
}

export function repoLabel(repo: HfRepo): string {
  return `${TYPE_PREFIX[repo.type]}${repo.id}`;
}
