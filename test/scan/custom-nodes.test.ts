import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { extractRefs } from '../../src/scan/index.js';
import { apiNode, uiNode, uiWorkflow } from './builders.js';

const SHA1 = '623b5913b7c1a3dd1be1e0c7b6a2b5a3c1d8e9f0';
const SHA2 = '00da1910aa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d';

test('packs come from cnr_id / aux_id / ver; ids compare case-insensitively; comfy-core is kept', () => {
  const wf = uiWorkflow([
    uiNode({ id: 1, type: 'KSampler', properties: { cnr_id: 'comfy-core', ver: '0.3.51' } }),
    uiNode({ id: 2, type: 'Sam2Segmentation', properties: { cnr_id: 'ComfyUI-segment-anything-2', ver: 'c59676b0' } }),
    uiNode({ id: 3, type: 'DownloadAndLoadSAM2Model', widgets: ['sam2_hiera_base_plus.safetensors', 'video', 'cuda', 'bf16'], properties: { cnr_id: 'comfyui-segment-anything-2', ver: 'c59676b0' } }),
    uiNode({ id: 4, type: 'MyNode', properties: { aux_id: 'SomeOne/My-Pack', ver: 'v1.2.3' } }),
  ]);
  const out = extractRefs(wf, 'wf.json');
  assert.equal(out.customNodes, [
    { id: 'comfy-core', version: '0.3.51', repo: null, nodeTypes: ['KSampler'] },
    { id: 'comfyui-segment-anything-2', version: 'c59676b0', repo: null, nodeTypes: ['DownloadAndLoadSAM2Model', 'Sam2Segmentation'] },
    { id: 'someone/my-pack', version: 'v1.2.3', repo: 'https://github.com/SomeOne/My-Pack', nodeTypes: ['MyNode'] },
  ]);
  // The node fetches its model itself, into ComfyUI's own models/sam2 (fetch-nodes.json).
  assert.equal(out.refs.map((r) => `${r.folder}/${r.name}`), ['comfyui:models/sam2/sam2_hiera_base_plus.safetensors']);
  assert.equal(out.untaggedNodeTypes, []);
});

test('invalid metadata is ignored with an info diagnostic; the node type still counts', () => {
  const wf = uiWorkflow([
    uiNode({ id: 1, type: 'Fancy Node', properties: { cnr_id: 'Flamin Galah', ver: 'latest!' } }),
    uiNode({ id: 2, type: 'Other', properties: { cnr_id: 'good-pack', ver: 'yesterday' } }),
  ]);
  const out = extractRefs(wf, 'wf.json');
  assert.equal(out.customNodes, [{ id: 'good-pack', version: null, repo: null, nodeTypes: ['Other'] }]);
  assert.equal(out.untaggedNodeTypes, ['Fancy Node']);
  assert.equal(out.diagnostics.map((d) => [d.code, d.node]), [['invalid-pack-metadata', '1'], ['invalid-pack-metadata', '2']]);
});

test('one entry per (pack, version); several versions of one pack warn', () => {
  const wf = uiWorkflow([
    uiNode({ id: 1, type: 'GetImageSizeAndCount', properties: { cnr_id: 'comfyui-kjnodes', ver: SHA1 } }),
    uiNode({ id: 2, type: 'ImageResizeKJv2', properties: { cnr_id: 'comfyui-kjnodes', ver: SHA2 } }),
    uiNode({ id: 3, type: 'ImageResizeKJv2', properties: { cnr_id: 'comfyui-kjnodes', ver: SHA2 } }),
  ]);
  const out = extractRefs(wf, 'wf.json');
  assert.equal(out.customNodes.map((p) => [p.id, p.version, p.nodeTypes]), [
    ['comfyui-kjnodes', SHA2, ['ImageResizeKJv2']],
    ['comfyui-kjnodes', SHA1, ['GetImageSizeAndCount']],
  ]);
  assert.equal(out.diagnostics.map((d) => [d.code, d.severity]), [['multiple-pack-versions', 'warning']]);
});

test('untagged nodes of known packs are identified by type, and join the tagged entry of that pack', () => {
  const untagged = extractRefs({ '1': apiNode('UnetLoaderGGUF', { unet_name: 'f.gguf' }), '2': apiNode('Mystery Node', {}), '3': apiNode('KSampler', {}) }, 'p.json');
  assert.equal(untagged.customNodes, [{ id: 'city96/comfyui-gguf', version: null, repo: 'https://github.com/city96/ComfyUI-GGUF', nodeTypes: ['UnetLoaderGGUF'] }]);
  assert.equal(untagged.untaggedNodeTypes, ['Mystery Node', 'UnetLoaderGGUF']);

  const mixed = extractRefs(uiWorkflow([
    uiNode({ id: 1, type: 'ImageResizeKJv2', properties: { cnr_id: 'comfyui-kjnodes', ver: SHA1 } }),
    uiNode({ id: 2, type: 'SetNode' }),
  ]), 'wf.json');
  assert.equal(mixed.customNodes, [{ id: 'comfyui-kjnodes', version: SHA1, repo: 'https://github.com/kijai/ComfyUI-KJNodes', nodeTypes: ['ImageResizeKJv2', 'SetNode'] }]);
});

test('subgraph instances, notes and primitives are not packs', () => {
  const def = { id: '11111111-2222-4333-8444-555555555555', version: 1, inputs: [], outputs: [], links: [], nodes: [uiNode({ id: 1, type: 'KSampler', properties: { cnr_id: 'comfy-core', ver: '0.3.60' } })] };
  const wf = uiWorkflow([uiNode({ id: 5, type: def.id }), uiNode({ id: 6, type: 'MarkdownNote' }), uiNode({ id: 7, type: 'PrimitiveNode' })], { definitions: { subgraphs: [def] } });
  const out = extractRefs(wf, 'wf.json');
  assert.equal(out.customNodes, [{ id: 'comfy-core', version: '0.3.60', repo: null, nodeTypes: ['KSampler'] }]);
  assert.equal(out.untaggedNodeTypes, []);
});

test.run();
