/**
 * What every source gets for talking to an API (registry level, STYLE.md §3): endpoint and token
 * per service, the answer cache, offline mode, schema validation at the boundary, and failures
 * turned into messages that name the canonical URL. Plugins describe calls; they never fetch.
 */
import { createHash } from 'node:crypto';
import * as v from 'valibot';
import type { AnswerCache } from '../io/cache.js';
import { withoutQuery, type HeaderBag, type HttpClient, type HttpResult } from '../io/http.js';
import { ANSWER_FRAGMENT, cutTokens, MESSAGE_FRAGMENT } from './tokens.js';
import type { SourceEnv } from './types.js';

/** The services behind the sources; also the cache namespaces. */
export type Service = 'huggingface' | 'civitai';

export const PUBLIC_BASE: Readonly<Record<Service, string>> = {
  huggingface: 'https://huggingface.co',
  civitai: 'https://civitai.com',
};

export type Freshness = 'immutable' | 'mutable';

export interface ApiCall<T> {
  service: Service;
  method?: 'GET' | 'HEAD' | 'POST';
  /** Path and query below the service endpoint, starting with `/`. */
  path: string;
  /** JSON request body (POST). */
  body?: unknown;
  /** Schema of the JSON answer; HEAD calls and calls without one get `null` data. */
  schema?: v.GenericSchema<unknown, T>;
  /** Response headers to keep (lower-case); only these are cached. */
  keepHeaders?: string[];
  /** Cache the successful answer (default: not cached). */
  cache?: Freshness;
}

export interface ApiSuccess<T> {
  ok: true;
  status: number;
  headers: Record<string, string>;
  data: T;
}

export interface ApiFailure {
  ok: false;
  kind: 'http' | 'network' | 'timeout' | 'schema' | 'offline';
  /** HTTP status, for `http`. */
  status?: number;
  /** `X-Error-Code` (Hugging Face). */
  errorCode?: string;
  /** Server's own words (`error` / `message` / `X-Error-Message`), if any. */
  serverMessage?: string;
  /** Canonical URL without query; the message already names it. */
  url: string;
  /**
   * What failed, naming the canonical URL and never the endpoint it went through (a mirror is
   * this machine's business: `via` says it, for the terminal only).
   */
  message: string;
  /** The service asked, and the host that answered (or not): a mirror's when one is set. */
  service?: Service;
  host?: string;
  /** The endpoint variable the call went through (`HF_ENDPOINT`), when it points at a mirror. */
  via?: string;
  /** The failure in a few words, without the URL: `HTTP 401`, `network error (ECONNREFUSED)`. */
  detail?: string;
}

/** The variable that moves each service to a mirror (DESIGN §2). */
export const ENDPOINT_VARIABLE: Readonly<Record<Service, string>> = { huggingface: 'HF_ENDPOINT', civitai: 'CIVITAI_ENDPOINT' };

/** How the terminal names a URL: the public one, and the mirror variable when one was in the way. */
export function shownUrl(f: Pick<ApiFailure, 'url' | 'via'>): string {
  return f.via ? `${f.url} (via ${f.via})` : f.url;
}

/**
 * Cuts the tokens' own text from a message comfygen composed: a server may quote the token it
 * refused, and its words reach the lock's reasons, report.md, the cache and the terminal. (The
 * server's own words had parts of tokens cut at the boundary already: see tokens.ts.)
 */
export function scrubTokens(text: string, env: Pick<SourceEnv, 'hfToken' | 'civitaiToken'>): string {
  return cutTokens(text, [env.hfToken, env.civitaiToken]);
}

export type ApiAnswer<T> = ApiSuccess<T> | ApiFailure;

export interface SourceApi {
  readonly offline: boolean;
  call<T = null>(call: ApiCall<T>): Promise<ApiAnswer<T>>;
  /**
   * Get-or-compute through the cache: online, a fresh entry or `compute()` (stored when ok);
   * offline, any stored entry or an `offline` failure. For answers assembled from several calls.
   */
  cached<T>(
    service: Service, key: string, freshness: Freshness, compute: () => Promise<ApiAnswer<T>>, url?: string,
  ): Promise<ApiAnswer<T>>;
  /** A stored answer, under the same freshness and offline rules as `cached` (no network). */
  recall<T>(service: Service, key: string, freshness: Freshness): Promise<T | undefined>;
  /** Store an answer assembled by the caller (batched lookups store one entry per item). */
  remember(service: Service, key: string, value: unknown): void;
  /** Download a small file and hash it (sha256 of the bytes); cached as immutable when `path` is pinned. */
  hashFile(service: Service, path: string, maxBytes: number): Promise<ApiAnswer<{ sha256: string; size: number }>>;
  /**
   * Download a file of any host and size and hash it as it streams (nothing kept, no token sent,
   * never cached: such a URL may change). `url` is how it is named, `fetchUrl` where it is fetched
   * from on this machine (a mirror of it).
   */
  hashUrl(url: string, fetchUrl: string): Promise<ApiAnswer<{ sha256: string; size: number; contentType: string; head: Buffer }>>;
  /**
   * How many bytes `url` serves, as its server says: the total of a ranged GET for the first byte
   * (redirects followed), or a HEAD's Content-Length when the server ignores ranges. A Hugging
   * Face or Civitai URL goes through its endpoint, with its token when `auth` names that service
   * (never to another host). Not cached; offline, not asked.
   */
  sizeOf(url: string, auth: Service | null): Promise<{ ok: true; size: number } | { ok: false; detail: string; transient: boolean }>;
  /** `https://huggingface.co` + path, whatever endpoint the call went through. */
  publicUrl(service: Service, path: string): string;
  /** A URL the service gave back (pagination links) as a path below its endpoint. */
  pathOf(service: Service, url: string): string;
}

export interface SourceApiOptions {
  offline: boolean;
  env: SourceEnv;
  http: HttpClient;
  cache: AnswerCache;
  /** Mutable answers (branches, searches) are reused for this long (default 1 h). */
  mutableTtlMs?: number;
  /** Ignore cached mutable answers (re-resolution asked for), still storing new ones. */
  refresh?: boolean;
  now?: () => number;
  onCacheHit?: () => void;
}

export function createSourceApi(opts: SourceApiOptions): SourceApi {
  const mutableTtlMs = opts.mutableTtlMs ?? 3600_000;
  const now = opts.now ?? Date.now;
  const endpoint = (s: Service): string =>
    (s === 'huggingface' ? opts.env.hfEndpoint : opts.env.civitaiEndpoint).replace(/\/+$/, '');
  const token = (s: Service): string | null => (s === 'huggingface' ? opts.env.hfToken : opts.env.civitaiToken);
  const publicUrl = (s: Service, path: string): string => PUBLIC_BASE[s] + path;
  // Every failure carries the mirror's variable when one was in the way, for the terminal; messages
  // name the public URL only, since they reach the lock and report.md, which must not vary by machine.
  const viaOf = (s: Service): { via?: string } => (endpoint(s) === PUBLIC_BASE[s] ? {} : { via: ENDPOINT_VARIABLE[s] });
  const label = (s: Service, url: string): string => shownUrl({ url, ...viaOf(s) });
  const offlineFailure = (service: Service, url: string): ApiFailure => ({ ok: false, kind: 'offline', service, url, message: `${url}: not asked (offline), not in the cache` });
  // A server may quote the token it refused ("token hf_… invalid", or a preview of it): its words
  // reach the lock's reasons, report.md, download.sh and the cache, so the tokens' text, whole or
  // in part, is cut from them before anything shortens them; messages are checked again whole.
  const hide = (text: string): string => cutTokens(text, [opts.env.hfToken, opts.env.civitaiToken], MESSAGE_FRAGMENT);
  const withoutTokens = <T>(answer: ApiAnswer<T>): ApiAnswer<T> => {
    if (answer.ok) return answer;
    const whole = (text: string) => scrubTokens(text, opts.env);
    return { ...answer, message: whole(answer.message), ...(answer.serverMessage ? { serverMessage: whole(answer.serverMessage) } : {}) };
  };
  /** A transport failure (no HTTP answer) as an API failure; an oversized answer or a redirect loop is a bad answer. */
  const transportFailure = (s: Service, url: string, res: Extract<HttpResult, { ok: false }>): ApiFailure => ({
    ok: false, kind: res.kind === 'timeout' ? 'timeout' : res.kind === 'too-large' || res.kind === 'redirects' ? 'schema' : 'network', url, message: `${url}: ${res.detail}`,
    service: s, host: res.host, detail: res.detail, ...viaOf(s),
  });

  // Concurrent asks for the same answer (many files of one repo) share one request.
  const inflight = new Map<string, Promise<ApiAnswer<unknown>>>();
  function cached<T>(
    service: Service, key: string, freshness: Freshness, compute: () => Promise<ApiAnswer<T>>, url?: string,
  ): Promise<ApiAnswer<T>> {
    const id = `${service} ${key}`;
    let answer = inflight.get(id) as Promise<ApiAnswer<T>> | undefined;
    if (!answer) {
      answer = lookup(service, key, freshness, compute, url).finally(() => inflight.delete(id));
      inflight.set(id, answer);
    }
    return answer;
  }

  async function lookup<T>(
    service: Service, key: string, freshness: Freshness, compute: () => Promise<ApiAnswer<T>>, url?: string,
  ): Promise<ApiAnswer<T>> {
    const hit = await recall<ApiSuccess<T>>(service, key, freshness);
    if (hit) return hit;
    if (opts.offline) return offlineFailure(service, url ?? PUBLIC_BASE[service]);
    const answer = await compute();
    if (answer.ok) opts.cache.set(service, key, answer);
    return answer;
  }

  async function recall<T>(service: Service, key: string, freshness: Freshness): Promise<T | undefined> {
    const hit = await opts.cache.get<T>(service, key);
    if (!hit) return undefined;
    const fresh = freshness === 'immutable' || (!opts.refresh && now() - hit.at < mutableTtlMs);
    if (!opts.offline && !fresh) return undefined;
    opts.onCacheHit?.();
    return hit.value;
  }

  async function fetchOnce<T>(call: ApiCall<T>): Promise<ApiAnswer<T>> {
    return withoutTokens(await fetchRaw(call));
  }

  async function fetchRaw<T>(call: ApiCall<T>): Promise<ApiAnswer<T>> {
    const method = call.method ?? 'GET';
    const url = withoutQuery(publicUrl(call.service, call.path));
    if (opts.offline) return offlineFailure(call.service, url);
    const tok = token(call.service);
    const res = await opts.http.send({
      method,
      url: endpoint(call.service) + call.path,
      label: label(call.service, url),
      authorization: tok ? `Bearer ${tok}` : null,
      headers: call.body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
    });
    if (!res.ok) return transportFailure(call.service, url, res);
    // The answer's text without the token it may quote, before anything parses, keeps or cuts it:
    // a file name, a link or an error that echoes it would reach the lock and the cache.
    const text = cutTokens(res.body.toString('utf8'), [tok], ANSWER_FRAGMENT);
    const headers: Record<string, string> = {};
    for (const name of call.keepHeaders ?? []) {
      const value = res.headers.get(name);
      if (value !== null) headers[name] = hide(value);
    }
    const where = { url, service: call.service, host: hostOf(res.url), ...viaOf(call.service) };
    const failure = httpFailure(res.status, res.headers, text, where, hide);
    if (failure) return failure;
    if (!call.schema) return { ok: true, status: res.status, headers, data: null as T };
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { ok: false, kind: 'schema', ...where, detail: 'an answer that is not JSON', message: `${url}: answer is not JSON (${describeBody(hide(text))})` };
    }
    const parsed = v.safeParse(call.schema, json);
    if (!parsed.success) {
      const issue = parsed.issues[0];
      const at = v.getDotPath(issue) ?? '(root)';
      return { ok: false, kind: 'schema', ...where, detail: 'an answer of an unexpected shape', message: `${url}: unexpected answer at ${at}: ${issue.message}` };
    }
    return { ok: true, status: res.status, headers, data: parsed.output };
  }

  return {
    offline: opts.offline,
    publicUrl,
    cached,
    recall,
    remember: (service, key, value) => opts.cache.set(service, key, value),
    pathOf(service, url) {
      for (const base of [endpoint(service), PUBLIC_BASE[service]]) {
        if (url.startsWith(`${base}/`)) return url.slice(base.length);
      }
      const parsed = new URL(url, `${endpoint(service)}/`);
      return parsed.pathname + parsed.search;
    },
    call<T = null>(call: ApiCall<T>) {
      if (!call.cache) return fetchOnce(call);
      const url = withoutQuery(publicUrl(call.service, call.path));
      return cached(call.service, `${call.method ?? 'GET'} ${call.path}`, call.cache, () => fetchOnce(call), url);
    },
    async hashUrl(url, fetchUrl) {
      const shown = withoutQuery(url);
      if (opts.offline) return { ok: false, kind: 'offline', url: shown, message: `${shown}: not asked (offline)` };
      const res = await opts.http.send({ method: 'GET', url: fetchUrl, label: shown, redirect: 'follow', digest: true });
      if (!res.ok) {
        return { ok: false, kind: res.kind === 'timeout' ? 'timeout' : res.kind === 'redirects' ? 'schema' : 'network', url: shown, message: `${shown}: ${res.detail}`, host: res.host, detail: res.detail };
      }
      const host = hostOf(res.url);
      if (res.status >= 400) return { ok: false, kind: 'http', status: res.status, url: shown, message: `${shown}: HTTP ${res.status}`, detail: `HTTP ${res.status}`, ...(host ? { host } : {}) };
      if (!res.digest) return { ok: false, kind: 'schema', url: shown, message: `${shown}: HTTP ${res.status} instead of the file`, detail: `HTTP ${res.status} instead of the file` };
      return { ok: true, status: res.status, headers: {}, data: { ...res.digest, contentType: res.headers.get('content-type') ?? '' } };
    },
    async sizeOf(url, auth) {
      if (opts.offline) return { ok: false, detail: 'offline', transient: true };
      const service = auth !== null && url.startsWith(`${PUBLIC_BASE[auth]}/`) ? auth : null;
      const target = service ? endpoint(service) + url.slice(PUBLIC_BASE[service].length) : url;
      const tok = service ? token(service) : null;
      const request = {
        url: target, label: service ? label(service, withoutQuery(url)) : withoutQuery(url), redirect: 'follow' as const,
        authorization: tok ? `Bearer ${tok}` : null, maxBytes: 1,
      };
      const ranged = await opts.http.send({ ...request, method: 'GET', headers: { range: 'bytes=0-0' } });
      // A server that ignores ranges sends the whole file: too large for one byte, so ask its length.
      const res = !ranged.ok && ranged.kind === 'too-large' ? await opts.http.send({ ...request, method: 'HEAD' }) : ranged;
      // No answer, rate limits and server errors say nothing about the URL: asked again later, it may answer.
      if (!res.ok) return { ok: false, detail: res.detail, transient: res.kind !== 'redirects' && res.kind !== 'too-large' };
      if (res.status >= 300) return { ok: false, detail: `HTTP ${res.status}`, transient: res.status === 429 || res.status >= 500 };
      const total = res.status === 206
        ? /^bytes\s+0-0\/(\d{1,16})\s*$/i.exec(res.headers.get('content-range') ?? '')?.[1]
        : /^\d{1,16}$/.exec(res.headers.get('content-length')?.trim() ?? '')?.[0] ?? (res.status === 200 && ranged.ok ? String(res.body.length) : undefined);
      const size = total === undefined ? NaN : Number(total);
      return Number.isSafeInteger(size) ? { ok: true, size } : { ok: false, detail: `HTTP ${res.status} without a usable size`, transient: false };
    },
    hashFile(service, path, maxBytes) {
      const url = publicUrl(service, path);
      return cached(service, `SHA256 ${path}`, 'immutable', async () => withoutTokens(await hashRaw()), url);
      async function hashRaw(): Promise<ApiAnswer<{ sha256: string; size: number }>> {
        if (opts.offline) return offlineFailure(service, url);
        const tok = token(service);
        const res = await opts.http.send({
          method: 'GET', url: endpoint(service) + path, label: label(service, url), redirect: 'follow', maxBytes,
          authorization: tok ? `Bearer ${tok}` : null,
        });
        if (!res.ok) return transportFailure(service, url, res);
        const where = { url, service, host: hostOf(res.url), ...viaOf(service) };
        const failure = httpFailure(res.status, res.headers, res.status >= 400 ? res.body.toString('utf8') : '', where, hide);
        if (failure) return failure;
        // Only a 2xx body is the file: hashing anything else would pin the wrong bytes (a 304's empty body).
        if (res.status < 200 || res.status > 299) {
          return { ok: false, kind: 'schema', ...where, detail: `HTTP ${res.status} instead of the file`, message: `${url}: HTTP ${res.status} instead of the file` };
        }
        const sha256 = createHash('sha256').update(res.body).digest('hex');
        return { ok: true, status: res.status, headers: {}, data: { sha256, size: res.body.length } };
      }
    },
  };
}

/**
 * A non-2xx/3xx answer as a failure with the server's own reason; null when it is a success.
 * `hide` cuts the tokens from the server's words before they are shortened, so no cut can leave
 * a piece of one behind.
 */
function httpFailure(
  status: number, headers: HeaderBag, body: string, where: Pick<ApiFailure, 'url' | 'service' | 'host' | 'via'>, hide: (text: string) => string,
): ApiFailure | null {
  if (status < 400) return null;
  const named = headers.get('x-error-code');
  const errorCode = named === null ? undefined : hide(named).slice(0, 100);
  const said = headers.get('x-error-message') ?? serverWords(body);
  const serverMessage = said === undefined ? undefined : hide(said).slice(0, 300);
  const message = `${where.url}: HTTP ${status}${errorCode ? ` ${errorCode}` : ''}${serverMessage ? `: ${serverMessage}` : ''}`;
  return {
    ok: false, kind: 'http', status, ...where, message, detail: `HTTP ${status}`,
    ...(errorCode ? { errorCode } : {}), ...(serverMessage ? { serverMessage } : {}),
  };
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

/** The server's `error` / `message`, whole: the caller cuts tokens, then the length. */
function serverWords(body: string): string | undefined {
  try {
    const json = JSON.parse(body) as { error?: unknown; message?: unknown };
    const parts = [json.error, json.message].filter((p): p is string => typeof p === 'string' && p.length > 0);
    return parts.length ? parts.join(': ') : undefined;
  } catch {
    return undefined;
  }
}

/** The start of an answer that is not JSON (tokens already cut from `text`). */
function describeBody(text: string): string {
  const start = text.slice(0, 60).replace(/\s+/g, ' ').trim();
  return start ? `starts with ${JSON.stringify(start)}` : 'empty';
}
