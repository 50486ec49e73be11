/**
 * A small fixture project for CLI tests: one UI workflow needing a pinned checkpoint (url source
 * with sha256 on a loopback server), a model no source knows, and a bypassed LoRA that exists
 * only in the local model root.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type FileServer, startFileServer } from '../helpers/file-server.js';
import { tempDir } from '../helpers/tmp.js';

export const BASE = Buffer.from('base checkpoint bytes '.repeat(100));
export const MINE = Buffer.from('my own lora '.repeat(50));
export const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

export interface Project { dir: string; server: FileServer; cleanup: () => Promise<void> }

export function uiWorkflow(loaders: { type: string; value: string; mode?: number }[]) {
  return {
    last_node_id: loaders.length, last_link_id: 0, links: [], groups: [], config: {}, extra: {}, version: 0.4,
    nodes: loaders.map((l, i) => ({ id: i + 1, type: l.type, mode: l.mode ?? 0, inputs: [], outputs: [],
      widgets_values: l.type === 'LoraLoader' ? [l.value, 1, 1] : [l.value], properties: {} })),
  };
}

export async function makeProject(): Promise<Project> {
  const { dir, cleanup } = await tempDir('comfygen-cli-');
  const server = await startFileServer();
  server.file('/files/base.safetensors', BASE);
  await mkdir(join(dir, 'workflows'), { recursive: true });
  await mkdir(join(dir, 'models', 'loras', 'sub'), { recursive: true });
  await mkdir(join(dir, 'models', 'checkpoints'), { recursive: true });
  await writeFile(join(dir, 'models', 'loras', 'sub', 'mine.safetensors'), MINE);
  await writeFile(join(dir, 'workflows', 'a.json'), JSON.stringify(uiWorkflow([
    { type: 'CheckpointLoaderSimple', value: 'base.safetensors' },
    { type: 'LoraLoader', value: 'mystery.safetensors' },
    { type: 'LoraLoader', value: 'mine.safetensors', mode: 4 },
  ])));
  await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({
    workflows: ['workflows/**/*.json'],
    models: { roots: ['models'], target: 'models' },
    sources: [{ type: 'url', files: { 'checkpoints/base.safetensors': { url: `${server.url}/files/base.safetensors`, sha256: sha(BASE) } } }],
  }, null, 2));
  return { dir, server, cleanup: async () => { await server.close(); await cleanup(); } };
}
