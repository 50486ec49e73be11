/**
 * API ("prompt") format: `{ "<id>": { class_type, inputs } }`. Inputs are literals or links
 * `[nodeId, outputIndex]`; a file name may arrive through a link from a primitive-like node.
 */
import { DiagnosticList } from '../diagnostics.js';
import { renameType } from '../tables.js';
import { type FlatGraph, type FlatNode, MAX_FLAT_NODES, type Slot, consume, isRecord } from './flat.js';

export type ApiPrompt = Record<string, { class_type: string; inputs: Record<string, unknown> }>;

/** The frontend's `isApiJson`: a non-empty object whose every value is a node. */
export function isApiPrompt(value: unknown): value is ApiPrompt {
  if (!isRecord(value)) return false;
  let count = 0;
  for (const node of Object.values(value)) {
    if (!isRecord(node) || typeof node.class_type !== 'string' || !isRecord(node.inputs)) return false;
    count++;
  }
  return count > 0;
}

export function isApiLink(value: unknown): value is [string | number, number] {
  return Array.isArray(value) && value.length === 2
    && (typeof value[0] === 'string' || typeof value[0] === 'number') && typeof value[1] === 'number';
}

const MAX_LINK_HOPS = 16;

/**
 * Every node, up to MAX_FLAT_NODES as for UI graphs (the first ones in the prompt's key order:
 * numeric ids ascending, then the rest as written); links still reach any node.
 */
export function flattenApi(prompt: ApiPrompt): FlatGraph {
  const consumed = new Set<string>();
  const nodes: FlatNode[] = [];
  const diagnostics = new DiagnosticList();
  for (const id in prompt) {
    if (!Object.hasOwn(prompt, id)) continue;
    if (nodes.length >= MAX_FLAT_NODES) {
      diagnostics.push('graph-too-large', `API prompt has more than ${MAX_FLAT_NODES} nodes; the rest was not scanned`);
      break;
    }
    const raw = prompt[id]!;
    const named = new Map<string, Slot>();
    for (const [name, value] of Object.entries(raw.inputs)) {
      named.set(name, isApiLink(value) ? lazyFollow(prompt, value, consumed) : { value });
    }
    nodes.push({ id, type: renameType(raw.class_type), active: true, role: 'node', properties: null, named, positional: null });
  }
  return { format: 'api', nodes, topModels: [], consumed, diagnostics };
}

function lazyFollow(prompt: ApiPrompt, link: [string | number, number], consumed: Set<string>): Slot {
  let settled: Slot | null = null;
  return { lazy: () => (settled ??= follow(prompt, link, consumed)) };
}

/**
 * Follow a link to a literal: the origin's only string input (a primitive such as
 * PrimitiveString), its `value`/`string`/`text` input, or through a single-input pass-through.
 */
function follow(prompt: ApiPrompt, link: [string | number, number], consumed: Set<string>): Slot {
  let originId = String(link[0]);
  const seen = new Set<string>();
  for (let hop = 0; hop < MAX_LINK_HOPS; hop++) {
    if (seen.has(originId)) return { unresolved: `a cycle of links back to node ${originId}` };
    seen.add(originId);
    const origin = Object.hasOwn(prompt, originId) ? prompt[originId] : undefined;
    if (!origin) return { unresolved: `missing node ${originId}` };
    const entries = Object.entries(origin.inputs);
    const strings = entries.filter(([, v]) => typeof v === 'string');
    const picked = strings.length === 1 ? strings[0] : strings.find(([k]) => k === 'value' || k === 'string' || k === 'text');
    if (picked) {
      consume(consumed, originId, picked[1]);
      return { value: picked[1] };
    }
    const links = entries.filter(([, v]) => isApiLink(v));
    if (strings.length > 0 || links.length !== 1) return { unresolved: `the output of ${origin.class_type} node ${originId}` };
    originId = String((links[0]![1] as [string | number, number])[0]);
  }
  return { unresolved: `a link chain longer than ${MAX_LINK_HOPS} nodes` };
}
