/**
 * Lookup structures for one UI graph (the root or a subgraph definition), built once per graph:
 * nodes by id, links by id (both link shapes), and which subgraph inputs feed widgets.
 */
import { type DiagnosticList, shown } from '../diagnostics.js';
import { MAX_ID_LENGTH, idText, isRecord } from './flat.js';

export type RawNode = Record<string, unknown>;

export interface Link {
  from: string;
  fromSlot: number;
  to: string;
  toSlot: number;
}

export interface GraphIndex {
  nodes: RawNode[];
  /**
   * Each node's id as text, parallel to `nodes`: a node whose id is no number or short string
   * (idText) is still scanned, under its position (`nodes[3]`), but no link can reach it.
   */
  ids: string[];
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

const AN_ID = `a number or a string of up to ${MAX_ID_LENGTH} characters`;

/** `where` names the graph in diagnostics: '' for the root, `subgraph <id>: ` for a definition. */
export function indexGraph(graph: Record<string, unknown>, diagnostics: DiagnosticList, where = ''): GraphIndex {
  const nodes: RawNode[] = [];
  const ids: string[] = [];
  const byId = new Map<string, RawNode>();
  if (Array.isArray(graph.nodes)) {
    graph.nodes.forEach((node, i) => {
      if (!isRecord(node)) return;
      let id = idText(node.id);
      if (id === null) {
        id = `nodes[${i}]`;
        const type = typeof node.type === 'string' ? ` (${shown(node.type)})` : '';
        const has = node.id === undefined ? 'has no id' : `has an id that is ${shown(node.id)}, not ${AN_ID}`;
        diagnostics.push('invalid-graph-id', `${where}nodes[${i}]${type} ${has}; it was scanned as node ${id}, and no link reaches it`, { node: id });
      } else if (!byId.has(id)) {
        byId.set(id, node);
      }
      nodes.push(node);
      ids.push(id);
    });
  }
  const links = new Map<string, Link>();
  if (Array.isArray(graph.links)) {
    graph.links.forEach((raw, i) => {
      const link = normaliseLink(raw);
      if (typeof link === 'string') diagnostics.push('invalid-graph-id', `${where}links[${i}]: ${link}; the link was ignored`);
      else if (link) links.set(link.id, link);
    });
  }
  return { nodes, ids, byId, links };
}

/**
 * 0.4 links are 6-tuples, schema-1 links (and every subgraph definition's) are objects. Null for
 * what is no link at all; a text naming the bad part for a link whose ids or slots are unusable.
 */
function normaliseLink(raw: unknown): (Link & { id: string }) | string | null {
  let parts: [unknown, unknown, unknown, unknown, unknown];
  let names: [string, string, string, string, string];
  if (Array.isArray(raw)) {
    if (raw.length < 5) return null;
    parts = [raw[0], raw[1], raw[2], raw[3], raw[4]];
    names = ['its id ([0])', 'its origin node ([1])', 'its origin slot ([2])', 'its target node ([3])', 'its target slot ([4])'];
  } else if (isRecord(raw)) {
    parts = [raw.id, raw.origin_id, raw.origin_slot, raw.target_id, raw.target_slot];
    names = ['its id', 'its origin_id', 'its origin_slot', 'its target_id', 'its target_slot'];
  } else {
    return null;
  }
  const [id, from, fromSlot, to, toSlot] = [idText(parts[0]), idText(parts[1]), slotOf(parts[2]), idText(parts[3]), slotOf(parts[4])];
  const bad = [id, from, fromSlot, to, toSlot].findIndex((v) => v === null);
  if (bad >= 0) return `${names[bad]} is ${shown(parts[bad])}, not ${bad === 2 || bad === 4 ? 'a slot number' : AN_ID}`;
  return { id: id!, from: from!, fromSlot: fromSlot!, to: to!, toSlot: toSlot! };
}

/** A slot index: a whole number (as the frontend writes it, or as a string of digits), else null. */
function slotOf(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d{1,9}$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(n) ? n : null;
}

/** Every subgraph definition, nested ones included (ids are uuids, global to the file). */
export function collectDefinitions(root: Record<string, unknown>, diagnostics: DiagnosticList): Map<string, SubgraphDef> {
  const defs = new Map<string, SubgraphDef>();
  const queue: unknown[] = [root];
  for (let i = 0; i < queue.length && defs.size < MAX_DEFINITIONS; i++) {
    const graph = queue[i];
    if (!isRecord(graph) || !isRecord(graph.definitions) || !Array.isArray(graph.definitions.subgraphs)) continue;
    for (const def of graph.definitions.subgraphs) {
      if (!isRecord(def) || typeof def.id !== 'string' || def.id.length > MAX_ID_LENGTH || defs.has(def.id) || !Array.isArray(def.nodes)) continue;
      defs.set(def.id, indexDefinition(def.id, def, diagnostics));
      queue.push(def);
    }
  }
  return defs;
}

function indexDefinition(id: string, def: Record<string, unknown>, diagnostics: DiagnosticList): SubgraphDef {
  const index = indexGraph(def, diagnostics, `subgraph ${id}: `);
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
