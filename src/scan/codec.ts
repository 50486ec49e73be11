/**
 * A compact form of scan results, for the on-disk scan cache and for results coming back from
 * scan workers (fewer bytes to copy, and one copy of each string on this side): every string (folders, names, node
 * types, inputs) stored once in a table and referenced by index, refs as small arrays. At 10,000
 * workflows this is a third of the size of plain JSON and loads about twice as fast. Anything the
 * codec does not know field by field (a new ModelRef property, say) is kept as plain JSON rather
 * than dropped.
 */
import type { CustomNodeRef, Diagnostic, ModelRef, NodeUse, ScannedWorkflow, Severity } from '../core/types.js';

export class StringTable {
  readonly strings: string[] = [];
  private readonly index = new Map<string, number>();

  id(value: string): number {
    let i = this.index.get(value);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(value);
      this.index.set(value, i);
    }
    return i;
  }
}

type EncodedRef = [folder: number, name: number, flags: number, nodes: number[], embedded: 0 | [number, number], mirrors: 0 | number[], alternatives: 0 | number[]];
type EncodedPack = [id: number, version: number, repo: number, nodeTypes: 0 | number[]];
/** `file` is SAME_FILE when it is the workflow's own path (as every scan diagnostic's is). */
type EncodedDiagnostic = [code: number, severity: number, message: number, file: number, node: number, hint: number];
export type EncodedWorkflow = [format: number, graph: number, refs: EncodedRef[], customNodes: EncodedPack[], untagged: 0 | number[], diagnostics: EncodedDiagnostic[]];

const ACTIVE = 1;
const GUESSED = 2;
const NONE = -1;
const SAME_FILE = -2;

type Shape = readonly { key: string; optional: boolean }[];
const shape = (...keys: string[]): Shape => keys.map((k) => ({ key: k.replace(/\?$/, ''), optional: k.endsWith('?') }));

// Keys in the order the scanner writes them (`?`: may be absent). A result with other keys, or
// in another order, is stored as it is: nothing is dropped, and key order reaches `scan --json`.
const WORKFLOW = shape('path', 'format', 'graph?', 'refs', 'customNodes', 'untaggedNodeTypes?', 'diagnostics');
const REF = shape('folder', 'name', 'active', 'nodes', 'embedded', 'mirrors?', 'guessed?', 'alternatives?');
const NODE_USE = shape('id', 'type', 'input');
const EMBEDDED = shape('url', 'sha256');
const PACK = shape('id', 'version', 'repo', 'nodeTypes?');
const DIAGNOSTIC = shape('code', 'severity', 'message', 'file?', 'node?', 'hint?');

/** null when the result has a shape the codec does not cover: store it as it is. */
export function encodeWorkflow(wf: ScannedWorkflow, table: StringTable): EncodedWorkflow | null {
  if (!fits(wf, WORKFLOW)) return null;
  const refs: EncodedRef[] = [];
  const opt = (s: string | null) => (s === null ? NONE : table.id(s));
  for (const ref of wf.refs) {
    if (!fits(ref, REF) || (ref.guessed !== undefined && ref.guessed !== true)) return null;
    if (ref.embedded && !fits(ref.embedded, EMBEDDED)) return null;
    const nodes: number[] = [];
    for (const n of ref.nodes) {
      if (!fits(n, NODE_USE)) return null;
      nodes.push(table.id(n.id), table.id(n.type), table.id(n.input));
    }
    refs.push([
      table.id(ref.folder),
      table.id(ref.name),
      (ref.active ? ACTIVE : 0) | (ref.guessed ? GUESSED : 0),
      nodes,
      ref.embedded ? [opt(ref.embedded.url), opt(ref.embedded.sha256)] : 0,
      ref.mirrors ? ref.mirrors.map((m) => table.id(m)) : 0,
      ref.alternatives ? ref.alternatives.map((a) => table.id(a)) : 0,
    ]);
  }
  const packs: EncodedPack[] = [];
  for (const c of wf.customNodes) {
    if (!fits(c, PACK)) return null;
    packs.push([table.id(c.id), opt(c.version), opt(c.repo), c.nodeTypes ? c.nodeTypes.map((t) => table.id(t)) : 0]);
  }
  const diagnostics: EncodedDiagnostic[] = [];
  for (const d of wf.diagnostics) {
    if (!fits(d, DIAGNOSTIC)) return null;
    const file = d.file === undefined ? NONE : d.file === wf.path ? SAME_FILE : table.id(d.file);
    diagnostics.push([table.id(d.code), table.id(d.severity), table.id(d.message), file, d.node === undefined ? NONE : table.id(d.node), d.hint === undefined ? NONE : table.id(d.hint)]);
  }
  return [
    wf.format === null ? NONE : table.id(wf.format),
    wf.graph === undefined ? NONE : table.id(wf.graph),
    refs,
    packs,
    wf.untaggedNodeTypes ? wf.untaggedNodeTypes.map((t) => table.id(t)) : 0,
    diagnostics,
  ];
}

/** True when `o` has exactly the shape's keys, in its order (optional ones may be missing). Allocates nothing: it runs for every ref and node. */
function fits(o: object, keys: Shape): boolean {
  let at = 0;
  for (const k in o) {
    while (at < keys.length && keys[at]!.key !== k) {
      if (!keys[at]!.optional) return false;
      at++;
    }
    if (at === keys.length) return false;
    at++;
  }
  for (; at < keys.length; at++) if (!keys[at]!.optional) return false;
  return true;
}

/** decodeWorkflow from the compact form as JSON text: how workers send it and the scan cache keeps it. */
export function decodeWorkflowText(path: string, text: string, strings: readonly string[]): ScannedWorkflow {
  return decodeWorkflow(path, JSON.parse(text) as EncodedWorkflow, strings);
}

/** The exact object the scanner returned, key order included (outputs are built from it). */
export function decodeWorkflow(path: string, e: EncodedWorkflow, strings: readonly string[]): ScannedWorkflow {
  const at = (i: number): string => {
    const s = strings[i];
    if (s === undefined) throw new Error('scan cache: string index out of range');
    return s;
  };
  const wf = { path, format: e[0] === NONE ? null : at(e[0]) } as ScannedWorkflow;
  if (e[1] !== NONE) wf.graph = at(e[1]) as ScannedWorkflow['graph'];
  wf.refs = e[2].map((r) => {
    // Sized up front: these arrays outlive the build's scan (demands keep them), and one grown
    // by push from empty reserves room for 17 uses (at 30,000 workflows, 40 MB of it unused).
    const nodes = new Array<NodeUse>(r[3].length / 3);
    for (let i = 0; i < r[3].length; i += 3) nodes[i / 3] = { id: at(r[3][i]!), type: at(r[3][i + 1]!), input: at(r[3][i + 2]!) };
    const ref: ModelRef = {
      folder: at(r[0]),
      name: at(r[1]),
      active: (r[2] & ACTIVE) !== 0,
      nodes,
      embedded: r[4] === 0 ? null : { url: r[4][0] === NONE ? null : at(r[4][0]), sha256: r[4][1] === NONE ? null : at(r[4][1]) },
    };
    if (r[5] !== 0) ref.mirrors = r[5].map(at);
    if (r[2] & GUESSED) ref.guessed = true;
    if (r[6] !== 0) ref.alternatives = r[6].map(at);
    return ref;
  });
  const opt = (i: number): string | null => (i === NONE ? null : at(i));
  wf.customNodes = e[3].map((p) => {
    const pack: CustomNodeRef = { id: at(p[0]), version: opt(p[1]), repo: opt(p[2]) };
    if (p[3] !== 0) pack.nodeTypes = p[3].map(at);
    return pack;
  });
  if (e[4] !== 0) wf.untaggedNodeTypes = e[4].map(at);
  wf.diagnostics = e[5].map((d) => {
    const diagnostic: Diagnostic = { code: at(d[0]), severity: at(d[1]) as Severity, message: at(d[2]) };
    if (d[3] !== NONE) diagnostic.file = d[3] === SAME_FILE ? path : at(d[3]);
    if (d[4] !== NONE) diagnostic.node = at(d[4]);
    if (d[5] !== NONE) diagnostic.hint = at(d[5]);
    return diagnostic;
  });
  return wf;
}
