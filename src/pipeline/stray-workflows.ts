/**
 * Workflows under the config's folder that no `workflows` glob matches: a WebP saved beside JSON
 * workflows while the globs name `*.json` only, a folder the globs forgot. A build scans only
 * what the globs match, so such a file's models would be missing on the GPU box without a word.
 *
 * One warning names them. Finding them is bounded, as it runs on every build: a walk of at most
 * WALK_BUDGET entries and MAX_DEPTH levels that skips what holds no workflows of the user's
 * (hidden folders, node_modules, Python environments, model trees, comfygen's own files, a
 * ComfyUI install with its outputs and packs), then at most SNIFF_BUDGET files with a workflow
 * extension read through the scanner, which decides by content as a build would.
 */
import { type Dirent, readdirSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Config } from '../config/normalize.js';
import type { Diagnostic } from '../core/types.js';
import { byString } from '../core/stable-json.js';

/** Extensions of every format the scanner reads (it decides by content; these are the usual names). */
export const WORKFLOW_EXTENSIONS = ['json', 'png', 'webp', 'flac', 'mp4', 'mov'] as const;
const EXTENSION = new RegExp(`\\.(${WORKFLOW_EXTENSIONS.join('|')})$`, 'i');

const MAX_DEPTH = 6;
const WALK_BUDGET = 20_000;
const SNIFF_BUDGET = 24;
/** Folders that never hold the user's workflows, by name (ComfyUI's own and Python's). */
const SKIP_NAMES = new Set(['node_modules', 'models', 'custom_nodes', 'output', 'input', 'temp', 'venv', 'env', 'site-packages', '__pycache__']);

export async function findStrayWorkflows(config: Config, matched: ReadonlySet<string>): Promise<Diagnostic | null> {
  const skip = [config.outputDir, '.comfygen', ...insideRoots(config)];
  const own = new Set([config.lockPath, config.configPath].map((p) => relative(config.configDir, p).split('\\').join('/')));
  const { workflows: stray, unchecked } = await findWorkflowsUnder(config.configDir, { skip, listed: (rel) => matched.has(rel) || own.has(rel) });
  if (stray.length === 0) return null;
  const named = stray.slice(0, 5).join(', ') + (stray.length > 5 ? ` and ${stray.length - 5} more` : '');
  return {
    code: 'unmatched-workflow', severity: 'warning', file: relative(config.configDir, config.configPath) || config.configPath,
    message: `${stray.length} workflow(s) under the project match no \`workflows\` glob and were not scanned: ${named}` +
      (unchecked > 0 ? ` (${unchecked} more file(s) with a workflow extension were not looked at)` : ''),
    hint: `add a glob for them to \`workflows\` in the config (every format: '**/*.{${WORKFLOW_EXTENSIONS.join(',')}}'), or move them out of the project`,
  };
}

/**
 * Workflows under `dir` (relative paths, sorted), decided by content, except those `listed`;
 * `unchecked` counts files with a workflow extension past the sniff budget. `skip` names folders
 * relative to `dir` not to enter, beside the ones no user keeps workflows in.
 */
export async function findWorkflowsUnder(dir: string, opts: { skip?: readonly string[]; listed?: (rel: string) => boolean; sniffBudget?: number } = {}): Promise<{ workflows: string[]; unchecked: number }> {
  const skip = new Set((opts.skip ?? []).map((p) => join(dir, p)));
  const candidates: string[] = [];
  let budget = WALK_BUDGET;
  const walk = (at: string, depth: number): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(at, { withFileTypes: true });
    } catch {
      return; // unreadable: no glob could have matched in there either
    }
    if (entries.some((e) => e.name === 'main.py') && entries.some((e) => e.name === 'comfy' && e.isDirectory())) return; // a ComfyUI install
    for (const e of entries.sort((a, b) => byString(a.name, b.name))) {
      if (--budget < 0) return;
      if (e.name.startsWith('.')) continue;
      const path = join(at, e.name);
      if (e.isDirectory()) {
        if (depth < MAX_DEPTH && !SKIP_NAMES.has(e.name) && !skip.has(path)) walk(path, depth + 1);
      } else if (e.isFile() && EXTENSION.test(e.name)) {
        const rel = relative(dir, path).split('\\').join('/');
        if (!opts.listed?.(rel)) candidates.push(rel);
      }
    }
  };
  walk(dir, 0);
  if (candidates.length === 0) return { workflows: [], unchecked: 0 };
  // Loaded only now: most builds find no candidate, and an unchanged build needs no scanner.
  const { scanFile } = await import('../scan/index.js');
  const checked = candidates.slice(0, opts.sniffBudget ?? SNIFF_BUDGET);
  const workflows: string[] = [];
  for (const rel of checked) {
    if ((await scanFile(join(dir, rel), rel)).graph) workflows.push(rel);
  }
  return { workflows, unchecked: candidates.length - checked.length };
}

/** Model roots written as plain paths inside the config's folder, relative to it. */
function insideRoots(config: Config): string[] {
  return config.models.roots
    .filter((root) => !root.startsWith('~') && !root.includes('$'))
    .map((root) => relative(config.configDir, resolve(config.configDir, root)))
    .filter((rel) => rel !== '' && !rel.startsWith('..') && !isAbsolute(rel));
}
