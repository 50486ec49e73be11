/**
 * The lock as rows of download.sh data: one row per file, sorted by key (a snapshot gives one row
 * per file of it). Pure; a lock entry the script cannot carry safely (NUL bytes, a malformed key
 * or pin) becomes a `refused` row with a reason, never an exception, so one bad entry cannot stop
 * the others from rendering.
 *
 * Each row names its root (src/core/roots.ts): MODELS_DIR (`dir` the folder's install directory),
 * COMFYUI_DIR (`base` models, or the pack's folder under custom_nodes, which must exist: one of
 * `base` in order), or the Hugging Face cache (`base` the repository's folder, with the commit,
 * the revision its ref names and the blob's ETag). `dir` + `name` is where the file lands below
 * its base (for the cache: below `snapshots/<commit>/`).
 */
import { installDirFor, modelDirsOf, PACK_CUSTOM_NODE_DIRS } from '../core/folders.js';
import { hfCacheFolder, parseKey, type ParsedKey } from '../core/roots.js';
import type { LockEntry, LockedModel, Lockfile } from '../core/types.js';
import { byString } from '../core/stable-json.js';
import { shComment } from './shell.js';

export interface ModelRow {
  key: string;
  /** Which root the file is under: `models` (MODELS_DIR), `comfyui` (COMFYUI_DIR), `hf-cache`. */
  root: 'models' | 'comfyui' | 'hf-cache';
  /**
   * Below the root: `models`, a pack's folder (`custom_nodes/<folder>`, the first of these that
   * exists; several are the names nodes.sh or ComfyUI-Manager may give it), or the cache folder
   * of the repository (`models--org--name`). Empty for MODELS_DIR.
   */
  bases: string[];
  /** Directory below the base that the file installs into (ComfyUI's default for a folder, or the pack's). */
  dir: string;
  name: string;
  size: number | null;
  /** Estimated size when the exact one is unknown (Civitai rounds): for the free-space check only. */
  approxSize: number | null;
  sha256: string | null;
  blake3: string | null;
  /** Which token may go with the URLs (`none` when the lock names one the script does not know). */
  auth: 'huggingface' | 'civitai' | 'none' | null;
  /** Other directories ComfyUI searches for this folder: a file already there counts as present. */
  also: string[];
  /** Primary URL first, then mirrors; canonical public hosts, rewritten at run time. */
  urls: string[];
  /** Hugging Face cache rows: the commit (snapshots/<commit>, refs/<revision>) and the blob's name. */
  hf: { commit: string; revision: string; etag: string } | null;
}

export interface NoteRow {
  /** The key with control characters made visible (NUL cannot reach a shell word). */
  key: string;
  reason: string;
}

export interface DownloadRows {
  models: ModelRow[];
  unresolved: NoteRow[];
  refused: NoteRow[];
}

const HEX64 = /^[0-9a-fA-F]{64}$/;
const ETAG = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** A relative directory the script may look into: plain segments, none of them `.` or `..`. */
const SAFE_DIR = /^(?!\.\.?(?:\/|$))[A-Za-z0-9_.-]+(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9_.-]+)*$/;
/** A Hugging Face download URL pinned to a commit: `…/resolve/<40 hex>/<path>`. */
const HF_PINNED = /^https:\/\/huggingface\.co\/(?:(datasets|spaces)\/)?(.+?)\/resolve\/([0-9a-f]{40})\/(.+)$/;

export function downloadRows(lock: Lockfile): DownloadRows {
  const rows: DownloadRows = { models: [], unresolved: [], refused: [] };
  for (const key of Object.keys(lock.models).sort(byString)) {
    for (const row of classify(key, lock.models[key]!)) {
      if (row.kind === 'model') rows.models.push(row.model);
      else rows[row.kind].push({ key: shComment(row.key ?? key), reason: shComment(row.reason) });
    }
  }
  rows.models.sort((a, b) => byString(a.key, b.key));
  return rows;
}

type Classified = { kind: 'model'; model: ModelRow } | { kind: 'unresolved' | 'refused'; reason: string; key?: string };

function classify(key: string, entry: LockEntry): Classified[] {
  const slash = key.indexOf('/');
  if (key.includes('\0')) return [{ kind: 'refused', reason: 'lock key contains a NUL byte' }];
  if (slash <= 0 || slash === key.length - 1) return [{ kind: 'refused', reason: 'lock key is not <folder>/<name>' }];
  const locked = entry.locked;
  if (!locked) return [{ kind: 'unresolved', reason: entry.unresolved?.reason ?? 'not pinned in the lock' }];
  const parsed = parseKey(key);
  if ('problem' in parsed) return [{ kind: 'refused', reason: parsed.problem }];
  const problem = pinProblem(locked);
  if (problem) return [{ kind: 'refused', reason: problem }];
  if (parsed.root === 'models') return [{ kind: 'model', model: modelRow(key, parsed, locked) }];
  if (!parsed.folder) return [rootedRow(key, parsed, locked, locked)];
  if (!locked.files || Object.keys(locked.files).length === 0) return [{ kind: 'refused', reason: 'a folder key needs the files of its snapshot' }];
  return Object.keys(locked.files).sort(byString).map((path) => {
    const fileKey = key + path;
    const file = locked.files![path]!;
    const fileParsed = parseKey(fileKey);
    if ('problem' in fileParsed || fileParsed.root === 'models') return { kind: 'refused', key: fileKey, reason: 'problem' in fileParsed ? fileParsed.problem : 'not a file of the snapshot' };
    const pin: LockedModel = { source: locked.source, url: file.url, sha256: file.sha256, size: file.size, ...(file.etag ? { etag: file.etag } : {}), ...(locked.auth ? { auth: locked.auth } : {}) };
    const fileProblem = pinProblem(pin);
    return fileProblem ? { kind: 'refused', key: fileKey, reason: fileProblem } : rootedRow(fileKey, fileParsed, pin, locked);
  });
}

function modelRow(key: string, parsed: Extract<ParsedKey, { root: 'models' }>, locked: LockedModel): ModelRow {
  const dir = installDirFor(parsed.folder);
  const known = modelDirsOf(parsed.folder) ?? [];
  return {
    ...pinFields(key, locked),
    root: 'models',
    bases: [],
    dir,
    name: parsed.name,
    also: known.filter((d) => d !== dir && SAFE_DIR.test(d)),
    hf: null,
  };
}

/** A file outside MODELS_DIR: under COMFYUI_DIR, or in the Hugging Face cache. */
function rootedRow(key: string, parsed: Exclude<ParsedKey, { root: 'models' }>, pin: LockedModel, entry: LockedModel): Classified {
  // Nothing outside MODELS_DIR is installed unverified: a wrong file there is loaded by a pack.
  if (pin.sha256 === null) return { kind: 'refused', key, reason: 'a file outside MODELS_DIR is installed only with a pinned sha256' };
  const cut = parsed.path.lastIndexOf('/');
  const [dir, name] = cut < 0 ? ['', parsed.path] : [parsed.path.slice(0, cut), parsed.path.slice(cut + 1)];
  const base = { ...pinFields(key, pin), also: [], dir, name };
  if (parsed.root === 'comfyui') {
    const bases = parsed.area === 'models' ? ['models'] : (PACK_CUSTOM_NODE_DIRS[parsed.pack] ?? [parsed.pack]).map((d) => `custom_nodes/${d}`);
    return { kind: 'model', model: { ...base, root: 'comfyui', bases, hf: null } };
  }
  // The cache's layout needs the commit, from the pinned URL of this very file.
  const m = HF_PINNED.exec(pin.url);
  const type = m?.[1] === 'datasets' ? 'dataset' : m?.[1] === 'spaces' ? 'space' : 'model';
  let urlPath: string | null = null;
  try {
    urlPath = m ? m[4]!.split('/').map(decodeURIComponent).join('/') : null;
  } catch {
    urlPath = null;
  }
  if (!m || type !== parsed.type || m[2] !== parsed.repo || urlPath !== parsed.path) {
    return { kind: 'refused', key, reason: 'the pin is not this file of this repository at a commit' };
  }
  const etag = pin.etag ?? null;
  if (!etag || !ETAG.test(etag)) return { kind: 'refused', key, reason: 'a file in the Hugging Face cache needs the ETag its blob is named by' };
  if (etag.length === 64 && etag !== pin.sha256!.toLowerCase()) return { kind: 'refused', key, reason: 'an LFS file\'s ETag is its sha256, and they differ' };
  return {
    kind: 'model',
    model: { ...base, root: 'hf-cache', bases: [hfCacheFolder(parsed.type, parsed.repo)], hf: { commit: m[3]!, revision: parsed.revision, etag }, auth: authOf(entry) },
  };
}

function pinFields(key: string, locked: LockedModel): Pick<ModelRow, 'key' | 'size' | 'approxSize' | 'sha256' | 'blake3' | 'auth' | 'urls'> {
  return {
    key,
    size: locked.size ?? null,
    approxSize: locked.size == null && isByteCount(locked.approxSize) ? locked.approxSize : null,
    sha256: locked.sha256 === null ? null : locked.sha256.toLowerCase(),
    blake3: locked.blake3 ? locked.blake3.toLowerCase() : null,
    auth: authOf(locked),
    urls: [...new Set([locked.url, ...(locked.mirrors ?? [])])],
  };
}

function authOf(locked: LockedModel): ModelRow['auth'] {
  return locked.auth === undefined ? null : locked.auth === 'huggingface' || locked.auth === 'civitai' ? locked.auth : 'none';
}

/** Why a pin cannot be written into the script, or null when it can. */
function pinProblem(locked: LockedModel): string | null {
  const urls = [locked.url, ...(locked.mirrors ?? [])];
  if (urls.some((u) => typeof u !== 'string' || u === '')) return 'pin has an empty URL';
  if (urls.some((u) => u.includes('\0'))) return 'pin URL contains a NUL byte';
  if (locked.sha256 !== null && !(typeof locked.sha256 === 'string' && HEX64.test(locked.sha256))) {
    return 'pinned sha256 is not 64 hex digits';
  }
  if (locked.blake3 !== undefined && !(typeof locked.blake3 === 'string' && HEX64.test(locked.blake3))) {
    return 'pinned blake3 is not 64 hex digits';
  }
  const size = locked.size;
  if (size !== null && size !== undefined && !isByteCount(size)) {
    return 'pinned size is not a whole number of bytes';
  }
  return null;
}

function isByteCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}
