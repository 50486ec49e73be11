import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { collectPacks } from '../../src/nodes/index.js';
import { ref, workflow } from './build.js';

const SHA_A = 'a'.repeat(40);

test('ids are compared case-insensitively; every recorded version is kept with its workflows', () => {
  const demand = collectPacks([
    workflow('b.json', [ref('ComfyUI-KJNodes', '1.1.6', { nodeTypes: ['PointsEditor'] })]),
    workflow('a.json', [ref('comfyui-kjnodes', 'v1.1.5', { nodeTypes: ['BlockifyMask'] }), ref('comfyui-kjnodes', SHA_A.toUpperCase())]),
  ]);
  assert.equal(demand, [{
    kind: 'pack', key: 'comfyui-kjnodes', cnrId: 'comfyui-kjnodes', auxId: null, repo: null,
    versions: [{ ver: '1.1.5', workflows: ['a.json'] }, { ver: '1.1.6', workflows: ['b.json'] }, { ver: SHA_A, workflows: ['a.json'] }],
    nodeTypes: ['BlockifyMask', 'PointsEditor'], workflows: ['a.json', 'b.json'],
  }]);
});

test('comfy-core is set aside as the ComfyUI version range, never a pack', () => {
  const demand = collectPacks([
    workflow('a.json', [ref('comfy-core', '0.3.59', { nodeTypes: ['BrandNewCoreNode'] })], ['BrandNewCoreNode']),
    workflow('b.json', [ref('comfy-core', '0.3.18')]),
  ]);
  assert.equal(demand, [{
    kind: 'core', key: 'comfy-core', versions: [{ ver: '0.3.18', workflows: ['b.json'] }, { ver: '0.3.59', workflows: ['a.json'] }],
    nodeTypes: ['BrandNewCoreNode'], workflows: ['a.json', 'b.json'],
  }]);
});

test('untagged node types: core, frontend-only, subgraphs and types a pack claims need no lookup', () => {
  const demand = collectPacks([
    workflow('a.json', [ref('comfyui-kjnodes', '1.1.6', { nodeTypes: ['PointsEditor'] })], [
      'KSampler', 'CheckpointLoaderSimple', 'Note', 'MarkdownNote', 'Reroute', 'PrimitiveNode',
      'cade3e30-0eb2-4fd2-bf6e-8518f3a96e0c', 'workflow>My group', 'PointsEditor', 'DWPreprocessor',
    ]),
    workflow('b.json', [], ['DWPreprocessor']),
  ]);
  assert.equal(demand.filter((d) => d.kind === 'untagged'), [{ kind: 'untagged', nodeType: 'DWPreprocessor', workflows: ['a.json', 'b.json'] }]);
});

test('a pack known only by aux_id keeps the repository spelling (its install folder)', () => {
  const [pack] = collectPacks([workflow('a.json', [ref('someone/comfyui-somepack', SHA_A, { repo: 'https://github.com/someone/ComfyUI-SomePack.git' })])]);
  assert.equal(pack, {
    kind: 'pack', key: 'someone/comfyui-somepack', cnrId: null, auxId: 'someone/ComfyUI-SomePack', repo: 'https://github.com/someone/ComfyUI-SomePack',
    versions: [{ ver: SHA_A, workflows: ['a.json'] }], nodeTypes: [], workflows: ['a.json'],
  });
});

test('invalid ids and versions are carried as data; the node types of a bad id are still looked up', () => {
  const demand = collectPacks([workflow('a.json', [
    ref('Flamin Galah', '1.0.0', { nodeTypes: ['GalahNode'] }),
    ref('comfyui-kjnodes', 'nightly'),
  ])]);
  assert.equal(demand.map((d) => d.kind), ['pack', 'untagged', 'invalid', 'invalid']);
  assert.equal(demand[0]!.kind === 'pack' && demand[0]!.versions, [{ ver: 'unknown', workflows: ['a.json'] }]);
  assert.equal(demand[1], { kind: 'untagged', nodeType: 'GalahNode', workflows: ['a.json'] });
  assert.equal(demand.filter((d) => d.kind === 'invalid').map((d) => d.kind === 'invalid' && d.value), ['comfyui-kjnodes@nightly', 'Flamin Galah'].sort());
});

test('a pack the scanner recognised by node type joins the same pack tagged by registry id elsewhere', () => {
  const demand = collectPacks([
    workflow('a.json', [ref('comfyui-kjnodes', '1.1.6', { nodeTypes: ['PointsEditor'] })]),
    workflow('b.json', [ref('kijai/comfyui-kjnodes', null, { repo: 'https://github.com/kijai/ComfyUI-KJNodes', nodeTypes: ['SetNode'] })], ['SetNode']),
  ]);
  assert.equal(demand, [{
    kind: 'pack', key: 'comfyui-kjnodes', cnrId: 'comfyui-kjnodes', auxId: null, repo: 'https://github.com/kijai/ComfyUI-KJNodes',
    versions: [{ ver: '1.1.6', workflows: ['a.json'] }], nodeTypes: ['PointsEditor', 'SetNode'], workflows: ['a.json', 'b.json'],
  }]);
});

test('the result does not depend on the order workflows arrive in', () => {
  const a = workflow('a.json', [ref('x-pack', '1.0.0'), ref('someone/p', SHA_A)], ['Mystery']);
  const b = workflow('b.json', [ref('X-Pack', '2.0.0')], ['Mystery', 'Other']);
  assert.equal(collectPacks([b, a]), collectPacks([a, b]));
});

test.run();
