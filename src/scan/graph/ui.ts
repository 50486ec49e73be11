/**
 * UI ("litegraph") workflows, schema 0.4 and 1: walks the root graph, expands every subgraph
 * instance with its own values and mode (nested definitions recurse), and expands legacy group
 * nodes, producing one flat node list.
 */
import { DiagnosticList } from '../diagnostics.js';
import { renameType } from '../tables.js';
import { shown } from '../diagnostics.js';
import { type FlatGraph, type FlatNode, MAX_FLAT_NODES, type Slot, consume, idText, isActiveMode, isRecord } from './flat.js';
import { expandGroupNode, isGroupNodeType } from './group-nodes.js';
import { type GraphIndex, type RawNode, SUBGRAPH_INPUT_NODE, type SubgraphDef, collectDefinitions, indexGraph } from './ui-index.js';

interface Instance {
  node: RawNode;
  def: SubgraphDef;
  parent: Scope;
  /** Newer frontends promote widgets with `properties.proxyWidgets`; values then stay inside. */
  proxied: boolean;
}

interface Scope {
  graph: GraphIndex;
  prefix: string;
  active: boolean;
  instance: Instance | null;
  /** Definition ids being expanded above this scope (cycle guard). */
  stack: readonly string[];
  /** proxyWidgets values: inner node id → widget name → value. */
  overrides: Map<string, Map<string, unknown>> | null;
}

const MAX_DEPTH = 32;
const MAX_LINK_HOPS = 32;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function flattenUi(root: Record<string, unknown>): FlatGraph {
  const walker = new UiWalker(root);
  walker.walk({ graph: indexGraph(root, walker.diagnostics), prefix: '', active: true, instance: null, stack: [], overrides: null });
  // Definitions no instance uses still name models (the frontend scans them too): optional.
  for (const def of walker.defs.values()) {
    if (walker.reached.has(def.id)) continue;
    walker.reached.add(def.id);
    walker.walk({ graph: def, prefix: `${def.id}:`, active: false, instance: null, stack: [def.id], overrides: null });
  }
  const topModels = Array.isArray(root.models) ? root.models : [];
  return { format: 'ui', nodes: walker.out, topModels, consumed: walker.consumed, diagnostics: walker.diagnostics };
}

class UiWalker {
  readonly defs: Map<string, SubgraphDef>;
  readonly groups: Record<string, unknown>;
  readonly reached = new Set<string>();
  readonly out: FlatNode[] = [];
  readonly consumed = new Set<string>();
  readonly diagnostics = new DiagnosticList();
  private full = false;
  /** Nodes of the enclosing scopes still to walk: room an expansion must leave for them. */
  private pending = 0;

  constructor(root: Record<string, unknown>) {
    this.defs = collectDefinitions(root, this.diagnostics);
    const extra = isRecord(root.extra) ? root.extra : {};
    this.groups = isRecord(extra.groupNodes) ? extra.groupNodes : {};
  }

  walk(scope: Scope): void {
    // Expansion is depth first, so an outer scope's nodes come first when room runs out: one
    // huge subgraph must not hide the loaders that follow it in the root graph.
    const above = this.pending;
    const nodes = scope.graph.nodes;
    for (let i = 0; i < nodes.length; i++) {
      const raw = nodes[i]!;
      if (this.out.length + above >= MAX_FLAT_NODES) {
        this.tooLarge(scope.instance ? `subgraph instance ${scope.prefix.slice(0, -1)} was cut short` : 'the rest was not scanned');
        return;
      }
      const rawType = typeof raw.type === 'string' ? raw.type : '';
      if (rawType === '') continue;
      const own = scope.graph.ids[i]!;
      const id = `${scope.prefix}${own}`;
      const active = scope.active && isActiveMode(raw.mode);
      const def = this.defs.get(rawType);
      if (def) {
        this.out.push(this.node(scope, raw, own, id, rawType, active, 'subgraph'));
        this.pending = above + nodes.length - i - 1;
        this.expand(scope, raw, id, def, active);
        this.pending = above;
      } else if (isGroupNodeType(rawType)) {
        expandGroupNode(raw, id, rawType, active, this.groups, this.out, this.diagnostics);
      } else if (UUID.test(rawType)) {
        this.diagnostics.push('missing-subgraph', `node ${id} is an instance of subgraph ${rawType}, which the file does not define`, { node: id });
        this.out.push(this.node(scope, raw, own, id, rawType, active, 'subgraph'));
      } else {
        this.out.push(this.node(scope, raw, own, id, renameType(rawType), active, 'node'));
      }
    }
  }

  private tooLarge(what: string): void {
    if (!this.full) this.diagnostics.push('graph-too-large', `workflow expands to more than ${MAX_FLAT_NODES} nodes; ${what}`);
    this.full = true;
  }

  private expand(scope: Scope, raw: RawNode, id: string, def: SubgraphDef, active: boolean): void {
    this.reached.add(def.id);
    if (scope.stack.includes(def.id) || scope.stack.length >= MAX_DEPTH) {
      const why = scope.stack.includes(def.id) ? 'contains itself' : `is nested more than ${MAX_DEPTH} levels deep`;
      this.diagnostics.push('subgraph-cycle', `subgraph ${def.id} ${why} (at node ${id}); that instance was not expanded`, { node: id });
      return;
    }
    const props = isRecord(raw.properties) ? raw.properties : {};
    const proxied = Array.isArray(props.proxyWidgets);
    // The instance's own values belong to inner widgets (or are stale copies of linked inputs):
    // the inner nodes account for them, so guesses must not count them again.
    const wv = Array.isArray(raw.widgets_values) ? raw.widgets_values : [];
    const mapped = proxied ? (wv.length === (props.proxyWidgets as unknown[]).length ? wv.length : 0) : def.widgetInputs.length;
    for (const value of wv.slice(0, mapped)) consume(this.consumed, id, value);
    this.walk({
      graph: def, prefix: `${id}:`, active,
      instance: { node: raw, def, parent: scope, proxied },
      stack: [...scope.stack, def.id],
      overrides: proxied ? this.proxyOverrides(id, props.proxyWidgets as unknown[], raw.widgets_values) : null,
    });
  }

  /** `own` is the node's id in its graph, `id` the same with the scope's prefix. */
  private node(scope: Scope, raw: RawNode, own: string, id: string, type: string, active: boolean, role: FlatNode['role']): FlatNode {
    const wv = raw.widgets_values;
    const named = new Map<string, Slot>();
    if (isRecord(wv)) for (const [key, value] of Object.entries(wv)) named.set(key, { value });
    if (Array.isArray(raw.inputs)) {
      for (const input of raw.inputs) {
        if (!isRecord(input) || !isRecord(input.widget) || typeof input.widget.name !== 'string') continue;
        if (input.link === null || input.link === undefined) continue;
        const slot = this.follow(scope, input.link, 0);
        if (slot) named.set(input.widget.name, slot);
      }
    }
    const overrides = scope.overrides?.get(own);
    if (overrides) for (const [name, value] of overrides) named.set(name, { value });
    const properties = isRecord(raw.properties) ? raw.properties : null;
    const positional = Array.isArray(wv) ? wv : null;
    return { id, type, active, role, properties, named, positional, widgetOrder: widgetOrder(raw.inputs, positional) };
  }

  /**
   * proxyWidgets values: entry i, `[inner node id, widget name]`, takes the instance's value i.
   * An entry of another shape is said and skipped; the others still apply.
   */
  private proxyOverrides(instance: string, proxy: unknown[], wv: unknown): Map<string, Map<string, unknown>> | null {
    if (!Array.isArray(wv) || wv.length === 0 || wv.length !== proxy.length) return null;
    const map = new Map<string, Map<string, unknown>>();
    proxy.forEach((entry, i) => {
      const inner = Array.isArray(entry) && entry.length >= 2 ? idText(entry[0]) : null;
      const widget = Array.isArray(entry) && typeof entry[1] === 'string' ? entry[1] : null;
      if (inner === null || widget === null) {
        this.diagnostics.push('invalid-graph-id', `subgraph instance ${instance}: properties.proxyWidgets[${i}] is ${describeEntry(entry)}, not [node id, widget name]; it was ignored`, { node: instance });
        return;
      }
      if (!map.has(inner)) map.set(inner, new Map());
      map.get(inner)!.set(widget, wv[i]);
    });
    return map;
  }

  /** The literal a widget link carries, or undefined when the node's own copy stands. */
  private follow(scope: Scope, linkId: unknown, hops: number, seen = new Set<string>()): Slot | undefined {
    if (hops > MAX_LINK_HOPS) return { unresolved: `a link chain longer than ${MAX_LINK_HOPS} hops` };
    const key = idText(linkId);
    if (key === null) return { unresolved: `a link whose id is ${shown(linkId)}, not a number` };
    const here = `${scope.prefix}${key}`;
    if (seen.has(here)) return { unresolved: `a cycle of links back to link ${here}` };
    seen.add(here);
    const link = scope.graph.links.get(key);
    if (!link) return { unresolved: `missing link ${key}` };
    if (link.from === SUBGRAPH_INPUT_NODE) return this.fromInstance(scope, link.fromSlot, hops, seen);
    const origin = scope.graph.byId.get(link.from);
    if (!origin) return { unresolved: `missing node ${originIdOf(scope, link.from)}` };
    const type = typeof origin.type === 'string' ? origin.type : '';
    const originId = originIdOf(scope, link.from);
    if (type === 'Reroute' || type === 'Reroute (rgthree)') {
      const input = Array.isArray(origin.inputs) ? origin.inputs[0] : undefined;
      return isRecord(input) && input.link != null ? this.follow(scope, input.link, hops + 1, seen) : { unresolved: `unconnected reroute ${originId}` };
    }
    const value = literalOf(type, origin.widgets_values);
    if (value === undefined) return { unresolved: `the output of ${type || 'untyped'} node ${originId}` };
    consume(this.consumed, originId, value);
    return { value };
  }

  /** Subgraph input k of the instance this scope belongs to. */
  private fromInstance(scope: Scope, k: number, hops: number, seen: Set<string>): Slot | undefined {
    const inst = scope.instance;
    if (!inst) return undefined;
    const name = inst.def.inputNames[k];
    const outer = Array.isArray(inst.node.inputs)
      ? inst.node.inputs.find((i) => isRecord(i) && i.name === name && i.link != null)
      : undefined;
    if (isRecord(outer)) return this.follow(inst.parent, outer.link, hops + 1, seen);
    if (inst.proxied) return undefined;
    const wv = inst.node.widgets_values;
    const position = inst.def.widgetInputs.indexOf(k);
    if (Array.isArray(wv) && position >= 0 && position < wv.length) return { value: wv[position] };
    if (isRecord(wv) && name && Object.hasOwn(wv, name)) return { value: wv[name] };
    return undefined;
  }
}

/** Names of the widgets listed in `inputs[]`, if they account for every stored value. */
function widgetOrder(inputs: unknown, positional: readonly unknown[] | null): string[] | null {
  if (!positional || !Array.isArray(inputs)) return null;
  const names: string[] = [];
  for (const input of inputs) {
    if (isRecord(input) && isRecord(input.widget) && typeof input.widget.name === 'string') names.push(input.widget.name);
  }
  // Extra values (a seed's control_after_generate) would shift positions: only trust an exact match.
  return names.length > 0 && names.length === positional.length ? names : null;
}

function originIdOf(scope: Scope, id: string): string {
  return `${scope.prefix}${id}`;
}

/** A primitive's value: PrimitiveNode's first widget, or a node's only string widget. */
function literalOf(type: string, wv: unknown): unknown {
  const values = Array.isArray(wv) ? wv : isRecord(wv) ? Object.values(wv) : [];
  if (type === 'PrimitiveNode') return values[0] ?? undefined;
  const strings = values.filter((v) => typeof v === 'string');
  return strings.length === 1 ? strings[0] : undefined;
}

function describeEntry(entry: unknown): string {
  if (!Array.isArray(entry)) return shown(entry);
  return `[${entry.slice(0, 2).map((v) => shown(v, 40)).join(', ')}${entry.length > 2 ? ', …' : ''}]`;
}
