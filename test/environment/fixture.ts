/**
 * A project whose workflows were saved with ComfyUI 0.3.59, using a git pack and a registry
 * pack with overlapping Python requirements, plus everything a build and a box need on 127.0.0.1:
 * a `file://` folder of bare repositories (ComfyUI with release tags, the git pack), the fake
 * Comfy Registry, a PEP 503 package index of wheels built here, and a file server for a model.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startFakeIndex, pipEnv, type FakeIndex, type FakeWheel } from '../helpers/fake-index.js';
import { startFakeRegistry, type FakeRegistry } from '../helpers/fake-registry.js';
import { type FileServer, startFileServer } from '../helpers/file-server.js';
import { createBareRepo, git, type FixtureRepo } from '../helpers/git-fixtures.js';
import { tempDir } from '../helpers/tmp.js';

export const MODEL = Buffer.from('a small checkpoint '.repeat(300));

export const WHEELS: FakeWheel[] = [
  { name: 'numpy', version: '1.26.4', platforms: ['cp311-cp311-manylinux_2_17_x86_64', 'cp310-cp310-win_amd64'] },
  { name: 'numpy', version: '2.0.0' },
  { name: 'alpha', version: '1.0' },
  { name: 'alpha', version: '1.1', platforms: ['cp311-cp311-manylinux_2_17_x86_64', 'cp312-cp312-macosx_11_0_arm64'] },
  { name: 'alpha', version: '2.0' },
  { name: 'beta', version: '1.0', requires: ['gamma>=1'] },
  { name: 'gamma', version: '1.5' },
  { name: 'needs-torch', version: '1.0', requires: ['torch'] },
  { name: 'torch', version: '2.3.0' },
  { name: 'torchvision', version: '0.18.0', requires: ['torch'] },
];

export interface EnvFixture {
  dir: string;
  hosts: string;
  comfy: FixtureRepo;
  /** Commits of ComfyUI by tag. */
  tags: Record<string, string>;
  alpha: FixtureRepo;
  registry: FakeRegistry;
  index: FakeIndex;
  files: FileServer;
  /** Environment of a build (endpoints, pip on the fake index only). */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

export function ui(nodes: { type: string; properties?: Record<string, string>; widgets?: unknown[] }[]): unknown {
  return {
    last_node_id: nodes.length, last_link_id: 0, links: [], groups: [], config: {}, extra: {}, version: 0.4,
    nodes: nodes.map((n, i) => ({ id: i + 1, type: n.type, mode: 0, inputs: [], outputs: [], widgets_values: n.widgets ?? [], properties: n.properties ?? {} })),
  };
}

export async function makeEnvProject(opts: { gammaRequirements?: string; config?: Record<string, unknown> } = {}): Promise<EnvFixture> {
  const { dir, cleanup } = await tempDir('comfygen-env-');
  const hosts = join(dir, 'git-host');
  const comfyFiles = (v: string) => ({ 'main.py': `print("ComfyUI ${v}")\n`, 'comfyui_version.py': `__version__ = "${v}"\n`, 'custom_nodes/example_node.py.example': '# example\n', 'requirements.txt': 'torch\ntorchvision\nnumpy>=1.25.0\n' });
  const comfy = createBareRepo(hosts, 'comfyanonymous/ComfyUI', [comfyFiles('0.3.58'), comfyFiles('0.3.59'), { 'main.py': 'print("ComfyUI master")\n' }]);
  const tags = { 'v0.3.58': comfy.commits[0]!, 'v0.3.59': comfy.commits[1]! };
  for (const [tag, commit] of Object.entries(tags)) git(['tag', '-a', '-m', tag, tag, commit], comfy.path);
  const alpha = createBareRepo(hosts, 'someone/ComfyUI-Alpha', [
    { '__init__.py': 'NODE_CLASS_MAPPINGS = {}\n', 'requirements.txt': '# alpha pack\nalpha>=1.0\ntorch>=2.0\nbeta\ngit+https://github.com/someone/helper.git\n' },
  ]);
  const registry = await startFakeRegistry([{
    id: 'comfyui-gamma', publisher: 'pub', repository: 'https://github.com/pub/comfyui-gamma',
    versions: [{ version: '1.0.0', files: { '__init__.py': '# gamma\n', 'pyproject.toml': '[project]\nname = "comfyui-gamma"\ndependencies = ["ignored-because-requirements-txt-wins"]\n', 'requirements.txt': opts.gammaRequirements ?? 'alpha<2\nneeds-torch\nnumpy\n' } }],
  }]);
  const index = await startFakeIndex(WHEELS);
  const files = await startFileServer();
  files.file('/models/base.safetensors', MODEL);

  mkdirSync(join(dir, 'workflows'));
  writeFileSync(join(dir, 'workflows', 'a.json'), JSON.stringify(ui([
    { type: 'CheckpointLoaderSimple', properties: { cnr_id: 'comfy-core', ver: '0.3.59' }, widgets: ['base.safetensors'] },
    { type: 'AlphaNode', properties: { aux_id: 'someone/ComfyUI-Alpha', ver: alpha.tip } },
  ])));
  writeFileSync(join(dir, 'workflows', 'b.json'), JSON.stringify(ui([
    { type: 'KSampler', properties: { cnr_id: 'comfy-core', ver: '0.3.58' } },
    { type: 'GammaNode', properties: { cnr_id: 'comfyui-gamma', ver: '1.0.0' } },
  ])));
  writeFileSync(join(dir, 'comfy.config.json'), JSON.stringify({
    workflows: ['workflows/*.json'],
    models: { target: 'box/ComfyUI/models' },
    sources: [{ type: 'url', files: { 'checkpoints/base.safetensors': { url: `${files.url}/models/base.safetensors`, sha256: createHash('sha256').update(MODEL).digest('hex') } } }],
    comfyui: { dir: 'box/ComfyUI', install: true },
    ...opts.config,
  }, null, 2));
  const env = {
    GITHUB_ENDPOINT: `file://${hosts}`,
    COMFY_REGISTRY_ENDPOINT: registry.endpoint,
    ...pipEnv(index, join(dir, 'pip-cache')),
  };
  return {
    dir, hosts, comfy, tags, alpha, registry, index, files, env,
    async cleanup() {
      await Promise.all([registry.close(), index.close(), files.close()]);
      await cleanup();
    },
  };
}

/**
 * What a box holds: every entry with its kind, and for files their size and mtime, for links
 * their target. Folder mtimes are left out: download.sh works in a scratch folder of MODELS_DIR
 * on every run, which touches the folder's mtime and nothing else.
 */
export function boxState(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const st = lstatSync(path);
      const rel = relative(root, path);
      if (st.isSymbolicLink()) out.push(`${rel} -> ${readlinkSync(path)}`);
      else if (st.isDirectory()) {
        out.push(`${rel}/`);
        walk(path);
      } else out.push(`${rel} ${st.size} ${st.mtimeMs} ${(st.mode & 0o777).toString(8)}`);
    }
  };
  walk(root);
  return out;
}
