/**
 * Derived packs + hand rows → the scanner's tables, each row with where it comes from.
 * Pure: the CLI (scripts/derive-pack-loaders.ts) reads and writes the files.
 *
 * Precedence: a hand row replaces the derived inputs it names (with its reason); a node type two
 * packs define goes to the pack listed first in the manifest (the download ranking).
 */
import loaderData from '../../src/scan/loader-nodes.json' with { type: 'json' };
import { FolderRegistry } from './folders.js';
import type {
  DerivedDownload, DerivedPack, HandData, ImpliedNode, ManifestPack, PackFolder, Provenance, TableInput, TableRow,
} from './types.js';
import { widgetIndexes } from './widgets.js';

const GLOBAL_NON_FILE = new Set<string>(loaderData.non_file_values);

export interface BuildInput {
  manifest: readonly ManifestPack[];
  /** Derived data per pack repo, for the packs of the manifest that have it. */
  derived: ReadonlyMap<string, DerivedPack>;
  hand: HandData;
  /** Node types per pack from ComfyUI-Manager's extension-node-map (pack identification only). */
  managerTypes: Readonly<Record<string, readonly string[]>>;
}

export interface Skipped {
  type: string;
  input: string;
  pack: string;
  reason: string;
}

export interface ImpliedRow {
  pack: string;
  input: string;
  widget_index?: number;
  presets: ImpliedNode['presets'];
}

export interface BuildOutput {
  rows: Record<string, TableRow>;
  implied: Record<string, ImpliedRow>;
  provenance: Record<string, Provenance & { inputs: Record<string, { source: 'derived' | 'hand'; at?: string; why?: string; via?: string }> }>;
  folders: Record<string, PackFolder>;
  /** owner/repo → node types, manifest order. */
  packTypes: Record<string, string[]>;
  /** Types whose inputs were read completely: their other values are no model files. */
  knownTypes: string[];
  /** Per pack: the calls that fetch weights at run time, each with the node types reaching it. */
  downloads: Record<string, { commit: string; calls: DerivedDownload[] }>;
  skipped: Skipped[];
  conflicts: string[];
}

export function buildTables(input: BuildInput): BuildOutput {
  const packs = input.manifest.map((m) => input.derived.get(m.repo)).filter((p): p is DerivedPack => p !== undefined);
  const registry = new FolderRegistry(packs, input.hand.folders);
  const out: BuildOutput = { rows: {}, implied: {}, provenance: {}, folders: {}, packTypes: {}, knownTypes: [], downloads: {}, skipped: [], conflicts: [] };
  const owner = new Map<string, string>();
  const known = new Set<string>();
  const positionsOf = new Map<string, Map<string, number | null>>();

  for (const pack of packs) {
    const types: string[] = [];
    const managerListed = new Set(input.managerTypes[pack.pack] ?? []);
    for (const found of pack.nodes) {
      // A class no NODE_CLASS_MAPPINGS entry names counts only when ComfyUI-Manager lists its
      // name, or lists exactly one type made of the same words (MTB_LoadFaceSwapModel →
      // "Load Face Swap Model (mtb)", as packs registering by introspection name them).
      let node = found;
      if (found.unconfirmed && !managerListed.has(found.type)) {
        const same = [...managerListed].filter((t) => sameWords(t, found.class));
        if (same.length !== 1) continue;
        node = { ...found, type: same[0]!, registered_by: `class ${found.class}, named like ComfyUI-Manager's type` };
      }
      const taken = owner.get(node.type);
      if (taken !== undefined && taken !== pack.pack) {
        out.conflicts.push(`${node.type}: defined by ${taken} and ${pack.pack} (${node.at}); ${taken} is listed first`);
        continue;
      }
      owner.set(node.type, pack.pack);
      types.push(node.type);
      const complete = !node.inputs_incomplete && !node.unconfirmed && node.inputs.every((i) => i.kind !== 'unknown' || i.files);
      if (complete) known.add(node.type);
      const positions = widgetIndexes(node.inputs);
      positionsOf.set(node.type, positions);
      const inputs: Record<string, TableInput> = {};
      const sources: Record<string, { source: 'derived'; at?: string; via?: string }> = {};
      const also: Record<string, string[]> = {};
      for (const inp of node.inputs) {
        if (!inp.files) continue;
        const resolved = inp.files.sources.map((s) => registry.resolve(s, pack.pack, pack.commit));
        const usable = resolved.filter((r): r is Extract<typeof r, { folder: string }> => 'folder' in r);
        if (usable.length === 0) {
          const reasons = [...new Set(resolved.map((r) => ('skip' in r ? r.skip : '')))].join('; ');
          out.skipped.push({ type: node.type, input: inp.name, pack: pack.pack, reason: reasons });
          continue;
        }
        const folders = [...new Set(usable.map((u) => u.folder))];
        const row: TableInput = { folder: folders[0]! };
        const index = positions.get(inp.name);
        if (index !== undefined && index !== null) row.widget_index = index;
        const extra = (inp.files.non_file_values ?? []).filter((v) => !GLOBAL_NON_FILE.has(v));
        if (extra.length) row.non_file_values = extra;
        inputs[inp.name] = row;
        sources[inp.name] = { source: 'derived', ...(usable[0]!.at ? { at: usable[0]!.at } : {}), via: usable[0]!.via };
        if (folders.length > 1) also[inp.name] = folders.slice(1);
      }
      if (Object.keys(inputs).length > 0) {
        out.rows[node.type] = { pack: pack.pack, inputs };
        out.provenance[node.type] = {
          pack: pack.pack, commit: pack.commit, source: 'derived', at: node.input_types_at ?? node.at,
          ...(Object.keys(also).length ? { also } : {}), inputs: sources,
        };
      }
    }
    out.packTypes[pack.pack] = types;
  }

  // Hand rows: inputs the derivation cannot see, each with its reason.
  for (const [type, hand] of Object.entries(input.hand.nodes)) {
    const manifestPack = input.manifest.find((m) => m.repo === hand.pack);
    const commit = manifestPack?.commit ?? '';
    const row = out.rows[type] ?? { pack: hand.pack, inputs: {} };
    const prov = out.provenance[type] ?? { pack: hand.pack, commit, source: 'hand' as const, inputs: {} };
    for (const [name, h] of Object.entries(hand.inputs)) {
      if (h.ignore) {
        delete row.inputs[name];
        prov.inputs[name] = { source: 'hand', why: hand.why, ...(hand.at ? { at: hand.at } : {}) };
        continue;
      }
      const previous = row.inputs[name];
      const next: TableInput = { folder: h.folder ?? previous?.folder ?? 'unknown' };
      // A hand row names the input; its position still comes from the pack's INPUT_TYPES.
      const index = h.widget_index ?? previous?.widget_index ?? positionsOf.get(type)?.get(name) ?? undefined;
      if (index !== undefined) next.widget_index = index;
      const nonFile = h.non_file_values ?? previous?.non_file_values;
      if (nonFile) next.non_file_values = nonFile;
      if (h.kind) next.kind = h.kind;
      row.inputs[name] = next;
      prov.inputs[name] = { source: 'hand', why: hand.why, ...(hand.at ? { at: hand.at } : {}) };
    }
    if (Object.keys(row.inputs).length > 0) {
      out.rows[type] = row;
      out.provenance[type] = prov;
    } else {
      delete out.rows[type];
    }
    known.add(type);
    if (!owner.has(type)) {
      owner.set(type, hand.pack);
      (out.packTypes[hand.pack] ??= []).push(type);
    }
  }

  // Implied refs: a preset names files; its position comes from the pack's INPUT_TYPES.
  for (const [type, imp] of Object.entries(input.hand.implied)) {
    const index = positionsOf.get(type)?.get(imp.input);
    out.implied[type] = { pack: imp.pack, input: imp.input, ...(index !== undefined && index !== null ? { widget_index: index } : {}), presets: imp.presets };
  }

  for (const [pack, types] of Object.entries(input.hand.frontend_types)) {
    if (pack.startsWith('_') || typeof types === 'string') continue;
    for (const t of types) {
      if (owner.has(t)) continue;
      owner.set(t, pack);
      (out.packTypes[pack] ??= []).push(t);
    }
  }

  // Pack identification also knows the types ComfyUI-Manager lists (dynamic registrations).
  for (const m of input.manifest) {
    const types = out.packTypes[m.repo] ?? (out.packTypes[m.repo] = []);
    for (const t of input.managerTypes[m.repo] ?? []) {
      if (owner.has(t)) continue;
      owner.set(t, m.repo);
      types.push(t);
    }
    types.sort();
  }

  // Run-time downloads, per pack, for pinning them (issue 21 item 4). A call no node type of
  // the pack reaches keeps an empty `nodes`.
  for (const pack of packs) {
    const calls = pack.downloads.map((d) => ({ ...d, nodes: d.nodes.filter((t) => owner.get(t) === pack.pack) }));
    if (calls.length) out.downloads[pack.pack] = { commit: pack.commit, calls };
  }

  const usedFolders = Object.values(out.rows).flatMap((r) => Object.values(r.inputs).map((i) => i.folder));
  for (const p of Object.values(out.provenance)) for (const list of Object.values(p.also ?? {})) usedFolders.push(...list);
  out.folders = registry.used(usedFolders);
  out.knownTypes = [...known].sort();
  return out;
}

/** Same words, any order and case: `MTB_LoadFaceSwapModel` and `Load Face Swap Model (mtb)`. */
function sameWords(a: string, b: string): boolean {
  const words = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean).sort().join(' ');
  return words(a) === words(b);
}
