/**
 * Lookup structures for one UI graph (the root or a subgraph definition), built once per graph:
 * nodes by id, links by id (both link shapes), and which subgraph inputs feed widgets.
 */
import { isRecord } from './flat.js';

export type RawNode = Record<string, unknown>;

export interface Link {
  from: string;
  fromSlot: number;
  to: string;
  toSlot: number;
}

export interface GraphIndex {
  nodes: RawNode[];
  byId: Map<string, RawNode>;
  links: Map<string, Link>;
}

export interface SubgraphDef extends GraphIndex {
  id: string;
  inputNames: (string | null)[];
  /** Indexes of subgraph inputs that feed an inner widget, ascending: the instance's value order. */
  widgetInputs: number[];
}

/** The `-10` pseudo-node: links from it carry subgraph input k (origin slot) inward. */
export const SUBGRAPH_INPUT_NODE = '-10';

const MAX_DEFINITIONS = 10_000;

export function indexGraph(graph: Record<string, unknown>): GraphIndex {
  const nodes = Array.isArray(graph.nodes) ? graph.nodes.filter(isRecord) : [];
  const byId = new Map<string, RawNode>();
  for (const node of nodes) if (!byId.has(String(node.id))) byId.set(String(node.id), node);
  const links = new Map<string, Link>();
  if (Array.isArray(graph.links)) {
    for (const raw of graph.links) {
      const link = normaliseLink(raw);
      if (link) links.set(link.id, link);
    }
  }
  return { nodes, byId, links };
}

/** 0.4 links are 6-tuples, schema-1 links (and every subgraph definition's) are objects. */
function normaliseLink(raw: unknown): (Link & { id: string }) | null {
  if (Array.isArray(raw)) {
    if (raw.length < 5) return null;
    return { id: String(raw[0]), from: String(raw[1]), fromSlot: Number(raw[2]), to: String(raw[3]), toSlot: Number(raw[4]) };
  }
  if (!isRecord(raw)) return null;
  return { id: String(raw.id), from: String(raw.origin_id), fromSlot: Number(raw.origin_slot), to: String(raw.target_id), toSlot: Number(raw.target_slot) };
}

/** Every subgraph definition, nested ones included (ids are uuids, global to the file). */
export function collectDefinitions(root: Record<string, unknown>): Map<string, SubgraphDef> {
  const defs = new Map<string, SubgraphDef>();
  const queue: unknown[] = [root];
  for (let i = 0; i < queue.length && defs.size < MAX_DEFINITIONS; i++) {
    const graph = queue[i];
    if (!isRecord(graph) || !isRecord(graph.definitions) || !Array.isArray(graph.definitions.subgraphs)) continue;
    for (const def of graph.definitions.subgraphs) {
      if (!isRecord(def) || typeof def.id !== 'string' || defs.has(def.id) || !Array.isArray(def.nodes)) continue;
      defs.set(def.id, indexDefinition(def.id, def));
      queue.push(def);
    }
  }
  return defs;
}

function indexDefinition(id: string, def: Record<string, unknown>): SubgraphDef {
  const index = indexGraph(def);
  const inputNames = Array.isArray(def.inputs) ? def.inputs.map((i) => (isRecord(i) && typeof i.name === 'string' ? i.name : null)) : [];
  const feedsWidget = new Set<number>();
  for (const link of index.links.values()) {
    if (link.from !== SUBGRAPH_INPUT_NODE) continue;
    const target = index.byId.get(link.to);
    const input = Array.isArray(target?.inputs) ? target.inputs[link.toSlot] : undefined;
    if (isRecord(input) && isRecord(input.widget)) feedsWidget.add(link.fromSlot);
  }
  return { id, ...index, inputNames, widgetInputs: [...feedsWidget].sort((a, b) => a - b) };
}
