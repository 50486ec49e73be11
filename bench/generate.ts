/**
 * Synthetic projects for the benchmarks (bench/README.md): workflows over a local model root,
 * generated deterministically from a seed under bench/work/<size>/ and reused when present.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { sidecars, generateModels } from './gen/models.js';
import { createRng } from './gen/random.js';
import { renderApi, renderUi, workflowNodes, type RefPool } from './gen/workflow.js';

export type Size = 'S' | 'M' | 'L' | 'XL';

export const SIZES: Record<Size, { workflows: number; models: number; referenced: number }> = {
  S: { workflows: 100, models: 1_000, referenced: 300 },
  M: { workflows: 1_000, models: 10_000, referenced: 2_000 },
  L: { workflows: 10_000, models: 50_000, referenced: 4_000 },
  // L's model tree with three times the workflows: how memory grows with the collection.
  XL: { workflows: 30_000, models: 50_000, referenced: 4_000 },
};

/** Bump when the generator's output changes, so stale projects are regenerated. */
const GENERATOR_VERSION = 2;
const SEED = 20261121;
const CATEGORIES = ['portraits', 'landscapes', 'anime', 'video', 'upscale', 'controlnet', 'inpaint', 'experiments'];

export interface Project {
  dir: string;
  configFile: string;
  workflows: number;
  models: number;
}

export async function ensureProject(workRoot: string, size: Size): Promise<Project> {
  const dir = join(workRoot, size);
  const spec = SIZES[size];
  const project = { dir, configFile: join(dir, 'comfy.config.json'), workflows: spec.workflows, models: spec.models };
  const stamp = join(dir, '.generated');
  const wanted = JSON.stringify({ version: GENERATOR_VERSION, seed: SEED, ...spec });
  if (existsSync(stamp) && (await readFile(stamp, 'utf8')) === wanted) return project;
  await rm(dir, { recursive: true, force: true });
  await generate(dir, spec);
  await writeFile(stamp, wanted);
  return project;
}

async function writeMany(jobs: Array<[path: string, content: string]>): Promise<void> {
  const dirs = new Set(jobs.map(([p]) => dirname(p)));
  for (const d of dirs) await mkdir(d, { recursive: true });
  for (let i = 0; i < jobs.length; i += 256) {
    await Promise.all(jobs.slice(i, i + 256).map(([p, c]) => writeFile(p, c)));
  }
}

async function generate(dir: string, spec: (typeof SIZES)[Size]): Promise<void> {
  const rng = createRng(SEED);
  const models = generateModels(rng, spec.models);
  const files: Array<[string, string]> = [];
  for (const m of models) {
    const body = `${m.folder}/${m.name}\n`.padEnd(m.size, String.fromCharCode(97 + (m.size % 26)));
    files.push([join(dir, 'models', m.dir, m.name), body]);
    for (const side of sidecars(rng, m)) files.push([join(dir, 'models', m.dir, side), '{}\n']);
  }
  // A few thousand referenced files, plus ~8% names nobody has locally (to download).
  const pool: RefPool = new Map();
  const step = Math.max(1, Math.floor(models.length / spec.referenced));
  for (let i = 0; i < models.length; i += step) {
    const m = models[i]!;
    pool.set(m.folder, [...(pool.get(m.folder) ?? []), m.name]);
  }
  for (const [folder, names] of pool) {
    const missing = Math.ceil(names.length * 0.08);
    for (let i = 0; i < missing; i++) names.push(`missing/${folder}_${i}_v${rng.int(1, 9)}.safetensors`);
  }
  for (let i = 0; i < spec.workflows; i++) {
    const api = i % 4 === 3;
    const nodes = workflowNodes(rng, pool);
    const category = rng.pick(CATEGORIES);
    const name = `${category}/${rng.chance(0.3) ? `${rng.pick(CATEGORIES)}/` : ''}wf_${String(i).padStart(5, '0')}${api ? '_api' : ''}.json`;
    files.push([join(dir, 'workflows', name), api ? renderApi(rng, nodes) : renderUi(rng, nodes)]);
  }
  files.push([join(dir, 'comfy.config.json'), `${JSON.stringify({
    workflows: ['workflows/**/*.json'],
    models: { roots: ['models'], target: '/workspace/ComfyUI/models' },
    output: { dir: 'generated' },
  }, null, 2)}\n`]);
  await writeMany(files);
}
