import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { extractRefs } from '../../src/scan/index.js';
import { uiNode, uiWorkflow } from './builders.js';

const DEF = '11111111-2222-4333-8444-555555555555';
const INNER = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

/** A subgraph whose inputs are [pixels (socket), vae_name (promoted widget)], like the 2025 templates. */
function loaderSubgraph(innerMode = 0): Record<string, unknown> {
  return {
    id: DEF, version: 1, name: 'Decode', state: {}, config: {},
    inputNode: { id: -10 }, outputNode: { id: -20 },
    inputs: [{ id: 'i0', name: 'pixels', type: 'IMAGE', linkIds: [1] }, { id: 'i1', name: 'vae_name', type: 'COMBO', linkIds: [2] }],
    outputs: [],
    nodes: [
      uiNode({ id: 89, type: 'VAELoader', widgets: ['inner-copy.safetensors'], mode: innerMode, inputs: [{ name: 'vae_name', type: 'COMBO', link: 2, widget: { name: 'vae_name' } }] }),
      uiNode({ id: 90, type: 'CheckpointLoaderSimple', widgets: ['inner-only.safetensors'] }),
      uiNode({ id: 91, type: 'VAEEncode', inputs: [{ name: 'pixels', type: 'IMAGE', link: 1 }] }),
    ],
    links: [
      { id: 1, origin_id: -10, origin_slot: 0, target_id: 91, target_slot: 0, type: 'IMAGE' },
      { id: 2, origin_id: -10, origin_slot: 1, target_id: 89, target_slot: 0, type: 'COMBO' },
    ],
  };
}

const refsOf = (wf: unknown) => extractRefs(wf, 'wf.json').refs.map((r) => [`${r.folder}/${r.name}`, r.active, r.nodes.map((n) => n.id)]);

test('a promoted widget takes the instance value; every instance is evaluated on its own', () => {
  const wf = uiWorkflow([
    uiNode({ id: 106, type: DEF, widgets: ['first.safetensors'], inputs: [{ name: 'pixels', type: 'IMAGE', link: null }] }),
    uiNode({ id: 107, type: DEF, widgets: ['second.safetensors'], mode: 4 }),
  ], { definitions: { subgraphs: [loaderSubgraph()] } });
  assert.equal(refsOf(wf), [
    ['checkpoints/inner-only.safetensors', true, ['106:90', '107:90']],
    ['vae/first.safetensors', true, ['106:89']],
    ['vae/second.safetensors', false, ['107:89']],
  ]);
});

test('newer proxyWidgets instances keep their values on the inner nodes', () => {
  const wf = uiWorkflow([
    uiNode({ id: 5, type: DEF, widgets: [], properties: { proxyWidgets: [['89', 'vae_name']] } }),
  ], { definitions: { subgraphs: [loaderSubgraph()] } });
  assert.equal(refsOf(wf)[1], ['vae/inner-copy.safetensors', true, ['5:89']]);
});

test('proxyWidgets with values on the instance override the inner widget', () => {
  const wf = uiWorkflow([
    uiNode({ id: 5, type: DEF, widgets: ['override.safetensors'], properties: { proxyWidgets: [['89', 'vae_name']] } }),
  ], { definitions: { subgraphs: [loaderSubgraph()] } });
  assert.equal(refsOf(wf)[1], ['vae/override.safetensors', true, ['5:89']]);
});

test('an instance input fed from outside follows the outer link; muted inner nodes are inactive', () => {
  const wf = uiWorkflow([
    uiNode({ id: 1, type: 'PrimitiveNode', widgets: ['outer.safetensors'] }),
    uiNode({ id: 2, type: DEF, widgets: ['ignored.safetensors'], inputs: [{ name: 'vae_name', type: 'COMBO', link: 30, widget: { name: 'vae_name' } }] }),
  ], { links: [[30, 1, 0, 2, 1, 'COMBO']], definitions: { subgraphs: [loaderSubgraph(2)] } });
  assert.equal(refsOf(wf)[1], ['vae/outer.safetensors', false, ['2:89']]);
});

test('nested definitions recurse, with colon-joined ids and the outer mode inherited', () => {
  const inner = { ...loaderSubgraph(), id: INNER };
  const outer = {
    id: DEF, version: 1, name: 'Outer', inputs: [], outputs: [], links: [],
    nodes: [uiNode({ id: 3, type: INNER, widgets: ['deep.safetensors'] })],
    definitions: { subgraphs: [inner] },
  };
  const wf = uiWorkflow([uiNode({ id: 9, type: DEF, mode: 2 })], { definitions: { subgraphs: [outer] } });
  assert.equal(refsOf(wf), [
    ['checkpoints/inner-only.safetensors', false, ['9:3:90']],
    ['vae/deep.safetensors', false, ['9:3:89']],
  ]);
});

test('a subgraph that contains itself is reported and not expanded forever', () => {
  const looping = {
    id: DEF, version: 1, name: 'Loop', inputs: [], outputs: [], links: [],
    nodes: [uiNode({ id: 1, type: DEF }), uiNode({ id: 2, type: 'LoraLoader', widgets: ['l.safetensors', 1, 1] })],
  };
  const out = extractRefs(uiWorkflow([uiNode({ id: 7, type: DEF })], { definitions: { subgraphs: [looping] } }), 'wf.json');
  assert.equal(out.refs.map((r) => r.nodes.map((n) => n.id)), [['7:2']]);
  assert.equal(out.diagnostics.map((d) => d.code), ['subgraph-cycle']);
});

test('an instance of an undefined subgraph is reported; unused definitions still list optional models', () => {
  const wf = uiWorkflow([uiNode({ id: 4, type: INNER, widgets: ['x.safetensors'] })], { definitions: { subgraphs: [loaderSubgraph()] } });
  const out = extractRefs(wf, 'wf.json');
  assert.equal(out.diagnostics.map((d) => [d.code, d.node]), [['missing-subgraph', '4']]);
  const vae = out.refs.find((r) => r.name === 'inner-copy.safetensors')!;
  assert.is(vae.active, false);
  assert.equal(vae.nodes.map((n) => n.id), [`${DEF}:89`]);
});

test('exponential nesting is cut off by the node budget with one warning', () => {
  const defs: Record<string, unknown>[] = [];
  const ids = Array.from({ length: 20 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
  ids.forEach((id, i) => {
    const child = ids[i + 1];
    const nodes = child
      ? Array.from({ length: 4 }, (_, k) => uiNode({ id: k + 1, type: child }))
      : [uiNode({ id: 1, type: 'VAELoader', widgets: ['leaf.safetensors'] })];
    defs.push({ id, version: 1, name: `L${i}`, inputs: [], outputs: [], links: [], nodes });
  });
  const started = performance.now();
  const out = extractRefs(uiWorkflow([uiNode({ id: 1, type: ids[0]! })], { definitions: { subgraphs: defs } }), 'wf.json');
  assert.ok(performance.now() - started < 5000, 'bounded time');
  assert.ok(out.diagnostics.some((d) => d.code === 'graph-too-large'));
  assert.equal(out.refs.map((r) => r.name), ['leaf.safetensors']);

  const after = extractRefs(uiWorkflow([
    uiNode({ id: 1, type: ids[0]! }),
    uiNode({ id: 2, type: 'CheckpointLoaderSimple', widgets: ['root-after.safetensors'] }),
  ], { definitions: { subgraphs: defs } }), 'wf.json');
  assert.ok(after.refs.some((r) => r.name === 'root-after.safetensors' && r.active), 'a root loader after the bomb is still scanned');
  const warning = after.diagnostics.find((d) => d.code === 'graph-too-large')!;
  assert.match(warning.message, /subgraph instance 1(:\d+)* was cut short/);
});

test.run();
