/**
 * What a pack id, a version, a repository URL and an install directory may look like. Workflows
 * carry whatever a pack's JavaScript stamped into them, so every value is checked here before it
 * is used in a URL, a path or a script (custom-nodes.md §1: "Validate before use").
 */

/** Registry id rule of the ComfyUI frontend's workflow schema. */
const REGISTRY_ID = /^[a-zA-Z0-9](?:[a-zA-Z0-9._-]*[a-zA-Z0-9])?$/;
/** GitHub owner (alnum and single hyphens) / repository name. */
const AUX_ID = /^([a-zA-Z0-9](?:[a-zA-Z0-9-]{0,38}))\/([a-zA-Z0-9._-]{1,100})$/;
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;
const HEX = /^[0-9a-fA-F]{4,40}$/;
/** A directory name under custom_nodes: one safe path segment, never hidden, never `.`/`..`. */
const SAFE_DIR = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
/** URL path segments we accept in a repository URL. */
const SAFE_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

export const CANONICAL_GITHUB = 'https://github.com';
export const CANONICAL_REGISTRY = 'https://api.comfy.org';

export function isRegistryId(value: string): boolean {
  return value.length <= 100 && REGISTRY_ID.test(value);
}

export function isAuxId(value: string): boolean {
  const m = AUX_ID.exec(value);
  return m !== null && m[2] !== '.' && m[2] !== '..';
}

export function isSafeDir(value: string): boolean {
  return SAFE_DIR.test(value) && !value.endsWith('.');
}

export function isFullCommit(value: string): boolean {
  return /^[0-9a-f]{40}$/.test(value);
}

export function isSha256(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}

export type VersionKind = 'semver' | 'commit' | 'unknown';

/**
 * Normalises a workflow `ver`: semver (leading `v` dropped), hex commit (4–40, lower-cased) or
 * `unknown`. Anything else is `null` (invalid; the caller reports it and treats it as unknown).
 */
export function normalizeVersion(raw: string | null | undefined): { kind: VersionKind; ver: string } | null {
  if (raw === null || raw === undefined) return { kind: 'unknown', ver: 'unknown' };
  const trimmed = raw.trim();
  if (trimmed === '' || trimmed.toLowerCase() === 'unknown') return { kind: 'unknown', ver: 'unknown' };
  const bare = /^v\d/i.test(trimmed) ? trimmed.slice(1) : trimmed;
  if (SEMVER.test(bare)) return { kind: 'semver', ver: bare };
  if (HEX.test(bare)) return { kind: 'commit', ver: bare.toLowerCase() };
  return null;
}

export function versionKind(ver: string): VersionKind {
  if (ver === 'unknown') return 'unknown';
  return SEMVER.test(ver) ? 'semver' : 'commit';
}

/** Semver precedence (pre-releases sort below their release; build metadata ignored). */
export function compareSemver(a: string, b: string): number {
  const pa = SEMVER.exec(a);
  const pb = SEMVER.exec(b);
  if (!pa || !pb) return a < b ? -1 : a > b ? 1 : 0;
  for (let i = 1; i <= 3; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0) return Math.sign(d);
  }
  const [preA, preB] = [pa[4], pb[4]];
  if (preA === undefined || preB === undefined) return preA === preB ? 0 : preA === undefined ? 1 : -1;
  const [xs, ys] = [preA.split('.'), preB.split('.')];
  for (let i = 0; i < Math.max(xs.length, ys.length); i++) {
    const [x, y] = [xs[i], ys[i]];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    if (x === y) continue;
    const [nx, ny] = [/^\d+$/.test(x), /^\d+$/.test(y)];
    if (nx && ny) return Math.sign(Number(x) - Number(y));
    if (nx !== ny) return nx ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * The canonical form of a repository URL, or null when it is not one we can fetch safely.
 * GitHub in any spelling (`https`, `http`, `git@`, `.git`, trailing `/`, `owner/repo`) becomes
 * `https://github.com/o/r`; other hosts must already be plain `https://host/segments`.
 */
export function canonicalRepo(raw: string): string | null {
  const value = raw.trim();
  if (isAuxId(value)) return `${CANONICAL_GITHUB}/${value}`;
  const gh = /^(?:https?:\/\/(?:www\.)?github\.com\/|git@github\.com:|ssh:\/\/git@github\.com\/)([^/]+)\/([^/]+?)(?:\.git)?\/?$/i.exec(value);
  if (gh) {
    const id = `${gh[1]}/${gh[2]}`;
    return isAuxId(id) ? `${CANONICAL_GITHUB}/${id}` : null;
  }
  const other = /^https:\/\/([a-z0-9.-]+\.[a-z]{2,})(\/.+)$/i.exec(value.replace(/\/+$/, '').replace(/\.git$/, ''));
  if (!other || !other[1] || !other[2]) return null;
  const segments = other[2].split('/').slice(1);
  if (segments.length < 2 || !segments.every((s) => SAFE_SEGMENT.test(s))) return null;
  return `https://${other[1].toLowerCase()}/${segments.join('/')}`;
}

/** `<dir>` of a git pack: the repository name. */
export function repoDir(canonical: string): string {
  return canonical.slice(canonical.lastIndexOf('/') + 1);
}

/** A registry zip URL we are willing to put in a lock: https, no whitespace or control bytes. */
export function isSafeHttpsUrl(value: string): boolean {
  return /^https:\/\/[A-Za-z0-9.-]+(?::\d+)?\/[A-Za-z0-9._~\/%+@=&?:-]*$/.test(value);
}

/** `custom_nodes/<dir>` of a pinned pack: the repository name for git, the registry id for zips. */
export function packDir(locked: { type: 'git'; repo: string } | { type: 'registry'; id: string }): string {
  return locked.type === 'git' ? repoDir(locked.repo) : locked.id;
}
