/**
 * A source server that accepts connections and never answers: the build names the host while it
 * waits, gives up after the stated time (COMFYGEN_API_TIMEOUT_SECONDS, one retry), does not ask
 * it again, and finishes with what the other sources pinned.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { node, smallProject } from '../e2e/resolvers-fixture.js';
import { startFakeHf } from '../helpers/fake-hf.js';
import { startFakeServer } from '../helpers/fake-server.js';
import { tempDir } from '../helpers/tmp.js';
import { spawnCli } from './spawn.js';

test('a hung Civitai: named while waited for, given up on within the stated time, the rest of the build done', async () => {
  const hung = await startFakeServer(() => new Promise(() => {}));
  const hf = await startFakeHf({ repos: [{ id: 'org/flux', files: { 'vae/ae.safetensors': 'ae weights' } }] });
  const { dir, cleanup } = await tempDir('comfygen-hung-');
  const host = new URL(hung.url).host.replace(/\./g, '\\.');
  await smallProject(dir, [
    node(1, 'VAELoader', 'ae.safetensors', [{ name: 'ae.safetensors', directory: 'vae', url: 'https://huggingface.co/org/flux/resolve/main/vae/ae.safetensors' }]),
    ...[2, 3, 4].map((i) => node(i, 'LoraLoaderModelOnly', `style${i}.safetensors`, [{ name: `style${i}.safetensors`, directory: 'loras', url: `https://civitai.com/api/download/models/${i}00` }])),
  ], [{ type: 'huggingface', repos: [] }, { type: 'civitai' }]);
  const cli = spawnCli(['build'], dir, { HF_ENDPOINT: hf.url, CIVITAI_ENDPOINT: hung.url, COMFYGEN_API_TIMEOUT_SECONDS: '2' });
  // 2 s per attempt: time enough for the answering Hugging Face fake on a busy machine (every API
  // request shares the timeout), short enough to wait out the hung host twice.
  try {
    const started = Date.now();
    await cli.waitFor(new RegExp(`… Resolve 4 model\\(s\\): waiting for ${host}: no answer for 1 s to https://civitai\\.com/\\S+ \\(via CIVITAI_ENDPOINT\\); giving up after 2 attempt\\(s\\) of 2 s`), 60_000);
    assert.is(await Promise.race([cli.exited, new Promise((r) => setTimeout(() => r('still running'), 60_000))]), 0, cli.err());
    // Bounds are generous (a loaded CI machine may take seconds to start Node): without the timeout
    // the build would wait on the hung host forever, which they still catch.
    assert.ok(Date.now() - started < 60_000);
    assert.match(cli.err(), new RegExp(`${host} is not answering \\(no answer within 2 s\\); not asking it again this run`));
    // Three models' requests went out together: each tried twice (one retry), none more.
    assert.ok(hung.count() <= 6, `${hung.count()} requests`);
    const lock = JSON.parse(await readFile(join(dir, 'comfy.lock.json'), 'utf8'));
    assert.ok(lock.models['vae/ae.safetensors'].locked, 'the other source still pinned its model');
    assert.ok(lock.models['loras/style2.safetensors'].unresolved);
  } finally {
    if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    await Promise.all([hung.close(), hf.close()]);
    await cleanup();
  }
});

test.run();
