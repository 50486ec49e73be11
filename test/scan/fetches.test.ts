/**
 * Files self-downloading nodes fetch at run time (src/scan/fetch-nodes.json) become refs keyed
 * where the pack looks first, carrying what the pack downloads them from.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseKey } from '../../src/core/roots.js';
import { aggregateDemand } from '../../src/pipeline/demand.js';
import fetchData from '../../src/scan/fetch-nodes.json' with { type: 'json' };
import { extractRefs } from '../../src/scan/index.js';
import { apiNode, uiNode, uiWorkflow } from './builders.js';

const keys = (refs: { folder: string; name: string }[]) => refs.map((r) => `${r.folder}/${r.name}`);

test('fixed files: keyed inside the pack folder, fetched from the repository the pack names, active as the node', () => {
  const out = extractRefs(uiWorkflow([
    uiNode({ id: 1, type: 'LineArtPreprocessor', widgets: ['disable', 512] }),
    uiNode({ id: 2, type: 'OpenposePreprocessor', mode: 4, widgets: ['enable', 'enable', 'disable', 512, 'disable'] }),
  ]), 'wf.json');
  assert.equal(out.refs.map((r) => [`${r.folder}/${r.name}`, r.active, r.fetch]), [
    ['comfyui:custom_nodes/comfyui_controlnet_aux/ckpts/lllyasviel/Annotators/body_pose_model.pth', false,
      { pack: 'Fannovel16/comfyui_controlnet_aux', urls: ['https://huggingface.co/lllyasviel/Annotators/resolve/main/body_pose_model.pth'] }],
    ['comfyui:custom_nodes/comfyui_controlnet_aux/ckpts/lllyasviel/Annotators/facenet.pth', false,
      { pack: 'Fannovel16/comfyui_controlnet_aux', urls: ['https://huggingface.co/lllyasviel/Annotators/resolve/main/facenet.pth'] }],
    ['comfyui:custom_nodes/comfyui_controlnet_aux/ckpts/lllyasviel/Annotators/hand_pose_model.pth', false,
      { pack: 'Fannovel16/comfyui_controlnet_aux', urls: ['https://huggingface.co/lllyasviel/Annotators/resolve/main/hand_pose_model.pth'] }],
    ['comfyui:custom_nodes/comfyui_controlnet_aux/ckpts/lllyasviel/Annotators/sk_model.pth', true,
      { pack: 'Fannovel16/comfyui_controlnet_aux', urls: ['https://huggingface.co/lllyasviel/Annotators/resolve/main/sk_model.pth'] }],
    ['comfyui:custom_nodes/comfyui_controlnet_aux/ckpts/lllyasviel/Annotators/sk_model2.pth', true,
      { pack: 'Fannovel16/comfyui_controlnet_aux', urls: ['https://huggingface.co/lllyasviel/Annotators/resolve/main/sk_model2.pth'] }],
  ]);
  assert.equal(out.diagnostics, []);
});

test('values pick the files: cases, the pack\'s defaults, "not" lists; UI positions and API names alike', () => {
  const ui = extractRefs(uiWorkflow([
    uiNode({ id: 1, type: 'DownloadAndLoadSAM2Model', widgets: ['sam2.1_hiera_large.safetensors', 'single_image', 'cuda', 'bf16'] }),
    uiNode({ id: 2, type: 'DownloadAndLoadSAM2Model', widgets: ['sam2.1_hiera_tiny.safetensors', 'single_image', 'cuda', 'fp32'] }),
    uiNode({ id: 3, type: 'DownloadAndLoadSAM2Model', widgets: ['sam2_hiera_small.safetensors', 'video', 'cuda', 'fp16'] }),
    uiNode({ id: 4, type: 'ReActorRestoreFace', widgets: ['YOLOv5n', 'none', 1, 0.5] }),
    uiNode({ id: 5, type: 'DepthAnythingV2Preprocessor', widgets: ['depth_anything_v2_vitb.pth', 512] }),
  ]), 'ui.json');
  assert.equal(keys(ui.refs), [
    'comfyui:custom_nodes/comfyui_controlnet_aux/ckpts/depth-anything/Depth-Anything-V2-Base/depth_anything_v2_vitb.pth',
    'comfyui:models/sam2/sam2.1_hiera_large-fp16.safetensors',
    'comfyui:models/sam2/sam2.1_hiera_tiny.safetensors',
    'comfyui:models/sam2/sam2_hiera_small.safetensors',
  ], 'restoring with model "none" fetches nothing');
  assert.equal(ui.refs[1]!.nodes, [{ id: '1', type: 'DownloadAndLoadSAM2Model', input: 'model+precision' }]);

  // An API prompt names its inputs; an absent precision is the pack's default (fp16).
  const api = extractRefs({
    1: apiNode('DownloadAndLoadSAM2Model', { model: 'sam2.1_hiera_base_plus.safetensors', segmentor: 'video', device: 'cuda' }),
    2: apiNode('ReActorRestoreFace', { image: ['9', 0], facedetection: 'retinaface_resnet50', model: 'GFPGANv1.4.pth', visibility: 1, codeformer_weight: 0.5 }),
  }, 'api.json');
  assert.equal(keys(api.refs), [
    'comfyui:models/facedetection/detection_Resnet50_Final.pth',
    'comfyui:models/facedetection/parsing_parsenet.pth',
    'comfyui:models/sam2/sam2.1_hiera_base_plus-fp16.safetensors',
    'facerestore_models/GFPGANv1.4.pth',
  ]);
  // The loader row (facerestore_models) and the pack's own download of the same file are one ref.
  const restorer = api.refs.find((r) => r.folder === 'facerestore_models')!;
  assert.equal(restorer.nodes, [{ id: '2', type: 'ReActorRestoreFace', input: 'model' }]);
  assert.equal(restorer.fetch, { pack: 'Gourieff/ComfyUI-ReActor', urls: ['https://huggingface.co/datasets/Gourieff/ReActor/resolve/main/models/facerestore_models/GFPGANv1.4.pth'] });
});

test('the URLs one file is tried from keep the pack\'s order: release URLs first, then the fallbacks', () => {
  const out = extractRefs(uiWorkflow([uiNode({ id: 7, type: 'RIFE VFI', widgets: ['rife49.pth', 10, 2, true, true, 1, 'float32', false, 1] })]), 'wf.json');
  assert.equal(keys(out.refs), ['comfyui:custom_nodes/ComfyUI-Frame-Interpolation/ckpts/rife/rife49.pth']);
  assert.equal(out.refs[0]!.fetch, {
    pack: 'Fannovel16/ComfyUI-Frame-Interpolation',
    urls: [
      'https://github.com/styler00dollar/VSGAN-tensorrt-docker/releases/download/models/rife49.pth',
      'https://github.com/Fannovel16/ComfyUI-Frame-Interpolation/releases/download/models/rife49.pth',
      'https://github.com/dajes/frame-interpolation-pytorch/releases/download/v1.0.0/rife49.pth',
      'https://huggingface.co/marduk191/rife/resolve/main/rife49.pth',
      'https://huggingface.co/hfmaster/models-moved/resolve/main/rife/rife49.pth',
      'https://huggingface.co/MachineDelusions/RIFE/resolve/main/rife49.pth',
      'https://huggingface.co/Isi99999/Frame_Interpolation_Models/resolve/main/rife49.pth',
    ],
  });
});

test('snapshots and the Hugging Face cache: a folder key, the repository and its filters', () => {
  const out = extractRefs(uiWorkflow([
    uiNode({ id: 1, type: 'DownloadAndLoadFlorence2Model', widgets: ['MiaoshouAI/Florence-2-base-PromptGen-v2.0', 'fp16', 'sdpa', false] }),
    uiNode({ id: 2, type: 'DownloadAndLoadHyVideoTextEncoder', widgets: ['Kijai/llava-llama-3-8b-text-encoder-tokenizer', 'openai/clip-vit-large-patch14', 'bf16', false, 2, 'disabled', 'offload_device'] }),
    uiNode({ id: 3, type: 'PulidEvaClipLoader', widgets: [] }),
    uiNode({ id: 4, type: 'LoadCLIPSegModels+', widgets: [] }),
  ]), 'wf.json');
  assert.equal(out.refs.map((r) => [`${r.folder}/${r.name}`, r.fetch]), [
    ['comfyui:models/LLM/Florence-2-base-PromptGen-v2.0/', { pack: 'kijai/ComfyUI-Florence2', snapshot: { repo: 'MiaoshouAI/Florence-2-base-PromptGen-v2.0', revision: 'main' } }],
    ['comfyui:models/LLM/llava-llama-3-8b-text-encoder-tokenizer/', { pack: 'kijai/ComfyUI-HunyuanVideoWrapper', snapshot: { repo: 'Kijai/llava-llama-3-8b-text-encoder-tokenizer', revision: 'main' } }],
    ['comfyui:models/clip/clip-vit-large-patch14/', { pack: 'kijai/ComfyUI-HunyuanVideoWrapper', snapshot: { repo: 'openai/clip-vit-large-patch14', revision: 'main', ignore: ['*.msgpack', '*.bin', '*.h5'] } }],
    ['hf-cache:models/CIDAS/clipseg-rd64-refined@main/', { pack: 'cubiq/ComfyUI_essentials', snapshot: { repo: 'CIDAS/clipseg-rd64-refined', revision: 'main', ignore: ['*.h5', '*.msgpack', '*.onnx', '*.ot', '*.tflite'] } }],
    ['hf-cache:models/QuanSun/EVA-CLIP@main/EVA02_CLIP_L_336_psz14_s6B.pt', { pack: 'cubiq/PuLID_ComfyUI', urls: ['https://huggingface.co/QuanSun/EVA-CLIP/resolve/main/EVA02_CLIP_L_336_psz14_s6B.pt'] }],
  ]);
});

test('hostile values: a URL gets one encoded segment, a key with .. is refused before it is demanded, a repo id is checked', () => {
  const out = extractRefs(uiWorkflow([
    uiNode({ id: 1, type: 'FILM VFI', widgets: ['../../../evil/repo/releases/download/v1/x.pt', 10, 2] }),
    uiNode({ id: 2, type: 'DownloadAndLoadFlorence2Model', widgets: ['../../etc', 'fp16', 'sdpa', false] }),
    uiNode({ id: 3, type: 'RIFE VFI', widgets: [42, 10, 2, true, true, 1, 'float32', false, 1] }),
  ]), 'wf.json');
  const film = out.refs.find((r) => r.nodes[0]!.type === 'FILM VFI')!;
  assert.ok('urls' in film.fetch! && film.fetch.urls.every((u) => u.endsWith('/..%2F..%2F..%2Fevil%2Frepo%2Freleases%2Fdownload%2Fv1%2Fx.pt')), JSON.stringify(film.fetch));
  assert.equal(out.refs.length, 1, 'no ref for an impossible repository id or a number');
  assert.equal(out.diagnostics.map((d) => [d.code, d.node]), [['unknown-loader-value', '2'], ['unknown-loader-value', '3']]);
  assert.match(out.diagnostics[1]!.message, 'RIFE VFI node 3: ckpt_name is 42, so the files it picks for the node to fetch are not known');

  // A value the cases need but the node does not have is said, not silently dropped.
  const api = extractRefs({ 1: apiNode('DownloadAndLoadSAM2Model', { segmentor: 'video', device: 'cuda', precision: 'fp16' }) }, 'api.json');
  assert.equal(api.refs, []);
  assert.equal(api.diagnostics.map((d) => d.message), ['DownloadAndLoadSAM2Model node 1: model has no value, so the files it picks for the node to fetch are not known']);

  const { demands, diagnostics } = aggregateDemand([{ path: 'wf.json', format: 'ui', refs: out.refs, customNodes: [], diagnostics: [] }]);
  assert.equal(demands, []);
  assert.equal(diagnostics.map((d) => d.code), ['unsafe-model-name']);
  assert.match(diagnostics[0]!.message, "'..', '.' or empty path segment");
});

test('no model-like value on a self-downloading node is guessed or reported as unmapped: the table accounts for it', () => {
  const out = extractRefs(uiWorkflow([uiNode({ id: 1, type: 'DownloadAndLoadDepthAnythingV2Model', widgets: ['depth_anything_v2_vitg_fp32.safetensors', 'auto'] })]), 'wf.json');
  assert.equal(keys(out.refs), ['comfyui:models/depthanything/depth_anything_v2_vitg_fp32.safetensors']);
  assert.equal(out.refs[0]!.fetch, { pack: 'kijai/ComfyUI-DepthAnythingV2', urls: ['https://huggingface.co/Nap/depth_anything_v2_vitg/resolve/main/depth_anything_v2_vitg_fp32.safetensors'] });
  assert.equal(out.diagnostics, []);
});

test('every key the table can produce is one download.sh may install', () => {
  const rows = fetchData.nodes as Record<string, { fetch: { to: string }[]; cases: { fetch: { to: string }[] }[] }>;
  let n = 0;
  for (const [type, row] of Object.entries(rows)) {
    for (const item of [...row.fetch, ...row.cases.flatMap((c) => c.fetch)]) {
      if (item.to === 'hf-cache') continue;
      const parsed = parseKey(item.to.replace(/\{[^}]+\}/g, 'x'));
      assert.not.ok('problem' in parsed, `${type}: ${item.to}`);
      n++;
    }
  }
  assert.ok(n > 40, `${n} keys`);
});

test.run();
