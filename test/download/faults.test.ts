import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LockedModel } from '../../src/core/types.js';
import type { FileServer } from '../helpers/file-server.js';
import { baseEnv, bytes, listTree, lockOf, pin, runScript, serverAndDir, sha256, summary, writeScript } from './harness.js';

const fx = serverAndDir(test, 'comfygen-dl-faults-');

let n = 0;
/** Serve `body` at a fresh path with the given faults queued, and run a script pinning it. */
async function scenario(opts: {
  body?: Buffer;
  faults?: Parameters<FileServer['fail']>[1][];
  pinned?: Partial<LockedModel>;
  key?: string;
  env?: Record<string, string>;
  serve?: Parameters<FileServer['file']>[2];
}) {
  const id = ++n;
  const dir = join(fx.dir, `case${id}`);
  const models = join(dir, 'models');
  const body = opts.body ?? bytes(200_000, id);
  const path = `/f${id}/model.safetensors`;
  fx.server.file(path, body, opts.serve);
  if (opts.faults?.length) fx.server.fail(path, ...opts.faults);
  const key = opts.key ?? 'checkpoints/model.safetensors';
  const script = await writeScript(dir, lockOf({ [key]: pin(`${fx.server.url}${path}`, body, opts.pinned) }));
  const env = { ...baseEnv(dir), MODELS_DIR: models, ...opts.env };
  const run = () => runScript(script, [], { env });
  return { dir, models, body, path, key, script, env, run, installed: join(models, key) };
}

test('5xx answers are retried until the file comes through', async () => {
  const s = await scenario({ faults: [{ kind: 'status', status: 500 }, { kind: 'status', status: 502 }, { kind: 'status', status: 503 }] });
  const r = await s.run();
  assert.is(r.code, 0, r.output);
  assert.is(sha256(await readFile(s.installed)), sha256(s.body));
  assert.is(fx.server.requestsFor(s.path).length, 4);
  assert.match(r.stdout, /HTTP 503; retrying in 0s/);
});

test('429 waits as long as Retry-After says', async () => {
  const s = await scenario({ faults: [{ kind: 'status', status: 429, headers: { 'retry-after': '1' } }] });
  const started = Date.now();
  const r = await s.run();
  assert.is(r.code, 0, r.output);
  assert.ok(Date.now() - started >= 1000, 'waited at least the Retry-After second');
  assert.match(r.stdout, /HTTP 429; retrying in 1s/);
  assert.is(fx.server.requestsFor(s.path).length, 2);
});

test('a Retry-After beyond the configured maximum gives up with the reason', async () => {
  const s = await scenario({
    faults: [{ kind: 'status', status: 429, headers: { 'retry-after': '3600' } }],
    env: { COMFYGEN_RETRY_MAX_SECONDS: '5' },
  });
  const r = await s.run();
  assert.is(r.code, 1);
  assert.match(r.stderr, /the server asks to wait 3600 s/);
  assert.not.ok(existsSync(s.installed));
});

test('connection resets and truncated bodies resume where they broke off', async () => {
  const s = await scenario({
    faults: [{ kind: 'reset', afterBytes: 70_000 }, { kind: 'truncate', afterBytes: 50_000 }],
    serve: { chunkSize: 10_000 },
  });
  const r = await s.run();
  assert.is(r.code, 0, r.output);
  assert.is(sha256(await readFile(s.installed)), sha256(s.body));
  const reqs = fx.server.requestsFor(s.path);
  assert.is(reqs.length, 3);
  assert.is(reqs[0]!.range, null);
  const first = reqs[1]!.rangeStart!;
  assert.ok(first > 0 && first <= 70_000, `resumed at ${first}`);
  assert.is(reqs[2]!.rangeStart, first + 50_000, 'the truncated part was kept too');
});

test('a stalled transfer is cut by the speed limit and resumed', async () => {
  const s = await scenario({
    faults: [{ kind: 'stall', afterBytes: 60_000, ms: 10_000 }],
    serve: { chunkSize: 20_000 },
    env: { COMFYGEN_SPEED_LIMIT: '1000000', COMFYGEN_SPEED_TIME: '1' },
  });
  const started = Date.now();
  const r = await s.run();
  assert.is(r.code, 0, r.output);
  assert.ok(Date.now() - started < 6000, 'did not sit out the stall');
  assert.is(sha256(await readFile(s.installed)), sha256(s.body));
  assert.is(fx.server.requestsFor(s.path)[1]!.rangeStart, 60_000);
});

test('persistent server errors end in a clear failure after the configured attempts', async () => {
  const s = await scenario({ faults: Array(10).fill({ kind: 'status', status: 500 }), env: { COMFYGEN_RETRIES: '2' } });
  const r = await s.run();
  assert.is(r.code, 1);
  assert.match(r.stderr, /model\.safetensors: FAILED: could not download: HTTP 500/);
  assert.is(fx.server.requestsFor(s.path).length, 3);
  assert.equal(await listTree(s.models), ['checkpoints/']);
});

test('404 and 410 are not retried and say how to re-pin', async () => {
  for (const status of [404, 410]) {
    const s = await scenario({ faults: [{ kind: 'status', status }] });
    const r = await s.run();
    assert.is(r.code, 1);
    assert.is(fx.server.requestsFor(s.path).length, 1);
    assert.match(r.stderr, new RegExp(`HTTP ${status} \\(gone at the source; run \`comfygen build --update checkpoints/model\\.safetensors\``));
  }
});

test('a redirect loop fails at once with curl\'s own reason, not "HTTP 302" after retries', async () => {
  const loop = { kind: 'status' as const, status: 302, headers: { Location: '' } };
  const s = await scenario({ faults: Array(40).fill(loop) });
  loop.headers.Location = s.path;
  const r = await s.run();
  assert.is(r.code, 1);
  assert.match(r.stderr, /model\.safetensors: FAILED: .*[Mm]aximum \(\d+\) redirects followed/);
  assert.not.match(r.stdout + r.stderr, /retrying/);
});

test('the re-pin hint is a command safe to paste, whatever the name holds', async () => {
  const s = await scenario({ key: 'loras/$(touch pwned) a.safetensors', faults: [{ kind: 'status', status: 404 }] });
  const r = await s.run();
  assert.is(r.code, 1);
  const command = /run `(comfygen build --update .*)` to pin it again/.exec(r.stderr)?.[1];
  assert.ok(command, r.stderr);
  // What a paste would run: bash parses it into one word, the key, and runs nothing.
  const words = spawnSync('bash', ['-c', `set -- ${command!.replace('comfygen build --update ', '')}; printf '%s\\n' "$#" "$1"`], { cwd: s.dir, encoding: 'utf8' });
  assert.is(words.stdout, '1\nloras/$(touch pwned) a.safetensors\n');
  assert.not.ok(existsSync(join(s.dir, 'pwned')));
});

test('an HTML page with status 200 is never published', async () => {
  const page = { kind: 'page' as const, contentType: 'text/html; charset=utf-8', body: '<!DOCTYPE html><html><body>Please log in</body></html>' };
  const pinned = await scenario({ faults: [page] });
  const r1 = await pinned.run();
  assert.is(r1.code, 1);
  assert.match(r1.stderr, /sha256 mismatch for checkpoints\/model\.safetensors/);
  assert.match(r1.stderr, /the server sent an HTML page/);
  assert.equal(await listTree(pinned.models), ['checkpoints/']);
  const again = await pinned.run();
  assert.is(again.code, 0, 'the next run starts clean, with no poisoned .part');
  assert.is(sha256(await readFile(pinned.installed)), sha256(pinned.body));

  const unverified = await scenario({ faults: [page], pinned: { sha256: null, size: null } });
  const r2 = await unverified.run();
  assert.is(r2.code, 1);
  assert.match(r2.stderr, /sent an HTML or JSON page instead of the file/);
  assert.equal(await listTree(unverified.models), ['checkpoints/']);

  const sniffed = await scenario({
    faults: [{ kind: 'page', contentType: 'application/octet-stream', body: '  <html><head><title>Sign in</title>' }],
    pinned: { sha256: null, size: null },
  });
  assert.is((await sniffed.run()).code, 1, 'caught by the first bytes even when the type lies');
  assert.not.ok(existsSync(sniffed.installed));

  const json = await scenario({
    faults: [{ kind: 'page', contentType: 'application/json', body: '{"error":"Unauthorized"}' }],
    pinned: { sha256: null, size: null },
  });
  assert.is((await json.run()).code, 1);
  assert.not.ok(existsSync(json.installed));
});

test('an unverified download of the wrong size is refused', async () => {
  const s = await scenario({ pinned: { sha256: null, size: 123 } });
  const r = await s.run();
  assert.is(r.code, 1);
  assert.match(r.stderr, /got 200000 bytes, the pin says 123/);
  assert.not.ok(existsSync(s.installed));
});

test('a server that ignores Range restarts the file instead of appending', async () => {
  const s = await scenario({ serve: { ignoreRange: true } });
  await mkdir(join(s.models, 'checkpoints'), { recursive: true });
  await writeFile(`${s.installed}.part`, s.body.subarray(0, 1000));
  const r = await s.run();
  assert.is(r.code, 0, r.output);
  assert.is(sha256(await readFile(s.installed)), sha256(s.body));
  assert.match(r.stdout, /ignores ranges; starting this file over/);
});

test('a .part longer than the pinned size is started over', async () => {
  const s = await scenario({});
  await mkdir(join(s.models, 'checkpoints'), { recursive: true });
  await writeFile(`${s.installed}.part`, Buffer.concat([s.body, Buffer.from('junk')]));
  const r = await s.run();
  assert.is(r.code, 0, r.output);
  assert.is(sha256(await readFile(s.installed)), sha256(s.body));
});

test('a 416 on a complete .part goes straight to verification', async () => {
  const s = await scenario({});
  await mkdir(join(s.models, 'checkpoints'), { recursive: true });
  await writeFile(`${s.installed}.part`, s.body);
  const r = await s.run();
  assert.is(r.code, 0, r.output);
  const reqs = fx.server.requestsFor(s.path);
  assert.is(reqs.length, 1);
  assert.is(reqs[0]!.status, 416);
  assert.is(sha256(await readFile(s.installed)), sha256(s.body));
});

test('a mirror is tried when the first URL is gone', async () => {
  const body = bytes(9000, 99);
  fx.server.file('/mirror/ok', body);
  const dir = join(fx.dir, 'mirror');
  const script = await writeScript(dir, lockOf({
    'loras/m.safetensors': pin(`${fx.server.url}/mirror/gone`, body, { mirrors: [`${fx.server.url}/mirror/ok`] }),
  }));
  const r = await runScript(script, [], { env: { ...baseEnv(dir), MODELS_DIR: join(dir, 'models') } });
  assert.is(r.code, 0, r.output);
  assert.match(r.stderr, /\/mirror\/gone: HTTP 404/);
  assert.is(sha256(await readFile(join(dir, 'models/loras/m.safetensors'))), sha256(body));
});

test('URLs other than https (or http to this machine) are never fetched', async () => {
  const dir = join(fx.dir, 'schemes');
  const body = 'x';
  const script = await writeScript(dir, lockOf({
    'loras/a.safetensors': pin('http://example.com/a.safetensors', body),
    'loras/b.safetensors': pin('file:///etc/passwd', body),
    'loras/c.safetensors': pin('ftp://127.0.0.1/c', body),
    'loras/d.safetensors': pin('http://127.0.0.1.example.com/d', body),
    'loras/e.safetensors': pin(`http://user:secret@127.0.0.1:${fx.server.port}/e`, body),
  }));
  const r = await runScript(script, [], { env: { ...baseEnv(dir), MODELS_DIR: join(dir, 'models') } });
  assert.is(r.code, 1);
  assert.equal(summary(r.output), { downloaded: 0, skipped: 0, failed: 5, unresolved: 0 });
  assert.match(r.stderr, /a\.safetensors: FAILED: could not download: plain http is only allowed to this machine/);
  assert.match(r.stderr, /b\.safetensors: FAILED: could not download: not an https URL/);
  assert.match(r.stderr, /e\.safetensors: FAILED: could not download: URL carries credentials/);
  assert.not.ok(r.output.includes('secret'));
  assert.not.ok(fx.server.requests.some((q) => q.url === '/e'));
});

test.run();
