import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSources, resolveAll } from '../../src/sources/index.js';
import type { Resolution, ResolveRequest } from '../../src/sources/types.js';
import { startFakeCivitai, type FakeCivitai } from '../helpers/fake-civitai.js';
import { localFile, request, testContext } from './harness.js';

let civitai: FakeCivitai;
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

test.before(async () => {
  civitai = await startFakeCivitai({
    tokens: ['civ_good'],
    versions: [
      {
        id: 2514310, modelId: 827184, modelName: 'WAI-illustrious-SDXL',
        files: [
          { id: 2402203, name: 'waiIllustriousSDXL_v160.safetensors', content: 'wai pruned' },
          { id: 2402299, name: 'waiIllustriousSDXL_v160.safetensors', content: 'wai full fp32', metadata: { size: 'full', fp: 'fp32' } },
        ],
      },
      { id: 100, modelId: 50, modelName: 'Detail Tweaker', modelType: 'LORA', publishedAt: '2024-01-01T00:00:00.000Z', files: [{ id: 1001, name: 'add_detail.safetensors', content: 'detail v1' }] },
      { id: 101, modelId: 50, modelName: 'Detail Tweaker', modelType: 'LORA', publishedAt: '2025-01-01T00:00:00.000Z', files: [{ id: 1011, name: 'add_detail.safetensors', content: 'detail v2' }] },
      { id: 200, modelId: 60, modelName: 'Unique Style', modelType: 'LORA', files: [{ id: 2001, name: 'unique_style.safetensors', content: 'unique' }] },
    ],
  });
});
test.after(() => civitai.close());

async function resolve(reqs: ResolveRequest[], opts: { env?: NodeJS.ProcessEnv; localHashes?: Map<string, string> } = {}) {
  const t = await testContext({ civitai, ...opts });
  const results = await resolveAll(reqs, createSources([{ type: 'embedded' }, { type: 'civitai' }]), t.ctx);
  await t.ctx.close();
  return { ...t, results, get: (key: string): Resolution => results.get(key)!.resolution };
}

const pinnedOf = (r: Resolution) => {
  assert.is(r.status, 'pinned', JSON.stringify(r));
  return r as Extract<Resolution, { status: 'pinned' }>;
};
const reasonOf = (r: Resolution): string => (r.status === 'pinned' ? '' : (r.reason ?? ''));

test('a download URL is pinned to version + file id with the published SHA256 and BLAKE3, on the public host', async () => {
  const url = 'https://civitai.com/api/download/models/2514310';
  const { get } = await resolve([request('checkpoints/wai.safetensors', { urls: [url] })]);
  const r = pinnedOf(get('checkpoints/wai.safetensors'));
  assert.equal(r.original, { url });
  assert.equal(
    { ...r.locked, blake3: undefined },
    {
      source: 'civitai', url: 'https://civitai.com/api/download/models/2514310?fileId=2402203', sha256: sha('wai pruned'),
      size: null, approxSize: 10, hashOrigin: 'api', blake3: undefined, auth: 'civitai', remoteName: 'waiIllustriousSDXL_v160.safetensors',
    },
  );
  assert.match(r.locked.blake3 ?? '', /^[0-9a-f]{64}$/);
});

test('the download query chooses the file; a model page URL names its version', async () => {
  const full = 'https://civitai.com/api/download/models/2514310?type=Model&format=SafeTensor&size=full&fp=fp32';
  const page = 'https://civitai.com/models/827184/wai-illustrious-sdxl?modelVersionId=2514310';
  const { get } = await resolve([
    request('checkpoints/full.safetensors', { urls: [full] }),
    request('checkpoints/page.safetensors', { urls: [page] }),
  ]);
  assert.is(pinnedOf(get('checkpoints/full.safetensors')).locked.url, 'https://civitai.com/api/download/models/2514310?fileId=2402299');
  assert.is(pinnedOf(get('checkpoints/full.safetensors')).locked.sha256, sha('wai full fp32'));
  assert.is(pinnedOf(get('checkpoints/page.safetensors')).locked.url, 'https://civitai.com/api/download/models/2514310?fileId=2402203');
});

test('a model page without a version pins the newest one and warns that it chose', async () => {
  const { get, diagnostics } = await resolve([request('loras/add_detail.safetensors', { urls: ['https://civitai.com/models/50'] })]);
  assert.is(pinnedOf(get('loras/add_detail.safetensors')).locked.url, 'https://civitai.com/api/download/models/101?fileId=1011');
  assert.equal(diagnostics.map((d) => d.code), ['civitai-unpinned-version']);
});

test('a token in a workflow URL never reaches the lock entry', async () => {
  const { get } = await resolve([request('loras/u.safetensors', { urls: ['https://civitai.com/api/download/models/200?token=secret123'] })]);
  const r = pinnedOf(get('loras/u.safetensors'));
  assert.not.match(JSON.stringify(r), 'secret123');
  assert.is(r.original.url, 'https://civitai.com/api/download/models/200');
});

test('local files known only by content: 150 unknown + 1 known hash cost ceil(151/100) = 2 by-hash requests', async () => {
  const localHashes = new Map<string, string>();
  const reqs: ResolveRequest[] = [];
  for (let i = 0; i < 150; i++) {
    const file = localFile('loras', `mine_${i}.safetensors`);
    localHashes.set(file.absPath, sha(`local ${i}`));
    reqs.push(request(`loras/mine_${i}.safetensors`, { local: file }));
  }
  const known = localFile('loras', 'renamed_detail.safetensors', 9);
  localHashes.set(known.absPath, sha('detail v1'));
  reqs.push(request('loras/renamed_detail.safetensors', { local: known }));
  const before = civitai.count('/api/v1/model-versions/by-hash');
  const { get } = await resolve(reqs, { localHashes });
  assert.is(civitai.count('/api/v1/model-versions/by-hash') - before, 2);
  const r = pinnedOf(get('loras/renamed_detail.safetensors'));
  assert.equal(r.original, { sha256: sha('detail v1') });
  assert.is(r.locked.url, 'https://civitai.com/api/download/models/100?fileId=1001');
  assert.is(r.locked.size, 9, 'the local file size is exact');
  assert.is(r.locked.approxSize, undefined);
  assert.is(r.locked.remoteName, 'add_detail.safetensors');
  assert.is(get('loras/mine_0.safetensors').status, 'miss');
});

test('exactly 150 unknown hashes take 2 by-hash requests', async () => {
  const localHashes = new Map<string, string>();
  const reqs = Array.from({ length: 150 }, (_, i) => {
    const file = localFile('loras', `other_${i}.safetensors`);
    localHashes.set(file.absPath, sha(`other ${i}`));
    return request(`loras/other_${i}.safetensors`, { local: file });
  });
  const before = civitai.count('/api/v1/model-versions/by-hash');
  await resolve(reqs, { localHashes });
  assert.is(civitai.count('/api/v1/model-versions/by-hash') - before, 2);
});

test('a declared sha256 without a URL is identified by hash', async () => {
  const { get } = await resolve([request('checkpoints/x.safetensors', { declaredSha256: sha('wai full fp32') })]);
  assert.is(pinnedOf(get('checkpoints/x.safetensors')).locked.url, 'https://civitai.com/api/download/models/2514310?fileId=2402299');
});

test('exact file-name search: unique → pinned; several → failed listing them; content known → no search at all', async () => {
  const file = localFile('loras', 'unique_style.safetensors');
  const searches = () => civitai.requests.filter((r) => r.path === '/api/v1/models' && r.query.includes('unique_style')).length;
  const before = searches();
  const { get, results } = await resolve(
    [
      request('loras/unique_style.safetensors'),
      request('loras/add_detail.safetensors'),
      request('styles/unique_style.safetensors', { local: { ...file, folder: 'styles' } }),
      request('loras/nowhere.safetensors'),
    ],
    { localHashes: new Map([[file.absPath, sha('not the civitai bytes')]]) },
  );
  assert.is(pinnedOf(get('loras/unique_style.safetensors')).locked.url, 'https://civitai.com/api/download/models/200?fileId=2001');
  const several = get('loras/add_detail.safetensors');
  assert.is(several.status, 'failed');
  assert.match(reasonOf(several), 'https://civitai.com/models/50?modelVersionId=100, https://civitai.com/models/50?modelVersionId=101');
  // by-hash did not know the local bytes, so a file of that name is other bytes: not pinned, not searched.
  assert.is(get('styles/unique_style.safetensors').status, 'miss');
  assert.equal(results.get('styles/unique_style.safetensors')!.tried.at(-1), { source: 'civitai', status: 'miss', answer: 'no Civitai file has this sha256' });
  assert.is(searches() - before, 1, 'one search, for the model whose content nobody knows');
  assert.is(get('loras/nowhere.safetensors').status, 'miss');
});

test('unknown versions and files are explained, with the canonical URL', async () => {
  const { get } = await resolve([
    request('checkpoints/a.safetensors', { urls: ['https://civitai.com/api/download/models/999999'] }),
    request('checkpoints/b.safetensors', { urls: ['https://civitai.com/api/download/models/2514310?fileId=5'] }),
  ]);
  // The lock's words: the public URL, never the endpoint this machine went through.
  assert.is(reasonOf(get('checkpoints/a.safetensors')), 'not found on Civitai: https://civitai.com/api/v1/model-versions/999999 (Model not found)');
  assert.match(reasonOf(get('checkpoints/b.safetensors')), 'no file of Civitai version 2514310 matches fileId=5');
});

test('a rejected token is reported as such, by the variable it came from', async () => {
  const { get } = await resolve([request('loras/u.safetensors', { urls: ['https://civitai.com/api/download/models/200'] })], { env: { CIVITAI_API_TOKEN: 'civ_bad' } });
  assert.match(reasonOf(get('loras/u.safetensors')), /^Civitai refused CIVITAI_API_TOKEN for https:\/\/civitai\.com\/api\/v1\/model-versions\/200\b(?!.*via)/);
});

test('the fake download endpoint redirects to storage that refuses an Authorization header', async () => {
  const res = await fetch(`${civitai.url}/api/download/models/2514310?fileId=2402299`, { redirect: 'manual' });
  assert.is(res.status, 307);
  const location = res.headers.get('location')!;
  assert.is((await fetch(location, { headers: { authorization: 'Bearer civ_good' } })).status, 400);
  const ranged = await fetch(location, { headers: { range: 'bytes=4-' } });
  assert.is(ranged.status, 206);
  assert.is(await ranged.text(), 'full fp32');
});

test.run();
