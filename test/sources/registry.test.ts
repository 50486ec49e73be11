import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSources, resolveAll } from '../../src/sources/index.js';
import type { Resolution, ResolveRequest, Source, SourceConfig } from '../../src/sources/types.js';
import { startFakeCivitai, type FakeCivitai } from '../helpers/fake-civitai.js';
import { startFakeHf, type FakeHf } from '../helpers/fake-hf.js';
import { tempDir } from '../helpers/tmp.js';
import { request, testContext } from './harness.js';

let hf: FakeHf;
let civitai: FakeCivitai;
let tmp: { dir: string; cleanup: () => Promise<void> };
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const HF_URL = 'https://huggingface.co/org/models/resolve/main/vae/ae.safetensors';

test.before(async () => {
  hf = await startFakeHf({ repos: [{ id: 'org/models', files: { 'vae/ae.safetensors': 'ae', 'controlnet/sdxl/canny.safetensors': 'canny' } }] });
  civitai = await startFakeCivitai({ versions: [{ id: 7, modelId: 6, modelName: 'Style', files: [{ id: 70, name: 'style.safetensors', content: 'style' }] }] });
  tmp = await tempDir();
});
test.after(async () => {
  await Promise.all([hf.close(), civitai.close(), tmp.cleanup()]);
});

async function run(configs: SourceConfig[], reqs: ResolveRequest[], sources: Source[] = createSources(configs)) {
  const t = await testContext({ hf, civitai, configDir: tmp.dir });
  const results = await resolveAll(reqs, sources, t.ctx);
  await t.ctx.close();
  return { ...t, results, get: (key: string): Resolution => results.get(key)!.resolution };
}

const pinnedOf = (r: Resolution) => {
  assert.is(r.status, 'pinned', JSON.stringify(r));
  return r as Extract<Resolution, { status: 'pinned' }>;
};

test('sources are asked in order with only unpinned models, and every answer is recorded', async () => {
  const { results } = await run(
    [{ type: 'embedded' }, { type: 'huggingface', repos: [] }, { type: 'civitai' }],
    [request('vae/ae.safetensors', { urls: [HF_URL] }), request('loras/none.safetensors', { urls: ['https://huggingface.co/org/models/resolve/main/none.safetensors'] })],
  );
  const ae = results.get('vae/ae.safetensors')!;
  assert.is(ae.resolution.status, 'pinned');
  assert.equal(ae.tried.map((t) => t.source), ['embedded', 'huggingface'], 'civitai is not asked once pinned');
  assert.is(ae.tried[0]!.answer, 'left to huggingface');
  assert.match(ae.tried[1]!.answer, /^pinned https:\/\/huggingface\.co\/org\/models\/resolve\/[0-9a-f]{40}\/vae\/ae\.safetensors$/);
  const none = results.get('loras/none.safetensors')!;
  assert.is(none.resolution.status, 'failed', 'the source that knew the model says why');
  assert.match((none.resolution as { reason: string }).reason, 'no file none.safetensors in org/models at main');
  assert.equal(none.tried.map((t) => t.source), ['embedded', 'huggingface', 'civitai']);
});

test('embedded: other URLs are pinned as written, verified by the declared sha256 or flagged unverified', async () => {
  const { get } = await run([{ type: 'embedded' }, { type: 'huggingface', repos: [] }], [
    request('upscale_models/x4.pth', { urls: ['https://github.com/o/r/releases/download/v1/x4.pth'], declaredSha256: sha('x4') }),
    request('upscale_models/y.pth', { urls: ['https://example.com/y.pth'] }),
  ]);
  assert.equal(pinnedOf(get('upscale_models/x4.pth')).locked, {
    source: 'embedded', url: 'https://github.com/o/r/releases/download/v1/x4.pth', sha256: sha('x4'), size: null, hashOrigin: 'embedded',
  });
  assert.equal(pinnedOf(get('upscale_models/x4.pth')).original, { url: 'https://github.com/o/r/releases/download/v1/x4.pth', sha256: sha('x4') });
  assert.is(pinnedOf(get('upscale_models/y.pth')).locked.sha256, null);
});

test('embedded without a huggingface source pins an HF URL as written (no API call)', async () => {
  const before = hf.requests.length;
  const { get } = await run([{ type: 'embedded' }], [request('vae/ae.safetensors', { urls: [HF_URL], declaredSha256: sha('ae') })]);
  assert.equal(pinnedOf(get('vae/ae.safetensors')).locked, { source: 'embedded', url: HF_URL, sha256: sha('ae'), size: null, hashOrigin: 'embedded', auth: 'huggingface' });
  assert.is(hf.requests.length, before);
});

test('url: an entry with a sha256 is pinned as written; an HF resolve/main URL without one is pinned to the commit', async () => {
  const files = {
    'loras/mine.safetensors': { url: 'https://example.com/mine.safetensors', sha256: sha('mine').toUpperCase(), size: 4 },
    'vae/ae.safetensors': { url: HF_URL },
    'loras/style.safetensors': { url: 'https://civitai.com/api/download/models/7' },
    'loras/plain.safetensors': { url: 'https://example.com/plain.safetensors' },
  };
  const { get } = await run([{ type: 'url', files }], Object.keys(files).map((k) => request(k)));
  assert.equal(pinnedOf(get('loras/mine.safetensors')).locked, { source: 'url', url: 'https://example.com/mine.safetensors', sha256: sha('mine'), size: 4, hashOrigin: 'declared' });
  const ae = pinnedOf(get('vae/ae.safetensors'));
  assert.is(ae.locked.url, `https://huggingface.co/org/models/resolve/${hf.commit('org/models')}/vae/ae.safetensors`);
  assert.is(ae.locked.sha256, sha('ae'));
  assert.equal(ae.original, { url: HF_URL });
  assert.is(pinnedOf(get('loras/style.safetensors')).locked.url, 'https://civitai.com/api/download/models/7?fileId=70');
  assert.is(pinnedOf(get('loras/plain.safetensors')).locked.sha256, null);
});

test('catalog: Manager placement rules; HF entries pinned through the HF rules, others unverified', async () => {
  const path = join(tmp.dir, 'model-list.json');
  await writeFile(path, JSON.stringify({
    models: [
      { name: 'AE', type: 'VAE', base: 'FLUX.1', save_path: 'default', description: '', reference: '', filename: 'ae.safetensors', url: HF_URL, size: '1KB' },
      { name: 'Canny', type: 'controlnet', base: 'SDXL', save_path: 'controlnet/SDXL', description: '', reference: '', filename: 'canny.safetensors', url: 'https://huggingface.co/org/models/resolve/main/controlnet/sdxl/canny.safetensors', size: '1KB' },
      { name: 'TAESD', type: 'TAESD', base: 'SD1.5', save_path: 'vae_approx', description: '', reference: '', filename: 'taesd_decoder.pth', url: 'https://github.com/madebyollin/taesd/raw/main/taesd_decoder.pth', size: '4.71MB' },
      { name: 'snapshot', type: 'diffusers', save_path: 'diffusers/x', filename: '<huggingface>', url: 'org/models' },
      { name: 'broken' },
    ],
  }));
  const { get, diagnostics } = await run([{ type: 'catalog', path }], [
    request('vae/ae.safetensors'),
    request('controlnet/SDXL/canny.safetensors'),
    request('controlnet/canny.safetensors'),
    request('vae_approx/taesd_decoder.pth'),
    request('loras/unknown.safetensors'),
  ]);
  const ae = pinnedOf(get('vae/ae.safetensors'));
  assert.equal(ae.original, { catalog: 'model-list.json', url: HF_URL });
  assert.is(ae.locked.source, 'catalog');
  assert.is(ae.locked.url, `https://huggingface.co/org/models/resolve/${hf.commit('org/models')}/vae/ae.safetensors`);
  assert.is(ae.locked.sha256, sha('ae'));
  assert.is(pinnedOf(get('controlnet/SDXL/canny.safetensors')).locked.sha256, sha('canny'));
  assert.is(pinnedOf(get('controlnet/canny.safetensors')).locked.sha256, sha('canny'), 'sub-paths are ignored like Manager does');
  assert.equal(pinnedOf(get('vae_approx/taesd_decoder.pth')).locked, {
    source: 'catalog', url: 'https://github.com/madebyollin/taesd/raw/main/taesd_decoder.pth', sha256: null, size: null, hashOrigin: 'declared',
  });
  assert.is(get('loras/unknown.safetensors').status, 'miss');
  assert.equal(diagnostics.map((d) => d.code), ['catalog-entries-skipped']);
});

test('catalog: a URL carrying credentials is pinned without them', async () => {
  const path = join(tmp.dir, 'model-list-creds.json');
  await writeFile(path, JSON.stringify({ models: [
    { name: 'P', type: 'lora', base: 'SDXL', save_path: 'default', filename: 'p.safetensors', url: 'https://me:pw-secret-1@files.example.com/p.safetensors?token=tok-secret-2&v=1', size: '1KB' },
  ] }));
  const { get } = await run([{ type: 'catalog', path }], [request('loras/p.safetensors')]);
  const p = pinnedOf(get('loras/p.safetensors'));
  assert.is(p.locked.url, 'https://files.example.com/p.safetensors?v=1');
  assert.is(p.original.url, 'https://files.example.com/p.safetensors?v=1');
  assert.not.match(JSON.stringify(p), /secret/);
});

test('a missing catalog is an error diagnostic, not a crash', async () => {
  const { get, diagnostics } = await run([{ type: 'catalog', path: join(tmp.dir, 'absent.json') }], [request('vae/ae.safetensors')]);
  assert.is(get('vae/ae.safetensors').status, 'miss');
  assert.equal(diagnostics.map((d) => [d.code, d.severity]), [['catalog-unreadable', 'error']]);
});

test('a source that throws is recorded and the next source still answers', async () => {
  const broken: Source = { id: 'broken', resolve: async () => { throw new Error('boom'); } };
  const [embedded] = createSources([{ type: 'embedded' }]);
  const { results, diagnostics } = await run([], [request('loras/a.pt', { urls: ['https://example.com/a.pt'] })], [broken, embedded!]);
  const a = results.get('loras/a.pt')!;
  assert.is(a.resolution.status, 'pinned');
  assert.equal(a.tried.map((t) => t.answer), ['source error: boom', 'pinned https://example.com/a.pt']);
  assert.equal(diagnostics.map((d) => d.code), ['source-error']);
});

test.run();
