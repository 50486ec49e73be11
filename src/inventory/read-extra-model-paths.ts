/**
 * ComfyUI's extra_model_paths.yaml, read with ComfyUI's own rules (utils/extra_config.py and
 * folder_paths.add_model_folder_path; reference: comfyui-models.md §4). Pure: the caller reads the
 * file. Every input that makes ComfyUI fail at startup becomes an error diagnostic naming the
 * section and key; the rest of the file is still imported so the inventory stays useful.
 */
import { posix } from 'node:path';
import type { Diagnostic } from '../core/types.js';
import { aliasOf } from '../core/folders.js';
import { pyAbspath, pyExpanduser, pyExpandvars, pyJoin, pyNormpath } from './py-path.js';
import { pyTruthy, pyTypeName, pyyamlSafeLoad } from './pyyaml.js';

/** One `add_model_folder_path` call, in file order. */
export interface ExtraPathEntry {
  section: string;
  /** Folder key after ComfyUI's legacy mapping (`clip` → `text_encoders`). */
  folder: string;
  /** Absolute, normalised directory. */
  dir: string;
  isDefault: boolean;
}

export interface ReadExtraPathsOptions {
  /** Absolute path of the yaml file: relative entries resolve against its directory. */
  yamlPath: string;
  /** How to name the file in diagnostics (as configured). */
  file: string;
  env: NodeJS.ProcessEnv;
  home: string;
}

const CRASH_HINT = 'ComfyUI stops at startup on this file; fix it there, comfygen skipped the bad part';

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

export function parseExtraModelPaths(text: string, opts: ReadExtraPathsOptions): { entries: ExtraPathEntry[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const crash = (message: string) =>
    diagnostics.push({ code: 'invalid-extra-model-paths', severity: 'error', file: opts.file, message, hint: CRASH_HINT });
  const loaded = pyyamlSafeLoad(text);
  if (!loaded.ok) {
    crash(`not valid YAML: ${loaded.error}`);
    return { entries: [], diagnostics };
  }
  if (!isMapping(loaded.value)) {
    crash(loaded.value === null
      ? 'the file is empty (ComfyUI expects a mapping of sections)'
      : `expected a mapping of sections at the top level, found a ${pyTypeName(loaded.value)}`);
    return { entries: [], diagnostics };
  }
  const yamlDir = posix.dirname(pyNormpath(opts.yamlPath));
  const entries: ExtraPathEntry[] = [];
  for (const [section, conf] of Object.entries(loaded.value)) {
    if (conf === null) continue;
    if (!isMapping(conf)) {
      crash(`section "${section}": expected a mapping of folder: path, found a ${pyTypeName(conf)}`);
      continue;
    }
    const { base_path: rawBase, is_default: rawDefault, ...folders } = conf;
    let basePath: string | null = null;
    if ('base_path' in conf) {
      if (typeof rawBase !== 'string') {
        crash(`section "${section}": base_path must be a string, found a ${pyTypeName(rawBase)}`);
        continue;
      }
      basePath = pyAbspath(pyExpandvars(pyExpanduser(rawBase, opts.home), opts.env), yamlDir);
    }
    const isDefault = pyTruthy(rawDefault);
    for (const [key, value] of Object.entries(folders)) {
      if (typeof value !== 'string') {
        crash(`section "${section}", key "${key}": expected a path (or several, one per line), found a ${pyTypeName(value)}`);
        continue;
      }
      // Lines are deliberately not trimmed, and only base_path is expanded: that is ComfyUI.
      for (const line of value.split('\n')) {
        if (line.length === 0) continue;
        const full = basePath !== null ? pyJoin(basePath, line) : pyAbspath(line, yamlDir);
        entries.push({ section, folder: aliasOf(key), dir: pyNormpath(full), isDefault });
      }
    }
  }
  return { entries, diagnostics };
}

/**
 * `folder_paths.add_model_folder_path` over a list of entries: a new folder starts its list, a
 * known directory is ignored (or moved first when is_default), a default one goes first, the
 * rest are appended. Lists are in ComfyUI's search order; the first is its default target.
 */
export function registerFolderPaths(entries: readonly ExtraPathEntry[], registry = new Map<string, string[]>()): Map<string, string[]> {
  for (const { folder, dir, isDefault } of entries) {
    const paths = registry.get(folder);
    if (!paths) {
      registry.set(folder, [dir]);
      continue;
    }
    const at = paths.indexOf(dir);
    if (at > 0 && isDefault) paths.splice(at, 1);
    if (at < 0 || (at > 0 && isDefault)) {
      if (isDefault) paths.unshift(dir);
      else paths.push(dir);
    }
  }
  return registry;
}
