import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { extractRefs } from '../../src/scan/index.js';
import { embeddingNames } from '../../src/scan/refs/embeddings.js';
import { apiNode, uiNode, uiWorkflow } from './builders.js';

test('embedding syntax follows ComfyUI: segment start or after whitespace, weights and commas stripped', () => {
  const names = (text: string) => embeddingNames(text).map((n) => n.file);
  assert.equal(names('embedding:SDA768.pt, photo'), ['SDA768.pt']);
  assert.equal(names('a cat, embedding:easynegative, blurry'), ['easynegative.safetensors']);
  assert.equal(names('(embedding:foo:1.2) and (bar, embedding:baz.pt:0.8)'), ['foo.safetensors', 'baz.pt']);
  assert.equal(names('line one\nembedding:sub\\neg.bin'), ['sub/neg.bin']);
  assert.equal(names('noembedding:x, url,embedding:y'), [], 'no match glued to another word or a comma');
  assert.equal(names('embedding:my.style'), ['my.style.safetensors'], 'a dot is not an extension unless it is a model one');
});

test('embeddings in prompt text become refs in embeddings, with the names ComfyUI also accepts', () => {
  const wf = uiWorkflow([
    uiNode({ id: 6, type: 'CLIPTextEncode', widgets: ['masterpiece, embedding:easynegative'] }),
    uiNode({ id: 7, type: 'CLIPTextEncode', widgets: ['embedding:SDA768.pt'], mode: 4 }),
    uiNode({ id: 8, type: 'Note', widgets: ['Tip: write embedding:notes_are_prose in your prompt'] }),
  ]);
  const { refs } = extractRefs(wf, 'wf.json');
  assert.equal(refs.map((r) => [r.folder, r.name, r.active, r.alternatives ?? null, r.nodes[0]!.input]), [
    ['embeddings', 'SDA768.pt', false, null, 'widgets_values[0]'],
    ['embeddings', 'easynegative.safetensors', true, ['easynegative', 'easynegative.pt', 'easynegative.bin'], 'widgets_values[0]'],
  ]);
});

test('embeddings in API prompts are named by input', () => {
  const { refs } = extractRefs({ '6': apiNode('CLIPTextEncode', { text: 'embedding:bad_hands.pt', clip: ['4', 1] }) }, 'p.json');
  assert.equal(refs.map((r) => [r.name, r.nodes[0]!.input]), [['bad_hands.pt', 'text']]);
});

test('unknown nodes: file-like values become guessed refs, foldered by metadata, input name or node type', () => {
  const prompt = {
    '1': apiNode('SuperLoraThing', { lora_name: 'x.safetensors', strength: 1 }),
    '2': apiNode('FancyCheckpointPicker', { choice: 'y.ckpt' }),
    '3': apiNode('Mystery', { file: 'z.gguf', prompt: 'a photo of model.safetensors in a box\nsecond line' }),
    '4': apiNode('Downloader', { url: 'https://example.com/w.safetensors' }),
  };
  const { refs } = extractRefs(prompt, 'p.json');
  assert.equal(refs.map((r) => [r.folder, r.name, r.guessed]), [
    ['checkpoints', 'y.ckpt', true],
    ['loras', 'x.safetensors', true],
    ['unknown', 'z.gguf', true],
  ]);
});

test('core nodes and self-downloading preprocessors are never guessed; the value is reported instead', () => {
  const wf = uiWorkflow([
    uiNode({ id: 1, type: 'CLIPTextEncode', widgets: ['only_a_filename.safetensors'] }),
    uiNode({ id: 2, type: 'DWPreprocessor', widgets: ['enable', 'enable', 'enable', 512, 'yolox_l.onnx', 'dw-ll_ucoco_384_bs5.torchscript.pt'] }),
  ]);
  const out = extractRefs(wf, 'wf.json');
  assert.equal(out.refs, []);
  assert.equal(out.diagnostics.map((d) => [d.code, d.severity, d.node]), [['unmapped-model-value', 'info', '1'], ['unmapped-model-value', 'info', '2'], ['unmapped-model-value', 'info', '2']]);
});

test('a guess never duplicates a name the loader table placed', () => {
  const wf = uiWorkflow([
    uiNode({ id: 1, type: 'CheckpointLoaderSimple', widgets: ['base.safetensors'] }),
    uiNode({ id: 2, type: 'ShowModelInfo', widgets: ['base.safetensors'] }),
  ]);
  const { refs } = extractRefs(wf, 'wf.json');
  assert.equal(refs.map((r) => [r.folder, r.name, r.guessed ?? false, r.nodes.length]), [['checkpoints', 'base.safetensors', false, 1]]);
});

test.run();
