/**
 * Folders as packs register or read them, from the derivation's registrations and listings:
 * which key a file source maps to, and the directories under the models root for that key.
 */
import { FOLDER_DIRS, aliasOf } from '../../src/core/folders.js';
import type { DerivedPack, DerivedSource, HandFolder, PackFolder } from './types.js';

/** Roots other than the models root hold no downloads: pack data (fonts, luts), outputs, inputs. */
const MODEL_ROOTS = ['models/', 'comfy/models/'];

/** `models/CogVideo/loras` → `CogVideo/loras`; null for a path outside the models root. */
export function modelsRelative(path: string | null | undefined): string | null {
  if (!path || path.includes('{')) return null;
  for (const root of MODEL_ROOTS) {
    if (path.startsWith(root)) {
      const rel = path.slice(root.length).replace(/\/+$/, '');
      return rel === '' ? null : rel;
    }
  }
  return null;
}

export type Resolved =
  | { folder: string; via: string; at?: string }
  | { skip: string };

export class FolderRegistry {
  readonly folders = new Map<string, PackFolder>();
  private readonly byDir = new Map<string, string>();
  /** Keys registered only outside the models root (pack fonts, output embeds): no downloads. */
  private readonly outside = new Map<string, string>();
  /** Keys a pack points at a standard folder's list (`unet_gguf` = diffusion_models with .gguf). */
  private readonly aliases = new Map<string, string>();

  /** Registrations of every pack, in manifest order (earlier packs decide a key's first dir). */
  constructor(packs: readonly DerivedPack[], hand: Record<string, HandFolder>) {
    for (const [key, folder] of Object.entries(hand)) {
      this.add(key, folder.dirs, 'listed', folder.packs, folder.at ? [folder.at] : []);
    }
    for (const pack of packs) {
      for (const reg of pack.folders) {
        const key = aliasOf(reg.key);
        if (Object.hasOwn(FOLDER_DIRS, key) || key === 'custom_nodes') continue;
        const target = reg.path?.startsWith('folder:') ? aliasOf(reg.path.slice('folder:'.length)) : null;
        if (target !== null && Object.hasOwn(FOLDER_DIRS, target)) {
          this.aliases.set(key, target);
          continue;
        }
        const rel = reg.path?.startsWith('folder:') ? this.underFolder(reg.path) : modelsRelative(reg.path);
        if (rel === null) {
          if (reg.path && !this.outside.has(key)) this.outside.set(key, reg.path);
          continue;
        }
        this.add(key, [rel], 'registered', [pack.pack], [`${pack.pack}@${pack.commit.slice(0, 12)}:${reg.at} (${reg.via})`]);
      }
    }
  }

  private underFolder(path: string): string | null {
    const [key, ...rest] = path.slice('folder:'.length).split('/');
    const dir = this.dirsOf(aliasOf(key!))?.[0];
    return dir === undefined ? null : [dir, ...rest].join('/');
  }

  private add(key: string, dirs: string[], kind: PackFolder['kind'], packs: string[], at: string[]): void {
    let folder = this.folders.get(key);
    if (!folder) this.folders.set(key, (folder = { dirs: [], kind, packs: [], at: [] }));
    // A directory one pack lists and another registers as a key: ComfyUI knows the key.
    if (kind === 'registered') folder.kind = 'registered';
    for (const dir of dirs) {
      if (!folder.dirs.includes(dir)) folder.dirs.push(dir);
      if (!this.byDir.has(dir)) this.byDir.set(dir, key);
    }
    for (const p of packs) if (!folder.packs.includes(p)) folder.packs.push(p);
    for (const a of at) if (!folder.at.includes(a)) folder.at.push(a);
  }

  dirsOf(key: string): readonly string[] | undefined {
    return Object.hasOwn(FOLDER_DIRS, key) ? FOLDER_DIRS[key] : this.folders.get(key)?.dirs;
  }

  /** The folder key a file source names, or why it is no model file. */
  resolve(source: DerivedSource, pack: string, commit: string): Resolved {
    const at = source.at ? `${pack}@${commit.slice(0, 12)}:${source.at}` : undefined;
    if (source.transformed) return { skip: `the listed value is the file name changed by ${source.transformed}` };
    let folder: string | null = null;
    if (source.folder !== undefined) {
      const key = this.aliases.get(aliasOf(source.folder)) ?? aliasOf(source.folder);
      if (Object.hasOwn(FOLDER_DIRS, key)) folder = key;
      else if (this.folders.has(key)) folder = key;
      else if (this.outside.has(key)) return { skip: `folder_paths key ${key} is ${this.outside.get(key)}, outside the models folder` };
      // get_folder_paths(key) behind a fallback to models_dir/<key> (comfy_mtb's get_model_path):
      // with no pack registering the key, the pack reads that directory itself.
      else if (source.via.includes('get_folder_paths')) folder = this.folderForDir(key, pack, at);
      else return { skip: `folder_paths key ${key} is registered by no pack read (nor by ComfyUI)` };
    } else if (source.dir !== undefined) {
      const rel = modelsRelative(source.dir);
      if (rel === null) return { skip: `${source.dir} is not under the models folder` };
      folder = this.folderForDir(rel, pack, at);
    } else {
      return { skip: 'no folder or directory' };
    }
    if (source.prefix) {
      // `bbox/` + files of ultralytics_bbox (= ultralytics/bbox): the same names under ultralytics.
      const parent = this.parentWithPrefix(folder, source.prefix);
      if (parent === null) return { skip: `values are prefixed with ${source.prefix}, and no folder holds them as written` };
      folder = parent;
    }
    return { folder, via: source.via, ...(at ? { at } : {}) };
  }

  /** The key whose directory is `rel`: a registered one, a standard one, or a listed one. */
  private folderForDir(rel: string, pack: string, at: string | undefined): string {
    const known = this.byDir.get(rel);
    if (known) return known;
    for (const [key, dirs] of Object.entries(FOLDER_DIRS)) if (dirs.includes(rel)) return key;
    const key = rel.replace(/\//g, '_');
    this.add(key, [rel], 'listed', [pack], at ? [at] : []);
    return key;
  }

  private parentWithPrefix(folder: string, prefix: string): string | null {
    const dir = this.dirsOf(folder)?.[0];
    const sub = prefix.replace(/\/+$/, '');
    if (!dir || !dir.endsWith(`/${sub}`)) return null;
    const parentDir = dir.slice(0, -sub.length - 1);
    const parent = this.byDir.get(parentDir) ?? Object.entries(FOLDER_DIRS).find(([, dirs]) => dirs[0] === parentDir)?.[0];
    return parent ?? null;
  }

  /** Folders that rows or downloads use, for src/core/pack-folders.json. */
  used(keys: Iterable<string>): Record<string, PackFolder> {
    const out: Record<string, PackFolder> = {};
    for (const key of [...new Set(keys)].sort()) {
      const folder = this.folders.get(key);
      if (folder) out[key] = folder;
    }
    return out;
  }
}
