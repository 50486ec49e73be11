/**
 * The one shape every source plugin has (STYLE.md §3). A source gets the refs nobody has pinned
 * yet, in one batch (Civitai by-hash wants batches), and answers per model key.
 * Caching, retries, concurrency and error classification live in the registry / io/http, not here.
 */
import type { Diagnostic, FetchSpec, LocalFile, LockEntry, LockedModel, ModelKey } from '../core/types.js';
import type { SourceApi } from './api.js';

export interface ResolveRequest {
  key: ModelKey;
  folder: string;
  name: string;
  /** URLs the workflows gave for this model, first one first (embedded url, then mirrors). */
  urls: string[];
  /** sha256 the workflow declared (hint, lower-case hex), if any. */
  declaredSha256: string | null;
  /** The local file matched for this ref, if any (enables lookups by content). */
  local: LocalFile | null;
  /** What a self-downloading node fetches for this key (its pack's URLs, or a snapshot). */
  fetch?: FetchSpec;
}

export type Resolution =
  /** Pinned: recorded in the lock. */
  | { status: 'pinned'; original: LockEntry['original']; locked: LockedModel }
  /** This source does not know the model; the next source is asked. */
  | { status: 'miss'; reason?: string }
  /**
   * This source knows the model but cannot pin it (gated, auth, offline…); the next is asked.
   * `transient`: the answer says nothing about the model, only that its service was not asked
   * (`offline`) or did not answer (`unavailable`: unreachable, no answer in time, rate limits,
   * server errors). Such a failure never changes a lock entry, and its reason is the same words
   * on every machine and in every run (see `unavailable` in resolution.ts).
   */
  | { status: 'failed'; reason: string; hint?: string; trouble?: ServiceTrouble; transient?: 'offline' | 'unavailable' };

/** Runtime settings read from the environment. Tokens never leave this object except as headers. */
export interface SourceEnv {
  hfEndpoint: string;
  civitaiEndpoint: string;
  /** Where github.com URLs are fetched from at build time (`GITHUB_ENDPOINT`: a mirror, or tests). */
  githubEndpoint: string;
  hfToken: string | null;
  civitaiToken: string | null;
  /** The variable each token came from (`HF_TOKEN` or `HF_API_TOKEN`…), so messages name the one the user set. */
  hfTokenVar: string | null;
  civitaiTokenVar: string | null;
}

/**
 * A service failing as a whole rather than on one model or pack: unreachable, not answering in time,
 * refusing the token, a gated repository, rate limits, server errors, unreadable answers. The
 * build says it once for every model it cost (the lock and report.md say it per model).
 */
export interface ServiceTrouble {
  /** The model sources' services, and the node packs' (`comfy-registry`, a `git` host). */
  service: 'huggingface' | 'civitai' | 'comfy-registry' | 'git';
  kind: 'unreachable' | 'timeout' | 'auth' | 'gated' | 'rate-limited' | 'server-error' | 'bad-answer';
  /** In a few words, without a URL: `HTTP 401`, `network error (ECONNREFUSED)`; for `gated`, the repository. */
  detail: string;
  /** The host that failed, a mirror's when one is set (then `via` names its variable). */
  host?: string;
  via?: string;
  /** For `auth`: the token variable that was sent, or null when none was set. */
  tokenVar?: string | null;
}

/**
 * An entry that service troubles left unresolved or as the lock had it: a model key, `node:<id>`
 * for a custom node pack, `node type:<Type>` for a node type that could not be looked up.
 */
export interface Affected {
  key: string;
  troubles: readonly ServiceTrouble[];
  /** The lock kept the entry it had, instead of this run's incomplete answer. */
  kept: boolean;
}

export interface SourceContext {
  offline: boolean;
  env: SourceEnv;
  configDir: string;
  /** SHA-256 of a local file's whole content (cached; reads the file at most once per change). */
  hashLocal(file: LocalFile): Promise<{ sha256: string }>;
  report(diagnostic: Diagnostic): void;
  /** Network, cache and offline mode, shared by every source (created by `createSourceContext`). */
  api: SourceApi;
  /** A source calls this once it has its final answer for a model (progress; `resolveEach` does it). */
  answered?(key: ModelKey): void;
}

export interface Source {
  /** Source id as written in config (`huggingface`, `civitai`, …) and in `locked.source`. */
  id: string;
  resolve(requests: ResolveRequest[], ctx: SourceContext): Promise<Map<ModelKey, Resolution>>;
}

/** A `sources[]` entry of comfy.config.ts, after validation and normalisation (paths absolute). */
export type SourceConfig =
  | { type: 'url'; files: Record<ModelKey, { url: string; sha256?: string; size?: number }> }
  | { type: 'embedded' }
  | { type: 'huggingface'; repos: string[] }
  | { type: 'civitai' }
  | { type: 'catalog'; path: string };
