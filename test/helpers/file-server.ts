/**
 * A loopback HTTP file server for tests that run real download clients (curl in download.sh).
 * Serves registered files with Range support and optional throttling, follows redirects you
 * register, injects faults from a per-path queue, and records every request it saw.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServedFile {
  body: Buffer;
  contentType?: string;
  /** Throttle: bytes per chunk and pause between chunks (ms). Off by default. */
  chunkSize?: number;
  chunkDelayMs?: number;
  /** Answer every request with the whole file (200), as servers without Range support do. */
  ignoreRange?: boolean;
  /** Wait this long before answering each request (a slow server). */
  answerDelayMs?: number;
  /** Answer 401 unless the request carries exactly this Authorization header. */
  requireAuth?: string;
}

/** One injected failure, consumed by the next request to its path. */
export type Fault =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  /** Start the normal answer, then destroy the socket after this many body bytes. */
  | { kind: 'reset'; afterBytes: number }
  /** Promise the full Content-Length, then end the response cleanly after this many bytes. */
  | { kind: 'truncate'; afterBytes: number }
  /** Send this many bytes, then go silent for `ms` (a stalled transfer). */
  | { kind: 'stall'; afterBytes: number; ms: number }
  /** A 200 (or `status`) with some other body, e.g. a login page. */
  | { kind: 'page'; status?: number; contentType: string; body: string };

export interface RequestRecord {
  method: string;
  /** Request target as sent (path and query, percent-encoding kept). */
  url: string;
  host: string;
  authorization: string | null;
  range: string | null;
  /** First byte asked for by a `Range: bytes=N-` header, else null. */
  rangeStart: number | null;
  status: number;
  /** Body bytes written before the response ended or the connection went away. */
  bytesSent: number;
}

export interface FileServer {
  /** `http://<host>:<port>`, no trailing slash. */
  url: string;
  host: string;
  port: number;
  requests: RequestRecord[];
  /** Serve `body` at `path` (request target, query included when given). */
  file(path: string, body: Buffer | string, opts?: Omit<ServedFile, 'body'>): void;
  redirect(path: string, location: string, status?: number): void;
  /** Queue faults for `path`, consumed one per request, before the file is served normally. */
  fail(path: string, ...faults: Fault[]): void;
  /** Served for any path that has no file or redirect (hostile-name tests). */
  fallback: ServedFile | null;
  requestsFor(path: string): RequestRecord[];
  close(): Promise<void>;
}

export async function startFileServer(opts: { host?: string } = {}): Promise<FileServer> {
  const host = opts.host ?? '127.0.0.1';
  const files = new Map<string, ServedFile>();
  const redirects = new Map<string, { location: string; status: number }>();
  const faults = new Map<string, Fault[]>();
  const requests: RequestRecord[] = [];

  const lookup = <T>(map: Map<string, T>, target: string): [string, T] | null => {
    if (map.has(target)) return [target, map.get(target)!];
    const path = target.split('?')[0]!;
    return map.has(path) ? [path, map.get(path)!] : null;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const target = req.url ?? '/';
    const range = req.headers.range ?? null;
    const record: RequestRecord = {
      method: req.method ?? 'GET',
      url: target,
      host: req.headers.host ?? '',
      authorization: req.headers.authorization ?? null,
      range,
      rangeStart: range ? Number(/^bytes=(\d+)-/.exec(range)?.[1] ?? NaN) : null,
      status: 0,
      bytesSent: 0,
    };
    requests.push(record);
    const queued = lookup(faults, target);
    const fault = queued && queued[1].length > 0 ? queued[1].shift()! : null;
    if (fault?.kind === 'status') return answer(res, record, fault.status, fault.headers ?? {}, fault.body ?? '');
    if (fault?.kind === 'page') {
      return answer(res, record, fault.status ?? 200, { 'content-type': fault.contentType }, fault.body);
    }
    const redirect = lookup(redirects, target);
    if (redirect) return answer(res, record, redirect[1].status, { location: redirect[1].location }, '');
    const file = lookup(files, target)?.[1] ?? server.fallback;
    if (!file) return answer(res, record, 404, { 'content-type': 'application/json' }, '{"error":"File not found"}');
    if (file.requireAuth !== undefined && req.headers.authorization !== file.requireAuth) {
      return answer(res, record, 401, { 'content-type': 'application/json' }, '{"error":"Unauthorized"}');
    }
    await sendFile(req, res, record, file, fault);
  };

  const server: FileServer & { http?: Server } = {
    url: '',
    host,
    port: 0,
    requests,
    fallback: null,
    file(path, body, o = {}) {
      files.set(path, { ...o, body: Buffer.isBuffer(body) ? body : Buffer.from(body) });
    },
    redirect(path, location, status = 307) {
      redirects.set(path, { location, status });
    },
    fail(path, ...list) {
      faults.set(path, [...(faults.get(path) ?? []), ...list]);
    },
    requestsFor(path) {
      return requests.filter((r) => r.url === path || r.url.split('?')[0] === path);
    },
    async close() {
      const http = server.http!;
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };

  const http = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.http = http;
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, host, () => resolve());
  });
  server.port = (http.address() as AddressInfo).port;
  server.url = `http://${host}:${server.port}`;
  return server;
}

function answer(res: ServerResponse, record: RequestRecord, status: number, headers: Record<string, string>, body: string) {
  record.status = status;
  res.writeHead(status, { 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
  record.bytesSent = Buffer.byteLength(body);
}

async function sendFile(req: IncomingMessage, res: ServerResponse, record: RequestRecord, file: ServedFile, fault: Fault | null) {
  if (file.answerDelayMs) await sleep(file.answerDelayMs);
  const size = file.body.length;
  let start = 0;
  let end = size - 1;
  const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  const headers: Record<string, string> = {
    'content-type': file.contentType ?? 'application/octet-stream',
    'accept-ranges': file.ignoreRange ? 'none' : 'bytes',
  };
  let status = 200;
  if (m && !file.ignoreRange) {
    start = Number(m[1]);
    if (m[2]) end = Math.min(Number(m[2]), size - 1);
    if (start >= size) {
      return answer(res, record, 416, { 'content-range': `bytes */${size}` }, '');
    }
    status = 206;
    headers['content-range'] = `bytes ${start}-${end}/${size}`;
  }
  headers['content-length'] = String(end - start + 1);
  record.status = status;
  res.writeHead(status, headers);
  if (req.method === 'HEAD') return void res.end();

  const body = file.body.subarray(start, end + 1);
  const limit = fault && fault.kind !== 'status' && fault.kind !== 'page' ? fault.afterBytes : Infinity;
  const chunk = file.chunkSize ?? 64 * 1024;
  let sent = 0;
  while (sent < body.length) {
    if (res.destroyed || !res.socket || res.socket.destroyed) return;
    if (sent >= limit) {
      if (fault?.kind === 'reset') return void res.socket.destroy();
      if (fault?.kind === 'truncate') return void res.socket.end();
      if (fault?.kind === 'stall') {
        await sleep(fault.ms);
        return void res.socket?.destroy();
      }
    }
    const n = Math.min(chunk, body.length - sent, limit - sent);
    const ok = res.write(body.subarray(sent, sent + n));
    sent += n;
    record.bytesSent = sent;
    if (!ok) await new Promise((resolve) => res.once('drain', resolve));
    if (file.chunkDelayMs) await sleep(file.chunkDelayMs);
  }
  res.end();
}

/** Unref'd, so a stalled or throttled response never keeps a finished test process alive. */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());
