/** Reading data/packs/ (manifest, derived packs, hand rows, ComfyUI-Manager's types). */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { HandFetchNode } from './fetches.js';
import type { DerivedPack, HandData, ManifestPack } from './types.js';

export interface Manifest {
  _about: string;
  ranking_source: string;
  packs: ManifestPack[];
}

export interface PackData {
  manifest: Manifest;
  derived: Map<string, DerivedPack>;
  hand: HandData;
  managerTypes: Record<string, string[]>;
  /** What self-downloading nodes fetch (fetches.json, hand-read). */
  fetches: Record<string, HandFetchNode>;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

export const derivedPath = (root: string, repo: string) => join(root, 'data/packs/derived', `${repo.replace('/', '+')}.json`);

/** Everything the table is built from; refuses derived files that do not match the manifest. */
export function readPackData(root: string): PackData {
  const dataDir = join(root, 'data/packs');
  const manifest = readJson<Manifest>(join(dataDir, 'packs.json'));
  const derived = new Map<string, DerivedPack>();
  for (const pack of manifest.packs) {
    const path = derivedPath(root, pack.repo);
    if (!existsSync(path)) continue;
    const d = readJson<DerivedPack>(path);
    if (d.commit !== pack.commit) throw new Error(`${path} was derived at ${d.commit}, the manifest says ${pack.commit}: run derive again`);
    derived.set(pack.repo, d);
  }
  const known = new Set(manifest.packs.map((p) => `${p.repo.replace('/', '+')}.json`));
  const stray = readdirSync(join(dataDir, 'derived')).filter((f) => !known.has(f));
  if (stray.length) throw new Error(`data/packs/derived has files of packs not in the manifest: ${stray.join(', ')}`);
  const hand = readJson<HandData>(join(dataDir, 'hand.json'));
  const managerTypes = readJson<{ types: Record<string, string[]> }>(join(dataDir, 'manager-types.json')).types;
  const fetches = readJson<{ nodes: Record<string, HandFetchNode> }>(join(dataDir, 'fetches.json')).nodes;
  return { manifest, derived, hand, managerTypes, fetches };
}
