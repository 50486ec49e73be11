import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { extractRefs, normalizeModelUrl } from '../../src/scan/index.js';
import { uiNode, uiWorkflow } from './builders.js';

const SHA = 'AB'.repeat(32);
const HF = 'https://huggingface.co/Comfy-Org/flux1-dev/resolve/main/split_files/vae/ae.safetensors';

test('URLs: HF /blob/ becomes /resolve/, download=true is dropped, other URLs stay as written', () => {
  assert.is(normalizeModelUrl('https://huggingface.co/o/r/blob/main/a/b.safetensors?download=true'), 'https://huggingface.co/o/r/resolve/main/a/b.safetensors');
  assert.is(normalizeModelUrl('https://huggingface.co/datasets/o/r/blob/v1/x.pt'), 'https://huggingface.co/datasets/o/r/resolve/v1/x.pt');
  assert.is(normalizeModelUrl('https://huggingface.co/o/blob/resolve/main/blob/x.pt'), 'https://huggingface.co/o/blob/resolve/main/blob/x.pt');
  const civitai = 'https://civitai.com/api/download/models/128713?type=Model&format=SafeTensor&size=pruned&fp=fp16';
  assert.is(normalizeModelUrl(civitai), civitai);
  assert.is(normalizeModelUrl(' https://example.com/a.safetensors?download=true '), 'https://example.com/a.safetensors?download=true');
  assert.is(normalizeModelUrl('ftp://example.com/a.safetensors'), null);
  assert.is(normalizeModelUrl('not a url'), null);
});

test('node metadata attaches to the node ref; the first URL is embedded, the rest are mirrors', () => {
  const wf = uiWorkflow([
    uiNode({ id: 1, type: 'VAELoader', widgets: ['ae.safetensors'], properties: { models: [
      { name: 'ae.safetensors', url: `${HF}?download=true`, directory: 'vae', hash: SHA, hash_type: 'SHA256' },
      { name: 'ae.safetensors', url: 'https://huggingface.co/black-forest-labs/FLUX.1-schnell/blob/main/ae.safetensors', directory: 'vae' },
      { name: 'unused.safetensors', url: 'https://huggingface.co/x/y/resolve/main/unused.safetensors', directory: 'vae' },
    ] } }),
  ], { models: [{ name: 'ae.safetensors', url: HF, directory: 'models/vae' }] });
  const { refs, diagnostics } = extractRefs(wf, 'wf.json');
  assert.equal(refs.map((r) => r.name), ['ae.safetensors'], 'entries naming no widget value are ignored, as the frontend does');
  assert.equal(refs[0]!.embedded, { url: HF, sha256: SHA.toLowerCase() });
  assert.equal(refs[0]!.mirrors, ['https://huggingface.co/black-forest-labs/FLUX.1-schnell/resolve/main/ae.safetensors']);
  assert.equal(diagnostics, []);
});

test('hashes count only as SHA-256 of 64 hex digits', () => {
  const entry = (hash: unknown, hash_type?: string) => uiWorkflow([uiNode({ id: 1, type: 'VAELoader', widgets: ['v.safetensors'], properties: { models: [{ name: 'v.safetensors', directory: 'vae', hash, hash_type }] } })]);
  assert.is(extractRefs(entry(SHA), 'w').refs[0]!.embedded?.sha256, SHA.toLowerCase());
  assert.is(extractRefs(entry(SHA, 'sha256'), 'w').refs[0]!.embedded?.sha256, SHA.toLowerCase());
  assert.is(extractRefs(entry('abcd1234', 'AutoV2'), 'w').refs[0]!.embedded, null);
  const short = extractRefs(entry('abc', 'SHA256'), 'w');
  assert.is(short.refs[0]!.embedded, null);
  assert.equal(short.diagnostics.map((d) => d.code), ['invalid-embedded-model']);
});

test('workflow-level models that no node uses still become refs, folder from directory', () => {
  const wf = uiWorkflow([uiNode({ id: 1, type: 'KSampler', widgets: [1, 'fixed', 20, 8, 'euler', 'normal', 1] })], {
    models: [
      { name: 'llava_llama3_fp8_scaled.safetensors', url: 'https://huggingface.co/Comfy-Org/HunyuanVideo_repackaged/resolve/main/split_files/text_encoders/llava_llama3_fp8_scaled.safetensors?download=true', directory: 'clip' },
      { name: 'no-url.safetensors', directory: 'unet' },
      { url: 'https://example.com/nameless.safetensors' },
    ],
  });
  const { refs, diagnostics } = extractRefs(wf, 'wf.json');
  assert.equal(refs.map((r) => [r.folder, r.name, r.active, r.nodes.length, r.embedded?.url ?? null, r.guessed ?? false]), [
    ['diffusion_models', 'no-url.safetensors', true, 0, null, false],
    ['text_encoders', 'llava_llama3_fp8_scaled.safetensors', true, 0, 'https://huggingface.co/Comfy-Org/HunyuanVideo_repackaged/resolve/main/split_files/text_encoders/llava_llama3_fp8_scaled.safetensors', false],
  ]);
  assert.equal(diagnostics.map((d) => d.code), ['invalid-embedded-model']);
});

test('metadata on an unknown node gives the guessed value its folder', () => {
  const wf = uiWorkflow([uiNode({ id: 3, type: 'MysteryLoader', widgets: ['thing.safetensors', 0.5], properties: { models: [{ name: 'thing.safetensors', directory: 'style_models', url: 'https://example.com/thing.safetensors' }] } })]);
  const [ref] = extractRefs(wf, 'wf.json').refs;
  assert.equal([ref!.folder, ref!.guessed, ref!.embedded?.url], ['style_models', true, 'https://example.com/thing.safetensors']);
});

test('a directory that disagrees with the loader is noted; the loader folder wins', () => {
  const wf = uiWorkflow([uiNode({ id: 3, type: 'UNETLoader', widgets: ['m.safetensors'], properties: { models: [{ name: 'm.safetensors', directory: 'checkpoints', url: 'https://example.com/m.safetensors' }] } })]);
  const out = extractRefs(wf, 'wf.json');
  assert.equal(out.refs.map((r) => [r.folder, r.embedded?.url]), [['diffusion_models', 'https://example.com/m.safetensors']]);
  assert.equal(out.diagnostics.map((d) => [d.code, d.severity]), [['embedded-folder-mismatch', 'info']]);
});

test('two different declared hashes for one model keep the first and warn', () => {
  const model = (hash: string) => ({ name: 'x.safetensors', directory: 'loras', hash });
  const wf = uiWorkflow([
    uiNode({ id: 1, type: 'LoraLoader', widgets: ['x.safetensors', 1, 1], properties: { models: [model('a'.repeat(64))] } }),
    uiNode({ id: 2, type: 'LoraLoader', widgets: ['x.safetensors', 1, 1], properties: { models: [model('b'.repeat(64))] } }),
  ]);
  const out = extractRefs(wf, 'wf.json');
  assert.is(out.refs[0]!.embedded?.sha256, 'a'.repeat(64));
  assert.equal(out.diagnostics.map((d) => [d.code, d.severity]), [['conflicting-embedded-hash', 'warning']]);
});

test('a directory that is no plain model folder is ignored with a note; prototype names are plain names', () => {
  const entries = ['../../etc', 'models/../..', '~', '$HOME', 'custom_nodes', "lo'ras $(id)", 'x\ny: z'].map((directory, i) => ({ name: `m${i}.safetensors`, directory }));
  const { refs, diagnostics } = extractRefs(uiWorkflow([], { models: [...entries, { name: 'p.safetensors', directory: 'constructor' }, { name: 'q.safetensors', directory: 'models/clip/sub' }] }), 'wf.json');
  const folders = Object.fromEntries(refs.map((r) => [r.name, r.folder]));
  for (let i = 0; i < entries.length; i++) assert.is(folders[`m${i}.safetensors`], 'unknown', entries[i]!.directory);
  assert.is(folders['p.safetensors'], 'constructor');
  assert.is(folders['q.safetensors'], 'text_encoders');
  assert.is(diagnostics.filter((d) => d.code === 'invalid-embedded-model').length, entries.length);
  assert.ok(diagnostics.every((d) => !d.message.includes('\n')));
});

test.run();
