/**
 * Registry reads over the project's one HTTP client (src/io/http.ts: retries, timeouts, limits):
 * JSON documents, and a zip hashed at lock time (the registry publishes no checksum). Failures are
 * data in a few words (`detail`), with the host that failed; callers decide what they mean.
 */
import { createHash } from 'node:crypto';
import type { HttpClient, HttpResult } from '../io/http.js';
import type { ServiceTrouble } from '../sources/types.js';

export type HttpFailure = {
  ok: false;
  /** HTTP status, or null when no answer came. */
  status: number | null;
  kind: Extract<HttpResult, { ok: false }>['kind'] | 'http' | 'not-json';
  /** Without the URL: `HTTP 503`, `network error (ENOTFOUND)`, `the answer is not JSON`. */
  detail: string;
  /** `host[:port]` that failed or answered (a mirror's when one is set). */
  host: string;
};
export type JsonAnswer = { ok: true; status: number; body: unknown } | HttpFailure;

/** Registry zips are a few MB; refuse anything absurd. */
const MAX_ZIP_BYTES = 256 * 2 ** 20;

/** GET a JSON document, following redirects (the registry answers a case-folded id with 302). */
export async function getJson(http: HttpClient, url: string): Promise<JsonAnswer> {
  const res = await http.send({ method: 'GET', url, redirect: 'follow', headers: { accept: 'application/json' } });
  if (!res.ok) return { ok: false, status: null, kind: res.kind, detail: res.detail, host: res.host };
  if (res.status >= 400) return { ok: false, status: res.status, kind: 'http', detail: `HTTP ${res.status}`, host: hostOf(res.url) };
  try {
    return { ok: true, status: res.status, body: JSON.parse(res.body.toString('utf8')) as unknown };
  } catch {
    return { ok: false, status: res.status, kind: 'not-json', detail: 'the answer is not JSON', host: hostOf(res.url) };
  }
}

/** Download a file and return its sha256 and size without keeping it. */
export async function hashDownload(http: HttpClient, url: string): Promise<{ ok: true; sha256: string; size: number } | HttpFailure> {
  const res = await http.send({ method: 'GET', url, redirect: 'follow', maxBytes: MAX_ZIP_BYTES });
  if (!res.ok) return { ok: false, status: null, kind: res.kind, detail: res.detail, host: res.host };
  // Only a 2xx body is the zip: anything else hashed would pin the wrong bytes.
  if (res.status < 200 || res.status > 299) return { ok: false, status: res.status, kind: 'http', detail: `HTTP ${res.status}`, host: hostOf(res.url) };
  return { ok: true, sha256: createHash('sha256').update(res.body).digest('hex'), size: res.body.length };
}

/**
 * What a failure says about the service, if anything: a transport failure, 429 or 5xx is the
 * service failing (`transient`: asked again later, it may answer); an unusable answer is
 * `bad-answer`; any other status is the service's answer about this pack (no trouble).
 */
export function troubleOf(f: HttpFailure): { kind: ServiceTrouble['kind']; transient: boolean } | null {
  switch (f.kind) {
    case 'unreachable':
    case 'network':
      return { kind: 'unreachable', transient: true };
    case 'timeout':
      return { kind: 'timeout', transient: true };
    case 'too-large':
    case 'redirects':
    case 'not-json':
      return { kind: 'bad-answer', transient: false };
    case 'http':
      if (f.status === 429) return { kind: 'rate-limited', transient: true };
      return f.status !== null && f.status >= 500 ? { kind: 'server-error', transient: true } : null;
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}
