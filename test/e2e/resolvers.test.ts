/**
 * Resolvers end to end, as a user runs them: workflows naming models on Hugging Face, Civitai, a
 * catalog and a gated repo are built with the CLI against the loopback fakes (HF_ENDPOINT /
 * CIVITAI_ENDPOINT), rebuilt offline elsewhere, and installed by the generated download.sh with
 * real bash and curl through the same endpoints. The project is in resolvers-fixture.ts.
 */
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { installDirFor } from '../../src/core/folders.js';
import { runCli } from '../helpers/cli.js';
import { startFakeCivitai } from '../helpers/fake-civitai.js';
import { startFakeHf } from '../helpers/fake-hf.js';
import { startFileServer } from '../helpers/file-server.js';
import { tempDir } from '../helpers/tmp.js';
import {
  AE, bytes, CIVITAI_TOKEN, CLIP, CONTROL, download, env, filesUnder, HF_TOKEN, log, MINE, node, outputs, readLockOf,
  requestCount, sha, smallProject, startFakes, STYLE, UNKNOWN, unknownName, writeProject, X4,
} from './resolvers-fixture.js';

test('every source pins with the right sha256; the gated one says why; offline elsewhere gives the same bytes; download.sh installs every pin', async () => {
  const project = await tempDir('comfygen-resolvers-');
  const elsewhere = await tempDir('comfygen-resolvers-copy-');
  let fakes = await startFakes();
  const logs: string[] = [];
  try {
    await writeProject(project.dir);
    const first = await runCli(['build'], project.dir, env(fakes));
    logs.push(log(first));
    assert.is(first.code, 0, log(first));
    const lock = JSON.parse(await readFile(join(project.dir, 'comfy.lock.json'), 'utf8'));
    const m = lock.models;
    const hfUrl = (repo: string, path: string) => `https://huggingface.co/${repo}/resolve/${fakes.hf.commit(repo)}/${path}`;

    // Hugging Face: resolve/main and blob?download=true pinned to the commit, LFS sha256 and size.
    assert.equal(m['vae/ae.safetensors'], {
      original: { url: 'https://huggingface.co/org/flux/resolve/main/split_files/vae/ae.safetensors' },
      locked: { source: 'huggingface', url: hfUrl('org/flux', 'split_files/vae/ae.safetensors'), sha256: sha(AE), size: AE.length, hashOrigin: 'api' },
    });
    assert.equal(m['text_encoders/clip_l.safetensors'].locked,
      { source: 'huggingface', url: hfUrl('org/clips', 'clip_l.safetensors'), sha256: sha(CLIP), size: CLIP.length, hashOrigin: 'api' });
    // A repos: search, of a file outside LFS: hashed by comfygen, and said so.
    assert.equal(m['upscale_models/x4.pth'], {
      original: { repo: 'org/upscalers' },
      locked: { source: 'huggingface', url: hfUrl('org/upscalers', 'models/x4.pth'), sha256: sha(X4), size: X4.length, hashOrigin: 'computed' },
    });
    // The catalog: its HF URL pinned the HF way, the catalog named as the origin.
    assert.equal(m['controlnet/controlnet_x.safetensors'], {
      original: { catalog: 'model-list.json', url: 'https://huggingface.co/org/catalogued/resolve/main/controlnet_x.safetensors' },
      locked: { source: 'catalog', url: hfUrl('org/catalogued', 'controlnet_x.safetensors'), sha256: sha(CONTROL), size: CONTROL.length, hashOrigin: 'api' },
    });
    // Civitai: the download URL pinned to version + file; a rounded sizeKB is no exact size.
    const style = m['loras/cool_style.safetensors'];
    assert.equal({ ...style.locked, blake3: undefined }, {
      source: 'civitai', url: 'https://civitai.com/api/download/models/100?fileId=1000', sha256: sha(STYLE),
      size: null, approxSize: 1004, hashOrigin: 'api', blake3: undefined, auth: 'civitai',
    });
    assert.match(style.locked.blake3, /^[0-9a-f]{64}$/);
    // A local file known only by its content: by-hash, with the exact local size.
    assert.equal(m['loras/renamed.safetensors'].original, { sha256: sha(MINE) });
    assert.equal({ ...m['loras/renamed.safetensors'].locked, blake3: undefined }, {
      source: 'civitai', url: 'https://civitai.com/api/download/models/200?fileId=2000', sha256: sha(MINE), size: MINE.length,
      hashOrigin: 'api', blake3: undefined, auth: 'civitai', remoteName: 'original_name.safetensors',
    });
    // The gated repo: unresolved, with the licence to accept and the token to set.
    const gated = m['diffusion_models/gated.safetensors'];
    assert.is(gated.locked, undefined);
    assert.equal(gated.unresolved, {
      reason: 'huggingface: gated repository org/gated: accept the licence at https://huggingface.co/org/gated and set HF_TOKEN', sha256: null,
    });
    assert.match(await readFile(join(project.dir, 'generated', 'report.md'), 'utf8'), 'accept the licence at https://huggingface.co/org/gated');
    // The unknown local files: unresolved, with their local sha256, and no source knows them.
    assert.equal(m[`loras/${unknownName(7)}`].unresolved, {
      reason: 'huggingface: not in org/upscalers; civitai: no Civitai file has this sha256', sha256: sha('private lora number 7'),
    });
    const pinned = Object.keys(m).filter((k) => m[k].locked).sort();
    assert.equal(pinned, ['controlnet/controlnet_x.safetensors', 'loras/cool_style.safetensors', 'loras/renamed.safetensors',
      'text_encoders/clip_l.safetensors', 'upscale_models/x4.pth', 'vae/ae.safetensors']);
    assert.is(Object.keys(m).length, pinned.length + 1 + UNKNOWN);
    for (const k of pinned) assert.match(m[k].locked.url, /^https:\/\/(huggingface\.co\/[^/]+\/[^/]+\/resolve\/[0-9a-f]{40}\/|civitai\.com\/api\/download\/models\/\d+\?fileId=\d+$)/, k);
    assert.not.match(JSON.stringify(lock), '127.0.0.1');

    // Requests: UNKNOWN + 1 local hashes in ceil(151/100) by-hash batches of ≤ 100; no name search for them.
    const byHash = fakes.civitai.requests.filter((r) => r.method === 'POST' && r.path === '/api/v1/model-versions/by-hash');
    assert.is(byHash.length, Math.ceil((UNKNOWN + 1) / 100));
    const sent = byHash.map((r) => JSON.parse(r.body) as string[]);
    assert.ok(sent.every((batch) => batch.length <= 100));
    assert.is(new Set(sent.flat()).size, UNKNOWN + 1);
    assert.equal(fakes.civitai.requests.filter((r) => r.path === '/api/v1/models').map((r) => new URLSearchParams(r.query).get('query')), ['controlnet_x']);
    // The tokens were used, each with its own service only.
    assert.ok(fakes.hf.requests.some((r) => r.authorization === `Bearer ${HF_TOKEN}`));
    assert.ok(fakes.civitai.requests.some((r) => r.authorization === `Bearer ${CIVITAI_TOKEN}`));
    assert.not.ok(fakes.hf.requests.some((r) => r.authorization?.includes(CIVITAI_TOKEN)));
    assert.not.ok(fakes.civitai.requests.some((r) => r.authorization?.includes(HF_TOKEN)));

    // A second build, nothing changed: not one request, not one byte.
    const before = await outputs(project.dir);
    const requests = requestCount(fakes);
    const second = await runCli(['build'], project.dir, env(fakes));
    logs.push(log(second));
    assert.is(second.code, first.code, log(second));
    assert.is(requestCount(fakes), requests, 'the second build made no request');
    assert.equal(await outputs(project.dir), before);

    // Fakes stopped; a copy elsewhere with only the lock (no outputs, no cache) rebuilt offline.
    const dead = { hf: { url: fakes.hf.url }, civitai: { url: fakes.civitai.url } };
    await fakes.close();
    const copy = join(elsewhere.dir, 'p');
    await cp(project.dir, copy, { recursive: true });
    await rm(join(copy, 'generated'), { recursive: true });
    await rm(join(copy, '.comfygen'), { recursive: true });
    const offline = await runCli(['build', '--offline'], copy, env(dead));
    logs.push(log(offline));
    assert.is(offline.code, first.code, log(offline));
    assert.equal(await outputs(copy), before);

    // download.sh through the (restarted) fakes installs every pin, verified, and says the box
    // is incomplete (3): the gated and unknown models stay unresolved.
    fakes = await startFakes();
    const models = join(project.dir, 'installed');
    const dl = await download(project.dir, models, env(fakes));
    logs.push(dl.out);
    assert.is(dl.code, 3, dl.out);
    assert.match(dl.out, `downloaded ${pinned.length}, skipped 0, failed 0, unresolved ${1 + UNKNOWN}`);
    for (const key of pinned) {
      const [folder, name] = key.split('/') as [string, string];
      const got = await readFile(join(models, installDirFor(folder), name));
      assert.is(sha(got), m[key].locked.sha256, key);
    }
    // No token followed a redirect to the CDN or storage (another origin).
    assert.not.ok(fakes.hf.requests.some((r) => r.path.startsWith('/cdn/') && r.authorization));
    assert.not.ok(fakes.civitai.requests.some((r) => r.path.startsWith('/storage/') && r.authorization));
    const again = await download(project.dir, models, env(fakes));
    logs.push(again.out);
    assert.match(again.out, `downloaded 0, skipped ${pinned.length}, failed 0`);

    // The sentinel tokens are nowhere: outputs, lock, cache, logs.
    const cacheFiles = await filesUnder(join(project.dir, '.comfygen'));
    assert.ok(cacheFiles.some((f) => f.includes('sources')), 'the source cache was written');
    const written = [...Object.values(before), ...(await Promise.all(cacheFiles.map((f) => readFile(f, 'utf8')))), ...logs].join('\n');
    for (const token of [HF_TOKEN, CIVITAI_TOKEN, 'SENTINEL']) assert.not.match(written, token);
  } finally {
    await fakes.close();
    await elsewhere.cleanup();
    await project.cleanup();
  }
});

test('build keeps a pin whose branch moved; build --update [KEY] asks again and picks up the new commit', async () => {
  const project = await tempDir('comfygen-resolvers-update-');
  const fakes = await startFakes();
  try {
    const url = 'https://huggingface.co/org/flux/resolve/main/split_files/vae/ae.safetensors';
    await smallProject(project.dir, [node(1, 'VAELoader', 'ae.safetensors', [{ name: 'ae.safetensors', directory: 'vae', url }])],
      [{ type: 'embedded' }, { type: 'huggingface', repos: [] }]);
    const pinOf = async () => (await readLockOf(project.dir)).models['vae/ae.safetensors'].locked;
    assert.is((await runCli(['build'], project.dir, env(fakes))).code, 0);
    const first = await pinOf();
    assert.ok(first.url.includes(fakes.hf.commit('org/flux')));

    const moved = bytes('ae weights, retrained');
    const commitB = fakes.hf.push('org/flux', { 'split_files/vae/ae.safetensors': moved });
    const requests = requestCount(fakes);
    const plain = await runCli(['build'], project.dir, env(fakes));
    assert.is(plain.code, 0, log(plain));
    assert.equal(await pinOf(), first, 'a plain build keeps the lock');
    assert.is(requestCount(fakes), requests, 'and asks nothing');

    // The branch answer is in the cache (fresh for an hour): --update must not take it from there.
    const byKey = await runCli(['build', '--update', 'vae/ae.safetensors'], project.dir, env(fakes));
    assert.is(byKey.code, 0, log(byKey));
    assert.match(byKey.stdout, '~ updated vae/ae.safetensors');
    assert.equal(await pinOf(), { ...first, url: first.url.replace(/[0-9a-f]{40}/, commitB), sha256: sha(moved), size: moved.length });

    const again = bytes('ae weights, third try');
    const commitC = fakes.hf.push('org/flux', { 'split_files/vae/ae.safetensors': again });
    assert.is((await runCli(['build', '--update'], project.dir, env(fakes))).code, 0);
    const third = await pinOf();
    assert.ok(third.url.includes(commitC));
    assert.is(third.sha256, sha(again));
  } finally {
    await fakes.close();
    await project.cleanup();
  }
});

test('file names with spaces, #, ?, % and non-ASCII give valid canonical URLs that download.sh fetches', async () => {
  const project = await tempDir('comfygen-resolvers-names-');
  const lora = 'My Lora #1 (v2)?é.safetensors';
  const base = 'Ünïcode base 50%.safetensors';
  const style = 'Style #3 ?ü.safetensors';
  const plain = 'plain ü.pth';
  const content = { lora: bytes('odd lora'), base: bytes('odd base'), style: bytes('odd civitai style'), plain: bytes('plain file') };
  const hf = await startFakeHf({ repos: [{ id: 'org/odd', files: { [`loras/${lora}`]: content.lora, [`checkpoints/${base}`]: content.base } }] });
  const civitai = await startFakeCivitai({ versions: [{ id: 300, modelId: 30, modelName: 'Odd', modelType: 'LORA', files: [{ id: 3000, name: style, content: content.style }] }] });
  const files = await startFileServer();
  files.file('/files/my%20file%20%C3%BC.pth', content.plain);
  const fakes = { hf, civitai };
  try {
    await smallProject(project.dir, [
      // Encoded as the Hub's own links are.
      node(1, 'LoraLoaderModelOnly', lora, [{ name: lora, directory: 'loras',
        url: 'https://huggingface.co/org/odd/resolve/main/loras/My%20Lora%20%231%20(v2)%3F%C3%A9.safetensors' }]),
      node(2, 'CheckpointLoaderSimple', base),
      node(3, 'LoraLoaderModelOnly', style, [{ name: style, directory: 'loras', url: 'https://civitai.com/api/download/models/300' }]),
      // Written raw, as people paste them.
      node(4, 'UpscaleModelLoader', plain, [{ name: plain, directory: 'upscale_models', url: `${files.url}/files/my file ü.pth`, hash: sha(content.plain), hash_type: 'SHA256' }]),
    ], [{ type: 'embedded' }, { type: 'huggingface', repos: ['org/odd'] }, { type: 'civitai' }]);
    const built = await runCli(['build'], project.dir, env(fakes));
    assert.is(built.code, 0, log(built));
    const m = (await readLockOf(project.dir)).models;
    const commit = hf.commit('org/odd');
    assert.is(m[`loras/${lora}`].locked.url, `https://huggingface.co/org/odd/resolve/${commit}/loras/My%20Lora%20%231%20%28v2%29%3F%C3%A9.safetensors`);
    assert.is(m[`checkpoints/${base}`].locked.url, `https://huggingface.co/org/odd/resolve/${commit}/checkpoints/%C3%9Cn%C3%AFcode%20base%2050%25.safetensors`);
    assert.is(m[`loras/${style}`].locked.url, 'https://civitai.com/api/download/models/300?fileId=3000');
    assert.is(m[`upscale_models/${plain}`].locked.url, `${files.url}/files/my%20file%20%C3%BC.pth`);
    for (const entry of Object.values(m) as { locked: { url: string } }[]) {
      assert.match(entry.locked.url, /^[\x21-\x7e]+$/, 'printable ASCII only: no space, control or non-ASCII byte');
      assert.not.match(new URL(entry.locked.url).pathname, /[#?]/);
    }

    const models = join(project.dir, 'installed');
    const dl = await download(project.dir, models, env(fakes));
    assert.is(dl.code, 0, dl.out);
    assert.match(dl.out, 'downloaded 4, skipped 0, failed 0');
    for (const [key, body] of [[`loras/${lora}`, content.lora], [`checkpoints/${base}`, content.base], [`loras/${style}`, content.style], [`upscale_models/${plain}`, content.plain]] as const) {
      const [folder, name] = [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)];
      assert.is(sha(await readFile(join(models, installDirFor(folder), name))), sha(body), key);
    }
  } finally {
    await Promise.all([hf.close(), civitai.close(), files.close()]);
    await project.cleanup();
  }
});

test('a Civitai size known only from a rounded sizeKB is not pinned as exact: download.sh decides by the hash', async () => {
  const project = await tempDir('comfygen-resolvers-size-');
  const fakes = await startFakes();
  try {
    await smallProject(project.dir, [node(1, 'LoraLoaderModelOnly', 'cool_style.safetensors',
      [{ name: 'cool_style.safetensors', directory: 'loras', url: 'https://civitai.com/api/download/models/100' }])],
    [{ type: 'embedded' }, { type: 'civitai' }]);
    assert.is((await runCli(['build'], project.dir, env(fakes))).code, 0);
    const locked = (await readLockOf(project.dir)).models['loras/cool_style.safetensors'].locked;
    assert.equal([locked.size, locked.approxSize, locked.sha256], [null, 1004, sha(STYLE)], 'sizeKB 0.98 is 1004 bytes; the file has 1000');

    const place = async (label: string, body: Buffer) => {
      const models = join(project.dir, label);
      await mkdir(join(models, 'loras'), { recursive: true });
      await writeFile(join(models, 'loras', 'cool_style.safetensors'), body);
      return models;
    };
    const storage = () => fakes.civitai.requests.filter((r) => r.path.startsWith('/storage/')).length;

    // The right file already there: skipped, not a conflict (its size differs from the estimate).
    const right = await download(project.dir, await place('right', STYLE), env(fakes));
    assert.is(right.code, 0, right.out);
    assert.match(right.out, 'downloaded 0, skipped 1, failed 0');
    // Another file of exactly the estimated size: a conflict, left untouched (not skipped).
    const impostor = Buffer.alloc(1004, 'x');
    const wrongDir = await place('wrong', impostor);
    const wrong = await download(project.dir, wrongDir, env(fakes));
    assert.is(wrong.code, 1, wrong.out);
    assert.match(wrong.out, 'conflict');
    assert.equal(await readFile(join(wrongDir, 'loras', 'cool_style.safetensors')), impostor);
    assert.is(storage(), 0, 'nothing was downloaded for either');

    // Absent: downloaded and verified by sha256; a second run skips it.
    const fresh = join(project.dir, 'fresh');
    const got = await download(project.dir, fresh, env(fakes));
    assert.is(got.code, 0, got.out);
    assert.is(sha(await readFile(join(fresh, 'loras', 'cool_style.safetensors'))), sha(STYLE));
    assert.match((await download(project.dir, fresh, env(fakes))).out, 'downloaded 0, skipped 1, failed 0');
  } finally {
    await fakes.close();
    await project.cleanup();
  }
});

test.run();
