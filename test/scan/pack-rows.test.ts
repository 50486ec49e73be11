/**
 * Loader rows derived from the packs' code (issue 21): loaders of popular packs, folders packs
 * register under models/, <lora:…> text, preset loaders, and honest guesses. Hand-written
 * minimal workflows; the widget positions are the ones the packs' INPUT_TYPES give.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { extractRefs } from '../../src/scan/index.js';
import { apiNode, uiNode, uiWorkflow } from './builders.js';

const refKeys = (refs: { folder: string; name: string }[]) => refs.map((r) => `${r.folder}/${r.name}`);

test('loaders of the packs issue 21 names are read at their widget positions, into their folders', () => {
  const cases: [string, unknown[], string[]][] = [
    ['HyVideoModelLoader', ['hunyuan_video_720_cfgdistill_fp8_e4m3fn.safetensors', 'bf16', 'fp8_e4m3fn', 'offload_device', 'sageattn_varlen'], ['diffusion_models/hunyuan_video_720_cfgdistill_fp8_e4m3fn.safetensors']],
    // efficiency's script nodes: the tile ControlNet is a ControlNet, not an upscale model.
    ['Tiled Upscaler Script', [2, 'latent', 0.8, 1024, 512, true, 'EightyPercent', 0.5, 'control_v11f1e_sd15_tile.pth', 1], ['controlnet/control_v11f1e_sd15_tile.pth']],
    ['ReActorFaceSwap', [true, 'inswapper_128.onnx', 'retinaface_resnet50', 'GFPGANv1.4.pth', 1, 0.5, 'no', 'no', '0', '0', 1], ['facerestore_models/GFPGANv1.4.pth', 'insightface/inswapper_128.onnx']],
    ['ReActorLoadFaceModel', ['kim.safetensors'], ['reactor_faces/kim.safetensors']],
    ['BrushNetLoader', ['brushnet/random_mask.safetensors', 'float16'], ['inpaint/brushnet/random_mask.safetensors']],
    ['MZ_ChatGLM3Loader', ['chatglm3-4bit.safetensors'], ['LLM/chatglm3-4bit.safetensors']],
    ['SUPIR_model_loader_v2', ['SUPIR-v0Q.ckpt', false, 'auto', false], ['checkpoints/SUPIR-v0Q.ckpt']],
    ['MagicAnimateModelLoader', ['control/diffusion_pytorch_model.safetensors', 'appearance/diffusion_pytorch_model.safetensors', 'temporal_attention.ckpt'],
      ['magic_animate/appearance/diffusion_pytorch_model.safetensors', 'magic_animate/control/diffusion_pytorch_model.safetensors', 'magic_animate/temporal_attention.ckpt']],
    ['ACN_SparseCtrlLoaderAdvanced', ['v3_sd15_sparsectrl_rgb.ckpt', true, 1, 1, 1], ['controlnet/v3_sd15_sparsectrl_rgb.ckpt']],
    ['Checkpoint Loader with Name (Image Saver)', ['sd_xl_base_1.0.safetensors'], ['checkpoints/sd_xl_base_1.0.safetensors']],
    ['CogVideoLoraSelect', ['orbit_left.safetensors', 1, false], ['cogvideox_loras/orbit_left.safetensors']],
    ['UNETLoaderMultiGPU', ['flux1-dev.safetensors', 'default', 'cuda:1'], ['diffusion_models/flux1-dev.safetensors']],
  ];
  for (const [type, widgets, want] of cases) {
    const { refs, diagnostics } = extractRefs(uiWorkflow([uiNode({ id: 1, type, widgets })]), 'wf.json');
    assert.equal(refKeys(refs), want, type);
    assert.ok(refs.every((r) => !r.guessed), `${type}: from the table, not guessed`);
    assert.equal(diagnostics, [], type);
  }
});

test('tinyterra loader: files by position and LoRAs from its <lora:…> box', () => {
  const wf = uiWorkflow([uiNode({ id: 3, type: 'ttN pipeLoader_v2', widgets: [
    'dreamshaper_8.safetensors', 'Default', 'Baked VAE', -1, '<lora:add_detail:0.6:1>\n<lora:styles/ink.safetensors:0.5>', 'Positive', 'none', 'comfy',
  ] })]);
  const { refs } = extractRefs(wf, 'wf.json');
  assert.equal(refKeys(refs), ['checkpoints/dreamshaper_8.safetensors', 'loras/add_detail.safetensors', 'loras/styles/ink.safetensors']);
  assert.equal(refs[1]!.nodes, [{ id: '3', type: 'ttN pipeLoader_v2', input: 'loras' }]);
});

test("Impact's wildcard text: <lora:…> tags are refs with the node's active state; the helper combo is not", () => {
  const wf = uiWorkflow([
    uiNode({ id: 1, type: 'ImpactWildcardEncode', widgets: ['a __color__ cat <lora:detail>', 'a red cat <lora:detail>, <lora:sub/light.pt:0.4:0.4:LBW=SD-ALL:A=1>', 'populate', 'Select to add LoRA', 'Select to add Wildcard', 5, 'fixed'] }),
    uiNode({ id: 2, type: 'FaceDetailer', mode: 4, widgets: { wildcard: '<lora:face_fix:0.3>' } }),
    uiNode({ id: 3, type: 'ToDetailerPipe', widgets: { wildcard: '', 'Select to add LoRA': 'other.safetensors' } }),
  ]);
  const { refs, diagnostics } = extractRefs(wf, 'wf.json');
  assert.equal(refKeys(refs), ['loras/detail.safetensors', 'loras/face_fix.safetensors', 'loras/sub/light.pt']);
  assert.equal(refs.map((r) => r.active), [true, false, true]);
  assert.equal(diagnostics, [], 'the combo only writes a tag into the text: its value is no ref');
});

test('API prompts name the same inputs', () => {
  const prompt = {
    1: apiNode('HyVideoModelLoader', { model: 'hy.safetensors', base_precision: 'bf16' }),
    2: apiNode('ImpactWildcardEncode', { wildcard_text: 'x', populated_text: 'x <lora:y:1>', model: ['1', 0] }),
    3: apiNode('LoadFluxControlNet', { model_name: 'flux-dev', controlnet_path: 'flux-canny-controlnet-v3.safetensors' }),
  };
  assert.equal(refKeys(extractRefs(prompt, 'p.json').refs), ['diffusion_models/hy.safetensors', 'loras/y.safetensors', 'xlabs_controlnets/flux-canny-controlnet-v3.safetensors']);
});

test('IPAdapter unified loaders imply the files of their preset; the SD1.5/SDXL variant is a guess from the checkpoints', () => {
  const sdxl = uiWorkflow([
    uiNode({ id: 1, type: 'CheckpointLoaderSimple', widgets: ['juggernautXL_v9.safetensors'] }),
    uiNode({ id: 2, type: 'IPAdapterUnifiedLoader', widgets: ['PLUS (high strength)'] }),
    uiNode({ id: 3, type: 'IPAdapterUnifiedLoaderFaceID', widgets: ['FACEID PORTRAIT UNNORM - SDXL only (strong)', 0.6, 'CPU'], mode: 2 }),
  ]);
  const { refs } = extractRefs(sdxl, 'wf.json');
  const implied = refs.filter((r) => r.nodes.some((n) => n.type.startsWith('IPAdapterUnified')));
  // The ViT-H encoder is certain: both variants of PLUS use it (and the muted SDXL-only preset too).
  assert.equal(implied.map((r) => [`${r.folder}/${r.name}`, r.active, r.guessed ?? false]), [
    ['clip_vision/CLIP-ViT-H-14-laion2B-s32B-b79K.safetensors', true, false],
    ['ipadapter/ip-adapter-faceid-portrait_sdxl_unnorm.bin', false, false],
    ['ipadapter/ip-adapter-plus_sdxl_vit-h.safetensors', true, true],
  ]);

  const sd15 = uiWorkflow([
    uiNode({ id: 1, type: 'CheckpointLoaderSimple', widgets: ['dreamshaper_8.safetensors'] }),
    uiNode({ id: 2, type: 'IPAdapterUnifiedLoaderFaceID', widgets: ['FACEID', 0.6, 'CPU'] }),
  ]);
  assert.equal(refKeys(extractRefs(sd15, 'wf.json').refs), [
    'checkpoints/dreamshaper_8.safetensors', 'clip_vision/CLIP-ViT-H-14-laion2B-s32B-b79K.safetensors',
    'ipadapter/ip-adapter-faceid_sd15.bin', 'loras/ip-adapter-faceid_sd15_lora.safetensors',
  ]);
});

test('a node type whose inputs the pack code shows completely is not guessed from', () => {
  // Image Saver writes the model's name into metadata; it loads nothing.
  const wf = uiWorkflow([uiNode({ id: 9, type: 'Image Saver', widgets: { filename: 'x', modelname: 'sd_xl_base_1.0.safetensors' } })]);
  const { refs, diagnostics } = extractRefs(wf, 'wf.json');
  assert.equal(refs, []);
  assert.equal(diagnostics.map((d) => d.code), ['unmapped-model-value']);
});

test('on unknown nodes a type keyword guesses a folder only when the file name does not point elsewhere', () => {
  const wf = uiWorkflow([
    uiNode({ id: 1, type: 'SomeUpscaleHelper', widgets: ['control_v11f1e_sd15_tile.pth'] }),
    uiNode({ id: 2, type: 'SomeUpscaleHelper', widgets: ['4x-UltraSharp.pth'] }),
  ]);
  const { refs } = extractRefs(wf, 'wf.json');
  assert.equal(refs.map((r) => [`${r.folder}/${r.name}`, r.guessed]), [
    ['unknown/control_v11f1e_sd15_tile.pth', true],
    ['upscale_models/4x-UltraSharp.pth', true],
  ]);
});

test('a node saved before its pack added a <lora:…> text box has nothing to parse: no warning', () => {
  const old = extractRefs(uiWorkflow([uiNode({ id: 3, type: 'DetailerForEach', widgets: [512, true, 1024, 0, 'fixed', 20, 8, 'euler', 'normal', 0.5, 5, true, true] })]), 'old.json');
  assert.equal(old.diagnostics.map((d) => d.code), []);
  const current = extractRefs(uiWorkflow([uiNode({ id: 3, type: 'DetailerForEach', widgets: [512, true, 1024, 0, 'fixed', 20, 8, 'euler', 'normal', 0.5, 5, true, true, '<lora:detail:0.5>'] })]), 'new.json');
  assert.equal(refKeys(current.refs), ['loras/detail.safetensors']);
});

test.run();
