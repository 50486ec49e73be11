/**
 * Sizes at lock time for URLs pinned as written: download.sh decides by size whether a file is in
 * place, so every pin that can have one gets one (real HTTP servers on 127.0.0.1).
 */
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { LockedModel, Lockfile } from '../../src/core/types.js';
import { createSources, resolveAll } from '../../src/sources/index.js';
import { completeSizes } from '../../src/sources/sizes.js';
import type { ResolveRequest, SourceConfig } from '../../src/sources/types.js';
import { startFileServer, type FileServer } from '../helpers/file-server.js';
import { localFile, request, testContext } from './harness.js';

let server: FileServer;
let storage: FileServer;
const sha = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');
const body = (n: number, fill: string) => Buffer.alloc(n, fill);

test.before(async () => {
  [server, storage] = await Promise.all([startFileServer(), startFileServer()]);
});
test.after(async () => {
  await Promise.all([server.close(), storage.close()]);
});

type Files = Extract<SourceConfig, { type: 'url' }>['files'];

async function lock(files: Files, opts: { offline?: boolean; previous?: Lockfile; local?: Record<string, { size: number; sha256: string }>; env?: NodeJS.ProcessEnv; hf?: { url: string } } = {}) {
  const localHashes = new Map<string, string>();
  const requests: ResolveRequest[] = Object.keys(files).map((key) => {
    const here = opts.local?.[key];
    if (!here) return request(key);
    const file = localFile(key.split('/')[0]!, key.split('/')[1]!, here.size);
    localHashes.set(file.absPath, here.sha256);
    return request(key, { local: file });
  });
  const t = await testContext({ offline: opts.offline, localHashes, env: opts.env, hf: opts.hf });
  const results = await resolveAll(requests, createSources([{ type: 'url', files }]), t.ctx);
  await completeSizes(results, requests, opts.previous ?? null, t.ctx);
  await t.ctx.close();
  const locked = (key: string): LockedModel => {
    const r = results.get(key)!.resolution;
    assert.is(r.status, 'pinned', key);
    return (r as { locked: LockedModel }).locked;
  };
  return { locked, diagnostics: t.diagnostics };
}

test('a URL pinned as written gets the size its server gives: a ranged request for one byte, or HEAD where ranges are ignored', async () => {
  const a = body(1000, 'a');
  const b = body(777, 'b');
  server.file('/a.bin', a);
  server.file('/b.bin', b, { ignoreRange: true });
  server.file('/declared.bin', 'dd');
  const before = server.requests.length;
  const { locked, diagnostics } = await lock({
    'loras/a.bin': { url: `${server.url}/a.bin`, sha256: sha(a) },
    'loras/b.bin': { url: `${server.url}/b.bin` },
    'loras/declared.bin': { url: `${server.url}/declared.bin`, sha256: sha('dd'), size: 2 },
  });
  assert.is(locked('loras/a.bin').size, 1000);
  assert.is(locked('loras/b.bin').size, 777, 'an unverified pin gets its size too');
  assert.is(locked('loras/declared.bin').size, 2);
  assert.equal(diagnostics, []);
  const seen = server.requests.slice(before);
  assert.equal(seen.filter((r) => r.url === '/a.bin').map((r) => [r.method, r.range]), [['GET', 'bytes=0-0']], 'one byte asked for, once');
  assert.equal(seen.filter((r) => r.url === '/b.bin').map((r) => r.method), ['GET', 'HEAD']);
  assert.is(seen.filter((r) => r.url === '/declared.bin').length, 0, 'a declared size is not asked for');
});

test('a definite answer without a size is a warning; an outage stays silent; a local file with the pinned bytes gives its size', async () => {
  const here = body(300, 'h');
  // More 503s than the client's attempts: the server stays down for this build.
  for (const path of ['/busy.bin', '/busy2.bin']) {
    server.fail(path, ...Array.from({ length: 8 }, () => ({ kind: 'status' as const, status: 503 })));
    server.file(path, here);
  }
  const { locked, diagnostics } = await lock({
    'loras/gone.bin': { url: `${server.url}/gone.bin`, sha256: sha('x') },
    'loras/busy.bin': { url: `${server.url}/busy.bin`, sha256: sha(here) },
    'loras/busy-other.bin': { url: `${server.url}/busy2.bin`, sha256: sha('other') },
  }, { local: { 'loras/busy.bin': { size: 300, sha256: sha(here) }, 'loras/busy-other.bin': { size: 300, sha256: sha(here) } } });
  assert.is(locked('loras/gone.bin').size, null);
  assert.is(locked('loras/busy.bin').size, 300, 'the server was down: the local file with the pinned sha256 tells');
  assert.is(locked('loras/busy-other.bin').size, null, 'a local file with other bytes says nothing about the pin');
  assert.equal(diagnostics.map((d) => [d.code, d.severity]), [['size-unknown', 'warning']], 'only the 404 is said');
  assert.match(diagnostics[0]!.message, /^loras\/gone\.bin: HTTP 404: the pinned URL did not say how large the file is/);

  const offline = await lock({ 'loras/off.bin': { url: `${server.url}/off.bin`, sha256: sha(here) } }, { offline: true, local: { 'loras/off.bin': { size: 300, sha256: sha(here) } } });
  assert.is(offline.locked('loras/off.bin').size, 300, 'offline, the bytes hashed');
  assert.equal(offline.diagnostics, []);
  assert.is(server.requestsFor('/off.bin').length, 0, 'offline asks nothing');
});

test('pinning the same URL and sha256 again keeps the recorded size without asking', async () => {
  const url = `${server.url}/kept.bin`;
  const previous: Lockfile = { version: 1, models: { 'loras/kept.bin': { original: { url }, locked: { source: 'url', url, sha256: sha('k'), size: 12345, hashOrigin: 'declared' } } } };
  const { locked } = await lock({ 'loras/kept.bin': { url, sha256: sha('k') } }, { previous });
  assert.is(locked('loras/kept.bin').size, 12345);
  assert.is(server.requestsFor('/kept.bin').length, 0);
  const other = await lock({ 'loras/kept.bin': { url, sha256: sha('other') } }, { previous });
  assert.is(other.locked('loras/kept.bin').size, null, 'other bytes: the old size does not carry over (and the server, asked, has no such file)');
});

test('a Hugging Face URL taken as written is asked through HF_ENDPOINT with HF_TOKEN, which never follows a redirect to another host', async () => {
  const file = body(4096, 'f');
  server.redirect('/o/r/resolve/main/w.bin', `${storage.url}/blob/w.bin`, 302);
  storage.file('/blob/w.bin', file);
  const { locked } = await lock(
    { 'loras/w.bin': { url: 'https://huggingface.co/o/r/resolve/main/w.bin', sha256: sha(file) } },
    { hf: { url: server.url }, env: { HF_TOKEN: 'hf_secret' } },
  );
  assert.is(locked('loras/w.bin').size, 4096);
  assert.is(locked('loras/w.bin').url, 'https://huggingface.co/o/r/resolve/main/w.bin', 'the lock keeps the public URL');
  assert.equal(server.requestsFor('/o/r/resolve/main/w.bin').map((r) => r.authorization), ['Bearer hf_secret']);
  assert.equal(storage.requestsFor('/blob/w.bin').map((r) => r.authorization), [null]);
});

test.run();
