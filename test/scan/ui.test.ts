import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { extractRefs, scanBytes } from '../../src/scan/index.js';
import { uiNode, uiWorkflow } from './builders.js';

const enc = new TextEncoder();
const refKeys = (refs: { folder: string; name: string }[]) => refs.map((r) => `${r.folder}/${r.name}`);

test('core loaders map widget positions to canonical folders, sorted by folder then name', () => {
  const wf = uiWorkflow([
    uiNode({ id: 4, type: 'CheckpointLoaderSimple', widgets: ['sd_xl_base_1.0.safetensors'] }),
    uiNode({ id: 10, type: 'DualCLIPLoader', widgets: ['t5xxl_fp16.safetensors', 'clip_l.safetensors', 'flux', 'default'] }),
    uiNode({ id: 12, type: 'UNETLoader', widgets: ['flux1-dev.safetensors', 'default'] }),
    uiNode({ id: 3, type: 'LoraLoader', widgets: ['style.safetensors', 1, 1] }),
    uiNode({ id: 5, type: 'CheckpointLoader', widgets: ['v1-inference.yaml', 'old.ckpt'] }),
  ]);
  const { refs, diagnostics } = extractRefs(wf, 'wf.json');
  assert.equal(refKeys(refs), [
    'checkpoints/old.ckpt', 'checkpoints/sd_xl_base_1.0.safetensors', 'configs/v1-inference.yaml',
    'diffusion_models/flux1-dev.safetensors', 'loras/style.safetensors',
    'text_encoders/clip_l.safetensors', 'text_encoders/t5xxl_fp16.safetensors',
  ]);
  assert.equal(refs[6]!.nodes, [{ id: '10', type: 'DualCLIPLoader', input: 'clip_name1' }]);
  assert.is(refs[0]!.embedded, null);
  assert.equal(diagnostics, []);
});

test('non-file sentinels are not refs; a taesd VAE needs its encoder and decoder from vae_approx', () => {
  const wf = uiWorkflow([
    uiNode({ id: 1, type: 'VAELoader', widgets: ['pixel_space'] }),
    uiNode({ id: 2, type: 'VAELoader', widgets: ['taesdxl'], mode: 4 }),
    uiNode({ id: 3, type: 'Efficient Loader', widgets: ['model.safetensors', 'Baked VAE', -2, 'None', 1, 1] }),
    uiNode({ id: 4, type: 'SAMLoader', widgets: ['ESAM', 'AUTO'] }),
    uiNode({ id: 5, type: 'easy fullLoader', widgets: ['None', 'Default', 'Baked VAE', -2, 'None'] }),
  ]);
  const { refs, diagnostics } = extractRefs(wf, 'wf.json');
  assert.equal(refKeys(refs), ['checkpoints/model.safetensors', 'vae_approx/taesdxl_decoder.pth', 'vae_approx/taesdxl_encoder.pth']);
  const decoder = refs.find((r) => r.name === 'taesdxl_decoder.pth')!;
  // Same active rules as the node: a bypassed VAELoader needs them only if enabled again.
  assert.is(decoder.active, false);
  assert.equal(decoder.nodes, [{ id: '2', type: 'VAELoader', input: 'vae_name' }]);
  assert.equal(decoder.alternatives, ['taesdxl_decoder.safetensors']);
  assert.equal(diagnostics, []);
});

test('muted and bypassed nodes give inactive refs; a model used by an active node too stays active', () => {
  const wf = uiWorkflow([
    uiNode({ id: 7, type: 'UnetLoaderGGUF', widgets: ['flux-Q4.gguf'], mode: 4 }),
    uiNode({ id: 8, type: 'LoraLoaderModelOnly', widgets: ['a.safetensors', 1], mode: 2 }),
    uiNode({ id: 9, type: 'LoraLoaderModelOnly', widgets: ['a.safetensors', 1] }),
  ]);
  const { refs } = extractRefs(wf, 'wf.json');
  const gguf = refs.find((r) => r.name === 'flux-Q4.gguf')!;
  const lora = refs.find((r) => r.name === 'a.safetensors')!;
  assert.is(gguf.folder, 'diffusion_models');
  assert.is(gguf.active, false);
  assert.is(lora.active, true);
  assert.equal(lora.nodes.map((n) => n.id), ['8', '9']);
});

test('class renames apply before the table (T2IAdapterLoader is a ControlNetLoader)', () => {
  const { refs } = extractRefs(uiWorkflow([uiNode({ id: 1, type: 'T2IAdapterLoader', widgets: ['t2iadapter_depth.pth'] })]), 'wf.json');
  assert.equal(refs.map((r) => [r.folder, r.name, r.nodes[0]!.type]), [['controlnet', 't2iadapter_depth.pth', 'ControlNetLoader']]);
});

test('Windows separators become /, dict widgets_values are read by input name', () => {
  const wf = uiWorkflow([
    uiNode({ id: 1, type: 'CheckpointLoaderSimple', widgets: ['SDXL\\juggernaut.safetensors'] }),
    uiNode({ id: 2, type: 'LoraLoader', widgets: { lora_name: 'sub\\x.safetensors', strength_model: 1 } }),
  ]);
  assert.equal(refKeys(extractRefs(wf, 'wf.json').refs), ['checkpoints/SDXL/juggernaut.safetensors', 'loras/sub/x.safetensors']);
});

test('a widget fed by a PrimitiveNode (through a reroute) takes the primitive value', () => {
  const wf = uiWorkflow([
    uiNode({ id: 1, type: 'PrimitiveNode', widgets: ['real.safetensors'] }),
    uiNode({ id: 2, type: 'Reroute', inputs: [{ name: '', link: 11 }] }),
    uiNode({ id: 3, type: 'CheckpointLoaderSimple', widgets: ['stale.safetensors'], inputs: [{ name: 'ckpt_name', type: 'COMBO', link: 12, widget: { name: 'ckpt_name' } }] }),
  ], { links: [[11, 1, 0, 2, 0, '*'], [12, 2, 0, 3, 0, 'COMBO']] });
  const { refs, diagnostics } = extractRefs(wf, 'wf.json');
  assert.equal(refKeys(refs), ['checkpoints/real.safetensors']);
  assert.equal(diagnostics, []);
});

test('a widget fed by a node without a literal keeps its stored value and says so', () => {
  const wf = uiWorkflow([
    uiNode({ id: 1, type: 'SomeModelPicker', widgets: ['a.safetensors', 'b.safetensors'] }),
    uiNode({ id: 3, type: 'CheckpointLoaderSimple', widgets: ['stored.safetensors'], inputs: [{ name: 'ckpt_name', link: 12, widget: { name: 'ckpt_name' } }] }),
  ], { links: [[12, 1, 0, 3, 0, 'COMBO']] });
  const { refs, diagnostics } = extractRefs(wf, 'wf.json');
  assert.ok(refKeys(refs).includes('checkpoints/stored.safetensors'));
  const linked = diagnostics.find((d) => d.code === 'linked-widget')!;
  assert.is(linked.severity, 'info');
  assert.is(linked.node, '3');
  assert.match(linked.message, /SomeModelPicker node 1/);
});

test('reroutes linked in a ring are reported as a cycle, not as an over-long chain', () => {
  const wf = uiWorkflow([
    uiNode({ id: 1, type: 'Reroute', inputs: [{ name: '', link: 21 }] }),
    uiNode({ id: 2, type: 'Reroute', inputs: [{ name: '', link: 20 }] }),
    uiNode({ id: 3, type: 'CheckpointLoaderSimple', widgets: ['stored.safetensors'], inputs: [{ name: 'ckpt_name', link: 22, widget: { name: 'ckpt_name' } }] }),
  ], { links: [[20, 1, 0, 2, 0, '*'], [21, 2, 0, 1, 0, '*'], [22, 2, 0, 3, 0, 'COMBO']] });
  const { refs, diagnostics } = extractRefs(wf, 'wf.json');
  assert.ok(refKeys(refs).includes('checkpoints/stored.safetensors'));
  const linked = diagnostics.find((d) => d.code === 'linked-widget')!;
  assert.match(linked.message, /fed by a cycle of links back to link 2[02]/);
});

test('a missing widget value or a non-string value is a warning, not a crash', () => {
  const wf = uiWorkflow([
    uiNode({ id: 1, type: 'DualCLIPLoader', widgets: ['only_one.safetensors'] }),
    uiNode({ id: 2, type: 'VAELoader', widgets: [42] }),
  ]);
  const { refs, diagnostics } = extractRefs(wf, 'wf.json');
  assert.equal(refKeys(refs), ['text_encoders/only_one.safetensors']);
  assert.equal(diagnostics.map((d) => [d.code, d.severity, d.node]), [['unknown-loader-value', 'warning', '1'], ['unknown-loader-value', 'warning', '2']]);
});

test('custom pack loaders from the table: one row each', () => {
  const cases: [string, unknown[], string[]][] = [
    ['IPAdapterModelLoader', ['ip-adapter_sdxl.safetensors'], ['ipadapter/ip-adapter_sdxl.safetensors']],
    ['ADE_LoadAnimateDiffModel', ['mm_sd_v15_v2.ckpt'], ['animatediff_models/mm_sd_v15_v2.ckpt']],
    ['UltralyticsDetectorProvider', ['bbox/face_yolov8m.pt'], ['ultralytics/bbox/face_yolov8m.pt']],
    ['WanVideoModelLoader', ['wan2.1_t2v_14B_fp8.safetensors', 'fp16'], ['diffusion_models/wan2.1_t2v_14B_fp8.safetensors']],
    ['Lora Loader Stack (rgthree)', ['a.safetensors', 1, 'None', 1, 'b.safetensors', 1, 'None', 1], ['loras/a.safetensors', 'loras/b.safetensors']],
    ['Eff. Loader SDXL', ['base.safetensors', -2, 'None', -2, 6, 2, 'sdxl_vae.safetensors'], ['checkpoints/base.safetensors', 'vae/sdxl_vae.safetensors']],
    ['easy a1111Loader', ['ckpt.safetensors', 'Baked VAE', -2, 'lora.safetensors', 1, 1], ['checkpoints/ckpt.safetensors', 'loras/lora.safetensors']],
    ['ReActorFaceSwap', [true, 'inswapper_128.onnx', 'retinaface_resnet50', 'codeformer-v0.1.0.pth'], ['facerestore_models/codeformer-v0.1.0.pth', 'insightface/inswapper_128.onnx']],
    ['InstantIDModelLoader', ['ip-adapter.bin'], ['instantid/ip-adapter.bin']],
    ['PulidModelLoader', ['ip-adapter_pulid_sdxl_fp16.safetensors'], ['pulid/ip-adapter_pulid_sdxl_fp16.safetensors']],
    ['LoadFluxControlNet', ['flux-dev', 'flux-canny-controlnet-v3.safetensors'], ['xlabs_controlnets/flux-canny-controlnet-v3.safetensors']],
    ['NunchakuTextEncoderLoaderV2', ['flux.1', 'clip_l.safetensors', 't5xxl_fp16.safetensors', 512], ['text_encoders/clip_l.safetensors', 'text_encoders/t5xxl_fp16.safetensors']],
    ['DiffusionModelLoaderKJ', ['hunyuan.safetensors', 'default'], ['diffusion_models/hunyuan.safetensors']],
    ['ADE_AnimateDiffLoaderWithContext', ['mm_sd15.ckpt', 'sqrt_linear', 1, true], ['animatediff_models/mm_sd15.ckpt']],
  ];
  for (const [type, widgets, want] of cases) {
    const { refs } = extractRefs(uiWorkflow([uiNode({ id: 1, type, widgets })]), 'wf.json');
    assert.equal(refKeys(refs), want, type);
    assert.ok(refs.every((r) => !r.guessed), `${type} refs come from the table`);
  }
});

test('without a table index, file-like values are paired with the row inputs in order, as guesses', () => {
  // HighRes-Fix Script: its latent_upscaler list cannot be read from the pack's code, so the rows
  // after it have no index; the seed's control value keeps inputs[] from placing them.
  const widgets = ['pixel', '(use same)', 'nearest-exact', '4x-UltraSharp.pth', 1.5, true, 7, 'fixed', 12, 0.5, 1, true, 'control_v11f1e_sd15_tile.pth', 1, 'none', false];
  const { refs } = extractRefs(uiWorkflow([uiNode({ id: 1, type: 'HighRes-Fix Script', widgets })]), 'wf.json');
  assert.equal(refs.map((r) => [r.folder, r.name, r.guessed ?? false]), [
    ['controlnet', 'control_v11f1e_sd15_tile.pth', true],
    ['upscale_models', '4x-UltraSharp.pth', true],
  ]);
});

test('without a table index, widget names listed in inputs[] give the position', () => {
  // A node whose stored values line up with the widget inputs it lists (no control values).
  const names = ['upscale_type', 'hires_ckpt_name', 'latent_upscaler', 'pixel_upscaler', 'upscale_by', 'control_net_name'];
  const inputs = [{ name: 'script', type: 'SCRIPT', link: null }].concat(names.map((name) => ({ name, type: 'COMBO', link: null, widget: { name } })));
  const widgets = ['both', '(use same)', 'x.safetensors', '4x-UltraSharp.pth', 1.5, 'control_v11f1e_sd15_tile.pth'];
  const { refs } = extractRefs(uiWorkflow([uiNode({ id: 1, type: 'HighRes-Fix Script', inputs, widgets })]), 'wf.json');
  assert.equal(refs.map((r) => [r.folder, r.name, r.nodes[0]!.input, r.guessed ?? false]), [
    ['controlnet', 'control_v11f1e_sd15_tile.pth', 'control_net_name', false],
    ['upscale_models', '4x-UltraSharp.pth', 'pixel_upscaler', false],
  ]);
});

test('rgthree Power Lora Loader objects: switched-off LoRAs are optional', () => {
  const wf = uiWorkflow([uiNode({ id: 5, type: 'Power Lora Loader (rgthree)', widgets: [
    {}, { type: 'PowerLoraLoaderHeaderWidget' },
    { on: true, lora: 'detail.safetensors', strength: 1 },
    { on: false, lora: 'off.safetensors', strength: 0.5 },
    {}, '',
  ] })]);
  const { refs } = extractRefs(wf, 'wf.json');
  assert.equal(refs.map((r) => [r.name, r.active, r.nodes[0]!.input]), [['detail.safetensors', true, 'lora_1'], ['off.safetensors', false, 'lora_2']]);
});

test('NaN and Infinity tokens (Python json.dumps) parse; positions are kept', () => {
  const text = '{"nodes":[{"id":1,"type":"LoraLoader","mode":0,"widgets_values":["x.safetensors",NaN,-Infinity]},'
    + '{"id":2,"type":"CheckpointLoaderSimple","widgets_values":["NaN Infinity.safetensors"]}],"links":[],"version":0.4}';
  const wf = scanBytes('wf.json', enc.encode(text));
  assert.is(wf.format, 'ui');
  assert.equal(refKeys(wf.refs), ['checkpoints/NaN Infinity.safetensors', 'loras/x.safetensors']);
});

test('ids sort numerically and each (folder, name) is one ref with every node', () => {
  const wf = uiWorkflow([10, 2, 33].map((id) => uiNode({ id, type: 'VAELoader', widgets: ['ae.safetensors'] })));
  const [ref] = extractRefs(wf, 'wf.json').refs;
  assert.equal(ref!.nodes.map((n) => n.id), ['2', '10', '33']);
});

test.run();
