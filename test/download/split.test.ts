/**
 * Large files over several connections (download.sh `--connections`): chunks fetched by Range,
 * written in place, recorded in <name>.part.map, verified as they land; kills at any point.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RequestRecord } from '../helpers/file-server.js';
import { baseEnv, bytes, listTree, lockOf, pathWithout, pin, processesHolding, processesMentioning, prng, runScript, serverAndDir, sha256, STOP_WAYS, stopScript, summary, writeScript } from './harness.js';

const fx = serverAndDir(test, 'comfygen-dl-split-');

let n = 0;
async function fresh(extra: Record<string, string> = {}) {
  const dir = join(fx.dir, `case${++n}`);
  const models = join(dir, 'models');
  await mkdir(dir, { recursive: true });
  return { dir, models, env: { ...baseEnv(dir), MODELS_DIR: models, COMFYGEN_CHUNK_KIB: '64', ...extra } };
}

const KiB64 = 65536;
/** `[from, to]` of a request for one chunk (`Range: bytes=a-b`), else null. */
const chunkOf = (r: RequestRecord): [number, number] | null => {
  const m = /^bytes=(\d+)-(\d+)$/.exec(r.range ?? '');
  return m ? [Number(m[1]), Number(m[2])] : null;
};

/** Chunks recorded in a .part.map: its header's base and chunk size, and the indices listed. */
function recorded(map: string): { base: number; chunk: number; done: Set<number> } | null {
  if (!existsSync(map)) return null;
  const [head, ...lines] = readFileSync(map, 'utf8').split('\n');
  const m = /^comfygen-chunks 1 (\d+) (\d+) (\d+)$/.exec(head ?? '');
  if (!m) return null;
  const done = new Set<number>();
  for (const line of lines) {
    if (/^\d+$/.test(line)) done.add(Number(line));
    const cut = /^cut (\d+)$/.exec(line);
    if (cut) for (const k of [...done]) if (k >= Number(cut[1])) done.delete(k);
  }
  return { base: Number(m[2]), chunk: Number(m[3]), done };
}

/**
 * A PATH whose `openssl` logs what its stdin is (a pipe, or a file) before running the real one:
 * which bytes were hashed by reading the file back, and which as they came. Without python3 when
 * `python` is false: download.sh's hasher is then a feeder piping into openssl.
 */
async function loggingOpenssl(dir: string, python = true): Promise<{ path: string; log: string; read: () => string[] }> {
  const bin = join(dir, 'bin');
  const log = join(dir, 'openssl.log');
  await mkdir(bin, { recursive: true });
  const real = (process.env.PATH ?? '').split(':').map((d) => join(d, 'openssl')).find((p) => existsSync(p));
  assert.ok(real, 'openssl is installed');
  await writeFile(join(bin, 'openssl'), `#!/bin/sh\nreadlink /proc/self/fd/0 >>'${log}'\nexec '${real}' "$@"\n`);
  await chmod(join(bin, 'openssl'), 0o755);
  const rest = python ? process.env.PATH! : await pathWithout(dir, ['python3']);
  return { path: `${bin}:${rest}`, log, read: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : []) };
}

for (const python of [true, false]) {
  const hasher = python ? 'python3 reading the .part' : 'chunks piped into openssl (no python3)';
  test(`a slow connection hands the rest to several: each chunk asked for once, written in place, verified as it lands (${hasher})`, async () => {
    const { dir, models, env } = await fresh({ COMFYGEN_PROGRESS_SECONDS: '1' });
    const body = bytes(3 * 1024 * 1024 + 12_345, python ? 31 : 30);
    const path = `/split/slow-${python}.safetensors`;
    // About 200 KB/s per connection: far below COMFYGEN_SPLIT_BELOW, and slow enough for progress lines.
    fx.server.file(path, body, { chunkSize: 8192, chunkDelayMs: 40 });
    const openssl = await loggingOpenssl(dir, python);
    const script = await writeScript(dir, lockOf({ 'checkpoints/slow.safetensors': pin(`${fx.server.url}${path}`, body) }));
    const r = await runScript(script, [], { env: { ...env, PATH: openssl.path } });
    assert.is(r.code, 0, r.output);
    assert.equal(summary(r.output), { downloaded: 1, skipped: 0, failed: 0, unresolved: 0 });
    assert.match(r.stdout, /slow\.safetensors: one connection brings [\d.]+ KiB\/s: fetching the remaining [\d.]+ (KiB|MiB) over up to 8 connections/);
    assert.match(r.stdout, /^checkpoints\/slow\.safetensors: [\d.]+ (KiB|MiB) of 3\.0 MiB(, [\d.]+ (KiB|MiB)\/s)?, up to 8 connections$/m, 'progress says how it goes');
    assert.is(sha256(await readFile(join(models, 'checkpoints/slow.safetensors'))), sha256(body));
    assert.equal(await listTree(models), ['checkpoints/', 'checkpoints/slow.safetensors'], 'no .part, .part.map or scratch left');

    const seen = fx.server.requestsFor(path);
    assert.is(seen[0]!.range, null, 'the first connection asks for the whole file');
    const chunks = seen.map(chunkOf).filter((c): c is [number, number] => c !== null).sort((a, b) => a[0] - b[0]);
    const base = chunks[0]![0];
    assert.ok(base > 0 && base % KiB64 === 0, `the chunks start where the first connection stopped, on 64 KiB (${base})`);
    assert.ok(seen[0]!.bytesSent >= base, 'nothing before the first chunk is asked for again');
    let at = base;
    for (const [from, to] of chunks) {
      assert.is(from, at, 'each chunk once, one after the other');
      assert.is(to, Math.min(from + KiB64, body.length) - 1);
      at = to + 1;
    }
    assert.is(at, body.length, 'up to the last byte');
    // The digest of the bytes as they came decided: the file itself was never read back to hash it.
    const hashed = openssl.read();
    if (python) assert.equal(hashed, [], `python3 hashed it, and its digest was taken: ${hashed.join(', ')}`);
    else assert.ok(hashed.length === 1 && hashed[0]!.startsWith('pipe:'), `the chunks went through a pipe into openssl as they landed: ${hashed.join(', ')}`);
  });
}

test('killed at 24 seeded random points over several connections: what the .part.map records is right, never fetched again, nothing outlives a run, nothing else is touched', async () => {
  // ~100 KB/s per connection and 4 of them: 24 short runs cannot finish 8 MiB.
  const body = bytes(8 * 1024 * 1024, 43);
  fx.server.file('/split/kill.safetensors', body, { chunkSize: 4096, chunkDelayMs: 40 });
  const { dir, models, env } = await fresh();
  const script = await writeScript(dir, lockOf({ 'checkpoints/kill.safetensors': pin(`${fx.server.url}/split/kill.safetensors`, body) }));
  const part = join(models, 'checkpoints/kill.safetensors.part');
  const map = `${part}.map`;
  // A file of the user's beside it, which no run may touch.
  const mine = bytes(100_000, 44);
  await mkdir(join(models, 'checkpoints'), { recursive: true });
  await writeFile(join(models, 'checkpoints/mine.safetensors'), mine);
  const random = prng(20261207);
  const noPython = await pathWithout(dir, ['python3']);
  // Power loss, a shutdown, Ctrl-C, `kill <pid>`.
  const ways = STOP_WAYS;
  let kills = 0;
  let resumedSplit = 0;
  for (let round = 0; round < 24; round++) {
    const before = recorded(map);
    const seen = fx.server.requests.length;
    const way = ways[round % ways.length]!;
    // From this round's first request: in the first connection's time, or among the chunks.
    const delay = 50 + Math.floor(random() * 900);
    const kill = (child: ChildProcess) => {
      if (stopScript(child, way)) kills++;
    };
    // Every way of stopping it, with each hasher: python3 reading the .part, or a feeder piping it
    // into openssl.
    const python = Math.floor(round / ways.length) % 2 === 0;
    await runScript(script, ['--connections', '4'], {
      env: python ? env : { ...env, PATH: noPython },
      onSpawn: async (child) => {
        const until = Date.now() + 10_000;
        while (fx.server.requests.length === seen && Date.now() < until) await new Promise((res) => setTimeout(res, 5));
        setTimeout(() => kill(child), delay);
      },
    });
    assert.not.ok(existsSync(join(models, 'checkpoints/kill.safetensors')), `round ${round} was interrupted before the end`);
    // However it was stopped, no curl, dd or hasher goes on (a few seconds' grace for a loaded machine:
    // a curl left running would still be fetching then).
    const leftovers = () => [...processesMentioning('/split/kill.safetensors'), ...processesMentioning(part), ...processesHolding(part), ...processesHolding(map)];
    for (const until = Date.now() + 3000; leftovers().length > 0 && Date.now() < until;) await new Promise((res) => setTimeout(res, 50));
    assert.equal(leftovers(), [], `round ${round} (${way}): nothing outlives the stopped script`);

    const after = recorded(map);
    if (before) {
      resumedSplit++;
      assert.ok(after, `round ${round}: the .part.map is kept`);
      for (const k of before.done) assert.ok(after!.done.has(k), `round ${round} (${way}): chunk ${k} stays recorded`);
      const asked = fx.server.requests.slice(seen).map(chunkOf).filter((c): c is [number, number] => c !== null);
      for (const [from] of asked) {
        assert.not.ok(before.done.has((from - before.base) / before.chunk), `round ${round}: a recorded chunk is not fetched again (${from})`);
      }
    }
    if (after) {
      const bytesOnDisk = readFileSync(part);
      for (const k of after.done) {
        const from = after.base + k * after.chunk;
        const to = Math.min(from + after.chunk, body.length);
        assert.ok(bytesOnDisk.subarray(from, to).equals(body.subarray(from, to)), `round ${round} (${way}): recorded chunk ${k} holds the file's bytes`);
      }
    }
  }
  assert.ok(kills >= 20, `killed ${kills} times`);
  assert.ok(resumedSplit >= 15, `resumed over several connections ${resumedSplit} times`);

  fx.server.file('/split/kill.safetensors', body);
  const last = await runScript(script, ['--connections', '4'], { env });
  assert.is(last.code, 0, last.output);
  assert.is(sha256(await readFile(join(models, 'checkpoints/kill.safetensors'))), sha256(body));
  assert.equal(await listTree(models), ['checkpoints/', 'checkpoints/kill.safetensors', 'checkpoints/mine.safetensors'], 'no .part, .part.map or scratch left');
  assert.equal(await readFile(join(models, 'checkpoints/mine.safetensors')), mine, 'the file beside it is untouched');
});

test('a server that sends no parts on their own: one connection, resumed where it stopped', async () => {
  // Letters only: the server's injected pages are text.
  const body = Buffer.from(bytes(700_000, 32).map((b) => 97 + (b % 26)));
  // No Range support at all: nothing is ever split.
  fx.server.file('/split/norange.safetensors', body, { ignoreRange: true, chunkSize: 8192, chunkDelayMs: 5 });
  const a = await fresh();
  const sa = await writeScript(a.dir, lockOf({ 'loras/norange.safetensors': pin(`${fx.server.url}/split/norange.safetensors`, body) }));
  const ra = await runScript(sa, ['--connections', '4'], { env: a.env });
  assert.is(ra.code, 0, ra.output);
  assert.equal(fx.server.requestsFor('/split/norange.safetensors').map((r) => r.range), [null], 'one request, the whole file');
  assert.is(sha256(await readFile(join(a.models, 'loras/norange.safetensors'))), sha256(body));

  // Says it serves ranges, then answers the chunks with the whole file: refused before a byte is
  // written, and the rest comes over one connection.
  fx.server.file('/split/liar.safetensors', body, { chunkSize: 8192, chunkDelayMs: 5 });
  const b = await fresh();
  const sb = await writeScript(b.dir, lockOf({ 'loras/liar.safetensors': pin(`${fx.server.url}/split/liar.safetensors`, body) }));
  const running = runScript(sb, ['--connections', '4'], { env: b.env });
  while (fx.server.requestsFor('/split/liar.safetensors').length === 0) await new Promise((res) => setTimeout(res, 5));
  fx.server.fail('/split/liar.safetensors', ...Array.from({ length: 4 }, () => ({ kind: 'page' as const, status: 200, contentType: 'application/octet-stream', body: body.toString('ascii') })));
  const rb = await running;
  assert.is(rb.code, 0, rb.output);
  assert.match(rb.stdout, /the server does not send parts of this file on their own; going on over one connection/);
  assert.is(sha256(await readFile(join(b.models, 'loras/liar.safetensors'))), sha256(body));
  assert.equal(await listTree(b.models), ['loras/', 'loras/liar.safetensors']);
});

test('a .part.map line cut short (a full disk) counts for nothing: that chunk comes again, the file is whole', async () => {
  const chunk = 65536;
  const body = bytes(10 * chunk, 36);
  fx.server.file('/split/cut-line.safetensors', body);
  const { dir, models, env } = await fresh();
  await mkdir(join(models, 'loras'), { recursive: true });
  // Chunks 0 and 1 were being recorded; only `1` of the line `12` was written, and chunk 1 holds zeros.
  const part = Buffer.alloc(3 * chunk);
  body.copy(part, 0, 0, chunk);
  body.copy(part, 2 * chunk, 2 * chunk, 3 * chunk);
  await writeFile(join(models, 'loras/cut.safetensors.part'), part);
  await writeFile(join(models, 'loras/cut.safetensors.part.map'), `comfygen-chunks 1 ${body.length} 0 ${chunk}\n0\n2\n1`);
  const script = await writeScript(dir, lockOf({ 'loras/cut.safetensors': pin(`${fx.server.url}/split/cut-line.safetensors`, body) }));
  const r = await runScript(script, ['--connections', '2'], { env });
  assert.is(r.code, 0, r.output);
  assert.equal(readFileSync(join(models, 'loras/cut.safetensors')), body);
  const asked = fx.server.requestsFor('/split/cut-line.safetensors').map((q) => q.range).sort();
  const expected = [1, 3, 4, 5, 6, 7, 8, 9].map((k) => `bytes=${k * chunk}-${(k + 1) * chunk - 1}`).sort();
  assert.equal(asked, expected, 'the chunks recorded in whole lines are not fetched again; chunk 1 is');

  // A header cut short: the .part is still in one piece (chunks start only after the header is
  // written), and resumes where it ends.
  fx.server.file('/split/cut-head.safetensors', body);
  await writeFile(join(models, 'loras/head.safetensors.part'), body.subarray(0, 100_000));
  await writeFile(join(models, 'loras/head.safetensors.part.map'), `comfygen-chunks 1 ${body.length} 0 6553`);
  const script2 = await writeScript(dir, lockOf({ 'loras/head.safetensors': pin(`${fx.server.url}/split/cut-head.safetensors`, body) }));
  const r2 = await runScript(script2, ['--connections', '1'], { env });
  assert.is(r2.code, 0, r2.output);
  assert.equal(readFileSync(join(models, 'loras/head.safetensors')), body);
  assert.equal(fx.server.requestsFor('/split/cut-head.safetensors').map((q) => q.rangeStart), [100_000], 'resumed where the .part ends');
  assert.equal(await listTree(models), ['loras/', 'loras/cut.safetensors', 'loras/head.safetensors']);
});

test('a recorded chunk whose bytes went bad on disk: the hash catches it, the download is removed, the next run fetches it all', async () => {
  const chunk = 65536;
  const body = bytes(6 * chunk, 37);
  fx.server.file('/split/rot.safetensors', body);
  const { dir, models, env } = await fresh();
  await mkdir(join(models, 'loras'), { recursive: true });
  const part = Buffer.from(body.subarray(0, 2 * chunk));
  part[chunk + 5] = part[chunk + 5]! ^ 0xff;
  await writeFile(join(models, 'loras/rot.safetensors.part'), part);
  await writeFile(join(models, 'loras/rot.safetensors.part.map'), `comfygen-chunks 1 ${body.length} 0 ${chunk}\n0\n1\n`);
  const script = await writeScript(dir, lockOf({ 'loras/rot.safetensors': pin(`${fx.server.url}/split/rot.safetensors`, body) }));
  const r = await runScript(script, ['--connections', '2'], { env });
  assert.is(r.code, 1, r.output);
  assert.match(r.stderr, /loras\/rot\.safetensors: FAILED: sha256 mismatch; the download was removed/);
  assert.equal(await listTree(models), ['loras/'], 'neither the .part nor its .part.map is kept');
  const again = await runScript(script, ['--connections', '2'], { env });
  assert.is(again.code, 0, again.output);
  assert.equal(readFileSync(join(models, 'loras/rot.safetensors')), body);
});

for (const python of [true, false]) {
  test(`a .part the server cannot resume is cut and its hasher starts over: a digest is never of bytes that are gone (${python ? 'python3' : 'no python3'})`, async () => {
    const { dir, models, env } = await fresh();
    const body = bytes(40 * 1024 * 1024, python ? 39 : 40);
    // What the server sends differs from the pin in its first byte only; the .part left by an
    // earlier run holds the pinned first MiB.
    const served = Buffer.from(body);
    served[0] = served[0]! ^ 0xff;
    const path = `/split/no-resume-${python}.safetensors`;
    // Slow to answer, so the hasher has read the .part's first MiB before curl finds it cannot resume.
    fx.server.file(path, served, { ignoreRange: true, answerDelayMs: 1500 });
    await mkdir(join(models, 'checkpoints'), { recursive: true });
    await writeFile(join(models, 'checkpoints/n.safetensors.part'), body.subarray(0, 1024 * 1024));
    const openssl = await loggingOpenssl(dir, python);
    const script = await writeScript(dir, lockOf({ 'checkpoints/n.safetensors': pin(`${fx.server.url}${path}`, body) }));
    const r = await runScript(script, ['--connections', '1'], { env: { ...env, PATH: openssl.path } });
    assert.is(r.code, 1, r.output);
    assert.match(r.stdout, /the server ignores ranges; starting this file over/);
    assert.match(r.stderr, /checkpoints\/n\.safetensors: FAILED: sha256 mismatch; the download was removed/);
    assert.equal(await listTree(models), ['checkpoints/'], 'nothing published, nothing kept');
  });
}

test('broken, cut and refused chunks are fetched again from their start; the file is whole', async () => {
  const { dir, models, env } = await fresh();
  const body = bytes(2 * 1024 * 1024, 35);
  fx.server.file('/split/faults.safetensors', body, { chunkSize: 8192, chunkDelayMs: 2 });
  const script = await writeScript(dir, lockOf({ 'loras/faults.safetensors': pin(`${fx.server.url}/split/faults.safetensors`, body) }));
  const running = runScript(script, ['--connections', '4'], { env });
  // After the first connection's request: these go to chunks.
  while (fx.server.requestsFor('/split/faults.safetensors').length === 0) await new Promise((res) => setTimeout(res, 5));
  fx.server.fail('/split/faults.safetensors',
    { kind: 'reset', afterBytes: 10_000 }, { kind: 'truncate', afterBytes: 20_000 }, { kind: 'status', status: 503 }, { kind: 'reset', afterBytes: 0 });
  const r = await running;
  assert.is(r.code, 0, r.output);
  assert.match(r.stdout, /on a part; retrying it in 0s/);
  assert.is(sha256(await readFile(join(models, 'loras/faults.safetensors'))), sha256(body));
  const asked = fx.server.requestsFor('/split/faults.safetensors').map(chunkOf).filter((c): c is [number, number] => c !== null);
  const twice = asked.filter(([from], i) => asked.findIndex(([f]) => f === from) !== i);
  assert.ok(twice.length >= 3, `the failed chunks were asked for again, whole (${twice.length})`);
  assert.equal(await listTree(models), ['loras/', 'loras/faults.safetensors']);
});

for (const python of [true, false]) {
  test(`one connection: a large file is hashed as it lands, never read again; a small one once it is in (${python ? 'python3' : 'no python3'})`, async () => {
    const { dir, models, env } = await fresh();
    // Above the 32 MiB from which download.sh follows the download with its hasher.
    const large = bytes(40 * 1024 * 1024 + 321, python ? 33 : 38);
    const small = bytes(300_000, 34);
    fx.server.file(`/split/large-${python}.safetensors`, large);
    fx.server.file(`/split/small-${python}.safetensors`, small);
    const openssl = await loggingOpenssl(dir, python);
    const script = await writeScript(dir, lockOf({
      'checkpoints/large.safetensors': pin(`${fx.server.url}/split/large-${python}.safetensors`, large),
      'checkpoints/small.safetensors': pin(`${fx.server.url}/split/small-${python}.safetensors`, small),
    }));
    const r = await runScript(script, ['--jobs', '1', '--connections', '1'], { env: { ...env, PATH: openssl.path } });
    assert.is(r.code, 0, r.output);
    assert.equal(summary(r.output), { downloaded: 2, skipped: 0, failed: 0, unresolved: 0 });
    const reads = openssl.read();
    const smallRead = reads.filter((what) => what.endsWith('small.safetensors.part'));
    assert.is(smallRead.length, 1, `the small file was hashed once it was in: ${reads.join(', ')}`);
    const largeReads = reads.filter((what) => !what.endsWith('small.safetensors.part'));
    // Never a read of the large .part: its digest came as it landed.
    if (python) assert.equal(largeReads, [], `python3 hashed the large file: ${reads.join(', ')}`);
    else assert.ok(largeReads.length === 1 && largeReads[0]!.startsWith('pipe:'), `the large file was piped into openssl as it came: ${reads.join(', ')}`);
    assert.equal(fx.server.requestsFor(`/split/large-${python}.safetensors`).map((q) => q.range), [null], 'over one connection');
    assert.ok(sha256(readFileSync(join(models, 'checkpoints/large.safetensors'))) === sha256(large));
    assert.equal(readFileSync(join(models, 'checkpoints/small.safetensors')), small);
    assert.equal(await listTree(models), ['checkpoints/', 'checkpoints/large.safetensors', 'checkpoints/small.safetensors']);
  });
}

test.run();
