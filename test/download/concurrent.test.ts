import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { baseEnv, bytes, listTree, lockOf, pathWithout, pin, runScript, serverAndDir, sha256, summary, writeScript } from './harness.js';

const fx = serverAndDir(test, 'comfygen-dl-concurrent-');

/** Two runs of one script on one MODELS_DIR, started together. */
async function twoRuns(name: string, extraEnv: (dir: string) => Promise<Record<string, string>>) {
  const dir = join(fx.dir, name);
  const files = [1, 2, 3].map((i) => ({ key: `loras/${name}-${i}.safetensors`, path: `/${name}/${i}`, body: bytes(60_000, i) }));
  for (const f of files) fx.server.file(f.path, f.body, { chunkSize: 6000, chunkDelayMs: 15 });
  const script = await writeScript(dir, lockOf(Object.fromEntries(files.map((f) => [f.key, pin(`${fx.server.url}${f.path}`, f.body)]))));
  const env = { ...baseEnv(dir), MODELS_DIR: join(dir, 'models'), ...(await extraEnv(dir)) };
  const [a, b] = await Promise.all([runScript(script, ['--jobs', '3'], { env }), runScript(script, ['--jobs', '3'], { env })]);
  return { dir, files, a, b };
}

async function assertFetchedOnce(run: Awaited<ReturnType<typeof twoRuns>>) {
  const { dir, files, a, b } = run;
  assert.is(a.code, 0, a.output);
  assert.is(b.code, 0, b.output);
  const sa = summary(a.output)!;
  const sb = summary(b.output)!;
  assert.is(sa.downloaded + sb.downloaded, 3, `${a.output}\n${b.output}`);
  assert.is(sa.skipped + sb.skipped, 3);
  for (const f of files) {
    assert.is(sha256(await readFile(join(dir, 'models', f.key))), sha256(f.body));
    const served = fx.server.requestsFor(f.path);
    assert.is(served.length, 1, `${f.path} fetched once`);
    assert.is(served[0]!.bytesSent, f.body.length);
  }
  assert.equal(await listTree(join(dir, 'models')), ['loras/', ...files.map((f) => f.key)].sort(), 'no lock or .part left');
}

test('two runs started together on one MODELS_DIR fetch each file once (flock)', async () => {
  const run = await twoRuns('flock', async () => ({}));
  await assertFetchedOnce(run);
  assert.match(run.a.output + run.b.output, /waiting for another download of this file/);
});

test('without flock, lock directories keep the same promise', async () => {
  const run = await twoRuns('mkdir', async (dir) => ({ PATH: await pathWithout(dir, ['flock']) }));
  await assertFetchedOnce(run);
});

for (const lock of ['flock', 'mkdir'] as const) {
  test(`two runs on one large file over several connections: one fetches each chunk once, the other waits, then finds it in place (${lock})`, async () => {
    const dir = join(fx.dir, `split-${lock}`);
    const models = join(dir, 'models');
    const body = bytes(2 * 1024 * 1024, lock === 'flock' ? 51 : 52);
    const path = `/split-${lock}/big.safetensors`;
    // ~200 KB/s per connection: slow enough that the second run starts while the first is at it.
    fx.server.file(path, body, { chunkSize: 8192, chunkDelayMs: 40 });
    const script = await writeScript(dir, lockOf({ 'checkpoints/big.safetensors': pin(`${fx.server.url}${path}`, body) }));
    const env = { ...baseEnv(dir), MODELS_DIR: models, COMFYGEN_CHUNK_KIB: '64', ...(lock === 'mkdir' ? { PATH: await pathWithout(dir, ['flock']) } : {}) };
    const first = runScript(script, ['--connections', '4'], { env });
    // The second starts once the first is fetching chunks.
    while (!fx.server.requestsFor(path).some((q) => q.range !== null)) await new Promise((res) => setTimeout(res, 10));
    const second = runScript(script, ['--connections', '4'], { env });
    const [a, b] = await Promise.all([first, second]);
    assert.is(a.code, 0, a.output);
    assert.is(b.code, 0, b.output);
    assert.equal(summary(a.output), { downloaded: 1, skipped: 0, failed: 0, unresolved: 0 });
    assert.equal(summary(b.output), { downloaded: 0, skipped: 1, failed: 0, unresolved: 0 });
    assert.match(b.stdout, /waiting for another download of this file/);
    assert.is(sha256(await readFile(join(models, 'checkpoints/big.safetensors'))), sha256(body));
    const ranges = fx.server.requestsFor(path).map((q) => q.range).filter((r): r is string => r !== null);
    assert.equal(ranges.length, new Set(ranges).size, `no chunk was fetched twice: ${ranges.join(', ')}`);
    assert.equal(await listTree(models), ['checkpoints/', 'checkpoints/big.safetensors'], 'no .part, .part.map or lock left');
  });
}

test.run();
