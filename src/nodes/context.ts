/**
 * What the pinning strategies share during one `resolvePacks` call, and the shape of their answer.
 */
import type { Diagnostic, NodeLockEntry } from '../core/types.js';
import type { Affected, ServiceTrouble } from '../sources/types.js';
import type { HttpClient } from '../io/http.js';
import type { JsonCache } from './cache.js';
import type { GitStore } from './git.js';
import type { RegistryClient } from './registry.js';
import type { PackNote, ResolvePacksOptions } from './types.js';

export type Locked = NonNullable<NodeLockEntry['locked']>;

/**
 * Why a registry or git lookup failed: `message` in words for the lock (canonical URLs only, the
 * same on every machine), whether the cause may go away (`transient`: network, timeouts, rate
 * limits, server errors; the message is then the neutral "… unavailable"), and the service
 * trouble behind it for the terminal (host, mirror variable, the error itself).
 */
export interface PackFailure {
  message: string;
  transient: boolean;
  trouble?: ServiceTrouble;
}

/** A strategy pins (`locked`) or says why it cannot, in words for the lock's `unresolved.reason`. */
export type Outcome = { locked: Locked; ver?: string } | Unresolved;
export type Unresolved = { unresolved: string; transient?: boolean; trouble?: ServiceTrouble };

export interface ResolveContext {
  opts: ResolvePacksOptions;
  registry: RegistryClient;
  http: HttpClient;
  git: GitStore;
  zipHashes: JsonCache<{ sha256: string; size: number }>;
  report(d: Diagnostic): void;
  note(n: PackNote): void;
  /** A pack or node type a failing service left as it was, unresolved or not looked up. */
  affected(a: Affected): void;
}

/** A pack that cannot be pinned, for a reason about the pack itself (no such version, withdrawn…). */
export function unresolved(reason: string): Unresolved {
  return { unresolved: reason };
}

/**
 * A lookup that failed: a transient failure keeps its neutral words (an older entry is worth
 * keeping: see resolve.ts); any other is prefixed with what was being looked up.
 */
export function failedWith(f: PackFailure, context?: string): Unresolved {
  const reason = f.transient || context === undefined ? f.message : `${context}: ${f.message}`;
  return { unresolved: reason, ...(f.transient ? { transient: true } : {}), ...(f.trouble ? { trouble: f.trouble } : {}) };
}

/** The lock's words for a service that did not answer: the canonical host, never a mirror or an error name. */
export function unavailableHost(host: string): string {
  return `${host} unavailable; the next build asks again`;
}

/** One pack to pin, gathered from the workflows, node-type lookups and config pins. */
export interface Want {
  /** Lock key (lower-case). */
  key: string;
  /** Registry id to ask the registry with, when the pack is (or may be) registered. */
  cnrId: string | null;
  auxId: string | null;
  /** Canonical repository given by the workflow (`aux_id`). */
  repo: string | null;
  versions: { ver: string; workflows: string[] }[];
  /** True when only node types revealed the pack; `nodeTypes` then go into `original`. */
  byType: boolean;
  nodeTypes: string[];
  workflows: string[];
}
