/**
 * ComfyUI's folder_paths facts as data (reference: comfyui-models.md §1).
 * Canonical keys, legacy aliases and the on-disk directory names that feed each key.
 */

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
  return canonicalFolder(dir);
}

/** The directory download.sh installs a folder's files into: ComfyUI's first (default) dir. */
export function installDirFor(folder: string): string {
  // diffusion_models' first dir is the legacy `unet`; install into the canonical name instead,
  // which every ComfyUI since 2024-11 searches too.
  if (folder === 'diffusion_models' || folder === 'text_encoders') return folder;
  return dirsOf(folder)?.[0] ?? folder;
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
