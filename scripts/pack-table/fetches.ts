/**
 * data/packs/fetches.json (hand-read: what self-downloading nodes fetch, and where their pack
 * looks first) → the scanner's src/scan/fetch-nodes.json, checked against the derived packs:
 * the node type is the pack's, the inputs it reads exist (their widget positions come from the
 * pack's INPUT_TYPES unless the row gives one), every placeholder names such an input, and every
 * `to` is a key download.sh may install. Pure.
 */
import { parseKey } from '../../src/core/roots.js';
import type { FetchItem } from '../../src/scan/tables.js';
import type { DerivedPack, ManifestPack } from './types.js';
import { widgetIndexes } from './widgets.js';

/** The shape the scanner reads (src/scan/tables.ts), so the table and its reader cannot drift. */
export type { FetchItem };

export type When = Record<string, string | string[] | { not: string[] }>;

export interface FetchInput {
  widget_index?: number;
  default?: string;
}

export interface HandFetchNode {
  pack: string;
  at: string;
  why: string;
  inputs?: Record<string, FetchInput>;
  fetch?: FetchItem[];
  cases?: { when: When; fetch: FetchItem[] }[];
}

export interface FetchRow {
  pack: string;
  inputs: Record<string, FetchInput>;
  fetch: FetchItem[];
  cases: { when: When; fetch: FetchItem[] }[];
}

export interface FetchTable {
  nodes: Record<string, FetchRow>;
  /** Pack folder names under custom_nodes/ (the repository's) → the folders nodes.sh or ComfyUI-Manager may give it, in that order. */
  packDirs: Record<string, string[]>;
  problems: string[];
}

const PLACEHOLDER = /\{([^{}|]+)(?:\|([a-z]+))?\}/g;

export function buildFetchTable(
  hand: Record<string, HandFetchNode>,
  manifest: readonly ManifestPack[],
  derived: ReadonlyMap<string, DerivedPack>,
  owner: ReadonlyMap<string, string>,
): FetchTable {
  const out: FetchTable = { nodes: {}, packDirs: {}, problems: [] };
  for (const [type, row] of Object.entries(hand)) {
    const where = `${type} (${row.pack})`;
    const pack = manifest.find((m) => m.repo === row.pack);
    if (!pack) {
      out.problems.push(`${where}: the pack is not in packs.json`);
      continue;
    }
    if (owner.get(type) !== row.pack) out.problems.push(`${where}: the loader table gives this node type to ${owner.get(type) ?? 'no pack'}`);
    const node = derived.get(row.pack)?.nodes.find((n) => n.type === type);
    const positions = node ? widgetIndexes(node.inputs) : new Map<string, number | null>();
    const known = new Set(node?.inputs.map((i) => i.name) ?? []);
    const items = [...(row.fetch ?? []), ...(row.cases ?? []).flatMap((c) => c.fetch)];
    const used = new Set<string>([...Object.keys(row.inputs ?? {}), ...(row.cases ?? []).flatMap((c) => Object.keys(c.when))]);
    for (const item of items) for (const text of [item.hf, item.file, item.url, item.to, ...(item.mirrors ?? [])]) {
      for (const m of (text ?? '').matchAll(PLACEHOLDER)) used.add(m[1]!);
    }
    const inputs: Record<string, FetchInput> = {};
    for (const name of [...used].sort()) {
      if (!known.has(name)) out.problems.push(`${where}: no input ${name} in the pack's INPUT_TYPES`);
      const given = row.inputs?.[name] ?? {};
      const index = given.widget_index ?? positions.get(name) ?? undefined;
      inputs[name] = { ...(index !== undefined && index !== null ? { widget_index: index } : {}), ...(given.default !== undefined ? { default: given.default } : {}) };
    }
    for (const item of items) {
      const problem = itemProblem(item, row.pack);
      if (problem) out.problems.push(`${where}: ${problem}`);
      const parsed = parseKey(item.to.replace(PLACEHOLDER, 'x'));
      if (!('problem' in parsed) && parsed.root === 'comfyui' && parsed.area === 'custom_nodes') {
        out.packDirs[parsed.pack] = [...new Set([parsed.pack, ...pack.registry_ids])];
      }
    }
    out.nodes[type] = { pack: row.pack, inputs, fetch: row.fetch ?? [], cases: row.cases ?? [] };
  }
  out.nodes = Object.fromEntries(Object.entries(out.nodes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  out.packDirs = Object.fromEntries(Object.entries(out.packDirs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return out;
}

function itemProblem(item: FetchItem, pack: string): string | null {
  const kinds = [item.hf !== undefined, item.url !== undefined].filter(Boolean).length;
  if (kinds !== 1) return `an item names neither or both of hf and url (${JSON.stringify(item)})`;
  if (item.hf !== undefined && !item.snapshot && item.file === undefined) return `hf item without file or snapshot (${item.to})`;
  if (item.snapshot && item.url !== undefined) return 'a url item cannot be a snapshot';
  if (item.to === 'hf-cache') return item.hf === undefined ? 'only hf items go to the hf-cache' : null;
  const parsed = parseKey(item.to.replace(PLACEHOLDER, 'x'));
  if ('problem' in parsed) return `to ${item.to}: ${parsed.problem}`;
  if (parsed.root === 'hf-cache') return `to ${item.to}: write hf-cache, the key is made from hf, revision and file`;
  const folder = parsed.root !== 'models' && parsed.folder;
  if (Boolean(item.snapshot) !== Boolean(folder)) return `to ${item.to}: a snapshot goes to a folder (ending in /), a file to a file`;
  if (parsed.root === 'comfyui' && parsed.area === 'custom_nodes' && parsed.pack !== pack.split('/')[1]) {
    return `to ${item.to}: the folder under custom_nodes is the repository's name, ${pack.split('/')[1]}`;
  }
  return null;
}
