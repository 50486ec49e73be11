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

test.run();
