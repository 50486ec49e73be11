/**
 * The project and fakes of the resolver end-to-end tests (resolvers.test.ts): one model of each
 * kind on a fake Hugging Face and a fake Civitai, a catalog, a gated repo, and UNKNOWN local files
 * no source knows; plus the helpers that build it, run download.sh and read what came out.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CliRun } from '../helpers/cli.js';
import { startFakeCivitai, type FakeCivitai } from '../helpers/fake-civitai.js';
import { startFakeHf, type FakeHf, type FakeHfRepo } from '../helpers/fake-hf.js';

const run = promisify(execFile);
export const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
export const HF_TOKEN = 'hf_SENTINEL_e2e_4f1c9a';
export const CIVITAI_TOKEN = 'civ_SENTINEL_e2e_8b2d7e';
export const UNKNOWN = 150;

export const bytes = (label: string, n = 3000) => Buffer.from(`${label} `.repeat(n).slice(0, n));
export const AE = bytes('ae weights');
export const CLIP = bytes('clip weights');
export const X4 = bytes('x4 upscaler', 700);
export const CONTROL = bytes('controlnet weights');
// 1000 bytes: Civitai publishes 0.98 KiB, which is 1004 bytes, not 1000.
export const STYLE = bytes('civitai style', 1000);
export const MINE = bytes('a lora someone renamed');

const HF_REPOS: FakeHfRepo[] = [
  { id: 'org/flux', files: { 'split_files/vae/ae.safetensors': AE, 'README.md': '# flux' } },
  { id: 'org/clips', files: { 'clip_l.safetensors': CLIP } },
  // Outside LFS: no published sha256, so comfygen hashes the bytes itself.
  { id: 'org/upscalers', lfs: [], files: { 'models/x4.pth': X4, 'models/other.pth': 'other' } },
  { id: 'org/catalogued', files: { 'controlnet_x.safetensors': CONTROL } },
  { id: 'org/gated', gated: 'manual', allow: ['hf_someone_else'], files: { 'gated.safetensors': 'gated weights' } },
];

export interface Fakes { hf: FakeHf; civitai: FakeCivitai; close(): Promise<void> }

export async function startFakes(): Promise<Fakes> {
  const hf = await startFakeHf({ repos: HF_REPOS, pageSize: 2 });
  const civitai = await startFakeCivitai({
    tokens: [CIVITAI_TOKEN],
    sizeKBDecimals: 2,
    versions: [
      { id: 100, modelId: 10, modelName: 'Cool Style', modelType: 'LORA', files: [{ id: 1000, name: 'cool_style.safetensors', content: STYLE }] },
      { id: 200, modelId: 20, modelName: 'Original', modelType: 'LORA', files: [{ id: 2000, name: 'original_name.safetensors', content: MINE }] },
    ],
  });
  return { hf, civitai, close: async () => { await Promise.all([hf.close(), civitai.close()]); } };
}

export const node = (id: number, type: string, value: string, models?: object[]) =>
  ({ id, type, mode: 0, inputs: [], outputs: [], widgets_values: [value], properties: models ? { models } : {} });

/** The project: one UI workflow naming one model of each kind, one API workflow with the unknown local files. */
export async function writeProject(dir: string): Promise<void> {
  await mkdir(join(dir, 'workflows'), { recursive: true });
  const ui = {
    last_node_id: 7, last_link_id: 0, links: [], groups: [], config: {}, extra: {}, version: 0.4,
    nodes: [
      node(1, 'VAELoader', 'ae.safetensors', [{ name: 'ae.safetensors', directory: 'vae',
        url: 'https://huggingface.co/org/flux/resolve/main/split_files/vae/ae.safetensors' }]),
      node(2, 'CLIPLoader', 'clip_l.safetensors', [{ name: 'clip_l.safetensors', directory: 'text_encoders',
        url: 'https://huggingface.co/org/clips/blob/main/clip_l.safetensors?download=true' }]),
      node(3, 'UpscaleModelLoader', 'x4.pth'),
      node(4, 'ControlNetLoader', 'controlnet_x.safetensors'),
      node(5, 'UNETLoader', 'gated.safetensors', [{ name: 'gated.safetensors', directory: 'diffusion_models',
        url: 'https://huggingface.co/org/gated/resolve/main/gated.safetensors' }]),
      node(6, 'LoraLoaderModelOnly', 'cool_style.safetensors', [{ name: 'cool_style.safetensors', directory: 'loras',
        url: 'https://civitai.com/api/download/models/100' }]),
      node(7, 'LoraLoaderModelOnly', 'renamed.safetensors'),
    ],
  };
  const api = Object.fromEntries(Array.from({ length: UNKNOWN }, (_, i) =>
    [String(100 + i), { class_type: 'LoraLoader', inputs: { lora_name: unknownName(i), strength_model: 1, strength_clip: 1 } }]));
  await writeFile(join(dir, 'workflows', 'ui.json'), JSON.stringify(ui));
  await writeFile(join(dir, 'workflows', 'api.json'), JSON.stringify(api));
  await mkdir(join(dir, 'local-models', 'loras'), { recursive: true });
  await writeFile(join(dir, 'local-models', 'loras', 'renamed.safetensors'), MINE);
  for (let i = 0; i < UNKNOWN; i++) await writeFile(join(dir, 'local-models', 'loras', unknownName(i)), `private lora number ${i}`);
  await writeFile(join(dir, 'model-list.json'), JSON.stringify({ models: [
    { name: 'ControlNet X', type: 'controlnet', base: 'SD1.5', save_path: 'default', filename: 'controlnet_x.safetensors',
      url: 'https://huggingface.co/org/catalogued/resolve/main/controlnet_x.safetensors' },
    { name: 'Elsewhere', type: 'lora', save_path: 'default', filename: 'not_used.safetensors', url: 'https://example.com/not_used.safetensors' },
  ] }));
  await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({
    workflows: ['workflows/**/*.json'],
    models: { roots: ['./local-models'], target: 'models' },
    sources: [{ type: 'embedded' }, { type: 'huggingface', repos: ['org/upscalers'] }, { type: 'civitai' }, { type: 'catalog', path: './model-list.json' }],
  }, null, 2));
}

export const unknownName = (i: number) => `unknown_${String(i).padStart(3, '0')}.safetensors`;

export function env(fakes: { hf: { url: string }; civitai: { url: string } }): NodeJS.ProcessEnv {
  return { HF_ENDPOINT: fakes.hf.url, CIVITAI_ENDPOINT: fakes.civitai.url, HF_TOKEN, CIVITAI_TOKEN };
}

/** The lock and every generated file, by path. */
export async function outputs(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = { 'comfy.lock.json': await readFile(join(dir, 'comfy.lock.json'), 'utf8') };
  for (const f of (await readdir(join(dir, 'generated'))).sort()) out[`generated/${f}`] = await readFile(join(dir, 'generated', f), 'utf8');
  return out;
}

export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

export async function download(dir: string, modelsDir: string, extraEnv: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run('bash', [join(dir, 'generated', 'download.sh'), ...args], {
      cwd: dir, env: { PATH: process.env.PATH, MODELS_DIR: modelsDir, ...extraEnv }, timeout: 60_000,
    });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

export const log = (r: CliRun) => r.stdout + r.stderr;
export const requestCount = (f: Fakes) => f.hf.requests.length + f.civitai.requests.length;

/** A project of a few UI nodes, with the given sources. */
export async function smallProject(dir: string, nodes: object[], sources: object[]): Promise<void> {
  await mkdir(join(dir, 'workflows'), { recursive: true });
  await writeFile(join(dir, 'workflows', 'ui.json'), JSON.stringify({
    last_node_id: nodes.length, last_link_id: 0, links: [], groups: [], config: {}, extra: {}, version: 0.4, nodes,
  }));
  await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({ workflows: ['workflows/*.json'], models: { target: 'models' }, sources }));
}

export const readLockOf = async (dir: string) => JSON.parse(await readFile(join(dir, 'comfy.lock.json'), 'utf8'));
