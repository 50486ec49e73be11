/**
 * Where ComfyUI-Manager installs a catalog entry, as a (folder, name) ref key
 * (comfyui-models.md §5 "Placement rule"). Entries Manager puts outside the model folders
 * (`etc`, inside a custom node, whole-repo snapshots) have no key: no workflow loads them by name.
 */
import { folderForDir } from '../../core/folders.js';
import type { CatalogEntry } from './schema.js';

/** Manager's `type` → folder table for `save_path: "default"`, keys lower-case. */
export const TYPE_FOLDERS: Readonly<Record<string, string>> = {
  checkpoint: 'checkpoints',
  checkpoints: 'checkpoints',
  unclip: 'checkpoints',
  clip: 'text_encoders',
  text_encoders: 'text_encoders',
  vae: 'vae',
  lora: 'loras',
  't2i-adapter': 'controlnet',
  't2i-style': 'controlnet',
  controlnet: 'controlnet',
  clip_vision: 'clip_vision',
  gligen: 'gligen',
  upscale: 'upscale_models',
  embedding: 'embeddings',
  embeddings: 'embeddings',
  unet: 'diffusion_models',
  diffusion_model: 'diffusion_models',
};

export function placeEntry(entry: CatalogEntry): { folder: string; name: string } | null {
  const { filename } = entry;
  if (/[/\\:]/.test(filename) || filename === '<huggingface>') return null;
  const savePath = entry.save_path.replace(/\\/g, '/');
  if (savePath === 'default') {
    const folder = TYPE_FOLDERS[(entry.type ?? '').toLowerCase()];
    return folder ? { folder, name: filename } : null;
  }
  if (savePath.includes('..') || savePath.startsWith('/') || savePath.startsWith('custom_nodes')) return null;
  const [dir, ...sub] = savePath.split('/').filter(Boolean);
  if (!dir) return null;
  return { folder: folderForDir(dir), name: [...sub, filename].join('/') };
}
