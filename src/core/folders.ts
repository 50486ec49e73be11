/**
 * ComfyUI's folder_paths facts as data (reference: comfyui-models.md §1).
 * Canonical keys, legacy aliases and the on-disk directory names that feed each key, plus the
 * folders custom node packs register or read under models/ (pack-folders.json, generated from
 * the packs' code by scripts/derive-pack-loaders.ts).
 */
import packFolderData from './pack-folders.json' with { type: 'json' };

/** Legacy folder names mapped by every folder_paths function. */
export const FOLDER_ALIASES: Readonly<Record<string, string>> = {
  clip: 'text_encoders',
  unet: 'diffusion_models',
};

/**
 * Directory names under a models root, in ComfyUI's search order, for each canonical key.
 * The first directory is the default install target.
 */
export const FOLDER_DIRS: Readonly<Record<string, readonly string[]>> = {
  checkpoints: ['checkpoints'],
  configs: ['configs'],
  loras: ['loras'],
  vae: ['vae'],
  text_encoders: ['text_encoders', 'clip'],
  diffusion_models: ['unet', 'diffusion_models'],
  clip_vision: ['clip_vision'],
  style_models: ['style_models'],
  embeddings: ['embeddings'],
  diffusers: ['diffusers'],
  vae_approx: ['vae_approx'],
  controlnet: ['controlnet', 't2i_adapter'],
  gligen: ['gligen'],
  upscale_models: ['upscale_models'],
  latent_upscale_models: ['latent_upscale_models'],
  hypernetworks: ['hypernetworks'],
  photomaker: ['photomaker'],
  classifiers: ['classifiers'],
  model_patches: ['model_patches'],
  audio_encoders: ['audio_encoders'],
};

/**
 * How a pack knows a folder: `registered` (a folder_paths key: ComfyUI also searches what
 * extra_model_paths.yaml lists for it), `listed` (the pack lists `models_dir/<dir>` itself, so
 * only ComfyUI's own models folder counts).
 */
export type PackFolderKind = 'registered' | 'listed';

export interface PackFolder {
  /** Directories under the models root, in the pack's search order; the first is the install target. */
  dirs: readonly string[];
  kind: PackFolderKind;
  packs: readonly string[];
}

/** Folders of custom node packs, by the key the scanner and the lock use (`cogvideox_loras`). */
export const PACK_FOLDERS: Readonly<Record<string, PackFolder>> = packFolderData.folders as Record<string, PackFolder>;

/**
 * The folders a pack may have under custom_nodes/, by its repository's name: that name first
 * (a git clone), then its registry ids (ComfyUI-Manager and nodes.sh name registry installs so).
 */
export const PACK_CUSTOM_NODE_DIRS: Readonly<Record<string, readonly string[]>> = (packFolderData as { custom_nodes?: Record<string, string[]> }).custom_nodes ?? {};

/** Directory name under a models root → pack folder key, for single-segment pack directories. */
const PACK_KEY_BY_DIR = new Map<string, string>();
for (const [key, folder] of Object.entries(PACK_FOLDERS)) {
  for (const dir of folder.dirs) if (!dir.includes('/') && !PACK_KEY_BY_DIR.has(dir)) PACK_KEY_BY_DIR.set(dir, key);
}

/** Model file extensions ComfyUI accepts for the standard folders (lower-case). */
export const MODEL_EXTENSIONS: readonly string[] = [
  '.ckpt', '.pt', '.pt2', '.bin', '.pth', '.safetensors', '.pkl', '.sft', '.gguf', '.onnx',
];

/** Map a folder name as written anywhere (workflow metadata, yaml, disk) to its canonical key. */
export function canonicalFolder(folder: string): string {
  return aliasOf(folder.replace(/^models\//, '').replace(/\/+$/, ''));
}

/** The canonical key for a legacy name (`clip`), the name itself otherwise. Own keys only: `constructor` is a name, not Object. */
export function aliasOf(name: string): string {
  return Object.hasOwn(FOLDER_ALIASES, name) ? FOLDER_ALIASES[name]! : name;
}

/** ComfyUI's directories for a canonical folder, or undefined for a folder it does not define. */
export function dirsOf(folder: string): readonly string[] | undefined {
  return Object.hasOwn(FOLDER_DIRS, folder) ? FOLDER_DIRS[folder] : undefined;
}

/** The pack folder of this key, or undefined (a standard folder, or one nobody registers). */
export function packFolder(folder: string): PackFolder | undefined {
  return Object.hasOwn(PACK_FOLDERS, folder) ? PACK_FOLDERS[folder] : undefined;
}

/** Directories of a folder under a models root: ComfyUI's for its own folders, the pack's for pack folders. */
export function modelDirsOf(folder: string): readonly string[] | undefined {
  return dirsOf(folder) ?? packFolder(folder)?.dirs;
}

/**
 * Why a folder name cannot be a folder under the models root (null when it can): one plain
 * path segment, not `.`/`..`, no shell or control characters, not a key that holds no models.
 */
export function unsafeFolder(folder: string): string | null {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/.test(folder)) return 'not a plain folder name (letters, digits, _ . -)';
  if (NOT_MODEL_FOLDERS.has(folder)) return 'not a model folder';
  // Harmless to bash, but a key that JavaScript objects treat specially is no folder anybody meant.
  if (folder === '__proto__') return 'a reserved name, not a model folder';
  return null;
}

/**
 * The canonical folder that an on-disk directory name under a models root feeds.
 * `t2i_adapter` feeds `controlnet`; unknown directories are their own (custom-node) folders.
 */
export function folderForDir(dir: string): string {
  for (const [key, dirs] of Object.entries(FOLDER_DIRS)) {
    if (dirs.includes(dir)) return key;
  }
  return PACK_KEY_BY_DIR.get(dir) ?? canonicalFolder(dir);
}

/** The directory download.sh installs a folder's files into: ComfyUI's first (default) dir. */
export function installDirFor(folder: string): string {
  // diffusion_models' first dir is the legacy `unet`; install into the canonical name instead,
  // which every ComfyUI since 2024-11 searches too.
  if (folder === 'diffusion_models' || folder === 'text_encoders') return folder;
  return dirsOf(folder)?.[0] ?? packFolder(folder)?.dirs[0] ?? folder;
}

export function modelKey(folder: string, name: string): string {
  return `${folder}/${name}`;
}

/** Normalise a widget value to the ref name: `/` separators, no leading `./`. */
export function normalizeName(value: string): string {
  return value.replace(/\\/g, '/').replace(/^\.\//, '');
}

/**
 * Keys ComfyUI registers that hold no model files: custom node packs, and ComfyUI-Manager's
 * download base (the whole models tree again, which would list every file twice).
 */
export const NOT_MODEL_FOLDERS: ReadonlySet<string> = new Set(['custom_nodes', 'download_model_base']);
