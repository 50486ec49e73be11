import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { extractRefs } from '../../src/scan/index.js';
import { uiNode, uiWorkflow } from './builders.js';

const groupDef = {
  nodes: [
    { index: 0, type: 'CheckpointLoaderSimple', widgets_values: ['def-ckpt.safetensors'], inputs: [], outputs: [] },
    { index: 1, type: 'KSampler', widgets_values: [1, 'randomize', 20, 8, 'euler', 'normal', 1], inputs: [], outputs: [] },
    { index: 2, type: 'LoraLoader', widgets_values: ['def-lora.safetensors', 1, 1], inputs: [], outputs: [] },
  ],
  links: [], external: [],
};

const refsOf = (out: ReturnType<typeof extractRefs>) => out.refs.map((r) => [`${r.folder}/${r.name}`, r.active, r.nodes.map((n) => n.id), r.guessed ?? false]);

test('group node instances (workflow>Name and legacy workflow/Name) expand with their own values', () => {
  const instanceValues = ['inst-ckpt.safetensors', 1, 'fixed', 20, 8, 'euler', 'normal', 1, 'inst-lora.safetensors', 1, 1];
  const wf = uiWorkflow([
    uiNode({ id: 12, type: 'workflow>Sampler', widgets: instanceValues }),
    uiNode({ id: 13, type: 'workflow/Sampler', widgets: instanceValues.map((v) => (v === 'inst-lora.safetensors' ? 'other-lora.safetensors' : v)), mode: 4 }),
  ], { extra: { groupNodes: { Sampler: groupDef } } });
  const out = extractRefs(wf, 'wf.json');
  assert.equal(refsOf(out), [
    ['checkpoints/inst-ckpt.safetensors', true, ['12:0', '13:0'], false],
    ['loras/inst-lora.safetensors', true, ['12:2'], false],
    ['loras/other-lora.safetensors', false, ['13:2'], false],
  ]);
  assert.equal(out.diagnostics, []);
});

test('values that do not line up fall back to the definition, and stray file names are guessed, not lost', () => {
  const wf = uiWorkflow([uiNode({ id: 12, type: 'workflow>Sampler', widgets: ['extra.safetensors', 'def-ckpt.safetensors'] })], { extra: { groupNodes: { Sampler: groupDef } } });
  const out = extractRefs(wf, 'wf.json');
  assert.equal(refsOf(out), [
    ['checkpoints/def-ckpt.safetensors', true, ['12:0'], false],
    ['loras/def-lora.safetensors', true, ['12:2'], false],
    ['unknown/extra.safetensors', true, ['12'], true],
  ]);
  assert.equal(out.diagnostics.map((d) => [d.code, d.severity]), [['group-node-values', 'info']]);
});

test('an instance of a group node the file does not define is reported', () => {
  const out = extractRefs(uiWorkflow([uiNode({ id: 3, type: 'workflow>Gone', widgets: [] })], { extra: { groupNodes: {} } }), 'wf.json');
  assert.equal(out.diagnostics.map((d) => [d.code, d.node]), [['missing-group-node', '3']]);
});

test.run();
