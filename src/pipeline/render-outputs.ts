/** Every output of DESIGN §5 as pure data: `{path, content, mode}` for the one writer. */
import { posix } from 'node:path';
import type { Config } from '../config/normalize.js';
import type { Lockfile, RenderedFile } from '../core/types.js';
import { renderDownloadScript } from '../render/download-script.js';
import { renderExtraModelPaths } from '../render/extra-model-paths.js';
import { comfyuiWanted } from '../comfyui/pin.js';
import { renderGitignore } from '../render/gitignore.js';
import { renderNodesScript } from '../render/nodes-script.js';
import { seenFromOutput } from '../render/output-path.js';
import { type ReportFold, renderReportOf } from '../render/report.js';
import type { PackDemand, PackNote } from '../nodes/types.js';
import type { ModelDemand } from './demand.js';
import { isRootedKey } from '../core/roots.js';

/**
 * Folders of the lock's keys (`<folder>/<name>`), for the yaml to register the non-standard ones.
 * Keys outside MODELS_DIR (`comfyui:`, `hf-cache:`) are read by their packs at a fixed place, never
 * through a folder ComfyUI could be told about.
 */
function lockFolders(lock: Lockfile): string[] {
  return [...new Set(Object.keys(lock.models).filter((key) => !isRootedKey(key)).map((key) => key.slice(0, Math.max(0, key.indexOf('/')))))].filter((f) => f !== '');
}

/**
 * `workflows`: what the report says of each workflow, taken as they were scanned
 * (workflow-fold.ts); `packs`: the packs (and comfy-core versions) the workflows record.
 */
export async function renderOutputs(config: Config, workflows: ReportFold, demands: readonly ModelDemand[], lock: Lockfile, packNotes: readonly PackNote[], packs: readonly PackDemand[]): Promise<RenderedFile[]> {
  // The Python plan's parsers (pip-requirements-js, pep440) load only for a project that has one.
  const environment = config.python.plan || config.comfyui.install || lock.python !== undefined
    ? await Promise.all([import('../render/python-plan.js'), import('../render/requirements-txt.js'), import('../render/install-script.js')])
    : null;
  const out = (name: string) => posix.join(config.outputDir, name);
  const outDir = posix.join(config.configDir, config.outputDir);
  // The scripts resolve a relative default from their own folder, as ComfyUI does for the yaml.
  const target = seenFromOutput(config.models.target, config.configDir, outDir);
  const files: RenderedFile[] = [
    { path: out('download.sh'), content: renderDownloadScript(lock, { target, comfyuiDir: seenFromOutput(config.comfyui.dir, config.configDir, outDir) }), mode: 0o755 },
    {
      path: out('report.md'),
      content: renderReportOf(workflows, demands, lock, packNotes, {
        because: config.comfyui.install ? comfyuiWanted(config.comfyui, packs).because : undefined,
        python: environment?.[0].pythonReport(lock) ?? null,
      }),
      mode: 0o644,
    },
    {
      path: out('extra_model_paths.yaml'),
      content: renderExtraModelPaths({
        target: config.models.target,
        roots: config.models.roots,
        extraModelPaths: config.models.extraModelPaths,
        yamlDir: outDir,
        configDir: config.configDir,
        folders: lockFolders(lock),
      }),
      mode: 0o644,
    },
    { path: out('gitignore.fragment'), content: renderGitignore({ target: config.models.target, roots: config.models.roots }), mode: 0o644 },
  ];
  const comfyuiDir = seenFromOutput(config.comfyui.dir, config.configDir, outDir);
  if (config.nodes.install) {
    files.push({ path: out('nodes.sh'), content: renderNodesScript(lock.nodes ?? {}, { comfyuiDir }), mode: 0o755 });
  }
  if (environment && config.python.plan) {
    files.push({ path: out('requirements.txt'), content: environment[1].renderRequirements(lock.python ?? { nodes: {} }), mode: 0o644 });
  }
  if (environment && config.comfyui.install) {
    const { because } = comfyuiWanted(config.comfyui, packs);
    files.push({
      path: out('install.sh'),
      content: environment[2].renderInstallScript(lock, { comfyuiDir, because, havePlan: config.python.plan, haveNodes: config.nodes.install }),
      mode: 0o755,
    });
  }
  return files;
}
