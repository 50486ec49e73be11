/**
 * The one HTTP client. Retries (429/5xx and transport errors, exponential backoff honouring
 * `Retry-After` and Hugging Face's `RateLimit: …;t=N`), per-attempt timeouts, a concurrency limit,
 * and transport failures as data whose message names the URL without its query (queries may
 * carry tokens). HTTP error statuses are returned, not thrown: the caller knows what a 404 means.
 */
import pLimit from 'p-limit';
import type { Dispatcher, fetch as undiciFetch } from 'undici';
import { packageVersion } from '../core/package-root.js';

export interface HttpOptions {
  userAgent?: string;
  fetchImpl?: typeof undiciFetch;
  dispatcher?: Dispatcher;
  /** Extra attempts after the first (default 4). */
  retries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A server asking for a longer pause than this is not waited for (default 120 s). */
  maxRetryAfterMs?: number;
  timeoutMs?: number;
  concurrency?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Full `Authorization` value; sent to the request's own origin only, never across a redirect to another. */
  authorization?: string | null;
  /** `manual` (default) returns a 3xx as is; `follow` follows up to 5 hops (GET/HEAD). */
  redirect?: 'manual' | 'follow';
  /** Refuse bodies larger than this (default 64 MiB): API answers and small files only. */
  maxBytes?: number;
  /** How messages name this request (default: the URL without its query). */
  label?: string;
}

/** Response headers, case-insensitive. */
export interface HeaderBag {
  get(name: string): string | null;
}

export type HttpResult =
  | { ok: true; status: number; url: string; headers: HeaderBag; body: Buffer }
  | { ok: false; kind: 'network' | 'timeout' | 'too-large'; message: string };

export interface HttpClient {
  send(request: HttpRequest): Promise<HttpResult>;
  /** Attempts sent over the network (retries and redirect hops included). */
  readonly requests: number;
}

const RETRY_STATUS = (status: number): boolean => status === 429 || status >= 500;
/** undici costs ~90 ms to load: only a build that goes online pays it. */
const lazyFetch: typeof undiciFetch = async (...args) => (await import('undici')).fetch(...args);
const sleepReal = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

export function createHttpClient(options: HttpOptions = {}): HttpClient {
  const opts = {
    userAgent: options.userAgent ?? `comfygen/${packageVersion()}`,
    fetchImpl: options.fetchImpl ?? lazyFetch,
    retries: options.retries ?? 4,
    baseDelayMs: options.baseDelayMs ?? 1000,
    maxDelayMs: options.maxDelayMs ?? 30_000,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 120_000,
    timeoutMs: options.timeoutMs ?? 30_000,
    sleep: options.sleep ?? sleepReal,
  };
  const limit = pLimit(options.concurrency ?? 8);
  let requests = 0;

  async function attempt(req: HttpRequest, label: string): Promise<HttpResult> {
    let url = req.url;
    let authorization = req.authorization ?? null;
    for (let hop = 0; ; hop++) {
      requests++;
      const headers: Record<string, string> = { 'user-agent': opts.userAgent, 'accept-encoding': 'identity', ...req.headers };
      if (authorization) headers.authorization = authorization;
      try {
        const res = await opts.fetchImpl(url, {
          method: req.method,
          headers,
          body: req.body,
          redirect: 'manual',
          signal: AbortSignal.timeout(opts.timeoutMs),
          ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
        });
        const location = res.headers.get('location');
        if (req.redirect === 'follow' && location && res.status >= 300 && res.status < 400 && hop < 5) {
          await res.body?.cancel();
          const next = new URL(location, url);
          // A token never follows a redirect to another host (CDNs and Civitai's storage reject it).
          if (next.origin !== new URL(url).origin) authorization = null;
          url = next.href;
          continue;
        }
        const maxBytes = req.maxBytes ?? 64 * 2 ** 20;
        const body = await readCapped(res.body, maxBytes);
        if (!body) return { ok: false, kind: 'too-large', message: `${label}: answer larger than ${maxBytes} bytes` };
        return { ok: true, status: res.status, url, headers: res.headers, body };
      } catch (err) {
        return transportFailure(err, label, opts.timeoutMs);
      }
    }
  }

  async function send(req: HttpRequest): Promise<HttpResult> {
    const label = req.label ?? withoutQuery(req.url);
    for (let n = 0; ; n++) {
      const result = await attempt(req, label);
      const retryable = result.ok ? RETRY_STATUS(result.status) : result.kind !== 'too-large';
      if (!retryable || n >= opts.retries) return result;
      const wait = retryDelay(result.ok ? result.headers : null, n, opts);
      if (wait > opts.maxRetryAfterMs) return result;
      await opts.sleep(wait);
    }
  }

  return {
    // A retry waits inside its slot, so a host that asked for a pause gets fewer requests meanwhile.
    send: (req) => limit(() => send(req)),
    get requests() {
      return requests;
    },
  };
}

/** Wait asked by the server (`Retry-After` seconds or date, HF `RateLimit` `t=`), else backoff. */
export function retryDelay(
  headers: HeaderBag | null,
  attemptIndex: number,
  opts: { baseDelayMs: number; maxDelayMs: number },
): number {
  const retryAfter = headers?.get('retry-after');
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return Math.max(0, date - Date.now());
  }
  const reset = /(?:^|;)\s*t=(\d+)/.exec(headers?.get('ratelimit') ?? '');
  if (reset?.[1]) return Number(reset[1]) * 1000;
  return Math.min(opts.baseDelayMs * 2 ** attemptIndex, opts.maxDelayMs);
}

export function withoutQuery(url: string): string {
  return url.replace(/[?#].*$/s, '');
}

async function readCapped(stream: AsyncIterable<Uint8Array> | null, maxBytes: number): Promise<Buffer | null> {
  if (!stream) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.byteLength;
    if (size > maxBytes) return null;
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

function transportFailure(err: unknown, label: string, timeoutMs: number): HttpResult {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') {
    return { ok: false, kind: 'timeout', message: `${label}: no answer within ${timeoutMs / 1000} s` };
  }
  const why = e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
  return { ok: false, kind: 'network', message: `${label}: network error (${why})` };
}
