/**
 * The synthetic model library: realistic names and ComfyUI folder layout (subfolders per base
 * model, preview images and .civitai.info files beside some models), tiny contents.
 */
import type { Rng } from './random.js';

export interface ModelFile {
  /** Canonical folder key, as a workflow's loader implies it. */
  folder: string;
  /** On-disk directory under the root (`unet` for some diffusion models, `clip` for some encoders). */
  dir: string;
  /** Name as a workflow writes it (may contain `/`). */
  name: string;
  size: number;
}

const BASES = ['sdxl', 'sd15', 'flux', 'pony', 'illustrious', 'wan21', 'hunyuan', 'sd35', 'qwen'];
const WORDS = ['detail', 'tweaker', 'anime', 'realistic', 'portrait', 'cinematic', 'film', 'grain', 'pixel', 'art',
  'watercolor', 'ink', 'sketch', 'neon', 'cyberpunk', 'fantasy', 'landscape', 'architecture', 'lighting', 'skin',
  'texture', 'hands', 'eyes', 'style', 'mecha', 'chibi', 'vintage', 'polaroid', 'oil', 'painting', 'gothic', 'lowpoly',
  'isometric', 'clay', 'paper', 'cutout', 'sunset', 'studio', 'fashion', 'food', 'macro', 'drone', 'noir', 'retro'];
const SUFFIXES = ['', '_fp16', '_fp8_e4m3fn', '-pruned', '_bf16', '-000012', '_e10', '_pruned_emaonly'];

/** Share of files per folder; loras dominate real model folders. */
const FOLDERS: ReadonlyArray<[folder: string, weight: number, exts: readonly string[]]> = [
  ['loras', 62, ['.safetensors', '.safetensors', '.safetensors', '.pt']],
  ['checkpoints', 10, ['.safetensors', '.safetensors', '.ckpt']],
  ['embeddings', 8, ['.safetensors', '.pt', '.bin']],
  ['vae', 3, ['.safetensors', '.pt']],
  ['text_encoders', 3, ['.safetensors', '.gguf']],
  ['diffusion_models', 4, ['.safetensors', '.gguf']],
  ['controlnet', 4, ['.safetensors', '.pth']],
  ['upscale_models', 3, ['.pth', '.safetensors']],
  ['clip_vision', 2, ['.safetensors']],
  ['ipadapter', 1, ['.safetensors', '.bin']],
];

function stem(rng: Rng, base: string): string {
  const words = Array.from({ length: rng.int(1, 3) }, () => rng.pick(WORDS));
  const sep = rng.pick(['_', '-', '']);
  const joined = sep ? words.join(sep) : words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  const version = rng.chance(0.6) ? `${rng.pick(['_v', '-v', 'V'])}${rng.int(1, 12)}${rng.chance(0.4) ? `.${rng.int(0, 9)}` : ''}` : '';
  return `${rng.chance(0.5) ? `${base}_` : ''}${joined}${version}${rng.pick(SUFFIXES)}`;
}

export function generateModels(rng: Rng, count: number): ModelFile[] {
  const seen = new Set<string>();
  const files: ModelFile[] = [];
  while (files.length < count) {
    const [folder, , exts] = rng.weighted(FOLDERS, ([, weight]) => weight);
    const base = rng.pick(BASES);
    // Half of the files sit in per-base subfolders, as people sort big collections.
    const sub = rng.chance(0.5) ? `${base}/${rng.chance(0.3) ? `${rng.pick(WORDS)}/` : ''}` : '';
    const name = `${sub}${stem(rng, base)}${rng.pick(exts)}`;
    const dir = folder === 'diffusion_models' && rng.chance(0.5) ? 'unet' : folder === 'text_encoders' && rng.chance(0.3) ? 'clip' : folder;
    const key = `${folder}/${name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    files.push({ folder, dir, name, size: rng.int(16, 2048) });
  }
  return files;
}

/** Files that are not models but live in real model folders (ComfyUI-Manager and Civitai helpers). */
export function sidecars(rng: Rng, model: ModelFile): string[] {
  const stemPath = model.name.replace(/\.[^.]+$/, '');
  const out: string[] = [];
  if (rng.chance(0.3)) out.push(`${stemPath}.preview.png`);
  if (rng.chance(0.15)) out.push(`${stemPath}.civitai.info`);
  return out;
}
