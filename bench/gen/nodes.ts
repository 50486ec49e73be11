/**
 * The node mix of synthetic workflows: model loaders (whose widget values are the refs) among
 * the usual samplers, prompts, notes and custom-node packs, each with its widget names so the
 * same node renders as UI (`widgets_values`) or API (`inputs`).
 */
import type { Rng } from './random.js';

export interface NodeSpec {
  type: string;
  widgets: Array<[name: string, value: unknown]>;
  /** Embedded model metadata (UI only), as the official templates carry it. */
  models?: Array<{ name: string; url: string; directory: string }>;
  pack?: { cnr_id: string; ver: string };
}

/** Loader type → (widget holding the file, folder, the other widgets). */
export const LOADERS: ReadonlyArray<[type: string, widget: string, folder: string, weight: number]> = [
  ['LoraLoader', 'lora_name', 'loras', 30],
  ['LoraLoaderModelOnly', 'lora_name', 'loras', 8],
  ['CheckpointLoaderSimple', 'ckpt_name', 'checkpoints', 12],
  ['VAELoader', 'vae_name', 'vae', 6],
  ['CLIPLoader', 'clip_name', 'text_encoders', 4],
  ['UNETLoader', 'unet_name', 'diffusion_models', 5],
  ['ControlNetLoader', 'control_net_name', 'controlnet', 5],
  ['UpscaleModelLoader', 'model_name', 'upscale_models', 4],
  ['CLIPVisionLoader', 'clip_name', 'clip_vision', 2],
];

const PROMPT_WORDS = ['masterpiece', 'best quality', 'a woman', 'a knight', 'standing', 'in a forest', 'at night',
  'volumetric light', 'highly detailed', 'sharp focus', '8k', 'bokeh', 'depth of field', 'red hair', 'smiling',
  'looking at viewer', 'city street', 'rain', 'reflections', 'wide shot', 'close-up', 'dramatic sky', 'golden hour',
  'oil painting', 'concept art', 'trending on artstation', 'ultra realistic', 'soft shadows', 'blue eyes', 'armor'];
const NEGATIVE = 'lowres, bad anatomy, bad hands, text, error, missing fingers, extra digit, cropped, worst quality, jpeg artifacts, watermark, blurry';
const SAMPLERS = ['euler', 'euler_ancestral', 'dpmpp_2m', 'dpmpp_2m_sde', 'dpmpp_3m_sde', 'uni_pc', 'lcm'];
const SCHEDULERS = ['normal', 'karras', 'simple', 'sgm_uniform', 'exponential'];
const PACKS: ReadonlyArray<[type: string, cnr: string, widgets: Array<[string, unknown]>]> = [
  ['easy seed', 'comfyui-easy-use', [['seed', 0], ['control_after_generate', 'randomize']]],
  ['Image Comparer (rgthree)', 'rgthree-comfy', []],
  ['FaceDetailer', 'comfyui-impact-pack', [['guide_size', 512], ['guide_size_for', true], ['max_size', 1024], ['seed', 0], ['control_after_generate', 'fixed'], ['steps', 20], ['cfg', 7], ['sampler_name', 'euler'], ['scheduler', 'normal'], ['denoise', 0.5]]],
  ['ImageResizeKJ', 'comfyui-kjnodes', [['width', 1024], ['height', 1024], ['upscale_method', 'lanczos'], ['keep_proportion', true], ['divisible_by', 8]]],
  ['VHS_VideoCombine', 'comfyui-videohelpersuite', [['frame_rate', 16], ['loop_count', 0], ['filename_prefix', 'AnimateDiff'], ['format', 'video/h264-mp4'], ['pingpong', false], ['save_output', true]]],
  ['CR Apply LoRA Stack', 'ComfyUI_Comfyroll_CustomNodes', []],
];

/** Each pack's last few releases, oldest first: a saved node carries the release installed then. */
const RELEASES: Readonly<Record<string, readonly string[]>> = {
  'comfyui-easy-use': ['1.2.9', '1.3.0', '1.3.1', '1.3.3', '1.3.4'],
  'rgthree-comfy': ['1.0.0', '1.0.1', '1.0.2', '1.0.3', '1.0.4'],
  'comfyui-impact-pack': ['8.15.3', '8.18.0', '8.21.1', '8.22.2', '8.25.1'],
  'comfyui-kjnodes': ['1.1.2', '1.1.4', '1.1.7', '1.1.9', '1.2.1'],
  'comfyui-videohelpersuite': ['1.6.1', '1.7.0', '1.7.3', '1.7.6', '1.7.9'],
  // No release for a long while.
  ComfyUI_Comfyroll_CustomNodes: ['1.76.0', '1.76.0', '1.76.0', '1.76.0', '1.76.0'],
};
export const ERAS = 5;

/**
 * The pack versions of one workflow: every node of a pack carries the release that was installed
 * when the workflow was saved (`era`, 0 = oldest), except a node now and then pasted in from an
 * older workflow, which keeps its older release (which comfygen reports as `multiple-pack-versions`).
 */
export function packVersions(rng: Rng, era: number): (cnr: string) => string {
  return (cnr) => {
    const releases = RELEASES[cnr]!;
    return releases[era > 0 && rng.chance(0.03) ? rng.int(0, era - 1) : era]!;
  };
}

function prompt(rng: Rng, embeddings: string[]): string {
  const words = Array.from({ length: rng.int(12, 40) }, () => rng.pick(PROMPT_WORDS));
  if (embeddings.length > 0 && rng.chance(0.5)) words.push(`embedding:${rng.pick(embeddings).replace(/\.[^.]+$/, '')}`);
  return words.join(', ');
}

export function fillerNode(rng: Rng, embeddings: string[], versionOf: (cnr: string) => string): NodeSpec {
  const seed = rng.int(0, 2 ** 31);
  switch (rng.int(0, 13)) {
    case 0: case 1: case 2:
      return { type: 'CLIPTextEncode', widgets: [['text', rng.chance(0.3) ? NEGATIVE : prompt(rng, embeddings)]] };
    case 3: case 4:
      return { type: 'KSampler', widgets: [['seed', seed], ['control_after_generate', 'randomize'], ['steps', rng.int(4, 40)], ['cfg', rng.int(10, 80) / 10], ['sampler_name', rng.pick(SAMPLERS)], ['scheduler', rng.pick(SCHEDULERS)], ['denoise', 1]] };
    case 5:
      return { type: 'EmptyLatentImage', widgets: [['width', rng.pick([512, 768, 1024])], ['height', rng.pick([512, 768, 1024, 1344])], ['batch_size', 1]] };
    case 6:
      return { type: rng.pick(['VAEDecode', 'VAEEncode', 'PreviewImage', 'Reroute']), widgets: [] };
    case 7:
      return { type: 'SaveImage', widgets: [['filename_prefix', `ComfyUI_${rng.pick(PROMPT_WORDS).replace(/\W+/g, '_')}`]] };
    case 8:
      return { type: 'LoadImage', widgets: [['image', `input_${rng.int(1, 999)}.png`], ['upload', 'image']] };
    case 9:
      return { type: 'Note', widgets: [['text', `Tip: ${prompt(rng, [])}. Works best with ${rng.int(20, 30)} steps.`]] };
    case 10:
      return { type: 'ImageScaleBy', widgets: [['upscale_method', 'lanczos'], ['scale_by', rng.int(10, 20) / 10]] };
    case 11:
      return { type: 'ControlNetApplyAdvanced', widgets: [['strength', rng.int(3, 10) / 10], ['start_percent', 0], ['end_percent', 1]] };
    default: {
      const [type, cnr, widgets] = rng.pick(PACKS);
      return { type, widgets: widgets.map(([n, v]) => [n, n === 'seed' ? seed : v]), pack: { cnr_id: cnr, ver: versionOf(cnr) } };
    }
  }
}

export function loaderNode(rng: Rng, type: string, widget: string, folder: string, file: string): NodeSpec {
  const widgets: Array<[string, unknown]> = [[widget, file]];
  if (type === 'LoraLoader') widgets.push(['strength_model', rng.int(2, 12) / 10], ['strength_clip', 1]);
  if (type === 'LoraLoaderModelOnly') widgets.push(['strength_model', rng.int(2, 12) / 10]);
  if (type === 'CLIPLoader') widgets.push(['type', rng.pick(['stable_diffusion', 'flux', 'wan', 'sd3'])]);
  if (type === 'UNETLoader') widgets.push(['weight_dtype', rng.pick(['default', 'fp8_e4m3fn'])]);
  const spec: NodeSpec = { type, widgets };
  if (rng.chance(0.15)) {
    const base = file.split('/').pop()!;
    spec.models = [{ name: base, url: `https://huggingface.co/bench-org/${folder}-pack/resolve/main/${base}?download=true`, directory: folder }];
  }
  return spec;
}
