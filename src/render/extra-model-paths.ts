/**
 * extra_model_paths.yaml (DESIGN §5): one section for the install root (`is_default`), one per
 * configured root, canonical keys only, each listing the directory names ComfyUI's layout uses
 * for it. Paths are written as configured, so the file is the same on every machine.
 *
 * Configured extraModelPaths files are ComfyUI's own: they are named in a comment, not copied,
 * because their content is machine state (outputs depend only on config, workflows and lock) and
 * ComfyUI can load them directly.
 */
import { FOLDER_DIRS, canonicalFolder, dirsOf, installDirFor, modelDirsOf, packFolder, unsafeFolder } from '../core/folders.js';
import { byString } from '../core/stable-json.js';
import { pyyamlSafeLoad } from '../inventory/pyyaml.js';
import { MARKER } from './marker.js';
import { seenFromOutput } from './output-path.js';
import { shComment } from './shell.js';
import { compileTemplate } from './templates.js';

export interface ExtraModelPathsOptions {
  /** `models.target`, as configured. */
  target: string;
  /** `models.roots`, as configured. */
  roots: readonly string[];
  /** `models.extraModelPaths`, as configured. */
  extraModelPaths: readonly string[];
  /** Absolute folder the yaml is written to. */
  yamlDir: string;
  /** Absolute config folder (relative configured paths are based here). */
  configDir: string;
  /**
   * Further folder keys the lock installs into (custom-node folders). Those a pack only lists
   * from `models_dir` itself are left out: ComfyUI keeps no list for them, so a yaml entry would
   * add nothing.
   */
  folders?: readonly string[];
}

interface FolderView {
  key: string;
  block: boolean;
  value: string;
  lines: string[];
}

interface SectionView {
  name: string;
  comment: string;
  basePath: string;
  isDefault: boolean;
  folders: FolderView[];
}

let template: ((view: unknown) => string) | null = null;

/** Plain when PyYAML (ComfyUI) reads it back as this string; else double-quoted. */
export function yamlScalar(value: string): string {
  const plain = /^[A-Za-z0-9_./~$][A-Za-z0-9_./~${}+=@,() -]*$/.test(value) && !value.endsWith(' ');
  if (plain) {
    if (surelyPlain(value)) return value;
    const loaded = pyyamlSafeLoad(`k: ${value}`);
    if (loaded.ok && (loaded.value as { k?: unknown }).k === value) return value;
  }
  return JSON.stringify(value);
}

/**
 * The common values (folder names, paths) that need no YAML parser to tell they stay strings,
 * so that a build loads none (~40 ms): no implicit type of PyYAML's (null, bool, int, float,
 * timestamp, merge, value) matches a scalar with a `/`, nor a word of letters, digits and `_`
 * that starts with a letter, unless it is one of the boolean or null words. Anything else is
 * asked of the parser; a test holds this to it.
 */
export function surelyPlain(value: string): boolean {
  if (value.includes('/')) return true;
  return /^[A-Za-z][A-Za-z0-9_]*$/.test(value) && !/^(?:y|n|yes|no|true|false|on|off|null)$/i.test(value);
}

/** As configured, except relative paths, which are re-based from the config dir to the yaml's. */
function asSeenFromYaml(path: string, opts: ExtraModelPathsOptions): string {
  return seenFromOutput(path, opts.configDir, opts.yamlDir);
}

function folderKeys(extra: readonly string[] = []): string[] {
  const standard = Object.keys(FOLDER_DIRS);
  const custom = extra.map(canonicalFolder)
    .filter((f) => unsafeFolder(f) === null && dirsOf(f) === undefined && packFolder(f)?.kind !== 'listed');
  return [...standard, ...[...new Set(custom)].sort(byString)];
}

/**
 * Directory names for a folder in the order they must be written. A default section puts each
 * line first in turn (add_model_folder_path), so its lines are written in reverse to leave the
 * install directory first: that is where ComfyUI and ComfyUI-Manager then save new files.
 */
function folderView(folder: string, isDefault: boolean): FolderView {
  const known = modelDirsOf(folder);
  let dirs = known ? [...known] : [installDirFor(folder)];
  if (isDefault) {
    const first = installDirFor(folder);
    dirs = [first, ...dirs.filter((d) => d !== first)].reverse();
  }
  return { key: yamlScalar(folder), block: dirs.length > 1, value: yamlScalar(dirs[0]!), lines: dirs };
}

export function renderExtraModelPaths(opts: ExtraModelPathsOptions): string {
  template ??= compileTemplate('extra_model_paths.yaml.hbs');
  const keys = folderKeys(opts.folders);
  const section = (name: string, comment: string, path: string, isDefault: boolean): SectionView => ({
    name, comment: shComment(comment), basePath: yamlScalar(asSeenFromYaml(path, opts)), isDefault,
    folders: keys.map((k) => folderView(k, isDefault)),
  });
  const target = asSeenFromYaml(opts.target, opts);
  const roots = [...new Set(opts.roots)].filter((r) => asSeenFromYaml(r, opts) !== target);
  const sections = [
    section('comfygen_target', `models.target: where download.sh installs (first, ComfyUI's default)`, opts.target, true),
    ...roots.map((r, i) => section(`comfygen_root_${i + 1}`, `models.roots: ${r}`, r, false)),
  ];
  const imports = opts.extraModelPaths.map((p) => shComment(asSeenFromYaml(p, opts)));
  return template({ marker: MARKER, imports, sections });
}
