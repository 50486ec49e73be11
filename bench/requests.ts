/**
 * Requests an online build makes against the fake Hugging Face and Civitai (test/helpers):
 * cold (no cache, no lock), warm (lock present) and cache-only (lock deleted, .comfygen kept).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeCivitai } from '../test/helpers/fake-civitai.js';
import { startFakeHf } from '../test/helpers/fake-hf.js';
import { measure } from './measure.js';

export interface RequestFigures { cold: number; warm: number; cacheOnly: number; models: number }

const HF_FILES = 20;
const CIVITAI_FILES = 20;
const UNKNOWN = 5;

export async function requestBench(dist: string, dir: string): Promise<RequestFigures> {
  await rm(dir, { recursive: true, force: true });
  const hfFiles = Object.fromEntries(Array.from({ length: HF_FILES }, (_, i) => [`vae/hf_vae_${i}.safetensors`, `hf model ${i}`]));
  const hf = await startFakeHf({ repos: [{ id: 'bench-org/models', files: hfFiles }] });
  const civitai = await startFakeCivitai({ versions: Array.from({ length: CIVITAI_FILES }, (_, i) => ({
    id: 1000 + i, modelId: 500 + i, modelName: `Bench Lora ${i}`, modelType: 'LORA',
    files: [{ id: 9000 + i, name: `civ_lora_${i}.safetensors`, content: `civitai lora ${i}` }],
  })) });
  try {
    const nodes: unknown[] = [];
    for (const path of Object.keys(hfFiles)) {
      const name = path.split('/').pop()!;
      nodes.push({ id: nodes.length + 1, type: 'VAELoader', mode: 0, inputs: [], outputs: [], widgets_values: [name],
        properties: { models: [{ name, url: `https://huggingface.co/bench-org/models/resolve/main/${path}`, directory: 'vae' }] } });
    }
    for (let i = 0; i < CIVITAI_FILES; i++) {
      nodes.push({ id: nodes.length + 1, type: 'LoraLoader', mode: 0, inputs: [], outputs: [], properties: {}, widgets_values: [`civ_lora_${i}.safetensors`, 1, 1] });
      await mkdir(join(dir, 'models/loras'), { recursive: true });
      await writeFile(join(dir, 'models/loras', `civ_lora_${i}.safetensors`), `civitai lora ${i}`);
    }
    for (let i = 0; i < UNKNOWN; i++) nodes.push({ id: nodes.length + 1, type: 'LoraLoader', mode: 0, inputs: [], outputs: [], properties: {}, widgets_values: [`nobody_knows_${i}.safetensors`, 1, 1] });
    await mkdir(join(dir, 'workflows'), { recursive: true });
    await writeFile(join(dir, 'workflows/w.json'), JSON.stringify({ last_node_id: nodes.length, last_link_id: 0, nodes, links: [], version: 0.4 }));
    const configFile = join(dir, 'comfy.config.json');
    await writeFile(configFile, JSON.stringify({ workflows: ['workflows/*.json'], models: { roots: ['models'] },
      sources: [{ type: 'embedded' }, { type: 'huggingface', repos: ['bench-org/models'] }, { type: 'civitai' }] }));
    const env = { ...process.env, HF_ENDPOINT: hf.url, CIVITAI_ENDPOINT: civitai.url, HF_TOKEN: '', CIVITAI_TOKEN: '', CIVITAI_API_TOKEN: '' };
    const count = () => hf.requests.length + civitai.requests.length;
    const build = () => measure(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 'child-build.mjs'), dist, configFile, '--online'], { env });
    await build();
    const cold = count();
    await build();
    const warm = count() - cold;
    await rm(join(dir, 'comfy.lock.json'));
    await build();
    const cacheOnly = count() - cold - warm;
    return { cold, warm, cacheOnly, models: HF_FILES + CIVITAI_FILES + UNKNOWN };
  } finally {
    await hf.close();
    await civitai.close();
  }
}

