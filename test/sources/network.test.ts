/** Registry-level behaviour: retries, schema checks, the answer cache, offline mode, token hygiene. */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSources, resolveAll } from '../../src/sources/index.js';
import type { ResolveRequest, SourceConfig } from '../../src/sources/types.js';
import { startFakeCivitai, type FakeCivitai } from '../helpers/fake-civitai.js';
import { startFakeHf, type FakeHf } from '../helpers/fake-hf.js';
import { sendJson, startFakeServer } from '../helpers/fake-server.js';
import { tempDir } from '../helpers/tmp.js';
import { localFile, request, testContext } from './harness.js';

const SOURCES: SourceConfig[] = [{ type: 'embedded' }, { type: 'huggingface', repos: ['org/models'] }, { type: 'civitai' }];
const HF_TOKEN = 'hf_SENTINEL_0123456789';
const CIVITAI_TOKEN = 'civ_SENTINEL_9876543210';

let hf: FakeHf;
let civitai: FakeCivitai;

async function startFakes(): Promise<void> {
  hf = await startFakeHf({
    pageSize: 2,
    repos: [
      { id: 'org/models', allow: [HF_TOKEN], files: { 'vae/ae.safetensors': 'ae', 'loras/a.safetensors': 'a', 'configs/c.yaml': 'c: 1\n' } },
      { id: 'org/gated', gated: 'auto', allow: [HF_TOKEN], files: { 'g.safetensors': 'g' } },
    ],
  });
  civitai = await startFakeCivitai({
    tokens: [CIVITAI_TOKEN],
    versions: [{ id: 7, modelId: 6, modelName: 'Style', files: [{ id: 70, name: 'style.safetensors', content: 'style' }] }],
  });
}

/** One of everything: HF URL, HF small file, gated HF, repo search, Civitai URL, by-hash, name search. */
function requests(): { reqs: ResolveRequest[]; localHashes: Map<string, string> } {
  const local = localFile('loras', 'mystery.safetensors');
  const reqs = [
    request('vae/ae.safetensors', { urls: ['https://huggingface.co/org/models/resolve/main/vae/ae.safetensors'] }),
    request('configs/c.yaml', { urls: ['https://huggingface.co/org/models/blob/main/configs/c.yaml'] }),
    request('checkpoints/g.safetensors', { urls: ['https://huggingface.co/org/gated/resolve/main/g.safetensors'] }),
    request('loras/a.safetensors'),
    request('loras/style.safetensors', { urls: ['https://civitai.com/api/download/models/7'] }),
    request('loras/mystery.safetensors', { local }),
    request('loras/nowhere.safetensors'),
  ];
  return {
    localHashes: new Map([[local.absPath, civitai.sha256(70)]]),
    reqs,
  };
}

async function resolveEverything(opts: { cacheDir?: string | null; offline?: boolean; env?: NodeJS.ProcessEnv }) {
  const { reqs, localHashes } = requests();
  const t = await testContext({ hf, civitai, localHashes, ...opts });
  const results = await resolveAll(reqs, createSources(SOURCES), t.ctx);
  await t.ctx.close();
  return { ...t, results, stats: t.ctx.stats() };
}

test.before(startFakes);
test.after(async () => {
  await Promise.all([hf.close(), civitai.close()]);
});

test('429 with Retry-After is waited out as asked; 5xx backs off exponentially; then the answer arrives', async () => {
  hf.failNext({ status: 429, times: 1, path: '/api/', headers: { 'retry-after': '7' } });
  hf.failNext({ status: 429, times: 1, path: '/api/', headers: { ratelimit: '"api";r=0;t=55' } });
  civitai.failNext({ status: 503, times: 2, path: '/api/' });
  const { results, sleeps } = await resolveEverything({});
  assert.is(results.get('vae/ae.safetensors')!.resolution.status, 'pinned');
  assert.is(results.get('loras/style.safetensors')!.resolution.status, 'pinned');
  assert.equal([...sleeps].sort((a, b) => a - b), [1, 2, 7000, 55000]);
});

test('a server that keeps failing: retried as configured, then the same neutral words every time; the trouble says what happened', async () => {
  civitai.failNext({ status: 502, times: 4, path: '/api/v1/model-versions/7' });
  const t = await testContext({ civitai });
  const url = 'https://civitai.com/api/download/models/7?token=abc';
  const results = await resolveAll([request('loras/style.safetensors', { urls: [url] })], createSources([{ type: 'civitai' }]), t.ctx);
  await t.ctx.close();
  const r = results.get('loras/style.safetensors')!.resolution;
  assert.is(r.status, 'failed');
  assert.equal(r, { status: 'failed', reason: 'civitai.com unavailable; the next build asks again', transient: 'unavailable',
    trouble: { service: 'civitai', kind: 'server-error', detail: 'HTTP 502', host: new URL(civitai.url).host, via: 'CIVITAI_ENDPOINT' } });
  assert.is(t.sleeps.length, 3, 'retries as configured, then gives up');
});

test('an unreachable mirror: the reason names neither it nor the error; the trouble names its variable and host', async () => {
  const gone = await startFakeServer(() => {});
  await gone.close();
  const t = await testContext({ hf: gone });
  const results = await resolveAll(
    [request('vae/x.safetensors', { urls: ['https://huggingface.co/x/y/resolve/main/x.safetensors'] })],
    createSources([{ type: 'huggingface', repos: [] }]),
    t.ctx,
  );
  await t.ctx.close();
  assert.equal(results.get('vae/x.safetensors')!.resolution, {
    status: 'failed',
    reason: 'huggingface.co unavailable; the next build asks again',
    transient: 'unavailable',
    trouble: { service: 'huggingface', kind: 'unreachable', detail: 'network error (ECONNREFUSED)', host: new URL(gone.url).host, via: 'HF_ENDPOINT' },
  });
});

test('a hung host: the model whose request timed out and the ones not asked after it get the same words', async () => {
  const hung = await startFakeServer(() => new Promise(() => {}));
  try {
    // 1 s per attempt: long enough that a busy machine still delivers each request before its
    // timeout, so what the server saw is what the client sent.
    const t = await testContext({ hf: hung, timeoutMs: 1000, concurrency: 1 });
    const results = await resolveAll(['a', 'b', 'c'].map((r) => request(`vae/${r}.safetensors`, { urls: [`https://huggingface.co/org/${r}/resolve/main/${r}.safetensors`] })),
      createSources([{ type: 'huggingface', repos: [] }]), t.ctx);
    await t.ctx.close();
    const asked = hung.requests.map((r) => r.path);
    assert.ok(asked.length >= 1 && asked.length <= 2, `one request, retried once at most: ${asked.join(', ')}`);
    assert.is(new Set(asked).size, 1, `once the host hung, no other model was asked after: ${asked.join(', ')}`);
    const reasons = new Set([...results.values()].map((r) => (r.resolution as { reason: string }).reason));
    assert.equal([...reasons], ['huggingface.co unavailable; the next build asks again'], 'which request was first does not show');
    const details = new Set([...results.values()].map((r) => (r.resolution as { trouble?: { detail: string } }).trouble?.detail));
    assert.equal([...details], ['no answer within 1 s'], 'one cause for the terminal');
  } finally {
    await hung.close();
  }
});

test('an answer of the wrong shape is a source error naming the URL, not a crash', async () => {
  const server = await startFakeServer((req, res) => sendJson(res, 200, req.url.pathname.includes('/revision/') ? { id: 'x/y', sha: 42 } : []));
  const t = await testContext({ hf: server });
  const results = await resolveAll(
    [request('vae/x.safetensors', { urls: ['https://huggingface.co/x/y/resolve/main/x.safetensors'] })],
    createSources([{ type: 'huggingface', repos: [] }]),
    t.ctx,
  );
  await Promise.all([t.ctx.close(), server.close()]);
  const r = results.get('vae/x.safetensors')!.resolution;
  assert.is(r.status, 'failed');
  assert.match((r as { reason: string }).reason, /^https:\/\/huggingface\.co\/api\/models\/x\/y\/revision\/main: unexpected answer at sha: /);
});

test('with a warm cache a second resolve makes zero requests (a refused gated repo too); offline with the servers gone answers from the cache', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const cold = await resolveEverything({ cacheDir: dir });
    assert.ok(cold.stats.requests > 5);
    const pinnedCold = [...cold.results].filter(([, r]) => r.resolution.status === 'pinned').map(([k]) => k);
    assert.equal(pinnedCold.sort(), ['configs/c.yaml', 'loras/a.safetensors', 'loras/mystery.safetensors', 'loras/style.safetensors', 'vae/ae.safetensors']);

    const hfBefore = hf.requests.length;
    const civitaiBefore = civitai.requests.length;
    const warm = await resolveEverything({ cacheDir: dir });
    assert.is(hf.requests.length - hfBefore + civitai.requests.length - civitaiBefore, 0);
    assert.match(JSON.stringify(warm.results.get('checkpoints/g.safetensors')!.resolution), 'accept the licence');
    assert.is(warm.stats.requests, 0);
    assert.ok(warm.stats.cacheHits > 5);
    for (const key of pinnedCold) assert.equal(warm.results.get(key)!.resolution, cold.results.get(key)!.resolution);

    await Promise.all([hf.close(), civitai.close()]);
    const offline = await resolveEverything({ cacheDir: dir, offline: true });
    assert.is(offline.stats.requests, 0);
    for (const key of pinnedCold) assert.equal(offline.results.get(key)!.resolution, cold.results.get(key)!.resolution);

    const fresh = await tempDir();
    const empty = await resolveEverything({ cacheDir: fresh.dir, offline: true });
    await fresh.cleanup();
    const ae = empty.results.get('vae/ae.safetensors')!.resolution;
    assert.equal(ae, { status: 'failed', reason: 'huggingface.co not asked (offline)', transient: 'offline' });
    assert.is(empty.stats.requests, 0);
  } finally {
    await Promise.all([hf.close(), civitai.close()]);
    await startFakes();
    await cleanup();
  }
});

test('a corrupt cache file is discarded with a warning, and the build goes on', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await mkdir(join(dir, 'sources'));
    await writeFile(join(dir, 'sources', 'huggingface.json'), '{ not json');
    const run = await resolveEverything({ cacheDir: dir });
    assert.is(run.results.get('vae/ae.safetensors')!.resolution.status, 'pinned');
    assert.equal(run.diagnostics.map((d) => [d.code, d.severity]), [['cache-error', 'warning']]);
    JSON.parse(await readFile(join(dir, 'sources', 'huggingface.json'), 'utf8'));
  } finally {
    await cleanup();
  }
});

test('tokens are sent to their own service, and appear in no cache file, resolution or diagnostic', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const hfBefore = hf.requests.length;
    const civitaiBefore = civitai.requests.length;
    const run = await resolveEverything({ cacheDir: dir, env: { HF_TOKEN, CIVITAI_TOKEN } });
    assert.ok(hf.requests.slice(hfBefore).some((r) => r.authorization === `Bearer ${HF_TOKEN}`), 'HF got its token');
    assert.ok(civitai.requests.slice(civitaiBefore).some((r) => r.authorization === `Bearer ${CIVITAI_TOKEN}`), 'Civitai got its token');
    assert.not.ok(hf.requests.some((r) => r.authorization?.includes(CIVITAI_TOKEN)), 'no Civitai token to HF');
    assert.not.ok(civitai.requests.some((r) => r.authorization?.includes(HF_TOKEN)), 'no HF token to Civitai');
    const gated = run.results.get('checkpoints/g.safetensors')!.resolution;
    assert.is(gated.status, 'pinned');
    assert.is((gated as { locked: { auth?: string } }).locked.auth, 'huggingface');

    const files = await readdir(join(dir, 'sources'));
    assert.ok(files.length >= 2);
    const stored = (await Promise.all(files.map((f) => readFile(join(dir, 'sources', f), 'utf8')))).join('\n');
    assert.match(stored, 'org/models', 'the cache holds answers');
    const everything = [stored, JSON.stringify([...run.results]), JSON.stringify(run.diagnostics)].join('\n');
    for (const token of [HF_TOKEN, CIVITAI_TOKEN, 'SENTINEL']) assert.not.match(everything, token);
  } finally {
    await cleanup();
  }
});

test('a server quoting the token it refused: the token is cut from reasons, diagnostics and the cache', async () => {
  const { dir, cleanup } = await tempDir();
  // Fakes of its own: the faults queued here must not outlive the test.
  const [sharedHf, sharedCivitai] = [hf, civitai];
  await startFakes();
  try {
    hf.failNext({ status: 400, times: 50, path: '/api/', headers: { 'x-error-message': `token ${HF_TOKEN} invalid` } });
    civitai.failNext({ status: 400, times: 50, path: '/api/', body: { error: `Bad token ${CIVITAI_TOKEN} for request` } });
    const run = await resolveEverything({ cacheDir: dir, env: { HF_TOKEN, CIVITAI_TOKEN } });
    const files = await readdir(join(dir, 'sources')).catch(() => [] as string[]);
    const stored = (await Promise.all(files.map((f) => readFile(join(dir, 'sources', f), 'utf8')))).join('\n');
    const everything = [stored, JSON.stringify([...run.results]), JSON.stringify(run.diagnostics)].join('\n');
    assert.match(everything, 'token <token> invalid', 'the server\'s words are kept, the token is not');
    for (const token of [HF_TOKEN, CIVITAI_TOKEN]) assert.not.match(everything, token);
  } finally {
    await Promise.all([hf.close(), civitai.close()]);
    [hf, civitai] = [sharedHf, sharedCivitai];
    await cleanup();
  }
});

test('reasons name the public host, never the mirror; the troubles name it by its variable, and a token by the variable that was set', async () => {
  const [sharedHf, sharedCivitai] = [hf, civitai];
  await startFakes();
  try {
    hf.failNext({ status: 401, times: 50, path: '/api/models/org/models/' });
    civitai.failNext({ status: 503, times: 50, path: '/api/' });
    const t = await testContext({ hf, civitai, env: { HF_API_TOKEN: 'hf_api_style_token' } });
    const results = await resolveAll([
      request('vae/ae.safetensors', { urls: ['https://huggingface.co/org/models/resolve/main/vae/ae.safetensors'] }),
      request('vae/none.safetensors', { urls: ['https://huggingface.co/org/none/resolve/main/none.safetensors'] }),
      request('loras/style.safetensors', { urls: ['https://civitai.com/api/download/models/7'] }),
    ], createSources([{ type: 'huggingface', repos: [] }, { type: 'civitai' }]), t.ctx);
    await t.ctx.close();
    const reason = (key: string) => (results.get(key)!.resolution as { reason: string }).reason;
    const trouble = (key: string) => (results.get(key)!.resolution as { trouble?: { via?: string } }).trouble;
    assert.is(reason('vae/ae.safetensors'), 'huggingface.co rejected HF_API_TOKEN (injected 401)');
    assert.is(trouble('vae/ae.safetensors')?.via, 'HF_ENDPOINT');
    assert.is(reason('vae/none.safetensors'), 'repository org/none not found on huggingface.co, or HF_API_TOKEN has no access to it');
    assert.is(reason('loras/style.safetensors'), 'civitai.com unavailable; the next build asks again');
    assert.is(trouble('loras/style.safetensors')?.via, 'CIVITAI_ENDPOINT');
    for (const [, r] of results) assert.not.match(JSON.stringify(r.resolution.status === 'failed' ? r.resolution.reason : ''), /via|127\.0\.0\.1/);
  } finally {
    await Promise.all([hf.close(), civitai.close()]);
    [hf, civitai] = [sharedHf, sharedCivitai];
  }
});

test('an endpoint mirror never leaks into locked URLs', async () => {
  const { results } = await resolveEverything({});
  for (const [, r] of results) {
    if (r.resolution.status !== 'pinned') continue;
    assert.match(r.resolution.locked.url, /^https:\/\/(huggingface\.co|civitai\.com)\//);
    assert.not.match(JSON.stringify(r), '127.0.0.1');
  }
});

test.run();
