/**
 * What the pinning strategies share during one `resolvePacks` call, and the shape of their answer.
 */
import type { Diagnostic, NodeLockEntry } from '../core/types.js';
import type { HttpClient } from '../io/http.js';
import type { JsonCache } from './cache.js';
import type { GitStore } from './git.js';
import type { RegistryClient } from './registry.js';
import type { PackNote, ResolvePacksOptions } from './types.js';

export type Locked = NonNullable<NodeLockEntry['locked']>;

/** A strategy pins (`locked`) or says why it cannot, in words for the lock's `unresolved.reason`. */
export type Outcome = { locked: Locked; ver?: string } | { unresolved: string; transient?: boolean };

export interface ResolveContext {
  opts: ResolvePacksOptions;
  registry: RegistryClient;
  http: HttpClient;
  git: GitStore;
  zipHashes: JsonCache<{ sha256: string; size: number }>;
  report(d: Diagnostic): void;
  note(n: PackNote): void;
}

/** `transient`: the cause may go away (network, server error), so an older pin is worth keeping. */
export function unresolved(reason: string, transient = false): Outcome {
  return transient ? { unresolved: reason, transient } : { unresolved: reason };
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
