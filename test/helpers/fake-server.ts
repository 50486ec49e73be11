/**
 * The plumbing the fake Hugging Face and Civitai servers share: a real `node:http` server on
 * 127.0.0.1 (port 0), a request log, injected faults, JSON answers and byte answers with Range.
 *
 *   const server = await startFakeServer((req, res) => …);
 *   server.url            http://127.0.0.1:<port>
 *   server.requests       every request: { method, path, query, authorization, body }
 *   server.count(prefix?) how many requests (whose path starts with prefix)
 *   server.failNext({ status: 429, headers: { 'retry-after': '1' }, times: 2, path: '/api/' })
 *   await server.close()
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoggedRequest {
  method: string;
  path: string;
  /** Raw query string without `?` ('' when none). */
  query: string;
  /** The Authorization header as received, or null. */
  authorization: string | null;
  /** The request body as text ('' when none): what a POST sent. */
  body: string;
}

export interface Fault {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** How many matching requests fail (default 1). */
  times?: number;
  /** Only requests whose path starts with this. */
  path?: string;
}

export interface FakeRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** `http://127.0.0.1:<port>`: the base the server puts in Location and Link headers. */
  base: string;
}

export type Handler = (req: FakeRequest, res: ServerResponse) => void | Promise<void>;

export interface FakeServer {
  url: string;
  requests: LoggedRequest[];
  count(pathPrefix?: string): number;
  failNext(fault: Fault): void;
  close(): Promise<void>;
}

/** `requests`: a log to share with a companion server (a CDN on another origin logs into its API's log). */
export async function startFakeServer(handler: Handler, opts: { requests?: LoggedRequest[] } = {}): Promise<FakeServer> {
  const requests = opts.requests ?? [];
  const faults: (Fault & { times: number })[] = [];
  let base = '';
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', base);
      requests.push({
        method: req.method ?? 'GET', path: url.pathname, query: url.search.slice(1),
        authorization: req.headers.authorization ?? null, body: Buffer.concat(chunks).toString('utf8'),
      });
      const fault = faults.find((f) => f.times > 0 && (!f.path || url.pathname.startsWith(f.path)));
      if (fault) {
        fault.times--;
        return sendJson(res, fault.status, fault.body ?? { error: `injected ${fault.status}` }, fault.headers);
      }
      Promise.resolve(handler({ method: req.method ?? 'GET', url, headers: req.headers, body: Buffer.concat(chunks), base }, res)).catch((err: unknown) => {
        sendJson(res, 500, { error: `fake server bug: ${(err as Error).message}` });
      });
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
    count: (prefix) => requests.filter((r) => !prefix || r.path.startsWith(prefix)).length,
    failNext: (fault) => void faults.push({ ...fault, times: fault.times ?? 1 }),
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Bytes with `Accept-Ranges` and single-range `Range` support (206 / 416), HEAD without a body. */
export function sendBytes(req: FakeRequest, res: ServerResponse, bytes: Buffer, headers: Record<string, string> = {}): void {
  const common = { 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream', ...headers };
  const range = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? ''));
  let start = 0;
  let end = bytes.length - 1;
  let status = 200;
  if (range && (range[1] || range[2])) {
    start = range[1] ? Number(range[1]) : Math.max(0, bytes.length - Number(range[2]));
    end = range[1] && range[2] ? Math.min(Number(range[2]), bytes.length - 1) : bytes.length - 1;
    if (start >= bytes.length || start > end) {
      res.writeHead(416, { ...common, 'content-range': `bytes */${bytes.length}` });
      return void res.end();
    }
    status = 206;
  }
  const body = bytes.subarray(start, end + 1);
  res.writeHead(status, {
    ...common,
    'content-length': body.length,
    ...(status === 206 ? { 'content-range': `bytes ${start}-${end}/${bytes.length}` } : {}),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

export const toBuffer = (content: string | Buffer): Buffer => (typeof content === 'string' ? Buffer.from(content) : content);
