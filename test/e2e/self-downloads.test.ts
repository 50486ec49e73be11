/**
 * Issue 21 item 4, up to the lock: a workflow of 17 self-downloading nodes builds to a lock that
 * pins every file they fetch, keyed where their pack looks first (fake Hugging Face and GitHub
 * on loopback).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Lockfile } from '../../src/core/types.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { HF_REPOS, RELEASES, sha, startFakes, writeProject } from './self-downloads-fixture.js';

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
    assert.equal(Object.keys(clipseg.files!), ['config.json', 'merges.txt', 'model.safetensors', 'preprocessor_config.json', 'special_tokens_map.json', 'tokenizer_config.json', 'vocab.json']);
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

test.run();
