/**
 * Defaults and path handling for a validated config (DESIGN §2). Pure: the config directory
 * is an input, so the same config normalises the same way on every machine.
 */
import { isAbsolute, join, relative, resolve } from 'node:path';
import { canonicalRepo } from '../nodes/ids.js';
import type { SourceConfig } from '../sources/types.js';
import type { UserConfig } from './schema.js';

export interface Config {
  /** Absolute path of the config file and its directory (every relative path is based here). */
  configPath: string;
  configDir: string;
  workflows: string[];
  models: {
    /** As configured (`~`, `$VAR` kept): expanded by the inventory, re-emitted as-is in outputs. */
    roots: string[];
    extraModelPaths: string[];
    /** Where download.sh installs (MODELS_DIR overrides at run time). */
    target: string;
  };
  sources: SourceConfig[];
  /** Output directory relative to configDir, `/` separators. */
  outputDir: string;
  lockPath: string;
  cacheDir: string;
  /**
   * `install`: pin ComfyUI itself (lock `comfyui`) and render install.sh; on by default when a
   * `repo` or `ref` is configured. `repo` is canonical; `ref` null = derive from the workflows.
   */
  comfyui: { dir: string; install: boolean; repo: string; ref: string | null };
  /** `plan`: read every pinned tree's requirements into requirements.txt; `resolve`: pin them with pip. */
  python: { plan: boolean; resolve: boolean };
  nodes: { install: boolean; pins: NonNullable<NonNullable<UserConfig['nodes']>['pins']> };
}

/** Where ComfyUI comes from unless `comfyui.repo` says otherwise. */
export const DEFAULT_COMFYUI_REPO = 'https://github.com/comfyanonymous/ComfyUI';

export const DEFAULT_SOURCES: readonly SourceConfig[] = [
  { type: 'embedded' },
  { type: 'huggingface', repos: [] },
  { type: 'civitai' },
];

export function normalizeConfig(user: UserConfig, configPath: string): Config {
  const configDir = resolve(configPath, '..');
  const sources: SourceConfig[] = (user.sources ?? DEFAULT_SOURCES).map((s): SourceConfig => {
    switch (s.type) {
      case 'catalog':
        return { type: 'catalog', path: resolve(configDir, s.path) };
      case 'huggingface':
        return { type: 'huggingface', repos: [...(s.repos ?? [])] };
      case 'url':
        return { type: 'url', files: { ...s.files } };
      default:
        return { type: s.type };
    }
  });
  const comfyui = {
    dir: user.comfyui?.dir ?? 'ComfyUI',
    install: user.comfyui?.install ?? (user.comfyui?.repo !== undefined || user.comfyui?.ref !== undefined),
    repo: canonicalRepo(user.comfyui?.repo ?? DEFAULT_COMFYUI_REPO) ?? DEFAULT_COMFYUI_REPO,
    ref: user.comfyui?.ref ?? null,
  };
  const outDir = user.output?.dir ?? 'generated';
  const outputDir = (isAbsolute(outDir) ? relative(configDir, outDir) : join(outDir)).split('\\').join('/') || '.';
  return {
    configPath,
    configDir,
    workflows: [...user.workflows],
    models: {
      roots: [...(user.models?.roots ?? [])],
      extraModelPaths: [...(user.models?.extraModelPaths ?? [])],
      // By default the models/ folder of the ComfyUI that nodes.sh installs packs into.
      target: user.models?.target ?? `${(user.comfyui?.dir ?? 'ComfyUI').replace(/\/+$/, '')}/models`,
    },
    sources,
    outputDir,
    lockPath: join(configDir, 'comfy.lock.json'),
    cacheDir: join(configDir, '.comfygen'),
    comfyui,
    python: { plan: user.python?.plan ?? comfyui.install, resolve: user.python?.resolve ?? true },
    nodes: { install: user.nodes?.install ?? true, pins: { ...(user.nodes?.pins ?? {}) } },
  };
}
