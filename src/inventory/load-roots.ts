/**
 * Turn `models.roots` and `models.extraModelPaths` into ModelRoots: which directory feeds which
 * canonical folder. Reads directory listings and yaml files only; walking happens in walk.ts.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import type { Diagnostic } from '../core/types.js';
import { NOT_MODEL_FOLDERS, PACK_FOLDERS, dirsOf, folderForDir } from '../core/folders.js';
import { byString } from '../core/stable-json.js';
import { pyAbspath, pyExpanduser, pyExpandvars, pyJoin } from './py-path.js';
import type { ModelRoot } from './types.js';

export interface LoadRootsOptions {
  roots: string[];
  extraModelPaths: string[];
  configDir: string;
  env?: NodeJS.ProcessEnv;
  home?: string;
}

interface Ctx {
  configDir: string;
  env: NodeJS.ProcessEnv;
  home: string;
  diagnostics: Diagnostic[];
}

/** `~` and `$VAR` expanded like ComfyUI does, relative to the config directory. */
function expandConfigured(configured: string, key: string, ctx: Ctx): string {
  const missing = new Set<string>();
  const expanded = pyExpandvars(pyExpanduser(configured, ctx.home), ctx.env, missing);
  for (const name of [...missing].sort(byString)) {
    ctx.diagnostics.push({ code: 'undefined-variable', severity: 'warning', message: `${key} "${configured}": $${name} is not set, so it stays as written` });
  }
  return pyAbspath(expanded, ctx.configDir);
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? 'EIO';
}

/** Position of a directory name in ComfyUI's order for its folder (unknown names last). */
function dirRank(folder: string, name: string): number {
  const at = dirsOf(folder)?.indexOf(name) ?? -1;
  return at < 0 ? Number.MAX_SAFE_INTEGER : at;
}

async function loadPlainRoot(configured: string, key: string, ctx: Ctx): Promise<ModelRoot> {
  const path = expandConfigured(configured, key, ctx);
  const root: ModelRoot = { label: configured, kind: 'root', path, folders: {} };
  let entries;
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch (error) {
    const code = errorCode(error);
    const what = code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? 'is not a directory' : `cannot be read (${code})`;
    ctx.diagnostics.push({ code: code === 'ENOENT' ? 'missing-model-root' : 'unreadable-model-root', severity: 'warning', message: `${key} "${configured}" (${path}) ${what}; no local models from it` });
    return root;
  }
  const dirs: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const isDir = entry.isDirectory() || (entry.isSymbolicLink() && (await stat(pyJoin(path, entry.name)).then((s) => s.isDirectory(), () => false)));
    if (isDir) dirs.push(entry.name);
  }
  const byFolder = new Map<string, string[]>();
  for (const name of dirs.sort(byString)) {
    const folder = folderForDir(name);
    if (NOT_MODEL_FOLDERS.has(folder)) continue;
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), name]);
  }
  for (const folder of [...byFolder.keys()].sort(byString)) {
    const names = byFolder.get(folder)!.sort((a, b) => dirRank(folder, a) - dirRank(folder, b) || byString(a, b));
    root.folders[folder] = names.map((name) => pyJoin(path, name));
  }
  await addNestedPackFolders(root, path, new Set(dirs));
  const known = Object.keys(root.folders).some((folder) => dirsOf(folder) !== undefined);
  if (!known && dirs.includes('models')) {
    ctx.diagnostics.push({
      code: 'root-is-comfyui-dir', severity: 'warning',
      message: `${key} "${configured}" holds a models/ folder but no model folders itself`,
      hint: `roots are ComfyUI models trees: use "${configured.replace(/\/+$/, '')}/models"`,
    });
  }
  return root;
}

/**
 * Pack folders one level down (`CogVideo/loras`, `ultralytics/bbox`): the pack registers them
 * by path, so they are looked up by path, in the pack's order, when their parent exists.
 */
async function addNestedPackFolders(root: ModelRoot, path: string, topDirs: ReadonlySet<string>): Promise<void> {
  for (const key of Object.keys(PACK_FOLDERS).sort(byString)) {
    const nested = PACK_FOLDERS[key]!.dirs.filter((dir) => dir.includes('/') && topDirs.has(dir.slice(0, dir.indexOf('/'))));
    for (const dir of nested) {
      const full = pyJoin(path, dir);
      if (!(await stat(full).then((s) => s.isDirectory(), () => false))) continue;
      const list = root.folders[key] ?? (root.folders[key] = []);
      if (!list.includes(full)) list.push(full);
    }
  }
}

async function loadYamlRoot(configured: string, key: string, ctx: Ctx): Promise<ModelRoot> {
  const path = expandConfigured(configured, key, ctx);
  const root: ModelRoot = { label: configured, kind: 'extra-model-paths', path, folders: {} };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await readFile(path));
  } catch (error) {
    const code = errorCode(error);
    ctx.diagnostics.push(code === 'ENOENT'
      ? { code: 'missing-extra-model-paths', severity: 'warning', message: `${key} "${configured}" (${path}) does not exist; no local models from it` }
      : { code: 'unreadable-extra-model-paths', severity: 'error', file: configured, message: code === 'ERR_ENCODING_INVALID_ENCODED_DATA' ? 'not valid UTF-8 (ComfyUI reads it as UTF-8 and stops at startup)' : `cannot be read (${code})` });
    return root;
  }
  // Loaded here: the YAML parser costs every build ~25 ms of start-up, and most use no such file.
  const { parseExtraModelPaths, registerFolderPaths } = await import('./read-extra-model-paths.js');
  const parsed = parseExtraModelPaths(text, { yamlPath: path, file: configured, env: ctx.env, home: ctx.home });
  ctx.diagnostics.push(...parsed.diagnostics);
  const registry = registerFolderPaths(parsed.entries);
  for (const folder of [...registry.keys()].sort(byString)) {
    if (!NOT_MODEL_FOLDERS.has(folder)) root.folders[folder] = registry.get(folder)!;
  }
  return root;
}

/**
 * Roots in configured order: `models.roots` first, then one root per extra_model_paths.yaml
 * (its folders registered exactly as ComfyUI would, is_default and de-duplication included).
 */
export async function loadRoots(opts: LoadRootsOptions): Promise<{ roots: ModelRoot[]; diagnostics: Diagnostic[] }> {
  const env = opts.env ?? process.env;
  const home = opts.home ?? env.HOME ?? homedir();
  // One context per root, so diagnostics come out in configured order however IO interleaves.
  const load = (fn: typeof loadPlainRoot, configured: string, key: string) => {
    const ctx: Ctx = { configDir: opts.configDir, env, home, diagnostics: [] };
    return fn(configured, key, ctx).then((root) => ({ root, diagnostics: ctx.diagnostics }));
  };
  const loaded = await Promise.all([
    ...opts.roots.map((r, i) => load(loadPlainRoot, r, `models.roots[${i}]`)),
    ...opts.extraModelPaths.map((y, i) => load(loadYamlRoot, y, `models.extraModelPaths[${i}]`)),
  ]);
  return { roots: loaded.map((l) => l.root), diagnostics: loaded.flatMap((l) => l.diagnostics) };
}
