/**
 * Scores the scanner on real workflows that use custom node packs (issue 21):
 *
 *   node --import tsx scripts/score-pack-refs.ts SET_DIR [--scanner CHECKOUT] [--misses N] [--json FILE]
 *
 * SET_DIR holds workflow files (.json UI or API, .png with an embedded workflow), e.g. copied
 * from the packs' example folders; it is data, never committed. The expected refs come from the
 * packs' code through scripts/derive-pack-loaders.ts (data/packs: derived rows and hand rows),
 * read here with a reader of its own: node type → file inputs → the value at the input's
 * widget position (or by name), so the scanner's own graph code is what gets measured.
 * --scanner runs another checkout's scanner (a worktree of the base commit: "before").
 *
 * Figures: ref recall with the right folder on refs named by custom-pack nodes, wrong-folder
 * and missed counts, pack recall (each pack whose node types a workflow uses must be named by
 * the scan), and model-like values on custom-pack nodes that no row covers (the table's gaps).
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildTables } from './pack-table/build.js';
import { readPackData } from './pack-table/data.js';
import type { TableRow } from './pack-table/types.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const MODEL_EXT = /\.(ckpt|pt|pt2|bin|pth|safetensors|pkl|sft|gguf|onnx)$/i;
const oddValues: string[] = [];
const NON_FILE = new Set(['None', 'none', '[None]', 'Baked VAE', 'pixel_space', 'ESAM', 'auto', '']);

interface Expected {
  type: string;
  node: string;
  input: string;
  name: string;
  folders: string[];
}

interface ScannerModule {
  scanFile(absPath: string, relPath: string): Promise<{ refs: { folder: string; name: string }[]; customNodes: { id: string }[] }>;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}

/** The workflow in a file: JSON as is; PNG: the `workflow` text chunk, else `prompt`. */
function readWorkflow(path: string): unknown {
  const bytes = readFileSync(path);
  if (bytes.subarray(0, 8).equals(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]))) {
    const texts = new Map<string, string>();
    for (let at = 8; at + 8 <= bytes.length;) {
      const len = bytes.readUInt32BE(at);
      const kind = bytes.toString('latin1', at + 4, at + 8);
      const data = bytes.subarray(at + 8, at + 8 + len);
      if (kind === 'tEXt') {
        const nul = data.indexOf(0);
        texts.set(data.toString('latin1', 0, nul), data.toString('utf8', nul + 1));
      } else if (kind === 'iTXt') {
        const nul = data.indexOf(0);
        const rest = data.subarray(nul + 3);
        const z1 = rest.indexOf(0);
        const z2 = rest.indexOf(0, z1 + 1);
        if (data[nul + 1] === 0) texts.set(data.toString('latin1', 0, nul), rest.toString('utf8', z2 + 1));
      }
      at += 12 + len;
    }
    const text = texts.get('workflow') ?? texts.get('prompt');
    return text === undefined ? null : JSON.parse(text);
  }
  return JSON.parse(bytes.toString('utf8'));
}

interface SimpleNode {
  id: string;
  type: string;
  positional: unknown[] | null;
  named: Record<string, unknown> | null;
  /** The pack the node says it comes from (ComfyUI-Manager's cnr_id / aux_id), lower-cased. */
  tag: string | null;
  /** Widget names in widgets_values order, when the node lists every widget in inputs[] (newer frontends). */
  widgetNames: string[] | null;
}

/** Top-level nodes and the nodes of subgraph definitions (UI), or the prompt's nodes (API). */
function nodesOf(wf: unknown): SimpleNode[] {
  if (!wf || typeof wf !== 'object') return [];
  const w = wf as Record<string, unknown>;
  if (Array.isArray(w.nodes)) {
    const all = [...(w.nodes as Record<string, unknown>[])];
    const defs = (w.definitions as { subgraphs?: { nodes?: Record<string, unknown>[] }[] } | undefined)?.subgraphs ?? [];
    for (const sg of defs) all.push(...(sg.nodes ?? []));
    return all.filter((n) => n && typeof n.type === 'string').map((n) => {
      const wv = n.widgets_values;
      const props = (n.properties ?? {}) as Record<string, unknown>;
      const tag = [props.cnr_id, props.aux_id].find((v): v is string => typeof v === 'string' && v !== '' && v !== 'comfy-core');
      const listed = Array.isArray(n.inputs) ? (n.inputs as { widget?: { name?: unknown } }[]).map((i) => i.widget?.name).filter((x): x is string => typeof x === 'string') : [];
      const widgetNames = Array.isArray(wv) && listed.length === wv.length ? listed : null;
      return {
        id: String(n.id), type: n.type as string, positional: Array.isArray(wv) ? wv : null,
        named: wv && typeof wv === 'object' && !Array.isArray(wv) ? wv as Record<string, unknown> : null, tag: tag?.toLowerCase() ?? null, widgetNames,
      };
    });
  }
  return Object.entries(w).filter(([, v]) => v && typeof v === 'object' && typeof (v as { class_type?: unknown }).class_type === 'string')
    .map(([id, v]) => ({ id, type: (v as { class_type: string }).class_type, positional: null, named: ((v as { inputs?: Record<string, unknown> }).inputs ?? {}), tag: null, widgetNames: null }));
}

function loraTags(text: string): string[] {
  return [...text.matchAll(/<lora:([^>]+)>/gi)].map((m) => m[1]!.replace(/^:+|:+$/g, '').split(':')[0]!.trim())
    .filter((n) => n !== '').map((n) => (MODEL_EXT.test(n) ? n : `${n}.safetensors`));
}

function expectedRefs(node: SimpleNode, row: TableRow, also: Record<string, string[]>): { refs: Expected[]; unreadable: number } {
  const refs: Expected[] = [];
  let unreadable = 0;
  for (const [input, spec] of Object.entries(row.inputs)) {
    const folders = [spec.folder, ...(also[input] ?? [])];
    const push = (value: unknown, label: string) => {
      if (typeof value === 'object' && value !== null && typeof (value as { lora?: unknown }).lora === 'string') value = (value as { lora: string }).lora;
      if (typeof value !== 'string') return;
      const names = spec.kind === 'lora_tags' ? loraTags(value) : [value];
      for (const raw of names) {
        if (NON_FILE.has(raw) || spec.non_file_values?.includes(raw) || /^taes/.test(raw)) continue;
        // A check on the derived positions: what sits there should read as a file name.
        if (spec.kind !== 'lora_tags' && !MODEL_EXT.test(raw) && !/\.(json|yaml|txt)$/i.test(raw)) oddValues.push(`${node.type}.${label} = ${JSON.stringify(raw).slice(0, 80)}`);
        refs.push({ type: node.type, node: node.id, input: label, name: raw.replace(/\\/g, '/'), folders });
      }
    };
    if (input.includes('*')) {
      const re = new RegExp(`^${input.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace('*', '\\d+')}$`);
      if (node.named) for (const [k, v] of Object.entries(node.named)) if (re.test(k)) push(v, k);
      if (node.positional) for (const v of node.positional) if (v && typeof v === 'object' && 'lora' in v) push(v, input);
      continue;
    }
    if (node.named && input in node.named) push(node.named[input], input);
    else if (node.positional && spec.widget_index !== undefined) push(node.positional[spec.widget_index], input);
    else if (node.positional) unreadable++;
  }
  return { refs, unreadable };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const setDir = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
  if (!setDir) {
    process.stderr.write('usage: score-pack-refs.ts SET_DIR [--scanner CHECKOUT] [--misses N] [--json FILE]\n');
    process.exitCode = 2;
    return;
  }
  const opt = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
  const scannerRoot = resolve(opt('--scanner') ?? root);
  const scanner = await import(pathToFileURL(join(scannerRoot, 'src/scan/index.ts')).href) as ScannerModule;
  const data = readPackData(root);
  const built = buildTables({ manifest: data.manifest.packs, derived: data.derived, hand: data.hand, managerTypes: data.managerTypes });
  const packOf = new Map<string, string>();
  for (const [pack, types] of Object.entries(built.packTypes)) for (const t of types) if (!packOf.has(t)) packOf.set(t, pack);
  const idsOf = new Map(data.manifest.packs.map((p) => [p.repo, new Set([p.repo.toLowerCase(), p.repo.split('/')[1]!.toLowerCase(), ...p.registry_ids.map((r) => r.toLowerCase())])]));

  let refTotal = 0; let refHit = 0; let wrongFolder = 0; let missed = 0; let unreadable = 0;
  let packTotal = 0; let packHit = 0; let workflows = 0;
  const misses: string[] = [];
  const wrong: Record<string, number> = {};
  const gaps = new Map<string, number>();
  const packMisses: string[] = [];
  let positionsAgree = 0;
  const positionsDisagree: string[] = [];
  for (const abs of listFiles(resolve(setDir))) {
    let wf: unknown;
    try { wf = readWorkflow(abs); } catch { continue; }
    const nodes = nodesOf(wf);
    if (!nodes.some((n) => packOf.has(n.type))) continue;
    workflows++;
    const rel = relative(resolve(setDir), abs);
    const scanned = await scanner.scanFile(abs, rel);
    const byName = new Map<string, Set<string>>();
    for (const r of scanned.refs) (byName.get(r.name) ?? byName.set(r.name, new Set()).get(r.name)!).add(r.folder);
    const seen = new Set<string>();
    for (const node of nodes) {
      const pack = packOf.get(node.type);
      if (!pack) continue;
      const row = built.rows[node.type];
      const covered = new Set(Object.keys(row?.inputs ?? {}));
      if (row && node.widgetNames) {
        // The frontend's own list of widget names checks the derived positions independently.
        for (const [input, spec] of Object.entries(row.inputs)) {
          const at = node.widgetNames.indexOf(input);
          if (at < 0 || spec.widget_index === undefined) continue;
          if (at === spec.widget_index) positionsAgree++;
          else positionsDisagree.push(`${rel} ${node.type}.${input}: derived ${spec.widget_index}, the node lists it at ${at}`);
        }
      }
      if (row) {
        const got = expectedRefs(node, row, built.provenance[node.type]?.also ?? {});
        unreadable += got.unreadable;
        for (const exp of got.refs) {
          const key = `${exp.folders[0]}/${exp.name}`;
          if (seen.has(key)) continue;
          seen.add(key);
          refTotal++;
          const folders = byName.get(exp.name);
          if (folders && exp.folders.some((f) => folders.has(f))) refHit++;
          else if (folders) {
            wrongFolder++;
            const k = `${exp.type}.${exp.input}: ${[...folders].join('|')} for ${exp.folders[0]}`;
            wrong[k] = (wrong[k] ?? 0) + 1;
          } else {
            missed++;
            misses.push(`${rel} node ${exp.node} ${exp.type}.${exp.input} = ${exp.name} (${exp.folders[0]})`);
          }
        }
      }
      // Model-like values no row covers on a custom-pack node: the table's gaps, reported apart.
      const values = node.named ? Object.entries(node.named).filter(([k]) => !covered.has(k)).map(([, v]) => v) : row ? [] : node.positional ?? [];
      for (const v of values) if (typeof v === 'string' && MODEL_EXT.test(v) && !v.includes('\n')) gaps.set(node.type, (gaps.get(node.type) ?? 0) + 1);
    }
    // A pack the node names itself (a fork, a renamed repository) is the one to find; else the
    // pack that defines the type.
    const named = new Set(scanned.customNodes.map((c) => c.id.toLowerCase()));
    const wanted = new Map<string, Set<string>>();
    for (const n of nodes) {
      const pack = packOf.get(n.type);
      if (n.tag) wanted.set(`tag:${n.tag}`, new Set([n.tag]));
      else if (pack) wanted.set(pack, idsOf.get(pack) ?? new Set([pack.toLowerCase()]));
    }
    for (const [pack, ids] of wanted) {
      packTotal++;
      if ([...ids].some((id) => named.has(id))) packHit++;
      else packMisses.push(`${rel}: ${pack}`);
    }
  }
  const ratio = (a: number, b: number) => `${(b === 0 ? 1 : a / b).toFixed(4)} (${a}/${b})`;
  const lines = [
    `scanner: ${relative(process.cwd(), scannerRoot) || '.'}; ${workflows} workflows with custom-pack nodes`,
    `refs named by custom-pack nodes, right folder: ${ratio(refHit, refTotal)}`,
    `  right name, wrong folder: ${wrongFolder}; missed: ${missed}; inputs without a readable position: ${unreadable}`,
    `packs named: ${ratio(packHit, packTotal)}`,
    `model-like values on custom-pack nodes that no row covers: ${[...gaps.values()].reduce((a, b) => a + b, 0)} on ${gaps.size} node types`,
    `expected refs whose value does not read as a file name (a wrong position?): ${oddValues.length}`,
    `derived widget positions against the widget names nodes list themselves: ${positionsAgree} agree, ${positionsDisagree.length} differ`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const n = Number(opt('--misses') ?? 0);
  if (n > 0) {
    process.stdout.write(`\nwrong folders:\n${Object.entries(wrong).sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, c]) => `  ${c}× ${k}`).join('\n')}\n`);
    process.stdout.write(`\nmissed:\n${misses.slice(0, n).map((m) => `  ${m}`).join('\n')}\n`);
    process.stdout.write(`\npacks not named:\n${packMisses.slice(0, n).map((m) => `  ${m}`).join('\n')}\n`);
    process.stdout.write(`\npositions that differ:\n${positionsDisagree.slice(0, n).map((m) => `  ${m}`).join('\n')}\n`);
    process.stdout.write(`\nvalues that do not read as file names:\n${[...new Set(oddValues)].slice(0, n).map((m) => `  ${m}`).join('\n')}\n`);
    process.stdout.write(`\nuncovered model-like values by node type:\n${[...gaps].sort((a, b) => b[1] - a[1]).slice(0, n).map(([t, c]) => `  ${c}× ${t}`).join('\n')}\n`);
  }
  const json = opt('--json');
  if (json) writeFileSync(json, `${JSON.stringify({ workflows, refTotal, refHit, wrongFolder, missed, unreadable, packTotal, packHit, wrong, misses, packMisses, gaps: Object.fromEntries(gaps) }, null, 1)}\n`);
}

await main();
