/**
 * Refs from known loader nodes (loader-nodes.json): by input name where the file names inputs
 * (API, dict widgets, followed links, promoted widgets), else by widget index (from the table, or
 * from the widget names a newer frontend lists in `inputs[]`), else by value.
 */
import { normalizeName } from '../../core/folders.js';
import { type DiagnosticList, shown } from '../diagnostics.js';
import { type FlatGraph, type FlatNode, isRecord, settle } from '../graph/flat.js';
import { APPROX_VAE_VALUES, type InputSpec, NON_FILE_VALUES, loaderFor } from '../tables.js';
import { loraTagNames } from './lora-tags.js';
import { type Use, looksLikeModelFile } from './use.js';

export function loaderUses(graph: FlatGraph): Use[] {
  const uses: Use[] = [];
  const ctx = { uses, diagnostics: graph.diagnostics };
  for (const node of graph.nodes) {
    const spec = node.role === 'node' ? loaderFor(node.type) : undefined;
    if (!spec) continue;
    const claimed = new Set<number>();
    const byValue: InputSpec[] = [];
    for (const input of spec.inputs) {
      if (input.family) {
        familyUses(ctx, node, input);
        if (node.positional) byValue.push(input);
        continue;
      }
      const index = input.widgetIndex ?? positionByName(node, input.name);
      if (index !== null) claimed.add(index);
      const slot = node.named.get(input.name);
      const settled = slot ? settle(slot) : null;
      if (settled && 'value' in settled) {
        accept(ctx, node, input, settled.value, input.name);
      } else if (settled) {
        const stale = index !== null && node.positional && index < node.positional.length;
        graph.diagnostics.push('linked-widget', `${node.type} node ${node.id}: ${input.name} is fed by ${settled.unresolved}, not by a literal value${stale ? '; the value stored on the node was used' : ''}`, { node: node.id });
        if (stale) accept(ctx, node, input, node.positional![index], input.name);
      } else if (node.positional && index !== null) {
        if (index < node.positional.length) accept(ctx, node, input, node.positional[index], input.name);
        // A text the pack parses for `<lora:…>` tags came in a later version of the node: an
        // older node has no such widget, and nothing to parse (no model is missing).
        else if (!input.loraTags) graph.diagnostics.push('unknown-loader-value', `${node.type} node ${node.id}: no widget value at position ${index} for ${input.name}`, { node: node.id });
      } else if (node.positional) {
        byValue.push(input);
      }
    }
    if (byValue.length > 0) valueUses(ctx, node, byValue, claimed);
  }
  return uses;
}

function positionByName(node: FlatNode, name: string): number | null {
  const position = node.widgetOrder?.indexOf(name) ?? -1;
  return position >= 0 ? position : null;
}

interface Ctx {
  uses: Use[];
  diagnostics: DiagnosticList;
}

function accept(ctx: Ctx, node: FlatNode, input: InputSpec, value: unknown, label: string, guessed = false): void {
  let active = node.active;
  // rgthree Power Lora Loader stores {on, lora, strength}; a switched-off LoRA is optional.
  if (isRecord(value) && typeof value.lora === 'string') {
    active &&= value.on !== false;
    value = value.lora;
  }
  if (input.loraTags) {
    if (typeof value === 'string') {
      for (const name of loraTagNames(value)) ctx.uses.push({ folder: input.folder, name, active, node: { id: node.id, type: node.type, input: label }, guessed });
    }
    return;
  }
  if (typeof value !== 'string') {
    if (value === null || value === undefined) return;
    ctx.diagnostics.push('unknown-loader-value', `${node.type} node ${node.id}: ${label} is ${shown(value)}, not a file name`, { node: node.id });
    return;
  }
  if (APPROX_VAE_VALUES.has(value) && input.folder === 'vae') {
    // ComfyUI lists `taesd` when vae_approx holds taesd_encoder.* and taesd_decoder.* and builds
    // the VAE from both (nodes.py VAELoader.vae_list / load_taesd). madebyollin/taesd ships .pth.
    for (const part of ['encoder', 'decoder']) {
      ctx.uses.push({
        folder: 'vae_approx', name: `${value}_${part}.pth`, active, node: { id: node.id, type: node.type, input: label }, guessed,
        alternatives: [`${value}_${part}.safetensors`],
      });
    }
    return;
  }
  if (NON_FILE_VALUES.has(value) || input.nonFile.has(value)) return;
  ctx.uses.push({ folder: input.folder, name: normalizeName(value), active, node: { id: node.id, type: node.type, input: label }, guessed });
}

/** Numbered families (`lora_1`…): named inputs, and rgthree's {lora, on} objects in widget arrays. */
function familyUses(ctx: Ctx, node: FlatNode, input: InputSpec): void {
  for (const [name, slot] of node.named) {
    if (!input.family!.test(name)) continue;
    const settled = settle(slot);
    if ('value' in settled) accept(ctx, node, input, settled.value, name);
  }
  let n = 0;
  for (const value of node.positional ?? []) {
    if (isRecord(value) && typeof value.lora === 'string') accept(ctx, node, input, value, input.name.replace('*', String(++n)));
  }
}

/**
 * Inputs without a known widget index: the node's file-like values. With one target folder they
 * all belong to it; with several they are paired in order, which is a guess.
 */
function valueUses(ctx: Ctx, node: FlatNode, inputs: InputSpec[], claimed: ReadonlySet<number>): void {
  const folders = new Set(inputs.map((i) => i.folder));
  let n = 0;
  node.positional!.forEach((value, i) => {
    if (claimed.has(i) || !looksLikeModelFile(value)) return;
    const input = folders.size === 1 ? inputs[0]! : inputs[n++];
    if (!input) {
      ctx.uses.push({ folder: 'unknown', name: normalizeName(value), active: node.active, node: { id: node.id, type: node.type, input: `widgets_values[${i}]` }, guessed: true });
      return;
    }
    const label = inputs.length === 1 && !input.family ? input.name : `widgets_values[${i}]`;
    accept(ctx, node, input, value, label, folders.size > 1);
  });
}
