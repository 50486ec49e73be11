/**
 * Files a node loads without naming them: a preset picks them (IPAdapter's unified loaders,
 * `implied` in loader-nodes.json, read from the pack's code and README with the reason in
 * data/packs/hand.json). Same active rules as any ref: the node's.
 *
 * Some presets have an SD1.5 and an SDXL variant, which the pack picks from the model it is
 * given at run time. The scan cannot see that model, so it takes the family the workflow's
 * checkpoints and diffusion models point at by name (`…XL…`, Pony, Illustrious, Kolors → SDXL;
 * else SD1.5) and marks those refs `guessed`. A preset with one variant is certain.
 */
import { type FlatGraph, type FlatNode, settle } from '../graph/flat.js';
import { type ImpliedSpec, impliedFor } from '../tables.js';
import type { Use } from './use.js';

const SDXL_NAMES = /xl|pony|illustrious|noob|kolors/i;

export function impliedUses(graph: FlatGraph, loaders: readonly Use[]): Use[] {
  const uses: Use[] = [];
  let family: 'sd15' | 'sdxl' | null = null;
  for (const node of graph.nodes) {
    const spec = node.role === 'node' ? impliedFor(node.type) : undefined;
    if (!spec) continue;
    const preset = presetValue(node, spec);
    const variants = typeof preset === 'string' ? spec.presets.get(preset) : undefined;
    if (!variants) continue;
    const both = variants.sd15 !== undefined && variants.sdxl !== undefined;
    family ??= loaders.some((u) => (u.folder === 'checkpoints' || u.folder === 'diffusion_models') && SDXL_NAMES.test(u.name)) ? 'sdxl' : 'sd15';
    const files = both ? variants[family]! : (variants.sd15 ?? variants.sdxl)!;
    const other = both ? variants[family === 'sdxl' ? 'sd15' : 'sdxl']! : files;
    for (const [folder, name] of files) {
      // A file both variants use (the ViT-H encoder) is needed whichever model comes.
      const certain = other.some(([f, n]) => f === folder && n === name);
      uses.push({ folder, name, active: node.active, node: { id: node.id, type: node.type, input: spec.input }, guessed: !certain });
    }
  }
  return uses;
}

function presetValue(node: FlatNode, spec: ImpliedSpec): unknown {
  const slot = node.named.get(spec.input);
  if (slot) {
    const settled = settle(slot);
    return 'value' in settled ? settled.value : undefined;
  }
  return spec.widgetIndex !== null ? node.positional?.[spec.widgetIndex] : undefined;
}
