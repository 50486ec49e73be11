/**
 * Lock keys of files that live outside MODELS_DIR (DESIGN §11): what custom nodes fetch for
 * themselves, placed where their pack looks first. The key names its root, so a reader sees where
 * a file goes and download.sh cannot confuse two roots:
 *
 *   <folder>/<name>                            MODELS_DIR (every model key so far; unchanged)
 *   comfyui:models/<path>                      under COMFYUI_DIR: a pack joins the path to folder_paths.models_dir
 *   comfyui:custom_nodes/<pack folder>/<path>  under COMFYUI_DIR: inside a pack's own folder (its ckpts/)
 *   hf-cache:<type>s/<repo id>@<revision>/<path>
 *                                              the Hugging Face hub cache, where hf_hub_download and
 *                                              from_pretrained look (HF_HUB_CACHE, HF_HOME…)
 *
 * A key ending in `/` is a folder: a whole repository snapshot (`comfyui:models/LLM/Florence-2-base/`,
 * `hf-cache:models/CIDAS/clipseg-rd64-refined@main/`). As a ModelRef, a rooted key splits like any
 * other at its first `/`: folder `comfyui:models`, name `sam2/x.safetensors`.
 *
 * Every rule here is a rule of download.sh too: no absolute path, no `.`/`..`/empty segment, no
 * control character, nothing named like its own working files, and inside a pack's folder only
 * below a subfolder and never code (a file there must not become part of what the pack runs).
 */

export type Root = 'models' | 'comfyui' | 'hf-cache';

export type ParsedKey =
  | { root: 'models'; folder: string; name: string }
  | { root: 'comfyui'; area: 'models'; path: string; folder: boolean }
  | { root: 'comfyui'; area: 'custom_nodes'; pack: string; path: string; folder: boolean }
  | { root: 'hf-cache'; type: HfCacheType; repo: string; revision: string; path: string; folder: boolean };

export type HfCacheType = 'model' | 'dataset' | 'space';

const ROOT_FOLDERS = ['comfyui:models', 'comfyui:custom_nodes', 'hf-cache:models', 'hf-cache:datasets', 'hf-cache:spaces'] as const;

/** True for the folder part of a rooted key (`comfyui:models`, `hf-cache:models`, …). */
export function isRootFolder(folder: string): boolean {
  return (ROOT_FOLDERS as readonly string[]).includes(folder);
}

/** True for a key (or folder) outside MODELS_DIR. */
export function isRootedKey(key: string): boolean {
  return key.startsWith('comfyui:') || key.startsWith('hf-cache:');
}

const TYPE_OF: Readonly<Record<string, HfCacheType>> = { models: 'model', datasets: 'dataset', spaces: 'space' };
const PLAIN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;
const HF_ID_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
const REVISION = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/;
/** Files that would become part of a pack's code: Python sources and bytecode, native libraries. */
const CODE = /\.(py|pyc|pyo|pyd|so|dll|dylib)$/i;
const CODE_SEGMENTS = new Set(['.git', '__pycache__']);

/** The key's root and parts, or why it is no key download.sh may install. */
export function parseKey(key: string): ParsedKey | { problem: string } {
  if (key.startsWith('comfyui:')) return parseComfyui(key.slice('comfyui:'.length));
  if (key.startsWith('hf-cache:')) return parseHfCache(key.slice('hf-cache:'.length));
  const slash = key.indexOf('/');
  if (slash <= 0) return { problem: 'not <folder>/<name>' };
  return { root: 'models', folder: key.slice(0, slash), name: key.slice(slash + 1) };
}

function parseComfyui(rest: string): ParsedKey | { problem: string } {
  const folder = rest.endsWith('/');
  const body = folder ? rest.slice(0, -1) : rest;
  if (body.startsWith('models/')) {
    const path = body.slice('models/'.length);
    const problem = keyPathProblem(path);
    return problem ? { problem } : { root: 'comfyui', area: 'models', path, folder };
  }
  if (body.startsWith('custom_nodes/')) {
    const [pack = '', ...inside] = body.slice('custom_nodes/'.length).split('/');
    if (!PLAIN.test(pack)) return { problem: `the pack folder ${JSON.stringify(pack.slice(0, 100))} is not a plain folder name` };
    // A file beside a pack's code (requirements.txt, install.py, __init__.py) would change what
    // nodes.sh installs or ComfyUI runs: only files in a folder below it.
    if (inside.length < (folder ? 1 : 2)) return { problem: 'a file in a pack folder must lie in a subfolder of it (like ckpts/)' };
    const path = inside.join('/');
    const problem = keyPathProblem(path);
    if (problem) return { problem };
    if (inside.some((segment) => CODE_SEGMENTS.has(segment)) || (!folder && CODE.test(path))) {
      return { problem: 'code (a .py, .pyc or native library, .git, __pycache__) is never installed into a pack folder' };
    }
    return { root: 'comfyui', area: 'custom_nodes', pack, path, folder };
  }
  return { problem: 'comfyui: keys lie under models/ or custom_nodes/<pack>/' };
}

function parseHfCache(rest: string): ParsedKey | { problem: string } {
  const slash = rest.indexOf('/');
  const type = TYPE_OF[rest.slice(0, slash)];
  if (slash < 0 || !type) return { problem: 'hf-cache: keys start with models/, datasets/ or spaces/' };
  const at = rest.indexOf('@', slash);
  if (at < 0) return { problem: 'hf-cache: keys name the revision: <type>s/<repo>@<revision>/<path>' };
  const repo = rest.slice(slash + 1, at);
  const after = rest.slice(at + 1);
  const cut = after.indexOf('/');
  if (cut < 0) return { problem: 'hf-cache: keys end with /<path>, or / for a whole snapshot' };
  const revision = after.slice(0, cut);
  const path = after.slice(cut + 1);
  const segments = repo.split('/');
  if (segments.length > 2 || !segments.every((s) => HF_ID_SEGMENT.test(s) && !s.includes('..') && !s.includes('--'))) {
    return { problem: `${JSON.stringify(repo.slice(0, 200))} is not a Hugging Face repository id` };
  }
  if (!REVISION.test(revision) || revision.includes('..')) return { problem: `the revision ${JSON.stringify(revision.slice(0, 100))} is not a branch, tag or commit name` };
  if (path === '') return { root: 'hf-cache', type, repo, revision, path: '', folder: true };
  const folder = path.endsWith('/');
  const body = folder ? path.slice(0, -1) : path;
  const problem = keyPathProblem(body);
  return problem ? { problem } : { root: 'hf-cache', type, repo, revision, path: body, folder };
}

/**
 * Why a relative path cannot be installed (null when it can): the rules every model name and
 * every path below a root obey (demand.ts `unsafeName` adds that a name is no URL), which
 * download.sh's `safe_rel` enforces again on the box.
 */
export function pathProblem(path: string): string | null {
  if (path.length === 0) return 'empty name';
  // A control character (newline, tab, escape…) in a file name is never legitimate and would make
  // every script and log that prints it ambiguous.
  if (/[\x00-\x1f\x7f]/.test(path)) return 'control character in name';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'absolute path';
  if (path.length > 1024) return 'name longer than 1024 characters';
  const segments = path.split('/');
  if (segments.some((seg) => seg === '..' || seg === '.' || seg === '')) return "'..', '.' or empty path segment";
  // download.sh's own rules (safe_rel): refused here, not on the GPU box.
  if (/\.part(\.lock|\.map)?$/.test(path)) return 'name ends in .part, .part.lock or .part.map (download.sh keeps partial downloads under those names)';
  if (segments.some((seg) => seg.startsWith('.comfygen-download.'))) return "a path segment starts with .comfygen-download. (download.sh's own working folders)";
  if (segments.some((seg) => Buffer.byteLength(seg) > 255)) return 'a path segment is longer than 255 bytes';
  if (Buffer.byteLength(segments.at(-1)!) > 245) return 'the file name is longer than 245 bytes (download.sh needs room for .part.lock)';
  return null;
}

/** pathProblem, and no backslash: a key's path is what the pack joins, with `/` only. */
function keyPathProblem(path: string): string | null {
  return pathProblem(path) ?? (path.includes('\\') ? 'a backslash in the path' : null);
}

/** Why a rooted key cannot be installed, or null. */
export function rootedKeyProblem(key: string): string | null {
  const parsed = parseKey(key);
  return 'problem' in parsed ? parsed.problem : null;
}

/** The key of one file of a snapshot (a folder key ending in `/`). */
export function snapshotFileKey(folderKey: string, path: string): string {
  return folderKey + path;
}

/** The hf-cache key of a file (or, with path '', the folder of a whole snapshot). */
export function hfCacheKey(type: HfCacheType, repo: string, revision: string, path: string): string {
  return `hf-cache:${type}s/${repo}@${revision}/${path}`;
}

/** huggingface_hub's folder for a repository in the cache: `models--owner--name` (repo_folder_name). */
export function hfCacheFolder(type: HfCacheType, repo: string): string {
  return [`${type}s`, ...repo.split('/')].join('--');
}

/** `owner/name` or `datasets/owner/name` (as written in the fetch table) → type and id. */
export function hfRepoOf(spec: string): { type: HfCacheType; repo: string } {
  const first = spec.slice(0, spec.indexOf('/'));
  const type = first === 'datasets' ? 'dataset' : first === 'spaces' ? 'space' : 'model';
  return { type, repo: type === 'model' ? spec : spec.slice(first.length + 1) };
}

/** RFC 3986 unreserved characters stay, every other byte is percent-encoded (as huggingface_hub's `quote`). */
function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The public download URL of a file at a revision: `https://huggingface.co/[datasets/]<repo>/resolve/<rev>/<path>`. */
export function hfResolveUrl(type: HfCacheType, repo: string, revision: string, path: string): string {
  const prefix = type === 'model' ? '' : `${type}s/`;
  return `https://huggingface.co/${prefix}${repo}/resolve/${encodeSegment(revision)}/${path.split('/').map(encodeSegment).join('/')}`;
}
