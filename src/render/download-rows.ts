/**
 * The lock as rows of download.sh data: one row per model, sorted by key. Pure; a lock entry the
 * script cannot carry safely (NUL bytes, a malformed key or pin) becomes a `refused` row with a
 * reason, never an exception, so one bad entry cannot stop the others from rendering.
 */
import { installDirFor, modelDirsOf } from '../core/folders.js';
import { isRootedKey } from '../core/roots.js';
import type { LockEntry, LockedModel, Lockfile } from '../core/types.js';
import { byString } from '../core/stable-json.js';
import { shComment } from './shell.js';

export interface ModelRow {
  key: string;
  /** Directory under MODELS_DIR that the file installs into (ComfyUI's default for the folder, or the pack's). */
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
/** A relative directory the script may look into: plain segments, none of them `.` or `..`. */
const SAFE_DIR = /^(?!\.\.?(?:\/|$))[A-Za-z0-9_.-]+(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9_.-]+)*$/;

export function downloadRows(lock: Lockfile): DownloadRows {
  const rows: DownloadRows = { models: [], unresolved: [], refused: [] };
  for (const key of Object.keys(lock.models).sort(byString)) {
    const row = classify(key, lock.models[key]!);
    if (row.kind === 'model') rows.models.push(row.model);
    else rows[row.kind].push({ key: shComment(key), reason: shComment(row.reason) });
  }
  return rows;
}

type Classified = { kind: 'model'; model: ModelRow } | { kind: 'unresolved' | 'refused'; reason: string };

function classify(key: string, entry: LockEntry): Classified {
  const slash = key.indexOf('/');
  if (key.includes('\0')) return { kind: 'refused', reason: 'lock key contains a NUL byte' };
  if (slash <= 0 || slash === key.length - 1) return { kind: 'refused', reason: 'lock key is not <folder>/<name>' };
  if (isRootedKey(key)) return { kind: 'refused', reason: 'this download.sh installs only under MODELS_DIR' };
  const locked = entry.locked;
  if (!locked) return { kind: 'unresolved', reason: entry.unresolved?.reason ?? 'not pinned in the lock' };
  const problem = pinProblem(locked);
  if (problem) return { kind: 'refused', reason: problem };

  const folder = key.slice(0, slash);
  const dir = installDirFor(folder);
  const known = modelDirsOf(folder) ?? [];
  const model: ModelRow = {
    key,
    dir,
    name: key.slice(slash + 1),
    size: locked.size ?? null,
    approxSize: locked.size == null && isByteCount(locked.approxSize) ? locked.approxSize : null,
    sha256: locked.sha256 === null ? null : locked.sha256.toLowerCase(),
    blake3: locked.blake3 ? locked.blake3.toLowerCase() : null,
    auth: locked.auth === undefined ? null : locked.auth === 'huggingface' || locked.auth === 'civitai' ? locked.auth : 'none',
    also: known.filter((d) => d !== dir && SAFE_DIR.test(d)),
    urls: [...new Set([locked.url, ...(locked.mirrors ?? [])])],
  };
  return { kind: 'model', model };
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
