/**
 * The project and fakes of the self-download tests (issue 21 item 4): one workflow with 17
 * self-downloading nodes of 13 popular packs, a fake Hugging Face with the repositories they
 * fetch from (made-up bytes under the real names, LFS weights and small git files), and a
 * GitHub stand-in for release assets (GITHUB_ENDPOINT), where the first URL RIFE tries is gone.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type FileServer, startFileServer } from '../helpers/file-server.js';
import { startFakeHf, type FakeHf, type FakeHfRepo } from '../helpers/fake-hf.js';

export const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
export const bytes = (label: string, n = 2000) => Buffer.from(`${label} `.repeat(n).slice(0, n));

const files = (repo: string, paths: string[]): Record<string, Buffer> => Object.fromEntries(paths.map((p) => [p, bytes(`${repo}/${p}`)]));

export const HF_REPOS: FakeHfRepo[] = [
  { id: 'lllyasviel/Annotators', files: files('Annotators', ['sk_model.pth', 'sk_model2.pth', 'body_pose_model.pth', 'hand_pose_model.pth', 'facenet.pth', 'README.md']) },
  { id: 'depth-anything/Depth-Anything-V2-Small', files: files('DAv2-small', ['depth_anything_v2_vits.pth']) },
  { id: 'Kijai/sam2-safetensors', files: files('sam2', ['sam2.1_hiera_large-fp16.safetensors', 'sam2.1_hiera_large.safetensors', 'sam2_hiera_small.safetensors']) },
  { id: 'Kijai/DepthAnythingV2-safetensors', files: files('DAv2', ['depth_anything_v2_vitl_fp32.safetensors']) },
  {
    id: 'microsoft/Florence-2-base',
    files: files('florence', ['.gitattributes', 'README.md', 'config.json', 'configuration_florence2.py', 'modeling_florence2.py',
      'processing_florence2.py', 'preprocessor_config.json', 'pytorch_model.bin', 'tokenizer.json', 'tokenizer_config.json', 'vocab.json']),
  },
  {
    id: 'Kijai/llava-llama-3-8b-text-encoder-tokenizer',
    files: files('llava', ['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json',
      'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']),
  },
  {
    id: 'openai/clip-vit-large-patch14',
    files: files('clip-l', ['config.json', 'model.safetensors', 'pytorch_model.bin', 'flax_model.msgpack', 'tf_model.h5', 'merges.txt',
      'preprocessor_config.json', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.json']),
  },
  { id: 'Kijai/CogVideoX-Fun-pruned', files: files('cogvideox', ['cogvideox_vae.safetensors', '5b/transformer.safetensors']) },
  { id: 'Kijai/CogVideoX_GGUF', files: files('cogvideox-gguf', ['CogVideoX_5b_I2V_GGUF_Q4_0.safetensors']) },
  { id: 'QuanSun/EVA-CLIP', files: files('eva', ['EVA02_CLIP_L_336_psz14_s6B.pt', 'EVA02_B_psz14to16.pt']) },
  { id: 'ZhengPeng7/BiRefNet', files: files('birefnet', ['model.safetensors', 'config.json']) },
  {
    id: 'CIDAS/clipseg-rd64-refined',
    files: files('clipseg', ['config.json', 'merges.txt', 'preprocessor_config.json', 'special_tokens_map.json', 'tokenizer_config.json',
      'vocab.json', 'model.safetensors', 'tf_model.h5', 'onnx/model.onnx', 'text_model/config.json']),
  },
  { id: 'Gourieff/ReActor', type: 'dataset', files: files('reactor', ['models/facerestore_models/GFPGANv1.4.pth', 'models/buffalo_l.zip']) },
  { id: 'ShilongLiu/GroundingDINO', files: files('dino', ['GroundingDINO_SwinT_OGC.cfg.py', 'groundingdino_swint_ogc.pth']) },
  { id: 'google-bert/bert-base-uncased', files: files('bert', ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt', 'tf_model.h5']) },
  { id: 'lkeab/hq-sam', files: files('hq-sam', ['sam_hq_vit_b.pth']) },
  { id: 'marduk191/rife', files: files('rife-mirror', ['rife47.pth']) },
];

/** Release assets on the GitHub stand-in, by path. */
export const RELEASES: Record<string, Buffer> = {
  // The first URL RIFE tries (styler00dollar) is gone: the pack's second one answers.
  '/Fannovel16/ComfyUI-Frame-Interpolation/releases/download/models/rife47.pth': bytes('rife 4.7'),
  '/styler00dollar/VSGAN-tensorrt-docker/releases/download/models/film_net_fp32.pt': bytes('film net'),
  '/xinntao/facexlib/releases/download/v0.1.0/detection_Resnet50_Final.pth': bytes('retinaface resnet50'),
  '/sczhou/CodeFormer/releases/download/v0.1.0/parsing_parsenet.pth': bytes('parsenet'),
};

export interface Fakes { hf: FakeHf; github: FileServer; close(): Promise<void> }

export async function startFakes(): Promise<Fakes> {
  const hf = await startFakeHf({ repos: HF_REPOS, pageSize: 3 });
  const github = await startFileServer();
  for (const [path, body] of Object.entries(RELEASES)) {
    // As on GitHub: the release URL redirects to the storage host.
    github.redirect(path, `/objects${path}`, 302);
    github.file(`/objects${path}`, body, { contentType: 'application/octet-stream' });
  }
  return { hf, github, close: async () => { await Promise.all([hf.close(), github.close()]); } };
}

const ui = (id: number, type: string, widgets: unknown[], mode = 0) => ({ id, type, mode, inputs: [], outputs: [], properties: {}, widgets_values: widgets });

/** The 17 nodes, as a UI workflow would save them (widget values in INPUT_TYPES order). */
export const NODES = [
  ui(1, 'LineArtPreprocessor', ['disable', 512]),
  ui(2, 'OpenposePreprocessor', ['enable', 'enable', 'enable', 512, 'disable']),
  ui(3, 'DepthAnythingV2Preprocessor', ['depth_anything_v2_vits.pth', 512]),
  ui(4, 'RIFE VFI', ['rife47.pth', 10, 2, true, true, 1, 'float32', false, 1]),
  ui(5, 'FILM VFI', ['film_net_fp32.pt', 10, 2]),
  ui(6, 'DownloadAndLoadSAM2Model', ['sam2.1_hiera_large.safetensors', 'single_image', 'cuda', 'bf16']),
  ui(7, 'DownloadAndLoadDepthAnythingV2Model', ['depth_anything_v2_vitl_fp32.safetensors', 'auto']),
  ui(8, 'DownloadAndLoadFlorence2Model', ['microsoft/Florence-2-base', 'fp16', 'sdpa', false]),
  ui(9, 'DownloadAndLoadHyVideoTextEncoder', ['Kijai/llava-llama-3-8b-text-encoder-tokenizer', 'openai/clip-vit-large-patch14', 'bf16', false, 2, 'disabled', 'offload_device']),
  ui(10, 'DownloadAndLoadCogVideoGGUFModel', ['CogVideoX_5b_I2V_GGUF_Q4_0.safetensors', 'bf16', false, 'main_device', false, 'sdpa']),
  ui(11, 'PulidEvaClipLoader', []),
  ui(12, 'PulidFluxEvaClipLoader', []),
  ui(13, 'AutoDownloadBiRefNetModel', ['General', 'AUTO', 'float32']),
  ui(14, 'LoadCLIPSegModels+', []),
  ui(15, 'ReActorRestoreFace', ['retinaface_resnet50', 'GFPGANv1.4.pth', 1, 0.5]),
  ui(16, 'GroundingDinoModelLoader (segment anything)', ['GroundingDINO_SwinT_OGC (694MB)']),
  ui(17, 'SAMModelLoader (segment anything)', ['sam_hq_vit_b (379MB)']),
  // Bypassed: its file is pinned too, as an optional one.
  ui(18, 'DownloadAndLoadSAM2Model', ['sam2_hiera_small.safetensors', 'video', 'cuda', 'fp16'], 4),
];

export async function writeProject(dir: string, comfyuiDir = 'ComfyUI'): Promise<void> {
  await mkdir(join(dir, 'workflows'), { recursive: true });
  await writeFile(join(dir, 'workflows', 'packs.json'), JSON.stringify({
    last_node_id: NODES.length, last_link_id: 0, links: [], groups: [], config: {}, extra: {}, version: 0.4, nodes: NODES,
  }));
  await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({
    workflows: ['workflows/*.json'],
    comfyui: { dir: comfyuiDir },
    nodes: { install: false },
  }, null, 2));
}
