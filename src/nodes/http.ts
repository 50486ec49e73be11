/**
 * Registry reads over the project's one HTTP client (src/io/http.ts: retries, timeouts, limits):
 * JSON documents, and a zip hashed at lock time (the registry publishes no checksum).
 */
import { createHash } from 'node:crypto';
import type { HttpClient } from '../io/http.js';

export type HttpFailure = { ok: false; status: number | null; message: string };
export type JsonAnswer = { ok: true; status: number; body: unknown } | HttpFailure;

/** Registry zips are a few MB; refuse anything absurd. */
const MAX_ZIP_BYTES = 256 * 2 ** 20;

/** GET a JSON document, following redirects (the registry answers a case-folded id with 302). */
export async function getJson(http: HttpClient, url: string): Promise<JsonAnswer> {
  const res = await http.send({ method: 'GET', url, redirect: 'follow', headers: { accept: 'application/json' } });
  if (!res.ok) return { ok: false, status: null, message: res.message };
  if (res.status >= 400) return { ok: false, status: res.status, message: `HTTP ${res.status}` };
  try {
    return { ok: true, status: res.status, body: JSON.parse(res.body.toString('utf8')) as unknown };
  } catch {
    return { ok: false, status: res.status, message: 'the answer is not JSON' };
  }
}

/** Download a file and return its sha256 and size without keeping it. */
export async function hashDownload(http: HttpClient, url: string): Promise<{ ok: true; sha256: string; size: number } | HttpFailure> {
  const res = await http.send({ method: 'GET', url, redirect: 'follow', maxBytes: MAX_ZIP_BYTES });
  if (!res.ok) return { ok: false, status: null, message: res.message };
  // Only a 2xx body is the zip: anything else hashed would pin the wrong bytes.
  if (res.status < 200 || res.status > 299) return { ok: false, status: res.status, message: `HTTP ${res.status}` };
  return { ok: true, sha256: createHash('sha256').update(res.body).digest('hex'), size: res.body.length };
}
