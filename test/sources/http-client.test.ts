/** src/io/http.ts: the transport rules every source relies on. */
import { createServer, type Socket } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Agent } from 'undici';
import { createHttpClient, httpOptionsFromEnv, retryDelay } from '../../src/io/http.js';
import { sendJson, startFakeServer } from '../helpers/fake-server.js';

/** A dispatcher whose name lookups fail as on a machine without network, counting each one. */
function noDns(code = 'ENOTFOUND'): { dispatcher: Agent; lookups: string[] } {
  const lookups: string[] = [];
  const dispatcher = new Agent({
    connect: {
      lookup: (hostname, _opts, callback) => {
        lookups.push(hostname);
        callback(Object.assign(new Error(`getaddrinfo ${code} ${hostname}`), { code, hostname }), '', 4);
      },
    },
  });
  return { dispatcher, lookups };
}

test('a token follows a same-origin redirect but never one to another origin', async () => {
  const storage = await startFakeServer((_req, res) => sendJson(res, 200, { ok: true }));
  const api = await startFakeServer((req, res) => {
    if (req.url.pathname === '/away') return void res.writeHead(307, { location: `${storage.url}/file` }).end();
    if (req.url.pathname === '/here') return void res.writeHead(307, { location: '/away' }).end();
    sendJson(res, 404, {});
  });
  try {
    const http = createHttpClient({ retries: 0 });
    const res = await http.send({ method: 'GET', url: `${api.url}/here`, authorization: 'Bearer t0k', redirect: 'follow' });
    assert.ok(res.ok && res.status === 200);
    assert.equal(api.requests.map((r) => r.authorization), ['Bearer t0k', 'Bearer t0k']);
    assert.equal(storage.requests.map((r) => r.authorization), [null]);
    assert.is(http.requests, 3);
  } finally {
    await Promise.all([api.close(), storage.close()]);
  }
});

test('the User-Agent names comfygen and its version', async () => {
  const server = await startFakeServer((req, res) => sendJson(res, 200, { ua: req.headers['user-agent'] }));
  try {
    const res = await createHttpClient().send({ method: 'GET', url: server.url });
    assert.match(res.ok ? res.body.toString() : '', /"ua":"comfygen\/\d+\.\d+\.\d+"/);
  } finally {
    await server.close();
  }
});

test('a pause longer than the limit is not waited for: the 429 comes back to the caller', async () => {
  const server = await startFakeServer((_req, res) => sendJson(res, 429, { error: 'slow down' }, { 'retry-after': '3600' }));
  const sleeps: number[] = [];
  try {
    const http = createHttpClient({ sleep: async (ms) => void sleeps.push(ms) });
    const res = await http.send({ method: 'GET', url: server.url });
    assert.is(res.ok && res.status, 429);
    assert.equal(sleeps, []);
  } finally {
    await server.close();
  }
});

test('transport failures are data naming the URL without its query, and the host; timeouts too', async () => {
  const server = await startFakeServer(() => new Promise(() => {}));
  try {
    const http = createHttpClient({ retries: 1, baseDelayMs: 1, timeoutMs: 100 });
    const host = new URL(server.url).host;
    const slow = await http.send({ method: 'GET', url: `${server.url}/x?token=abc` });
    assert.equal(slow, { ok: false, kind: 'timeout', message: `${server.url}/x: no answer within 0.1 s`, detail: 'no answer within 0.1 s', host });
    const gone = await startFakeServer(() => {});
    await gone.close();
    const refused = await http.send({ method: 'GET', url: `${gone.url}/y?token=abc` });
    assert.equal(refused, { ok: false, kind: 'unreachable', message: `${gone.url}/y: network error (ECONNREFUSED)`,
      detail: 'network error (ECONNREFUSED)', host: new URL(gone.url).host });
  } finally {
    await server.close();
  }
});

test('a host that never answers costs two timeouts once: it is named, then not asked again; other hosts are not held up', async () => {
  const hung = await startFakeServer(() => new Promise(() => {}));
  const fine = await startFakeServer((_req, res) => sendJson(res, 200, { ok: true }));
  const slow: string[] = [];
  const down: string[] = [];
  const sleeps: number[] = [];
  try {
    const http = createHttpClient({
      // 1 s per attempt: time enough on a busy machine for the other host's answer and for each
      // request to reach the hung server, so what it saw is what was sent.
      retries: 4, timeoutMs: 1000, concurrency: 1, sleep: async (ms) => void sleeps.push(ms),
      onSlow: (w) => slow.push(`${w.host} ${w.waitedMs} ${w.attempts}`), onHostDown: (d) => down.push(`${d.host}: ${d.detail}`),
    });
    const host = new URL(hung.url).host;
    const first = http.send({ method: 'GET', url: `${hung.url}/a` });
    // Sent while the hung host holds its only slot: another host answers at once all the same.
    const other = await http.send({ method: 'GET', url: `${fine.url}/b` });
    assert.ok(other.ok && other.status === 200);
    const a = await first;
    assert.ok(!a.ok && a.kind === 'timeout');
    assert.ok(hung.count() >= 1 && hung.count() <= 2, `one retry of a timeout, not four (${hung.count()} sent)`);
    assert.equal(sleeps, [1000], 'one back-off, and only through the injected sleep');
    const b = await http.send({ method: 'GET', url: `${hung.url}/b?token=x` });
    const before = hung.count();
    assert.equal(b, { ok: false, kind: 'timeout', host, detail: 'no answer within 1 s',
      message: `${hung.url}/b: not asked, the host failed an earlier request in this run (no answer within 1 s)` });
    assert.is(hung.count(), before, 'not asked again');
    assert.equal(slow, [`${host} 500 2`]);
    assert.equal(down, [`${host}: no answer within 1 s`]);
  } finally {
    await Promise.all([hung.close(), fine.close()]);
  }
});

test('a name that does not resolve is asked once, without backoff, and the host not again this run', async () => {
  for (const code of ['ENOTFOUND', 'EAI_AGAIN']) {
    const { dispatcher, lookups } = noDns(code);
    const sleeps: number[] = [];
    const down: string[] = [];
    try {
      const http = createHttpClient({ dispatcher, retries: 4, sleep: async (ms) => void sleeps.push(ms), onHostDown: (d) => down.push(`${d.host} ${d.kind}`) });
      // Sent together: each is tried once, none again.
      const results = await Promise.all(['/a', '/b'].map((path) => http.send({ method: 'GET', url: `https://huggingface.co${path}` })));
      results.push(await http.send({ method: 'GET', url: 'https://huggingface.co/c' }));
      for (const r of results) assert.equal(r.ok ? r.status : [r.kind, r.detail, r.host], ['unreachable', `network error (${code})`, 'huggingface.co']);
      assert.equal(lookups, ['huggingface.co', 'huggingface.co'], 'one lookup per request sent, no retry, the later request not sent');
      assert.equal(sleeps, [], 'no backoff');
      assert.equal(down, ['huggingface.co unreachable']);
      assert.match((results[2] as { message: string }).message, 'not asked, the host failed an earlier request in this run');
    } finally {
      await dispatcher.close();
    }
  }
});

test('a refused connection is not retried either; a connection that breaks is, with backoff', async () => {
  const gone = await startFakeServer(() => {});
  await gone.close();
  let accepted = 0;
  const breaking = createServer((socket: Socket) => {
    accepted++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => breaking.listen(0, '127.0.0.1', resolve));
  const sleeps: number[] = [];
  try {
    const http = createHttpClient({ retries: 3, baseDelayMs: 7, sleep: async (ms) => void sleeps.push(ms) });
    const refused = await http.send({ method: 'GET', url: `${gone.url}/x` });
    assert.ok(!refused.ok && refused.kind === 'unreachable');
    assert.equal(sleeps, []);
    assert.is(http.requests, 1);
    const reset = await http.send({ method: 'GET', url: `http://127.0.0.1:${(breaking.address() as { port: number }).port}/y` });
    assert.ok(!reset.ok && reset.kind === 'network', JSON.stringify(reset));
    assert.equal(sleeps, [7, 14, 28], 'a broken connection is retried with backoff');
    assert.is(accepted, 4);
  } finally {
    await new Promise((resolve) => breaking.close(resolve));
  }
});

test('following more than 5 redirects, or a loop, is a failure, never the last 3xx as the answer', async () => {
  const server = await startFakeServer((req, res) => {
    const n = Number(req.url.pathname.slice(1));
    if (req.url.pathname === '/loop') return void res.writeHead(302, { location: '/loop' }).end();
    if (n < 9) return void res.writeHead(302, { location: `/${n + 1}` }).end();
    sendJson(res, 200, { arrived: n });
  });
  try {
    const http = createHttpClient({ retries: 0 });
    const five = await http.send({ method: 'GET', url: `${server.url}/4`, redirect: 'follow' });
    assert.ok(five.ok && five.status === 200, 'five redirects are followed');
    for (const path of ['/3', '/loop']) {
      const r = await http.send({ method: 'GET', url: `${server.url}${path}`, redirect: 'follow' });
      assert.equal(r.ok ? r.status : [r.kind, r.detail], ['redirects', 'more than 5 redirects']);
    }
  } finally {
    await server.close();
  }
});

test('COMFYGEN_API_TIMEOUT_SECONDS and COMFYGEN_API_RETRIES set the client; nonsense is a usage error', () => {
  assert.equal(httpOptionsFromEnv({}), {});
  assert.equal(httpOptionsFromEnv({ COMFYGEN_API_TIMEOUT_SECONDS: '2.5', COMFYGEN_API_RETRIES: '0' }), { timeoutMs: 2500, retries: 0 });
  assert.throws(() => httpOptionsFromEnv({ COMFYGEN_API_TIMEOUT_SECONDS: '0' }), /COMFYGEN_API_TIMEOUT_SECONDS="0": expected a number of seconds > 0/);
  assert.throws(() => httpOptionsFromEnv({ COMFYGEN_API_RETRIES: 'many' }), /COMFYGEN_API_RETRIES="many": expected a whole number/);
});

test('Retry-After as seconds or a date, RateLimit t=, else capped exponential backoff', () => {
  const h = (init: Record<string, string>) => new Headers(init);
  const opts = { baseDelayMs: 1000, maxDelayMs: 30_000 };
  assert.is(retryDelay(h({ 'retry-after': '2' }), 0, opts), 2000);
  const inTen = new Date(Date.now() + 10_000).toUTCString();
  assert.ok(Math.abs(retryDelay(h({ 'retry-after': inTen }), 0, opts) - 10_000) < 1500);
  assert.is(retryDelay(h({ ratelimit: '"resolvers";r=0;t=55' }), 0, opts), 55_000);
  assert.equal([0, 1, 2, 5, 9].map((n) => retryDelay(null, n, opts)), [1000, 2000, 4000, 30_000, 30_000]);
});


test('digest: a file is hashed as it streams; the timeout counts from the last byte, so only a stall ends it', async () => {
  const { startFileServer } = await import('../helpers/file-server.js');
  const { createHash } = await import('node:crypto');
  const server = await startFileServer();
  // 3 s of steady trickle against a 2 s timeout: a timeout from the start would cut it off.
  const body = Buffer.from('weights '.repeat(3000));
  server.file('/slow.bin', body, { chunkSize: 400, chunkDelayMs: 50 });
  server.file('/stalls.bin', body);
  server.fail('/stalls.bin', { kind: 'stall', afterBytes: 1000, ms: 8000 });
  try {
    const http = createHttpClient({ retries: 0, timeoutMs: 2000 });
    const started = Date.now();
    const res = await http.send({ method: 'GET', url: `${server.url}/slow.bin`, digest: true });
    assert.ok(res.ok && res.digest, JSON.stringify(res));
    assert.ok(Date.now() - started > 2000, 'the transfer outlasted the timeout');
    assert.equal(res.ok && res.digest && [res.digest.sha256, res.digest.size, res.body.length, res.digest.head.length],
      [createHash('sha256').update(body).digest('hex'), body.length, 0, 512]);
    const stalled = await http.send({ method: 'GET', url: `${server.url}/stalls.bin`, digest: true });
    assert.equal(!stalled.ok && stalled.kind, 'timeout');
  } finally {
    await server.close();
  }
});

test.run();
