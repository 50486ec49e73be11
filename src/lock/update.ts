/**
 * The lock's planning function (Nix flake.lock semantics): keep what is pinned, add what is new,
 * replace what was re-resolved, drop what no workflow needs any more, unless `keepUnneeded`
 * (a workflow could not be read, so "no workflow needs it" is not known). Pure.
 */
import { byString, stableStringify } from '../core/stable-json.js';
import type { ComfyuiLockEntry, LockChange, LockEntry, Lockfile, ModelKey, NodeLockEntry, PythonLock } from '../core/types.js';

export interface LockPlan {
  lock: Lockfile;
  changes: LockChange[];
  /** Entries `keepUnneeded` kept although nothing asked for them (packs as `node:<id>`). */
  kept: string[];
  /** Entries `keepUnneeded` would have kept but `keepable` refused, with why: dropped. */
  refused: { key: string; why: string }[];
}

export function updateLock(
  previous: Lockfile | null,
  needed: readonly ModelKey[],
  fresh: ReadonlyMap<ModelKey, LockEntry>,
  nodes?: Record<string, NodeLockEntry>,
  opts: {
    keepUnneeded?: boolean;
    /** Why a model key no workflow names must not be kept (null: keep it); such entries are dropped. */
    unkeepable?: (key: ModelKey) => string | null;
    comfyui?: ComfyuiLockEntry;
    python?: PythonLock;
  } = {},
): LockPlan {
  const before = previous?.models ?? {};
  const keys = new Set(needed);
  const kept: string[] = [];
  const refused: { key: string; why: string }[] = [];
  if (opts.keepUnneeded) {
    for (const key of Object.keys(before)) {
      if (keys.has(key)) continue;
      const why = opts.unkeepable?.(key) ?? null;
      if (why === null) kept.push(key);
      else refused.push({ key, why });
    }
    for (const key of kept) keys.add(key);
  }
  const models: Record<ModelKey, LockEntry> = {};
  for (const key of [...keys].sort(byString)) {
    const entry = fresh.get(key) ?? before[key];
    if (entry) models[key] = entry;
  }
  const changes: LockChange[] = [];
  diffMaps(before, models, changes);
  let nextNodes = nodes ?? previous?.nodes;
  if (nodes && opts.keepUnneeded) {
    for (const id of Object.keys(previous?.nodes ?? {})) if (!(id in nodes)) kept.push(`node:${id}`);
    nextNodes = { ...previous?.nodes, ...nodes };
  }
  if (nextNodes || previous?.nodes) diffMaps(previous?.nodes ?? {}, nextNodes ?? {}, changes, 'node:');
  // ComfyUI and the Python plan: present while the config asks for them, gone when it stops.
  for (const key of ['comfyui', 'python'] as const) {
    const [was, now] = [previous?.[key], opts[key]];
    if (now !== undefined && was === undefined) changes.push({ kind: 'added', key });
    else if (now === undefined && was !== undefined) changes.push({ kind: 'removed', key });
    else if (now !== undefined && stableStringify(now) !== stableStringify(was)) changes.push({ kind: 'updated', key });
  }
  const lock: Lockfile = { version: 1, models };
  if (nextNodes && Object.keys(nextNodes).length > 0) lock.nodes = sortRecord(nextNodes);
  if (opts.comfyui) lock.comfyui = opts.comfyui;
  if (opts.python) lock.python = opts.python;
  return { lock, changes: changes.sort((a, b) => byString(a.key, b.key)), kept, refused };
}

function diffMaps(before: Record<string, unknown>, after: Record<string, unknown>, out: LockChange[], prefix = ''): void {
  for (const key of Object.keys(after)) {
    if (!(key in before)) out.push({ kind: 'added', key: prefix + key });
    else if (stableStringify(before[key]) !== stableStringify(after[key])) out.push({ kind: 'updated', key: prefix + key });
  }
  for (const key of Object.keys(before)) if (!(key in after)) out.push({ kind: 'removed', key: prefix + key });
}

function sortRecord<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => byString(a, b)));
}

export function serializeLock(lock: Lockfile): string {
  return stableStringify(lock);
}

export function formatChange(change: LockChange): string {
  const sign = change.kind === 'added' ? '+' : change.kind === 'updated' ? '~' : '-';
  return `${sign} ${change.kind} ${change.key}`;
}
