/**
 * Textual-inversion embeddings named in prompt text, as comfy/sd1_clip.py reads them:
 * `embedding:<name>` at the start of a prompt segment (text start, or just inside/after a
 * parenthesis) or after a space or newline; the name ends at whitespace; inside `( … )` a
 * trailing `:<weight>` belongs to the group, not the name; commas around it are stripped.
 *
 * File name: ComfyUI tries the name as written, then `.safetensors`, `.pt`, `.bin`. A name with
 * a model extension is kept as written. One without is recorded as `<name>.safetensors` (the
 * first extension ComfyUI tries, and the format a download should have: a file without an
 * extension is unpickled, not read as safetensors), with the other accepted names listed in
 * `alternatives` so a local `<name>.pt` still matches.
 */
import { normalizeName } from '../../core/folders.js';
import { type FlatGraph, stringValues } from '../graph/flat.js';
import { isDocumentation, isFrontendOnly } from '../tables.js';
import { type Use, hasModelExtension } from './use.js';

const MARKER = 'embedding:';
const TOKEN = /(^|[\s()])embedding:([^\s()]+)/g;
const WEIGHT = /:[+-]?(?:\d+\.?\d*|\.\d+)$/;

export function embeddingUses(graph: FlatGraph): Use[] {
  const uses: Use[] = [];
  for (const node of graph.nodes) {
    if (node.role !== 'node' || isDocumentation(node.type) || isFrontendOnly(node.type)) continue;
    for (const sv of stringValues(node)) {
      if (!sv.value.includes(MARKER)) continue;
      for (const name of embeddingNames(sv.value)) {
        const use: Use = { folder: 'embeddings', name: name.file, active: node.active, node: { id: node.id, type: node.type, input: sv.label }, guessed: false };
        if (name.alternatives.length > 0) use.alternatives = name.alternatives;
        uses.push(use);
      }
    }
  }
  return uses;
}

export function embeddingNames(text: string): { file: string; alternatives: string[] }[] {
  const out: { file: string; alternatives: string[] }[] = [];
  let depth = 0;
  let scanned = 0;
  for (const match of text.matchAll(TOKEN)) {
    depth = parenDepth(text, scanned, match.index, depth);
    scanned = match.index;
    let name = match[2]!;
    if (depth > 0 || match[1] === '(') name = name.replace(WEIGHT, '');
    name = normalizeName(name.replace(/^,+|,+$/g, ''));
    if (name === '' || name.endsWith('/')) continue;
    if (hasModelExtension(name)) out.push({ file: name, alternatives: [] });
    else out.push({ file: `${name}.safetensors`, alternatives: [name, `${name}.pt`, `${name}.bin`] });
  }
  return out;
}

/** Parenthesis depth at `to`, continuing from `depth` at `from`; `\(` and `\)` are literal. */
function parenDepth(text: string, from: number, to: number, depth: number): number {
  for (let i = from; i < to; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '(') depth++;
    else if (c === ')' && depth > 0) depth--;
  }
  return depth;
}
