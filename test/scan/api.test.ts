import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { extractRefs, scanBytes } from '../../src/scan/index.js';
import { apiNode } from './builders.js';

const refKeys = (refs: { folder: string; name: string }[]) => refs.map((r) => `${r.folder}/${r.name}`);

test('API prompts map inputs by name; colon ids of flattened subgraphs are kept', () => {
  const prompt = {
    '4': apiNode('CheckpointLoaderSimple', { ckpt_name: 'sd_xl_base_1.0.safetensors' }),
    '106:89': apiNode('VAELoader', { vae_name: 'sdxl_vae.safetensors' }),
    '7': apiNode('KSampler', { model: ['4', 0], seed: 1, steps: 20 }),
  };
  const out = extractRefs(prompt, 'p.json');
  assert.is(out.graph, 'api');
  assert.equal(refKeys(out.refs), ['checkpoints/sd_xl_base_1.0.safetensors', 'vae/sdxl_vae.safetensors']);
  assert.equal(out.refs[1]!.nodes, [{ id: '106:89', type: 'VAELoader', input: 'vae_name' }]);
  assert.ok(out.refs.every((r) => r.active));
});

test('a file name arriving through a link is followed to the primitive that holds it', () => {
  const prompt = {
    '12': apiNode('PrimitiveString', { value: 'linked.safetensors' }),
    '13': apiNode('UNETLoader', { unet_name: ['12', 0], weight_dtype: 'default' }),
  };
  const out = extractRefs(prompt, 'p.json');
  assert.equal(refKeys(out.refs), ['diffusion_models/linked.safetensors']);
  assert.equal(out.refs[0]!.nodes, [{ id: '13', type: 'UNETLoader', input: 'unet_name' }], 'the primitive is not a second use');
  assert.equal(out.diagnostics, []);
});

test('pass-through nodes linked in a ring are reported as a cycle', () => {
  const prompt = {
    '1': apiNode('AnyPass', { x: ['2', 0] }),
    '2': apiNode('AnyPass', { x: ['1', 0] }),
    '3': apiNode('LoraLoader', { model: ['9', 0], clip: ['9', 1], lora_name: ['1', 0], strength_model: 1, strength_clip: 1 }),
  };
  const d = extractRefs(prompt, 'p.json').diagnostics.find((x) => x.code === 'linked-widget')!;
  assert.match(d.message, /fed by a cycle of links back to node 1/);
});

test('a link that leads to no literal is reported as linked-widget (info), not guessed', () => {
  const prompt = {
    '1': apiNode('CustomSwitch', { a: 'x.safetensors', b: 'y.safetensors', select: 1 }),
    '2': apiNode('LoraLoader', { model: ['9', 0], clip: ['9', 1], lora_name: ['1', 0], strength_model: 1, strength_clip: 1 }),
  };
  const out = extractRefs(prompt, 'p.json');
  const d = out.diagnostics.find((x) => x.code === 'linked-widget')!;
  assert.is(d.severity, 'info');
  assert.is(d.node, '2');
  assert.ok(out.refs.every((r) => r.folder !== 'loras'));
});

test('rgthree Power Lora Loader API inputs: lora_N objects, on=false is optional', () => {
  const prompt = {
    '5': apiNode('Power Lora Loader (rgthree)', {
      PowerLoraLoaderHeaderWidget: { type: 'PowerLoraLoaderHeaderWidget' },
      lora_1: { on: true, lora: 'a.safetensors', strength: 1 },
      lora_2: { on: false, lora: 'b.safetensors', strength: 1 },
      '➕ Add Lora': '',
      model: ['4', 0],
    }),
  };
  const out = extractRefs(prompt, 'p.json');
  assert.equal(out.refs.map((r) => [r.name, r.active, r.nodes[0]!.input]), [['a.safetensors', true, 'lora_1'], ['b.safetensors', false, 'lora_2']]);
});

test('socket links (MODEL, CLIP) are never read as file names', () => {
  const prompt = {
    '4': apiNode('CheckpointLoaderSimple', { ckpt_name: 'base.safetensors' }),
    '9': apiNode('MyCustomSampler', { model: ['4', 0], clip: ['4', 1] }),
  };
  const out = extractRefs(prompt, 'p.json');
  assert.equal(refKeys(out.refs), ['checkpoints/base.safetensors']);
});

test('the POST /prompt body and {workflow, prompt} wrappers are read, UI first', () => {
  const body = {
    prompt: { '1': apiNode('VAELoader', { vae_name: 'from_prompt.safetensors' }) },
    extra_data: { extra_pnginfo: { workflow: { nodes: [{ id: 1, type: 'VAELoader', widgets_values: ['from_workflow.safetensors'] }], links: [] } } },
  };
  assert.equal(refKeys(extractRefs(body, 'b.json').refs), ['vae/from_workflow.safetensors']);
  const onlyPrompt = { prompt: body.prompt, client_id: 'x' };
  assert.equal(refKeys(extractRefs(onlyPrompt, 'b.json').refs), ['vae/from_prompt.safetensors']);
});

test('valid JSON without a graph is not-a-workflow (warning)', () => {
  for (const value of ['{"name":"package","version":"1.0.0"}', '[1,2,3]', '{}', '"text"', 'null']) {
    const wf = scanBytes('x.json', new TextEncoder().encode(value.startsWith('{') || value.startsWith('[') ? value : `[${value}]`));
    assert.is(wf.format, null);
    assert.equal(wf.diagnostics.map((d) => [d.code, d.severity, d.file]), [['not-a-workflow', 'warning', 'x.json']], value);
  }
});

test.run();
