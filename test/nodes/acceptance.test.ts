/**
 * End to end within custom-node support: workflows → collectPacks → resolvePacks (fake registry on
 * 127.0.0.1, bare git repositories over file://) → renderNodesScript → nodes.sh run for real.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectPacks, resolvePacks } from '../../src/nodes/index.js';
import { renderNodesScript } from '../../src/render/nodes-script.js';
import { startFakeRegistry, type FakeRegistry } from '../helpers/fake-registry.js';
import { createBareRepo, git, type FixtureRepo } from '../helpers/git-fixtures.js';
import { tempDir } from '../helpers/tmp.js';
import { options, read, ref, runScript, snapshot, workflow, writeScript } from './build.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
let registry: FakeRegistry;
let somePack: FixtureRepo;
let hosts: string;

test.before(async () => {
  tmp = await tempDir();
  hosts = join(tmp.dir, 'git-host');
  somePack = createBareRepo(hosts, 'someone/ComfyUI-SomePack', [
    { '__init__.py': 'NODE_CLASS_MAPPINGS = {}\n', 'nodes.py': 'v = 1\n' },
    { 'nodes.py': 'v = 2\n', 'requirements.txt': 'numpy\n' },
    { 'nodes.py': 'v = 3\n' },
  ]);
  registry = await startFakeRegistry([
    {
      id: 'comfyui-kjnodes',
      publisher: 'kijai',
      repository: 'https://github.com/kijai/ComfyUI-KJNodes',
      versions: [
        { version: '1.1.5', files: { '__init__.py': '# kj 1.1.5\n', 'pyproject.toml': 'version = "1.1.5"\n', 'nodes/curve_nodes.py': 'x = 5\n' } },
        { version: '1.1.6', files: { '__init__.py': '# kj 1.1.6\n', 'pyproject.toml': 'version = "1.1.6"\n' } },
      ],
    },
    {
      id: 'comfyui_controlnet_aux',
      publisher: 'fannovel16',
      repository: 'https://github.com/Fannovel16/comfyui_controlnet_aux',
      classes: ['DWPreprocessor'],
      versions: [
        { version: '1.1.4', files: { '__init__.py': '# aux 1.1.4\n' } },
        { version: '1.1.5', files: { '__init__.py': '# aux 1.1.5\n' } },
      ],
    },
  ]);
});

test.after(async () => {
  await registry.close();
  await tmp.cleanup();
});

test('a git pin, a registry pin, a pack found by node type and an unknown pack: lock, install, re-run, local edit', async () => {
  const workflows = [
    workflow('workflows/a.json', [
      ref('comfy-core', '0.3.59', { nodeTypes: ['KSampler'] }),
      ref('someone/comfyui-somepack', somePack.commits[1]!, { repo: 'someone/ComfyUI-SomePack', nodeTypes: ['SomeNode'] }),
      ref('comfyui-kjnodes', '1.1.5', { nodeTypes: ['PointsEditor'] }),
    ], ['DWPreprocessor', 'Note']),
    workflow('workflows/b.json', [ref('no-such-pack', '1.0.0', { nodeTypes: ['Mystery'] })], ['KSampler']),
  ];
  const demand = collectPacks(workflows);
  const { nodes, notes } = await resolvePacks(demand, {}, options({ registryEndpoint: registry.endpoint, githubEndpoint: `file://${hosts}` }));

  assert.equal(Object.keys(nodes), ['comfyui-kjnodes', 'comfyui_controlnet_aux', 'no-such-pack', 'someone/comfyui-somepack']);
  assert.equal(nodes['someone/comfyui-somepack']!.locked, { type: 'git', repo: 'https://github.com/someone/ComfyUI-SomePack', commit: somePack.commits[1]! });
  assert.equal(nodes['comfyui-kjnodes']!.locked, {
    type: 'registry', id: 'comfyui-kjnodes', version: '1.1.5',
    url: 'https://api.comfy.org/cdn/kijai/comfyui-kjnodes/1.1.5/node.zip', sha256: registry.sha256('comfyui-kjnodes', '1.1.5'),
  });
  assert.equal(nodes['comfyui_controlnet_aux']!.original, { nodeTypes: ['DWPreprocessor'] });
  assert.is(nodes['comfyui_controlnet_aux']!.chosenBy, 'comfygen');
  assert.is(nodes['comfyui_controlnet_aux']!.locked?.type === 'registry' && nodes['comfyui_controlnet_aux']!.locked.version, '1.1.5');
  assert.match(nodes['no-such-pack']!.unresolved?.reason ?? '', /does not know the pack no-such-pack/);
  assert.ok(notes.some((n) => n.kind === 'comfyui-version' && n.message.includes('0.3.59')));
  assert.not.ok(registry.requests.some((r) => r.includes('/install')), 'lock-time lookups must not count installs');

  const comfy = join(tmp.dir, 'ComfyUI');
  mkdirSync(comfy);
  const script = writeScript(join(tmp.dir, 'out'), renderNodesScript(nodes, { comfyuiDir: '/workspace/ComfyUI' }));
  const env = { COMFYUI_DIR: comfy, GITHUB_ENDPOINT: `file://${hosts}`, COMFY_REGISTRY_ENDPOINT: registry.endpoint };

  const first = await runScript(script, [], env, tmp.dir);
  assert.is(first.code, 3, `the unresolved pack leaves the box incomplete: ${first.stderr}`);
  assert.match(first.stdout, /installed 3, skipped 0, failed 0, unresolved 1/);
  assert.match(first.stderr, /1 pack\(s\) are unresolved in the lock, so this box is incomplete \(exit status 3\)/);
  const checkout = join(comfy, 'custom_nodes', 'ComfyUI-SomePack');
  assert.is(git(['rev-parse', 'HEAD'], checkout), somePack.commits[1]);
  assert.is(git(['status', '--porcelain'], checkout), '');
  assert.is(read(join(checkout, 'nodes.py')), 'v = 2\n');
  assert.is(read(join(comfy, 'custom_nodes', 'comfyui-kjnodes', 'nodes', 'curve_nodes.py')), 'x = 5\n');
  assert.ok(existsSync(join(comfy, 'custom_nodes', 'comfyui-kjnodes', '.tracking')), 'Manager sees a registry install');
  assert.is(read(join(comfy, 'custom_nodes', 'comfyui_controlnet_aux', '__init__.py')), '# aux 1.1.5\n');
  assert.equal(readdirSync(join(comfy, 'custom_nodes')).sort(), ['ComfyUI-SomePack', 'comfyui-kjnodes', 'comfyui_controlnet_aux']);
  assert.equal(readdirSync(tmp.dir).sort(), ['ComfyUI', 'git-host', 'out'], 'nothing written outside COMFYUI_DIR');

  const before = snapshot(comfy);
  const second = await runScript(script, ['--allow-unresolved'], env, tmp.dir);
  assert.is(second.code, 0, second.stderr);
  assert.match(second.stdout, /installed 0, skipped 3, failed 0, unresolved 1/);
  assert.equal(snapshot(comfy), before, 'a second run changes nothing');

  writeFileSync(join(checkout, 'nodes.py'), 'v = "local edit"\n');
  const third = await runScript(script, [], env, tmp.dir);
  assert.is(third.code, 1);
  assert.match(third.stderr, /FAILED someone\/comfyui-somepack: custom_nodes\/ComfyUI-SomePack has local changes; left untouched/);
  assert.is(read(join(checkout, 'nodes.py')), 'v = "local edit"\n');
  assert.match(third.stdout, /installed 0, skipped 2, failed 1, unresolved 1/);
});

test.run();
