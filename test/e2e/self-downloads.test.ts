/**
 * Issue 21 item 4, up to the lock: a workflow of 17 self-downloading nodes builds to a lock that
 * pins every file they fetch, keyed where their pack looks first (fake Hugging Face and GitHub
 * on loopback).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, readFile, readlink, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Lockfile } from '../../src/core/types.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { HF_REPOS, NODES, RELEASES, sha, startFakes, writeProject } from './self-downloads-fixture.js';

const run = promisify(execFile);
const absent = (path: string) => lstat(path).then(() => false, () => true);
const LOOKUPS = join(import.meta.dirname, 'pack-lookups.py');

const gitBlob = (b: Buffer) => createHash('sha1').update(Buffer.concat([Buffer.from(`blob ${b.length}\0`), b])).digest('hex');
const body = (repo: string, path: string) => HF_REPOS.find((r) => r.id === repo)!.files[path] as Buffer;

test('the lock pins every file the nodes fetch: HF files at a commit, snapshots file by file, release assets hashed', async () => {
  const fakes = await startFakes();
  const { dir, cleanup } = await tempDir('comfygen-self-dl-');
  try {
    await writeProject(dir);
    const env = { HF_ENDPOINT: fakes.hf.url, GITHUB_ENDPOINT: fakes.github.url, CIVITAI_ENDPOINT: 'http://127.0.0.1:9' };
    const r = await runCli(['build'], dir, env);
    assert.is(r.code, 0, r.stdout + r.stderr);
    const lock = JSON.parse(await readFile(join(dir, 'comfy.lock.json'), 'utf8')) as Lockfile;
    assert.equal(Object.keys(lock.models), [
      'birefnet/General.safetensors',
      'comfyui:custom_nodes/ComfyUI-Frame-Interpolation/ckpts/film/film_net_fp32.pt',
      'comfyui:custom_nodes/ComfyUI-Frame-Interpolation/ckpts/rife/rife47.pth',
      'comfyui:custom_nodes/comfyui_controlnet_aux/ckpts/depth-anything/Depth-Anything-V2-Small/depth_anything_v2_vits.pth',
      'comfyui:custom_nodes/comfyui_controlnet_aux/ckpts/lllyasviel/Annotators/body_pose_model.pth',
      'comfyui:custom_nodes/comfyui_controlnet_aux/ckpts/lllyasviel/Annotators/facenet.pth',
      'comfyui:custom_nodes/comfyui_controlnet_aux/ckpts/lllyasviel/Annotators/hand_pose_model.pth',
      'comfyui:custom_nodes/comfyui_controlnet_aux/ckpts/lllyasviel/Annotators/sk_model.pth',
      'comfyui:custom_nodes/comfyui_controlnet_aux/ckpts/lllyasviel/Annotators/sk_model2.pth',
      'comfyui:models/CogVideo/GGUF/CogVideoX_5b_I2V_GGUF_Q4_0.safetensors',
      'comfyui:models/CogVideo/VAE/cogvideox_vae.safetensors',
      'comfyui:models/LLM/Florence-2-base/',
      'comfyui:models/LLM/llava-llama-3-8b-text-encoder-tokenizer/',
      'comfyui:models/bert-base-uncased/config.json',
      'comfyui:models/bert-base-uncased/model.safetensors',
      'comfyui:models/bert-base-uncased/tokenizer.json',
      'comfyui:models/bert-base-uncased/tokenizer_config.json',
      'comfyui:models/bert-base-uncased/vocab.txt',
      'comfyui:models/clip/clip-vit-large-patch14/',
      'comfyui:models/depthanything/depth_anything_v2_vitl_fp32.safetensors',
      'comfyui:models/facedetection/detection_Resnet50_Final.pth',
      'comfyui:models/facedetection/parsing_parsenet.pth',
      'comfyui:models/grounding-dino/GroundingDINO_SwinT_OGC.cfg.py',
      'comfyui:models/grounding-dino/groundingdino_swint_ogc.pth',
      'comfyui:models/sam2/sam2.1_hiera_large-fp16.safetensors',
      'comfyui:models/sam2/sam2_hiera_small.safetensors',
      'comfyui:models/sams/sam_hq_vit_b.pth',
      'facerestore_models/GFPGANv1.4.pth',
      'hf-cache:models/CIDAS/clipseg-rd64-refined@main/',
      'hf-cache:models/QuanSun/EVA-CLIP@main/EVA02_CLIP_L_336_psz14_s6B.pt',
      'text_encoders/EVA02_CLIP_L_336_psz14_s6B.pt',
    ]);
    for (const [key, entry] of Object.entries(lock.models)) {
      assert.ok(entry.locked, `${key}: ${entry.unresolved?.reason}`);
      assert.is(entry.locked!.source, 'pack', key);
      assert.ok(typeof entry.locked!.size === 'number', `${key} has a size`);
    }
    const m = lock.models;

    // An LFS file of a repository: the commit, the published sha256, nothing downloaded.
    const annotators = fakes.hf.commit('lllyasviel/Annotators');
    assert.equal(m['comfyui:custom_nodes/comfyui_controlnet_aux/ckpts/lllyasviel/Annotators/sk_model.pth']!.locked, {
      source: 'pack', url: `https://huggingface.co/lllyasviel/Annotators/resolve/${annotators}/sk_model.pth`,
      sha256: sha(body('lllyasviel/Annotators', 'sk_model.pth')), size: 2000, hashOrigin: 'api',
    });
    assert.equal(m['comfyui:custom_nodes/comfyui_controlnet_aux/ckpts/lllyasviel/Annotators/sk_model.pth']!.original, { url: 'https://huggingface.co/lllyasviel/Annotators/resolve/main/sk_model.pth' });
    assert.not.ok(fakes.hf.requests.some((q) => q.path.includes('/resolve/') && q.path.endsWith('sk_model.pth')), 'an LFS file is pinned from the listing');

    // In the Hugging Face cache: the blob's name too (an LFS file's ETag is its sha256).
    const eva = m['hf-cache:models/QuanSun/EVA-CLIP@main/EVA02_CLIP_L_336_psz14_s6B.pt']!.locked!;
    assert.is(eva.etag, sha(body('QuanSun/EVA-CLIP', 'EVA02_CLIP_L_336_psz14_s6B.pt')));
    assert.is(eva.url, `https://huggingface.co/QuanSun/EVA-CLIP/resolve/${fakes.hf.commit('QuanSun/EVA-CLIP')}/EVA02_CLIP_L_336_psz14_s6B.pt`);

    // A snapshot in the cache: every file the patterns let through; small git files hashed, named by their git blob sha1.
    const clipseg = m['hf-cache:models/CIDAS/clipseg-rd64-refined@main/']!.locked!;
    const commit = fakes.hf.commit('CIDAS/clipseg-rd64-refined');
    assert.is(clipseg.url, `https://huggingface.co/CIDAS/clipseg-rd64-refined/tree/${commit}`);
    assert.is(clipseg.sha256, null);
    assert.equal(Object.keys(clipseg.files!), ['config.json', 'merges.txt', 'model.safetensors', 'preprocessor_config.json', 'special_tokens_map.json', 'text_model/config.json', 'tokenizer_config.json', 'vocab.json']);
    const config = body('CIDAS/clipseg-rd64-refined', 'config.json');
    assert.equal(clipseg.files!['config.json'], { url: `https://huggingface.co/CIDAS/clipseg-rd64-refined/resolve/${commit}/config.json`, sha256: sha(config), size: config.length, etag: gitBlob(config) });
    assert.is(clipseg.files!['model.safetensors']!.etag, clipseg.files!['model.safetensors']!.sha256);
    assert.is(clipseg.size, Object.values(clipseg.files!).reduce((n, f) => n + f.size, 0));
    assert.is(clipseg.hashOrigin, 'computed');

    // A snapshot into a folder: everything, code included (trust_remote_code); ignore patterns apply.
    assert.equal(Object.keys(m['comfyui:models/LLM/Florence-2-base/']!.locked!.files!).length, 11);
    assert.not.ok('etag' in m['comfyui:models/LLM/Florence-2-base/']!.locked!.files!['config.json']!, 'only cache files need an ETag');
    assert.equal(Object.keys(m['comfyui:models/clip/clip-vit-large-patch14/']!.locked!.files!),
      ['config.json', 'merges.txt', 'model.safetensors', 'preprocessor_config.json', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.json']);

    // A release asset: the first URL the pack tries that answers, hashed; the others kept as mirrors in the pack's order.
    const rife = m['comfyui:custom_nodes/ComfyUI-Frame-Interpolation/ckpts/rife/rife47.pth']!.locked!;
    assert.equal(rife, {
      source: 'pack', url: 'https://github.com/Fannovel16/ComfyUI-Frame-Interpolation/releases/download/models/rife47.pth',
      sha256: sha(RELEASES['/Fannovel16/ComfyUI-Frame-Interpolation/releases/download/models/rife47.pth']!), size: 2000, hashOrigin: 'computed',
      mirrors: [
        'https://github.com/styler00dollar/VSGAN-tensorrt-docker/releases/download/models/rife47.pth',
        'https://github.com/dajes/frame-interpolation-pytorch/releases/download/v1.0.0/rife47.pth',
        'https://huggingface.co/marduk191/rife/resolve/main/rife47.pth',
        'https://huggingface.co/wavespeed/misc/resolve/main/rife/rife47.pth',
        'https://huggingface.co/MachineDelusions/RIFE/resolve/main/rife47.pth',
        'https://huggingface.co/jasonot/mycomfyui/resolve/main/rife47.pth',
      ],
    });

    // Saved under another name than the repository's: the remote name is kept.
    assert.is(m['birefnet/General.safetensors']!.locked!.remoteName, 'model.safetensors');
    assert.is(m['facerestore_models/GFPGANv1.4.pth']!.locked!.url,
      `https://huggingface.co/datasets/Gourieff/ReActor/resolve/${fakes.hf.commit('Gourieff/ReActor')}/models/facerestore_models/GFPGANv1.4.pth`);

    // report.md lists them, where they go and which node fetches them; the bypassed node's file is optional.
    const report = await readFile(join(dir, 'generated', 'report.md'), 'utf8');
    assert.match(report, '## Files custom nodes fetch themselves');
    assert.match(report, '| `comfyui:custom_nodes/ComfyUI-Frame-Interpolation/ckpts/rife/rife47.pth` | COMFYUI_DIR/custom_nodes/ComfyUI-Frame-Interpolation/ckpts/rife/rife47.pth (the pack\'s folder) | `RIFE VFI` | Fannovel16/ComfyUI-Frame-Interpolation | pinned |');
    assert.match(report, '| `hf-cache:models/CIDAS/clipseg-rd64-refined@main/` | the Hugging Face cache (HF_HUB_CACHE): models--CIDAS--clipseg-rd64-refined, revision main, every file of the snapshot | `LoadCLIPSegModels+` |');
    assert.match(report, '| `comfyui:models/sam2/sam2_hiera_small.safetensors` (optional) |');
    assert.match(report, /\| `comfyui:models\/LLM\/Florence-2-base\/` \| 21\.4 KiB \| pack \| 11 files, each pinned \| computed \|/);
    assert.not.match(report, 'unverified');

    // A second build resolves nothing and writes the same bytes.
    const before = fakes.hf.requests.length + fakes.github.requests.length;
    const again = await runCli(['build'], dir, env);
    assert.is(again.code, 0, again.stderr);
    assert.is(fakes.hf.requests.length + fakes.github.requests.length, before);
    assert.is(await readFile(join(dir, 'comfy.lock.json'), 'utf8'), JSON.stringify(lock, null, 2) + '\n');
  } finally {
    await cleanup();
    await fakes.close();
  }
});

/** download.sh as on the box: HF_HOME for the cache, the fakes as mirrors; its exit code and output. */
async function download(dir: string, env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run('bash', [join(dir, 'generated', 'download.sh'), ...args], { env: { PATH: process.env.PATH, COMFYGEN_PROGRESS_SECONDS: '0', ...env }, timeout: 120_000 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

type Found = { path?: string; sha256?: string; missing?: string; relative?: string };

/** Every node's files as its pack looks them up, with the network off (pack-lookups.py). */
async function lookups(comfyui: string, env: NodeJS.ProcessEnv): Promise<Found[][]> {
  const parsed = await runLookups([comfyui], NODES.map((n) => ({ type: n.type, widgets: n.widgets_values })), env) as Record<string, Found[]>;
  return NODES.map((_, i) => parsed[String(i)]!);
}

/** Every file the lock puts into the Hugging Face cache, as try_to_load_from_cache finds it. */
async function cacheLookups(lock: Lockfile, env: NodeJS.ProcessEnv): Promise<{ key: string; sha256: string; found: Found }[]> {
  const wanted: { key: string; sha256: string; q: [string, string, string, string] }[] = [];
  for (const [key, entry] of Object.entries(lock.models)) {
    const m = /^hf-cache:(models|datasets)\/(.+)@([^/]+)\/(.*)$/.exec(key);
    if (!m) continue;
    const files = entry.locked!.files ?? { [m[4]!]: { sha256: entry.locked!.sha256! } };
    for (const [path, f] of Object.entries(files)) wanted.push({ key: key + (entry.locked!.files ? path : ''), sha256: f.sha256, q: [m[1]!.slice(0, -1), m[2]!, m[3]!, path] });
  }
  const out = await runLookups(['--cache'], wanted.map((w) => w.q), env) as Found[];
  return wanted.map((w, i) => ({ key: w.key, sha256: w.sha256, found: out[i]! }));
}

async function runLookups(args: string[], input: unknown, env: NodeJS.ProcessEnv): Promise<unknown> {
  const child = execFile('python3', [LOOKUPS, ...args], { env: { PATH: process.env.PATH, HF_HUB_OFFLINE: '1', ...env } });
  child.stdin!.end(JSON.stringify(input));
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  assert.is(code, 0, err);
  return JSON.parse(out);
}

/** The fixture project, built against the fakes (Civitai refused); the mirrors download.sh needs too. */
async function buildProject(dir: string, fakes: Awaited<ReturnType<typeof startFakes>>): Promise<Record<string, string>> {
  await writeProject(dir);
  const mirrors = { HF_ENDPOINT: fakes.hf.url, GITHUB_ENDPOINT: fakes.github.url };
  assert.is((await runCli(['build'], dir, { ...mirrors, CIVITAI_ENDPOINT: 'http://127.0.0.1:9' })).code, 0);
  return mirrors;
}

test('download.sh puts every file where its pack reads it: the packs\' own lookups find them offline, byte for byte', async () => {
  const fakes = await startFakes();
  const { dir, cleanup } = await tempDir('comfygen-self-dl-');
  try {
    const mirrors = await buildProject(dir, fakes);
    const lock = JSON.parse(await readFile(join(dir, 'comfy.lock.json'), 'utf8')) as Lockfile;
    const comfyui = join(dir, 'ComfyUI');
    const home = join(dir, 'home');
    // The packs as nodes.sh or ComfyUI-Manager leave them: Frame-Interpolation under its registry id.
    for (const pack of ['comfyui_controlnet_aux', 'comfyui-frame-interpolation', 'ComfyUI-ReActor']) await mkdir(join(comfyui, 'custom_nodes', pack), { recursive: true });

    // --dry-run names every root and destination, and writes nothing.
    const dry = await download(dir, { ...mirrors, HF_HOME: join(home, 'hf') }, '--dry-run');
    assert.is(dry.code, 0, dry.out);
    assert.match(dry.out, `files custom nodes fetch themselves: under COMFYUI_DIR ${comfyui}\n`);
    assert.match(dry.out, `files custom nodes fetch themselves: in the Hugging Face cache ${join(home, 'hf', 'hub')}\n`);
    assert.match(dry.out, `rife47.pth: would download 1.9 KiB to ${comfyui}/custom_nodes/comfyui-frame-interpolation/ckpts/rife/rife47.pth from ${fakes.github.url}/Fannovel16/`);
    assert.match(dry.out, 'dry run: would download 61 files');
    assert.ok(await absent(home) && await absent(join(comfyui, 'models')), 'a dry run writes nothing');

    const first = await download(dir, { ...mirrors, HF_HOME: join(home, 'hf') });
    assert.is(first.code, 0, first.out);
    assert.match(first.out, 'downloaded 61, skipped 0, failed 0', first.out);

    // What each pack reads, with the network off and the cache found from HF_HOME as huggingface_hub finds it.
    const expected = new Map<string, string>();
    for (const [key, entry] of Object.entries(lock.models)) {
      if (entry.locked!.files) for (const [path, f] of Object.entries(entry.locked!.files)) expected.set(`${key}${path}`, f.sha256);
      else expected.set(key, entry.locked!.sha256!);
    }
    const found = await lookups(comfyui, { HF_HOME: join(home, 'hf') });
    const missing = found.flat().filter((f) => f.missing);
    assert.equal(missing, [], 'every file is where its pack looks');
    const shas = new Set(expected.values());
    for (const [i, files] of found.entries()) {
      assert.ok(files.length > 0 || NODES[i]!.type === 'ReActorRestoreFace', NODES[i]!.type);
      for (const f of files) assert.ok(shas.has(f.sha256!), `${NODES[i]!.type}: ${f.path} has the pinned bytes`);
    }
    // Folders a pack loads whole hold exactly the pinned snapshot, nothing more.
    const florence = found[NODES.findIndex((n) => n.type === 'DownloadAndLoadFlorence2Model')]!;
    assert.equal(florence.map((f) => f.relative), Object.keys(lock.models['comfyui:models/LLM/Florence-2-base/']!.locked!.files!));
    assert.equal(florence.map((f) => f.sha256), Object.values(lock.models['comfyui:models/LLM/Florence-2-base/']!.locked!.files!).map((f) => f.sha256));
    const clipseg = found[NODES.findIndex((n) => n.type === 'LoadCLIPSegModels+')]!;
    for (const f of clipseg) assert.is(f.sha256, lock.models['hf-cache:models/CIDAS/clipseg-rd64-refined@main/']!.locked!.files![f.relative!]!.sha256, f.relative);
    // Every file of the cache, nested ones included, through huggingface_hub's lookup.
    const cached = await cacheLookups(lock, { HF_HOME: join(home, 'hf') });
    assert.is(cached.length, 9);
    for (const c of cached) assert.is(c.found.sha256, c.sha256, `${c.key}: ${JSON.stringify(c.found)}`);

    // The cache as huggingface_hub writes it: blobs by ETag, relative links, refs/main = the commit.
    const repoCache = join(home, 'hf', 'hub', 'models--CIDAS--clipseg-rd64-refined');
    const commit = fakes.hf.commit('CIDAS/clipseg-rd64-refined');
    assert.is(await readFile(join(repoCache, 'refs', 'main'), 'utf8'), commit, 'no line break after the commit');
    const config = body('CIDAS/clipseg-rd64-refined', 'config.json');
    assert.is(await readlink(join(repoCache, 'snapshots', commit, 'config.json')), `../../blobs/${gitBlob(config)}`);
    assert.ok((await lstat(join(repoCache, 'blobs', gitBlob(config)))).isFile());
    const eva = join(home, 'hf', 'hub', 'models--QuanSun--EVA-CLIP');
    assert.is(await readlink(join(eva, 'snapshots', fakes.hf.commit('QuanSun/EVA-CLIP'), 'EVA02_CLIP_L_336_psz14_s6B.pt')),
      `../../blobs/${sha(body('QuanSun/EVA-CLIP', 'EVA02_CLIP_L_336_psz14_s6B.pt'))}`);
    // Nothing went into a pack folder nodes.sh did not make, nor under another name.
    assert.ok(await absent(join(comfyui, 'custom_nodes', 'ComfyUI-Frame-Interpolation')));

    // A second run downloads nothing; a moved cache still works (the links are relative).
    const served = fakes.hf.requests.length + fakes.github.requests.length;
    const again = await download(dir, { ...mirrors, HF_HOME: join(home, 'hf') });
    assert.is(again.code, 0, again.out);
    assert.match(again.out, 'downloaded 0, skipped 61, failed 0');
    assert.is(fakes.hf.requests.length + fakes.github.requests.length, served);
    // A blob the cache lost (a cleanup) comes back under the link that already names it.
    await rm(join(eva, 'blobs', sha(body('QuanSun/EVA-CLIP', 'EVA02_CLIP_L_336_psz14_s6B.pt'))));
    const mended = await download(dir, { ...mirrors, HF_HOME: join(home, 'hf') });
    assert.is(mended.code, 0, mended.out);
    assert.match(mended.out, 'downloaded 1, skipped 60, failed 0');
    await rename(join(home, 'hf', 'hub'), join(dir, 'moved-hub'));
    const moved = await cacheLookups(lock, { HF_HUB_CACHE: join(dir, 'moved-hub'), HF_HOME: join(home, 'nowhere') });
    for (const c of moved) assert.is(c.found.sha256, c.sha256, `${c.key}: ${JSON.stringify(c.found)}`);
  } finally {
    await cleanup();
    await fakes.close();
  }
});

test('what download.sh will not do: create a pack folder, replace a ref or a file in the cache', async () => {
  const fakes = await startFakes();
  const { dir, cleanup } = await tempDir('comfygen-self-dl-');
  try {
    const mirrors = await buildProject(dir, fakes);
    const comfyui = join(dir, 'ComfyUI');
    const hub = join(dir, 'hub');
    await mkdir(join(comfyui, 'custom_nodes', 'comfyui_controlnet_aux'), { recursive: true });
    // The user's cache already follows main elsewhere, and has another file at EVA-CLIP's snapshot path.
    const clipseg = join(hub, 'models--CIDAS--clipseg-rd64-refined');
    await mkdir(join(clipseg, 'refs'), { recursive: true });
    await writeFile(join(clipseg, 'refs', 'main'), 'f'.repeat(40));
    const evaCommit = fakes.hf.commit('QuanSun/EVA-CLIP');
    const evaFile = join(hub, 'models--QuanSun--EVA-CLIP', 'snapshots', evaCommit, 'EVA02_CLIP_L_336_psz14_s6B.pt');
    await mkdir(join(evaFile, '..'), { recursive: true });
    await writeFile(evaFile, 'not the pinned weights');

    const r = await download(dir, { ...mirrors, HF_HUB_CACHE: hub, HOME: join(dir, 'home') });
    assert.is(r.code, 1, r.out);
    assert.match(r.out, /comfyui:custom_nodes\/ComfyUI-Frame-Interpolation\/ckpts\/rife\/rife47\.pth: FAILED: its pack is not installed: no ComfyUI-Frame-Interpolation or comfyui-frame-interpolation in \S+\/custom_nodes \(run nodes\.sh first\)/);
    assert.match(r.out, `refs/main in the cache names another commit (${'f'.repeat(40)}), so the pack would read that one; left untouched`);
    assert.match(r.out, /EVA02_CLIP_L_336_psz14_s6B\.pt: FAILED: conflict: a different file is in its place in the snapshot/);
    assert.is(await readFile(join(clipseg, 'refs', 'main'), 'utf8'), 'f'.repeat(40));
    assert.is(await readFile(evaFile, 'utf8'), 'not the pinned weights');
    assert.ok(await absent(join(comfyui, 'custom_nodes', 'ComfyUI-Frame-Interpolation')));
    // The rest is in place: a failure of one file is not the others'.
    assert.ok((await lstat(join(comfyui, 'custom_nodes', 'comfyui_controlnet_aux', 'ckpts', 'lllyasviel', 'Annotators', 'sk_model.pth'))).isFile());
    assert.match(r.out, /failed [1-9]/);
  } finally {
    await cleanup();
    await fakes.close();
  }
});

test.run();
