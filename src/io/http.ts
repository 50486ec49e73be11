/**
 * The one HTTP client. Retries (429/5xx and transport errors, exponential backoff honouring
 * `Retry-After` and Hugging Face's `RateLimit: …;t=N`), per-attempt timeouts, a concurrency limit
 * per host, and transport failures as data whose message names the URL without its query
 * (queries may carry tokens). HTTP error statuses are returned, not thrown: the caller knows
 * what a 404 means.
 *
 * Waits are bounded: a timed-out attempt is retried `timeoutRetries` times (default once), and a
 * host that still fails a request (no answer, or a network error after every retry) is not asked
 * again this run, so a hung server costs about (1 + timeoutRetries) × timeoutMs once, not per
 * request. A host that cannot be reached at all (its name does not resolve, or it refuses the
 * connection: no network, a wrong endpoint) is not retried: backoff cannot help, and an offline
 * laptop must not wait it out per host. `onSlow` / `onHostDown` say which host is keeping
 * everyone waiting.
 */
import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import type { Dispatcher, fetch as undiciFetch } from 'undici';
import { UserError } from '../core/errors.js';
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
  /** Per attempt, redirects included (default 20 s). */
  timeoutMs?: number;
  /** Retries of an attempt that timed out, within `retries` (default 1). */
  timeoutRetries?: number;
  /** Requests in flight per host (default 8). */
  concurrency?: number;
  sleep?: (ms: number) => Promise<void>;
  /** After how long without an answer `onSlow` is called (default: 5 s, or half the timeout if shorter). */
  slowAfterMs?: number;
  /** A host has not answered for `slowAfterMs`; called once per host. */
  onSlow?: (wait: { host: string; label: string; waitedMs: number; timeoutMs: number; attempts: number }) => void;
  /** A host failed a request for good: its other requests fail at once from now on. */
  onHostDown?: (down: { host: string; detail: string; kind: HostDown }) => void;
}

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Full `Authorization` value; sent to the request's own origin only, never across a redirect to another. */
  authorization?: string | null;
  /** `manual` (default) returns a 3xx as is; `follow` follows up to 5 hops (GET/HEAD), and more is a failure. */
  redirect?: 'manual' | 'follow';
  /** Refuse bodies larger than this (default 64 MiB): API answers and small files only. */
  maxBytes?: number;
  /**
   * Hash the body instead of keeping it (a file of any size): the result's `body` is empty and
   * `digest` has its sha256, size and first bytes. The timeout then counts from the last byte
   * received, not from the start, so a long download that keeps moving is never cut off.
   */
  digest?: boolean;
  /** How messages name this request (default: the URL without its query). */
  label?: string;
}

/** What `digest` requests get instead of the body. */
export interface BodyDigest {
  sha256: string;
  size: number;
  /** The first 512 bytes (to tell an HTML error page from a file). */
  head: Buffer;
}

/** Response headers, case-insensitive. */
export interface HeaderBag {
  get(name: string): string | null;
}

export type HttpResult =
  | { ok: true; status: number; url: string; headers: HeaderBag; body: Buffer; digest?: BodyDigest }
  | {
    ok: false;
    /**
     * `unreachable`: the name does not resolve or the connection is refused (not retried);
     * `network`: the connection broke (retried); `redirects`: more than 5 hops, or a loop.
     */
    kind: 'unreachable' | 'network' | 'timeout' | 'too-large' | 'redirects';
    message: string;
    /** The failure without the URL: `network error (ECONNREFUSED)`, `no answer within 20 s`. */
    detail: string;
    /** `host[:port]` that failed (the one actually asked: a mirror, a redirect's target). */
    host: string;
  };

export interface HttpClient {
  send(request: HttpRequest): Promise<HttpResult>;
  /** Attempts sent over the network (retries and redirect hops included). */
  readonly requests: number;
}

const RETRY_STATUS = (status: number): boolean => status === 429 || status >= 500;
/** How a host failed for good. */
export type HostDown = 'unreachable' | 'network' | 'timeout';
const MAX_REDIRECTS = 5;
/**
 * Errors that mean the host cannot be reached at all: its name does not resolve (no network, no
 * DNS, a typo in an endpoint) or nothing listens there. Retrying with backoff only delays the
 * answer (an offline build once waited ~15 s per host for it).
 */
const UNREACHABLE_CODES = new Set([
  'ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_NODATA', 'EAI_FAIL', 'EAI_ADDRFAMILY',
  'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'EADDRNOTAVAIL',
]);
/** undici costs ~90 ms to load: only a build that goes online pays it. */
const lazyFetch: typeof undiciFetch = async (...args) => (await import('undici')).fetch(...args);
const sleepReal = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

export const DEFAULT_TIMEOUT_MS = 20_000;
export const DEFAULT_RETRIES = 4;

export function createHttpClient(options: HttpOptions = {}): HttpClient {
  const opts = {
    userAgent: options.userAgent ?? `comfygen/${packageVersion()}`,
    fetchImpl: options.fetchImpl ?? lazyFetch,
    retries: options.retries ?? DEFAULT_RETRIES,
    baseDelayMs: options.baseDelayMs ?? 1000,
    maxDelayMs: options.maxDelayMs ?? 30_000,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 120_000,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    timeoutRetries: options.timeoutRetries ?? 1,
    sleep: options.sleep ?? sleepReal,
  };
  const slowAfterMs = options.slowAfterMs ?? Math.min(5000, opts.timeoutMs / 2);
  // One limit per host: a host that hangs must not hold up the requests to the others.
  const limits = new Map<string, ReturnType<typeof pLimit>>();
  const limitFor = (host: string) => {
    let limit = limits.get(host);
    if (!limit) limits.set(host, (limit = pLimit(options.concurrency ?? 8)));
    return limit;
  };
  /** Hosts that failed a request for good, with how. */
  const down = new Map<string, { kind: HostDown; detail: string }>();
  const slowNoticed = new Set<string>();
  let requests = 0;

  async function attempt(req: HttpRequest, label: string): Promise<HttpResult> {
    let url = req.url;
    let authorization = req.authorization ?? null;
    for (let hop = 0; ; hop++) {
      requests++;
      const headers: Record<string, string> = { 'user-agent': opts.userAgent, 'accept-encoding': 'identity', ...req.headers };
      if (authorization) headers.authorization = authorization;
      const host = hostOf(url);
      const slow = options.onSlow && !slowNoticed.has(host)
        ? setTimeout(() => {
          if (slowNoticed.has(host)) return;
          slowNoticed.add(host);
          options.onSlow!({ host, label, waitedMs: slowAfterMs, timeoutMs: opts.timeoutMs, attempts: 1 + Math.min(opts.retries, opts.timeoutRetries) });
        }, slowAfterMs)
        : null;
      slow?.unref();
      // A digest request may run for minutes: it is stopped when no byte came for the timeout.
      const idle = req.digest ? new IdleTimeout(opts.timeoutMs) : null;
      try {
        const res = await opts.fetchImpl(url, {
          method: req.method,
          headers,
          body: req.body,
          redirect: 'manual',
          signal: idle ? idle.signal : AbortSignal.timeout(opts.timeoutMs),
          ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
        });
        const location = res.headers.get('location');
        if (req.redirect === 'follow' && location && res.status >= 300 && res.status < 400) {
          await res.body?.cancel();
          if (hop === MAX_REDIRECTS) {
            // Never the body of the last 3xx as if it were the file: a loop once pinned the empty file.
            const detail = `more than ${MAX_REDIRECTS} redirects`;
            return { ok: false, kind: 'redirects', message: `${label}: ${detail}`, detail, host };
          }
          const next = new URL(location, url);
          // A token never follows a redirect to another host (CDNs and Civitai's storage reject it).
          if (next.origin !== new URL(url).origin) authorization = null;
          url = next.href;
          continue;
        }
        if (idle) {
          const digest = res.status >= 200 && res.status < 300 ? await hashBody(res.body, idle) : null;
          if (!digest) await res.body?.cancel();
          return { ok: true, status: res.status, url, headers: res.headers, body: Buffer.alloc(0), ...(digest ? { digest } : {}) };
        }
        const maxBytes = req.maxBytes ?? 64 * 2 ** 20;
        const body = await readCapped(res.body, maxBytes);
        if (!body) {
          const detail = `answer larger than ${maxBytes} bytes`;
          return { ok: false, kind: 'too-large', message: `${label}: ${detail}`, detail, host };
        }
        return { ok: true, status: res.status, url, headers: res.headers, body };
      } catch (err) {
        return transportFailure(err, label, opts.timeoutMs, host);
      } finally {
        if (slow) clearTimeout(slow);
        idle?.stop();
      }
    }
  }

  async function send(req: HttpRequest, host: string): Promise<HttpResult> {
    const label = req.label ?? withoutQuery(req.url);
    let timeouts = 0;
    for (let n = 0; ; n++) {
      const gone = down.get(host);
      if (gone) {
        // The same detail as the failure that took the host down: one cause, however many requests.
        return { ok: false, kind: gone.kind, message: `${label}: not asked, the host failed an earlier request in this run (${gone.detail})`, detail: gone.detail, host };
      }
      const result = await attempt(req, label);
      if (!result.ok && result.kind === 'timeout') timeouts++;
      const retryable = result.ok ? RETRY_STATUS(result.status) : result.kind === 'network' || (result.kind === 'timeout' && timeouts <= opts.timeoutRetries);
      const wait = retryable && n < opts.retries ? retryDelay(result.ok ? result.headers : null, n, opts) : Infinity;
      if (wait > opts.maxRetryAfterMs) {
        if (!result.ok && isHostDown(result.kind) && !down.has(result.host)) {
          down.set(result.host, { kind: result.kind, detail: result.detail });
          options.onHostDown?.({ host: result.host, detail: result.detail, kind: result.kind });
        }
        return result;
      }
      await opts.sleep(wait);
    }
  }

  return {
    // A retry waits inside its slot, so a host that asked for a pause gets fewer requests meanwhile.
    send: (req) => {
      const host = hostOf(req.url);
      return limitFor(host)(() => send(req, host));
    },
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

/** An abort signal that fires after `ms` without a `touch()`. */
class IdleTimeout {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout;

  constructor(private readonly ms: number) {
    this.timer = this.arm();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  touch(): void {
    clearTimeout(this.timer);
    this.timer = this.arm();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private arm(): NodeJS.Timeout {
    const timer = setTimeout(() => this.controller.abort(new DOMException('no data', 'TimeoutError')), this.ms);
    timer.unref();
    return timer;
  }
}

async function hashBody(stream: AsyncIterable<Uint8Array> | null, idle: IdleTimeout): Promise<BodyDigest> {
  const hash = createHash('sha256');
  const head: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream ?? []) {
    idle.touch();
    if (size < 512) head.push(Buffer.from(chunk.subarray(0, 512 - size)));
    size += chunk.byteLength;
    hash.update(chunk);
  }
  return { sha256: hash.digest('hex'), size, head: Buffer.concat(head) };
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

/** `host[:port]` of a URL (never its user or password), or the text itself when it is no URL. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return withoutQuery(url);
  }
}

const isHostDown = (kind: string): kind is HostDown => kind === 'unreachable' || kind === 'network' || kind === 'timeout';

function transportFailure(err: unknown, label: string, timeoutMs: number, host: string): HttpResult {
  const e = err as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') {
    const detail = `no answer within ${timeoutMs / 1000} s`;
    return { ok: false, kind: 'timeout', message: `${label}: ${detail}`, detail, host };
  }
  const code = e.cause?.code ?? e.code;
  const why = code ?? e.cause?.message ?? e.message ?? String(err);
  const detail = `network error (${why})`;
  const kind = code !== undefined && UNREACHABLE_CODES.has(code) ? 'unreachable' : 'network';
  return { ok: false, kind, message: `${label}: ${detail}`, detail, host };
}

/**
 * Timeout and retries from the environment, so a user on a slow link (or a test) can set them:
 * `COMFYGEN_API_TIMEOUT_SECONDS` (per attempt, default 20) and `COMFYGEN_API_RETRIES` (default 4).
 */
export function httpOptionsFromEnv(env: NodeJS.ProcessEnv): Pick<HttpOptions, 'timeoutMs' | 'retries'> {
  const number = (name: string, integer: boolean): number | undefined => {
    const text = env[name]?.trim();
    if (!text) return undefined;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value)) || (!integer && value === 0)) {
      throw new UserError(`${name}=${JSON.stringify(text)}: expected ${integer ? 'a whole number ≥ 0' : 'a number of seconds > 0'}`);
    }
    return value;
  };
  const seconds = number('COMFYGEN_API_TIMEOUT_SECONDS', false);
  const retries = number('COMFYGEN_API_RETRIES', true);
  return { ...(seconds !== undefined ? { timeoutMs: seconds * 1000 } : {}), ...(retries !== undefined ? { retries } : {}) };
}
