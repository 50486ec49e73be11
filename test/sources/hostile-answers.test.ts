/**
 * Hostile input, class 4: API answers are validated at the boundary. A size that is no byte count,
 * a redirect loop while hashing, a listed path that curl would collapse into another repository,
 * an id that prints as 1e+300: the pin is refused with a reason, never written into the lock
 * (where the next build would refuse the whole lock, or download.sh fetch the wrong file).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSources, resolveAll } from '../../src/sources/index.js';
import { runCli } from '../helpers/cli.js';
import { sendJson, startFakeServer, type FakeServer } from '../helpers/fake-server.js';
import { tempDir } from '../helpers/tmp.js';
import { uiNode, uiWorkflow } from '../scan/builders.js';
import { request, testContext } from './harness.js';

const COMMIT = 'c'.repeat(40);
const SHA = (n: number) => String(n).repeat(64).slice(0, 64);
const EMPTY_SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** A Hub whose tree listing of org/odd says whatever `entries` says, and whose small files redirect forever. */
async function oddHub(entries: object[]): Promise<FakeServer> {
  return startFakeServer((req, res) => {
    const path = req.url.pathname;
    if (path.startsWith('/api/models/org/odd/revision/')) return sendJson(res, 200, { id: 'org/odd', sha: COMMIT });
    if (path.startsWith(`/api/models/org/odd/tree/${COMMIT}`)) return sendJson(res, 200, entries);
    if (path.startsWith('/org/odd/resolve/')) return void res.writeHead(302, { location: `${path}?again=${Math.random()}` }).end();
    sendJson(res, 404, { error: 'Repository not found' }, { 'x-error-code': 'RepoNotFound' });
  });
}

const lfs = (path: string, size: unknown, n: number) => ({ type: 'file', path, oid: 'a'.repeat(40), size: 134, lfs: { oid: SHA(n), size } });

test('a listed size of -1, 1.5 or 1e300 is refused with a reason, not pinned; a build with it and a rebuild both work', async () => {
  const hub = await oddHub([lfs('neg.safetensors', -1, 1), lfs('half.safetensors', 1.5, 2), lfs('huge.safetensors', 1e300, 3), lfs('fine.safetensors', 10, 4)]);
  try {
    const t = await testContext({ hf: hub });
    const names = ['neg', 'half', 'huge', 'fine'];
    const results = await resolveAll(names.map((n) => request(`vae/${n}.safetensors`, { urls: [`https://huggingface.co/org/odd/resolve/main/${n}.safetensors`] })),
      createSources([{ type: 'huggingface', repos: [] }]), t.ctx);
    await t.ctx.close();
    const status = (n: string) => results.get(`vae/${n}.safetensors`)!.resolution;
    for (const [n, shown] of [['neg', '-1'], ['half', '1.5'], ['huge', '1e+300']] as const) {
      assert.equal(status(n), { status: 'failed', reason: `not pinned: Hugging Face lists ${n}.safetensors in org/odd with the size ${shown}, which is no number of bytes` });
    }
    assert.is(status('fine').status, 'pinned');

    const { dir, cleanup } = await tempDir('comfygen-odd-');
    try {
      await mkdir(join(dir, 'wf'));
      const vae = (id: number, n: string) => uiNode({ id, type: 'VAELoader', widgets: [`${n}.safetensors`],
        properties: { models: [{ name: `${n}.safetensors`, directory: 'vae', url: `https://huggingface.co/org/odd/resolve/main/${n}.safetensors` }] } });
      await writeFile(join(dir, 'wf', 'a.json'), JSON.stringify(uiWorkflow(names.map((n, i) => vae(i + 1, n)))));
      await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({ workflows: ['wf/*.json'], sources: [{ type: 'huggingface', repos: [] }] }));
      for (const args of [['build'], ['build'], ['check']]) {
        const r = await runCli(args, dir, { HF_ENDPOINT: hub.url });
        assert.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      }
      const lock = JSON.parse(await readFile(join(dir, 'comfy.lock.json'), 'utf8'));
      assert.is(lock.models['vae/fine.safetensors'].locked.size, 10);
      assert.match(lock.models['vae/huge.safetensors'].unresolved.reason, 'which is no number of bytes');
    } finally {
      await cleanup();
    }
  } finally {
    await hub.close();
  }
});

test('a small file whose download redirects more than 5 times, or in a loop, is not pinned (never as the empty file)', async () => {
  const hub = await oddHub([{ type: 'file', path: 'config.json', oid: 'b'.repeat(40), size: 12 }]);
  try {
    const t = await testContext({ hf: hub });
    const results = await resolveAll([request('configs/config.json', { urls: ['https://huggingface.co/org/odd/resolve/main/config.json'] })],
      createSources([{ type: 'huggingface', repos: [] }]), t.ctx);
    await t.ctx.close();
    const r = results.get('configs/config.json')!.resolution;
    assert.is(r.status, 'failed');
    assert.not.match(JSON.stringify(r), EMPTY_SHA);
    assert.match((r as { reason: string }).reason, 'more than 5 redirects');
  } finally {
    await hub.close();
  }
});

test('a listed path or a URL with `..` (or another non-canonical segment) is refused with a reason, never pinned into another repository', async () => {
  const hub = await oddHub([lfs('../../../evil/repo/resolve/main/model.safetensors', 10, 5), lfs('a//b.safetensors', 10, 6), lfs('c\\\\d.safetensors', 10, 7)]);
  try {
    const t = await testContext({ hf: hub });
    const results = await resolveAll([
      request('checkpoints/model.safetensors'),
      request('checkpoints/b.safetensors'),
      // Encoded slashes survive the URL parser, which collapses plain and %2E dot segments itself.
      request('checkpoints/x.safetensors', { urls: ['https://huggingface.co/org/odd/resolve/main/a%2F..%2F..%2F..%2Fevil%2Frepo%2Fresolve%2Fmain%2Fx.safetensors'] }),
      request('checkpoints/y.safetensors', { urls: ['https://huggingface.co/org%2F..%2F..%2Fevil/odd/resolve/main/y.safetensors'] }),
    ], createSources([{ type: 'huggingface', repos: ['org/odd'] }]), t.ctx);
    await t.ctx.close();
    for (const [key, r] of results) {
      assert.is(r.resolution.status, 'failed', key);
      assert.match((r.resolution as { reason: string }).reason, /^not pinned: /, key);
    }
    assert.match((results.get('checkpoints/model.safetensors')!.resolution as { reason: string }).reason, "has a '..', '.' or empty segment");
    assert.match((results.get('checkpoints/y.safetensors')!.resolution as { reason: string }).reason, 'is not a Hugging Face repository id');
  } finally {
    await hub.close();
  }
});

test('Civitai: an id that is no safe whole number is an unusable answer; an absurd sizeKB gives no approxSize', async () => {
  const file = (id: number, sizeKB: number) => ({ id, name: 'a.safetensors', sizeKB, type: 'Model', primary: true, hashes: { SHA256: SHA(8).toUpperCase() } });
  const civitai = await startFakeServer((req, res) => {
    if (req.url.pathname === '/api/v1/model-versions/1') return sendJson(res, 200, { id: 1e300, modelId: 1, files: [file(10, 1)] });
    if (req.url.pathname === '/api/v1/model-versions/2') return sendJson(res, 200, { id: 2, modelId: 1, files: [file(-20, 1)] });
    if (req.url.pathname === '/api/v1/model-versions/3') return sendJson(res, 200, { id: 3, modelId: 1, files: [file(30, 1e300)] });
    sendJson(res, 404, { error: 'Model not found' });
  });
  try {
    const t = await testContext({ civitai });
    const results = await resolveAll([1, 2, 3].map((n) => request(`loras/a${n}.safetensors`, { urls: [`https://civitai.com/api/download/models/${n}`] })),
      createSources([{ type: 'civitai' }]), t.ctx);
    await t.ctx.close();
    for (const n of [1, 2]) {
      const r = results.get(`loras/a${n}.safetensors`)!.resolution;
      assert.is(r.status, 'failed');
      assert.match((r as { reason: string }).reason, 'unexpected answer at');
    }
    const pinned = results.get('loras/a3.safetensors')!.resolution;
    assert.ok(pinned.status === 'pinned' && pinned.locked.approxSize === undefined && pinned.locked.url.endsWith('?fileId=30'), JSON.stringify(pinned));
  } finally {
    await civitai.close();
  }
});

test.run();
