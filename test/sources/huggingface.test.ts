import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSources, resolveAll } from '../../src/sources/index.js';
import type { Resolution } from '../../src/sources/types.js';
import { startFakeHf, type FakeHf } from '../helpers/fake-hf.js';
import { tempDir } from '../helpers/tmp.js';
import { request, testContext } from './harness.js';

let hf: FakeHf;
const CONFIG = '{"model_type": "tiny"}\n';

test.before(async () => {
  hf = await startFakeHf({
    pageSize: 2,
    repos: [
      {
        id: 'Comfy-Org/flux1',
        files: {
          'split_files/vae/ae.safetensors': 'vae bytes',
          'split_files/text_encoders/t5.safetensors': 't5 bytes',
          'split_files/diffusion_models/flux1-dev.safetensors': 'unet bytes',
          'configs/model.yaml': CONFIG,
          'README.md': '# readme',
        },
      },
      { id: 'other/dupes', files: { 'a/x.safetensors': 'one', 'b/x.safetensors': 'two' } },
      { id: 'black-forest-labs/FLUX.1-dev', gated: 'manual', allow: ['hf_granted'], files: { 'flux1-dev.safetensors': 'gated bytes' } },
      { id: 'acme/private', private: true, allow: ['hf_granted'], files: { 'p.safetensors': 'private bytes' } },
      { id: 'some/dataset', type: 'dataset', files: { 'weights/d.safetensors': 'dataset bytes' } },
    ],
  });
});
test.after(() => hf.close());

async function resolveWith(sources: Parameters<typeof createSources>[0], reqs: ReturnType<typeof request>[], env: NodeJS.ProcessEnv = {}) {
  const t = await testContext({ hf, env });
  const results = await resolveAll(reqs, createSources(sources), t.ctx);
  await t.ctx.close();
  return { results, ...t, get: (key: string): Resolution => results.get(key)!.resolution };
}

const pinnedOf = (r: Resolution) => {
  assert.is(r.status, 'pinned', JSON.stringify(r));
  return r as Extract<Resolution, { status: 'pinned' }>;
};

test('an embedded resolve/main URL is pinned to the commit with the LFS sha256, on the public host', async () => {
  const url = `https://huggingface.co/Comfy-Org/flux1/resolve/main/split_files/vae/ae.safetensors`;
  const { get } = await resolveWith([{ type: 'embedded' }, { type: 'huggingface', repos: [] }], [request('vae/ae.safetensors', { urls: [url] })]);
  const file = hf.file('Comfy-Org/flux1', 'split_files/vae/ae.safetensors');
  const r = pinnedOf(get('vae/ae.safetensors'));
  assert.equal(r.original, { url });
  assert.is(r.locked.url, `https://huggingface.co/Comfy-Org/flux1/resolve/${file.commit}/split_files/vae/ae.safetensors`);
  assert.is(r.locked.sha256, file.sha256);
  assert.is(r.locked.sha256, createHash('sha256').update('vae bytes').digest('hex'));
  assert.is(r.locked.size, 9);
  assert.is(r.locked.source, 'huggingface');
  assert.is(r.locked.hashOrigin, 'api');
  assert.is(r.locked.auth, undefined);
});

test('/blob/ URLs with ?download=true and dataset URLs pin the same way', async () => {
  const blob = `https://huggingface.co/Comfy-Org/flux1/blob/main/split_files/text_encoders/t5.safetensors?download=true`;
  const dataset = `https://huggingface.co/datasets/some/dataset/resolve/main/weights/d.safetensors`;
  const { get } = await resolveWith([{ type: 'huggingface', repos: [] }], [
    request('text_encoders/t5.safetensors', { urls: [blob] }),
    request('checkpoints/d.safetensors', { urls: [dataset] }),
  ]);
  const t5 = hf.file('Comfy-Org/flux1', 'split_files/text_encoders/t5.safetensors');
  assert.is(pinnedOf(get('text_encoders/t5.safetensors')).locked.url, `https://huggingface.co/Comfy-Org/flux1/resolve/${t5.commit}/split_files/text_encoders/t5.safetensors`);
  assert.is(pinnedOf(get('text_encoders/t5.safetensors')).locked.sha256, t5.sha256);
  const d = hf.file('some/dataset', 'weights/d.safetensors');
  assert.is(pinnedOf(get('checkpoints/d.safetensors')).locked.url, `https://huggingface.co/datasets/some/dataset/resolve/${d.commit}/weights/d.safetensors`);
});

test('a small file outside LFS is downloaded and hashed, never pinned with its git sha1', async () => {
  const url = 'https://huggingface.co/Comfy-Org/flux1/resolve/main/configs/model.yaml';
  const { get } = await resolveWith([{ type: 'huggingface', repos: [] }], [request('configs/model.yaml', { urls: [url] })]);
  const r = pinnedOf(get('configs/model.yaml'));
  assert.is(r.locked.sha256, createHash('sha256').update(CONFIG).digest('hex'));
  assert.is(r.locked.size, Buffer.byteLength(CONFIG));
  assert.is(r.locked.hashOrigin, 'computed');
});

test('files of one repo share one revision call and one listing per directory', async () => {
  const start = hf.requests.length;
  const urls = ['vae/ae', 'text_encoders/t5'].map((p) => `https://huggingface.co/Comfy-Org/flux1/resolve/main/split_files/${p}.safetensors`);
  const { results } = await resolveWith([{ type: 'huggingface', repos: [] }], [
    request('vae/ae.safetensors', { urls: [urls[0]!] }),
    request('text_encoders/t5.safetensors', { urls: [urls[1]!] }),
  ]);
  assert.ok([...results.values()].every((r) => r.resolution.status === 'pinned'));
  const calls = hf.requests.slice(start).filter((r) => r.path.startsWith('/api/'));
  assert.is(calls.filter((c) => c.path.includes('/revision/')).length, 1);
  assert.is(calls.filter((c) => c.path.includes('/tree/')).length, 2, 'one listing per directory');
});

test('repos: finds a file by name through a paginated recursive listing, recording the repo as original', async () => {
  const before = hf.count('/api/models/Comfy-Org/flux1/tree/');
  const { get } = await resolveWith([{ type: 'huggingface', repos: ['Comfy-Org/flux1'] }], [
    request('diffusion_models/flux1-dev.safetensors'),
    request('vae/ae.safetensors'),
    request('loras/absent.safetensors'),
  ]);
  const file = hf.file('Comfy-Org/flux1', 'split_files/diffusion_models/flux1-dev.safetensors');
  const r = pinnedOf(get('diffusion_models/flux1-dev.safetensors'));
  assert.equal(r.original, { repo: 'Comfy-Org/flux1' });
  assert.is(r.locked.url, `https://huggingface.co/Comfy-Org/flux1/resolve/${file.commit}/split_files/diffusion_models/flux1-dev.safetensors`);
  assert.is(r.locked.sha256, file.sha256);
  assert.is(pinnedOf(get('vae/ae.safetensors')).locked.sha256, hf.file('Comfy-Org/flux1', 'split_files/vae/ae.safetensors').sha256);
  assert.is(get('loras/absent.safetensors').status, 'miss');
  // 5 files + 5 directories at 2 entries a page: 5 pages, fetched once for all three lookups.
  assert.is(hf.count('/api/models/Comfy-Org/flux1/tree/') - before, 5);
});

test('repos: a repo that cannot be listed does not hide the next one, and says why when nothing else pins', async () => {
  const { get } = await resolveWith([{ type: 'huggingface', repos: ['nobody/missing', 'Comfy-Org/flux1'] }], [
    request('vae/ae.safetensors'),
    request('loras/absent.safetensors'),
  ]);
  assert.is(get('vae/ae.safetensors').status, 'pinned');
  assert.match((get('loras/absent.safetensors') as { reason: string }).reason, 'repository nobody/missing not found');
});

test('repos: a name found in several places is a failure listing them, not a guess', async () => {
  const { get } = await resolveWith([{ type: 'huggingface', repos: ['other/dupes'] }], [request('loras/x.safetensors')]);
  const r = get('loras/x.safetensors');
  assert.is(r.status, 'failed');
  assert.match((r as { reason: string }).reason, /a\/x\.safetensors, b\/x\.safetensors/);
});

test('a gated repo without access fails with the licence to accept; with access it pins with auth', async () => {
  const url = 'https://huggingface.co/black-forest-labs/FLUX.1-dev/resolve/main/flux1-dev.safetensors';
  const reqs = [request('diffusion_models/flux1-dev.safetensors', { urls: [url] })];
  const sources = [{ type: 'huggingface' as const, repos: [] }];
  for (const env of [{}, { HF_TOKEN: 'hf_not_granted' }]) {
    const r = (await resolveWith(sources, reqs, env)).get('diffusion_models/flux1-dev.safetensors');
    assert.is(r.status, 'failed');
    assert.match((r as { reason: string }).reason, 'accept the licence at https://huggingface.co/black-forest-labs/FLUX.1-dev and set HF_TOKEN');
  }
  const ok = pinnedOf((await resolveWith(sources, reqs, { HF_API_TOKEN: 'hf_granted' })).get('diffusion_models/flux1-dev.safetensors'));
  assert.is(ok.locked.auth, 'huggingface');
  assert.is(ok.locked.sha256, createHash('sha256').update('gated bytes').digest('hex'));
});

test('a refused access check is remembered per token: no new request until the token changes or --update', async () => {
  const { dir, cleanup } = await tempDir();
  const url = 'https://huggingface.co/black-forest-labs/FLUX.1-dev/resolve/main/flux1-dev.safetensors';
  const heads = () => hf.requests.filter((r) => r.method === 'HEAD').length;
  const once = async (env: NodeJS.ProcessEnv, refresh = false) => {
    const t = await testContext({ hf, env, cacheDir: dir, refresh });
    const results = await resolveAll([request('diffusion_models/flux1-dev.safetensors', { urls: [url] })], createSources([{ type: 'huggingface', repos: [] }]), t.ctx);
    await t.ctx.close();
    return results.get('diffusion_models/flux1-dev.safetensors')!.resolution;
  };
  try {
    const before = heads();
    assert.is((await once({ HF_TOKEN: 'hf_not_granted' })).status, 'failed');
    assert.is((await once({ HF_TOKEN: 'hf_not_granted' })).status, 'failed');
    assert.is(heads() - before, 1, 'the second run asked nothing');
    assert.is((await once({ HF_TOKEN: 'hf_not_granted' }, true)).status, 'failed');
    assert.is(heads() - before, 2, '--update asks again');
    assert.is((await once({ HF_TOKEN: 'hf_granted' })).status, 'pinned', 'another token is asked at once');
    assert.is(heads() - before, 3);
    const stored = (await Promise.all((await readdir(join(dir, 'sources'))).map((f) => readFile(join(dir, 'sources', f), 'utf8')))).join('');
    assert.match(stored, 'ACCESS token ');
    for (const token of ['hf_not_granted', 'hf_granted']) assert.not.match(stored, token);
  } finally {
    await cleanup();
  }
});

test('private, missing and wrong names are failures that say which', async () => {
  const { get } = await resolveWith([{ type: 'huggingface', repos: [] }], [
    request('checkpoints/p.safetensors', { urls: ['https://huggingface.co/acme/private/resolve/main/p.safetensors'] }),
    request('checkpoints/gone.safetensors', { urls: ['https://huggingface.co/Comfy-Org/flux1/resolve/main/gone.safetensors'] }),
    request('checkpoints/rev.safetensors', { urls: ['https://huggingface.co/Comfy-Org/flux1/resolve/v9/README.md'] }),
    request('checkpoints/other.safetensors', { urls: ['https://example.com/other.safetensors'] }),
  ]);
  assert.match((get('checkpoints/p.safetensors') as { reason: string }).reason, /acme\/private not found .*set HF_TOKEN/);
  assert.match((get('checkpoints/gone.safetensors') as { reason: string }).reason, 'no file gone.safetensors in Comfy-Org/flux1 at main');
  assert.match((get('checkpoints/rev.safetensors') as { reason: string }).reason, 'revision v9 not found');
  assert.is(get('checkpoints/other.safetensors').status, 'miss');
  const priv = await resolveWith([{ type: 'huggingface', repos: [] }], [
    request('checkpoints/p.safetensors', { urls: ['https://huggingface.co/acme/private/resolve/main/p.safetensors'] }),
  ], { HF_TOKEN: 'hf_granted' });
  assert.is(pinnedOf(priv.get('checkpoints/p.safetensors')).locked.auth, 'huggingface');
});

test('a declared sha256 that differs from the published one is pinned to the published file, with a warning', async () => {
  const url = 'https://huggingface.co/Comfy-Org/flux1/resolve/main/split_files/vae/ae.safetensors';
  const { get, diagnostics } = await resolveWith([{ type: 'huggingface', repos: [] }], [
    request('vae/ae.safetensors', { urls: [url], declaredSha256: 'f'.repeat(64) }),
  ]);
  assert.is(pinnedOf(get('vae/ae.safetensors')).locked.sha256, hf.file('Comfy-Org/flux1', 'split_files/vae/ae.safetensors').sha256);
  assert.equal(diagnostics.map((d) => d.code), ['declared-hash-mismatch']);
});

test('a moved branch gives a new commit; the old pin stays servable', async () => {
  const url = 'https://huggingface.co/datasets/some/dataset/resolve/main/weights/d.safetensors';
  const old = hf.commit('some/dataset');
  const commit = hf.push('some/dataset', { 'weights/d.safetensors': 'new dataset bytes' });
  const { get } = await resolveWith([{ type: 'huggingface', repos: [] }], [request('checkpoints/d.safetensors', { urls: [url] })]);
  const r = pinnedOf(get('checkpoints/d.safetensors'));
  assert.ok(r.locked.url.includes(commit) && commit !== old);
  assert.is(r.locked.sha256, createHash('sha256').update('new dataset bytes').digest('hex'));
  const res = await fetch(`${hf.url}/datasets/some/dataset/resolve/${old}/weights/d.safetensors`);
  assert.is(Buffer.from(await res.arrayBuffer()).toString(), 'dataset bytes');
});

test.run();
