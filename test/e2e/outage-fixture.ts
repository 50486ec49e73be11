/**
 * A project whose lock holds every kind of entry an outage could disturb: models pinned by Hugging
 * Face, Civitai, a catalog and a url source, models left unresolved for good reasons (a missing
 * file, a name nobody knows), node packs pinned from the registry and from git, and a pack the
 * registry does not know. `pinOnline` builds it against loopback fakes; an outage build then
 * points every endpoint at a host that cannot be reached.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { uiNode, uiWorkflow } from '../scan/builders.js';
import { startFakeCivitai, type FakeCivitai } from '../helpers/fake-civitai.js';
import { startFakeHf, type FakeHf } from '../helpers/fake-hf.js';
import { startFakeRegistry, type FakeRegistry } from '../helpers/fake-registry.js';
import { createBareRepo } from '../helpers/git-fixtures.js';

export const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const UP = Buffer.from('upscaler bytes '.repeat(40));

export interface OutageFakes {
  hf: FakeHf;
  civitai: FakeCivitai;
  registry: FakeRegistry;
  /** `file://` root of the bare git repositories (GITHUB_ENDPOINT). */
  gitRoot: string;
  packCommit: string;
  /** The environment that reaches every fake. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startOutageFakes(dir: string): Promise<OutageFakes> {
  const hf = await startFakeHf({ repos: [{ id: 'org/flux', files: { 'vae/ae.safetensors': 'ae weights', 'controlnet/cn.safetensors': 'cn weights' } }] });
  const civitai = await startFakeCivitai({
    versions: [{ id: 100, modelId: 10, modelName: 'Style', modelType: 'LORA', files: [{ id: 1000, name: 'style.safetensors', content: 'style weights' }] }],
  });
  const registry = await startFakeRegistry([{ id: 'comfyui-kjnodes', repository: 'https://github.com/kijai/ComfyUI-KJNodes', versions: [{ version: '1.1.0', files: { '__init__.py': '# kj' } }] }]);
  const gitRoot = join(dir, 'git-host');
  const repo = createBareRepo(gitRoot, 'someone/ComfyUI-Pack', [{ '__init__.py': '# pack' }]);
  return {
    hf, civitai, registry, gitRoot, packCommit: repo.tip,
    env: { HF_ENDPOINT: hf.url, CIVITAI_ENDPOINT: civitai.url, COMFY_REGISTRY_ENDPOINT: registry.endpoint, GITHUB_ENDPOINT: `file://${gitRoot}` },
    close: async () => { await Promise.all([hf.close(), civitai.close(), registry.close()]); },
  };
}

/** The project in `dir`: one UI workflow, a catalog, a url source with a hash, every source type. */
export async function writeOutageProject(dir: string, packCommit: string): Promise<void> {
  const hfUrl = (path: string) => `https://huggingface.co/org/flux/resolve/main/${path}`;
  const models = (name: string, directory: string, url: string) => ({ models: [{ name, directory, url }] });
  const wf = uiWorkflow([
    uiNode({ id: 1, type: 'VAELoader', widgets: ['ae.safetensors'], properties: models('ae.safetensors', 'vae', hfUrl('vae/ae.safetensors')) }),
    uiNode({ id: 2, type: 'LoraLoaderModelOnly', widgets: ['style.safetensors', 1], properties: models('style.safetensors', 'loras', 'https://civitai.com/api/download/models/100') }),
    uiNode({ id: 3, type: 'CheckpointLoaderSimple', widgets: ['gone.safetensors'], properties: models('gone.safetensors', 'checkpoints', hfUrl('gone.safetensors')) }),
    uiNode({ id: 4, type: 'LoraLoaderModelOnly', widgets: ['mystery.safetensors', 1] }),
    uiNode({ id: 5, type: 'ControlNetLoader', widgets: ['cn.safetensors'] }),
    uiNode({ id: 6, type: 'UpscaleModelLoader', widgets: ['up.pth'] }),
    uiNode({ id: 7, type: 'PointsEditor', widgets: [], properties: { cnr_id: 'comfyui-kjnodes', ver: '1.1.0' } }),
    uiNode({ id: 8, type: 'PackNode', widgets: [], properties: { aux_id: 'someone/ComfyUI-Pack', ver: packCommit } }),
    uiNode({ id: 9, type: 'GhostNode', widgets: [], properties: { cnr_id: 'ghost-pack', ver: '1.0.0' } }),
  ]);
  await mkdir(join(dir, 'workflows'), { recursive: true });
  await writeFile(join(dir, 'workflows', 'a.json'), JSON.stringify(wf));
  await writeFile(join(dir, 'model-list.json'), JSON.stringify({ models: [
    { name: 'cn', type: 'controlnet', base: 'SD1.5', save_path: 'default', filename: 'cn.safetensors', url: hfUrl('controlnet/cn.safetensors') },
  ] }));
  await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({
    workflows: ['workflows/*.json'],
    sources: [
      { type: 'url', files: { 'upscale_models/up.pth': { url: 'https://example.com/up.pth', sha256: sha(UP) } } },
      { type: 'embedded' },
      { type: 'huggingface', repos: ['org/flux'] },
      { type: 'civitai' },
      { type: 'catalog', path: './model-list.json' },
    ],
  }, null, 2));
}

/** A loopback port nothing listens on: connections to it are refused at once. */
export async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Every endpoint at a refused loopback port (git too, over http). */
export async function refusedEnv(): Promise<Record<string, string>> {
  const base = `http://127.0.0.1:${await refusedPort()}`;
  return { HF_ENDPOINT: base, CIVITAI_ENDPOINT: base, COMFY_REGISTRY_ENDPOINT: base, GITHUB_ENDPOINT: base };
}

/** The lock and every output with their bytes and modes: equal snapshots mean nothing changed. */
export async function outputsOf(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = { 'comfy.lock.json': await readFile(join(dir, 'comfy.lock.json'), 'utf8') };
  for (const name of (await readdir(join(dir, 'generated'))).sort()) {
    const path = join(dir, 'generated', name);
    out[`generated/${name}`] = `${((await stat(path)).mode & 0o777).toString(8)}\n${await readFile(path, 'utf8')}`;
  }
  return out;
}
