/**
 * What a user waits for on a small project: `comfygen build --offline` of 30 workflows, as a
 * whole process through the CLI, against `node -e 0` (starting Node and nothing else) and
 * against the same project with a JSON config, each run of one beside a run of the others
 * (A B C D A B C D …) so that a machine whose speed drifts moves all of them alike.
 *
 * - cold: no `.comfygen/`, no lock, no outputs (removed before each run, outside the clock);
 *   for comfy.config.ts that includes transpiling it;
 * - warm: the same build again, nothing changed (the transpiled config comes from the cache and
 *   the build is replayed).
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { generateModels } from './gen/models.js';
import { createRng } from './gen/random.js';
import { renderApi, renderUi, workflowNodes, type RefPool } from './gen/workflow.js';
import { measure, median } from './measure.js';

export interface StartupFigures {
  workflows: number;
  runs: number;
  /** Medians, seconds. */
  nodeSeconds: number;
  coldTsSeconds: number;
  coldJsonSeconds: number;
  warmTsSeconds: number;
  /** Medians of the per-round ratios (each round's runs side by side). */
  coldTsVsNode: number;
  coldTsVsJson: number;
  warmTsVsNode: number;
}

const WORKFLOWS = 30;
/** Bump when the projects below change. */
const VERSION = 1;

/** Two copies of one project, differing only in the config file's language. */
async function ensureProjects(dir: string): Promise<{ ts: string; json: string }> {
  const stamp = join(dir, `.generated-${VERSION}`);
  const projects = { ts: join(dir, 'ts'), json: join(dir, 'json') };
  if (existsSync(stamp)) return projects;
  await rm(dir, { recursive: true, force: true });
  const json = { workflows: ['workflows/**/*.json'], models: { roots: ['models'], target: '/workspace/ComfyUI/models' }, output: { dir: 'generated' } };
  // The same config as `comfygen init` would write it: defineConfig from comfygen, some types.
  const ts = `import { defineConfig } from 'comfygen';

const roots: string[] = ['models'];

export default defineConfig({
  workflows: ['workflows/**/*.json'],
  models: { roots, target: '/workspace/ComfyUI/models' },
  output: { dir: 'generated' },
});
`;
  for (const [kind, root] of Object.entries(projects)) {
    const rng = createRng(30);
    const models = generateModels(rng, 300);
    const files: [string, string][] = models.map((m) => [join(root, 'models', m.dir, m.name), `${m.folder}/${m.name}\n`]);
    const pool: RefPool = new Map();
    for (let i = 0; i < models.length; i += 3) pool.set(models[i]!.folder, [...(pool.get(models[i]!.folder) ?? []), models[i]!.name]);
    for (let i = 0; i < WORKFLOWS; i++) {
      const api = i % 4 === 3;
      const nodes = workflowNodes(rng, pool);
      files.push([join(root, 'workflows', `wf_${String(i).padStart(2, '0')}${api ? '_api' : ''}.json`), api ? renderApi(rng, nodes) : renderUi(rng, nodes)]);
    }
    files.push(kind === 'ts' ? [join(root, 'comfy.config.ts'), ts] : [join(root, 'comfy.config.json'), `${JSON.stringify(json, null, 2)}\n`]);
    for (const [path, text] of files) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, text);
    }
  }
  await writeFile(stamp, '');
  return projects;
}

const clean = async (project: string) => {
  for (const p of ['.comfygen', 'comfy.lock.json', 'generated']) await rm(join(project, p), { recursive: true, force: true });
};

/** `cli` runs the CLI as `node <cli> <dist> <args…>` (bench/child-cli.mjs). */
export async function startupBench(cli: string, distDir: string, dir: string, runs: number): Promise<StartupFigures> {
  const { ts, json } = await ensureProjects(dir);
  const build = (cwd: string) => measure(process.execPath, [cli, distDir, 'build', '--offline', '--quiet'], { cwd });
  const node = () => measure(process.execPath, ['-e', '0']);
  const seconds = { node: [] as number[], coldTs: [] as number[], coldJson: [] as number[], warmTs: [] as number[] };
  const ratios = { coldTsVsNode: [] as number[], coldTsVsJson: [] as number[], warmTsVsNode: [] as number[] };
  // One unmeasured round loads everything into the page cache.
  for (let round = -1; round < runs; round++) {
    const n = (await node()).seconds;
    await clean(ts);
    const coldTs = (await build(ts)).seconds;
    await clean(json);
    const coldJson = (await build(json)).seconds;
    const warmTs = (await build(ts)).seconds;
    if (round < 0) continue;
    seconds.node.push(n);
    seconds.coldTs.push(coldTs);
    seconds.coldJson.push(coldJson);
    seconds.warmTs.push(warmTs);
    ratios.coldTsVsNode.push(coldTs / n);
    ratios.coldTsVsJson.push(coldTs / coldJson);
    ratios.warmTsVsNode.push(warmTs / n);
  }
  return {
    workflows: WORKFLOWS,
    runs,
    nodeSeconds: median(seconds.node),
    coldTsSeconds: median(seconds.coldTs),
    coldJsonSeconds: median(seconds.coldJson),
    warmTsSeconds: median(seconds.warmTs),
    coldTsVsNode: median(ratios.coldTsVsNode),
    coldTsVsJson: median(ratios.coldTsVsJson),
    warmTsVsNode: median(ratios.warmTsVsNode),
  };
}
