/**
 * What the build hands every source: environment (endpoints, tokens), offline mode, local
 * hashing, diagnostics, and the registry-level API access (cache, retries, limits).
 */
import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import type { Diagnostic } from '../core/types.js';
import { openCache } from '../io/cache.js';
import { createHttpClient, type HttpOptions } from '../io/http.js';
import { createSourceApi } from './api.js';
import type { SourceContext, SourceEnv } from './types.js';

export { readSourceEnv } from './env.js';

export interface SourceContextOptions {
  offline: boolean;
  env: SourceEnv;
  configDir: string;
  /** `.comfygen/` beside the config; answers go to `<cacheDir>/sources/`. Null = memory only. */
  cacheDir: string | null;
  hashLocal: SourceContext['hashLocal'];
  report: (diagnostic: Diagnostic) => void;
  fetchImpl?: HttpOptions['fetchImpl'];
  dispatcher?: Dispatcher;
  /** Retry, timeout and concurrency settings (tests shorten the waits). */
  http?: Omit<HttpOptions, 'fetchImpl' | 'dispatcher'>;
  /** How long answers about branches and searches are reused (default 1 h). */
  mutableTtlMs?: number;
  /** Ignore cached answers about branches and searches (`--update`); still stores new ones. */
  refresh?: boolean;
}

export interface OpenSourceContext extends SourceContext {
  /** Waits for cache writes; call once, after the last resolve. */
  close(): Promise<void>;
  stats(): { requests: number; cacheHits: number };
}

export async function createSourceContext(opts: SourceContextOptions): Promise<OpenSourceContext> {
  let cacheWarned = false;
  const cache = openCache(opts.cacheDir === null ? null : join(opts.cacheDir, 'sources'), {
    onError: (err) => {
      if (cacheWarned) return;
      cacheWarned = true;
      opts.report({ code: 'cache-error', severity: 'warning', message: `source cache unusable, continuing without it: ${(err as Error).message}` });
    },
  });
  const http = createHttpClient({ ...opts.http, fetchImpl: opts.fetchImpl, dispatcher: opts.dispatcher });
  let cacheHits = 0;
  const api = createSourceApi({
    offline: opts.offline,
    env: opts.env,
    http,
    cache,
    mutableTtlMs: opts.mutableTtlMs,
    refresh: opts.refresh,
    onCacheHit: () => cacheHits++,
  });
  return {
    offline: opts.offline,
    env: opts.env,
    configDir: opts.configDir,
    hashLocal: opts.hashLocal,
    report: opts.report,
    api,
    close: () => cache.close(),
    stats: () => ({ requests: http.requests, cacheHits }),
  };
}
