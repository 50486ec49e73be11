/**
 * UI and API graphs are both reduced to one flat list of nodes with their effective values,
 * so the ref extractors never see subgraphs, group nodes, links or file formats.
 */
import type { DiagnosticList } from '../diagnostics.js';

/**
 * An input's effective value, or why it has none (fed by a link that leads to no literal).
 * API links are `lazy`: a link may feed a socket (MODEL, CLIP…) rather than a widget, so it is
 * followed only when a loader asks for that input.
 */
export type Slot = { value: unknown } | { unresolved: string } | { lazy: () => Slot };

/** The slot with any lazy link followed (memoised by the producer). */
export function settle(slot: Slot): { value: unknown } | { unresolved: string } {
  return 'lazy' in slot ? settle(slot.lazy()) : slot;
}

export interface FlatNode {
  /** Node id; members of subgraph / group instances get colon-joined ids (`106:89`). */
  id: string;
  /** Class name after the frontend's load-time renames. */
  type: string;
  /** False when the node, or a subgraph / group instance containing it, is muted or bypassed. */
  active: boolean;
  /** `node`: a real ComfyUI node. `subgraph` / `group`: an instance whose members are listed too. */
  role: 'node' | 'subgraph' | 'group';
  properties: Record<string, unknown> | null;
  /** Values known by input name: API inputs, dict widgets, followed links, promoted widgets. */
  named: Map<string, Slot>;
  /** UI array `widgets_values` (positional), or null. */
  positional: readonly unknown[] | null;
  /**
   * Widget names in `widgets_values` order, when the node lists every widget in `inputs[]`
   * (newer frontends) and the counts agree; null otherwise.
   */
  widgetOrder?: readonly string[] | null;
}

export interface FlatGraph {
  format: 'ui' | 'api';
  nodes: FlatNode[];
  /** Workflow-level `models` metadata (UI only). */
  topModels: readonly unknown[];
  /** `${nodeId}\0${value}` of values a link follower already credited to another node. */
  consumed: Set<string>;
  diagnostics: DiagnosticList;
}

export const MODE_MUTED = 2;
export const MODE_BYPASSED = 4;

export function isActiveMode(mode: unknown): boolean {
  return mode !== MODE_MUTED && mode !== MODE_BYPASSED;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Most nodes a graph is expanded to (UI, subgraphs included) or read from (API): the rest is not scanned. */
export const MAX_FLAT_NODES = 50_000;

/**
 * Records that a link follower credited `value` to another node (guesses then skip it there).
 * Only strings can be file names: other values (numbers, objects of any shape) are not recorded.
 */
export function consume(consumed: Set<string>, nodeId: string, value: unknown): void {
  if (typeof value === 'string') consumed.add(consumedKey(nodeId, value));
}

export function consumedKey(nodeId: string, value: string): string {
  return `${nodeId}\0${value}`;
}

/** Real ids are numbers or short strings (`106:89`); longer ones would be copied into every nested id. */
export const MAX_ID_LENGTH = 256;

/**
 * A node or link id as text: a finite number or a string of up to MAX_ID_LENGTH characters.
 * Anything else (an object, whose `toString` may not even be callable, an array, a boolean,
 * null, a missing id, a huge string) is null: callers say so and never stringify it.
 */
export function idText(value: unknown): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value === 'string') return value.length <= MAX_ID_LENGTH ? value : null;
  return null;
}

/** A string value of a node; its label for reports is built only when asked (most values are prose). */
export class StringValue {
  constructor(readonly value: string, private readonly input: string | number) {}

  /** The input name, or `widgets_values[i]`. */
  get label(): string {
    return typeof this.input === 'number' ? `widgets_values[${this.input}]` : this.input;
  }
}

/** Every string value of a node: named inputs first, then `widgets_values` in order. */
export function stringValues(node: FlatNode): StringValue[] {
  const out: StringValue[] = [];
  for (const [name, slot] of node.named) {
    if ('value' in slot && typeof slot.value === 'string') out.push(new StringValue(slot.value, name));
  }
  const positional = node.positional;
  if (positional) {
    for (let i = 0; i < positional.length; i++) {
      const value = positional[i];
      if (typeof value === 'string') out.push(new StringValue(value, i));
    }
  }
  return out;
}
