/** One synthetic workflow: 25–60 nodes, rendered in the UI or the API format. */
import { ERAS, LOADERS, fillerNode, loaderNode, packVersions, type NodeSpec } from './nodes.js';
import type { Rng } from './random.js';

/** Model names a workflow may reference, per folder (present on disk or not). */
export type RefPool = Map<string, string[]>;

export function workflowNodes(rng: Rng, pool: RefPool): NodeSpec[] {
  const total = rng.int(25, 60);
  const loaders = rng.int(3, Math.min(10, Math.floor(total / 4)));
  const embeddings = pool.get('embeddings') ?? [];
  // Saved at some point over the last few releases, more of them recently.
  const versionOf = packVersions(rng, rng.weighted([...Array(ERAS).keys()], (era) => era + 1));
  const nodes: NodeSpec[] = [];
  for (let i = 0; i < loaders; i++) {
    const [type, widget, folder] = rng.weighted(LOADERS, (l) => l[3]);
    const names = pool.get(folder);
    if (!names || names.length === 0) continue;
    nodes.push(loaderNode(rng, type, widget, folder, rng.pick(names)));
  }
  while (nodes.length < total) nodes.push(fillerNode(rng, embeddings, versionOf));
  // Loaders sit among the other nodes, not all first, as in saved graphs.
  for (let i = nodes.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [nodes[i], nodes[j]] = [nodes[j]!, nodes[i]!];
  }
  return nodes;
}

function uuid(rng: Rng): string {
  const hex = Array.from({ length: 32 }, () => rng.int(0, 15).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

export function renderUi(rng: Rng, specs: NodeSpec[]): string {
  const links: unknown[] = [];
  const nodes = specs.map((spec, i) => {
    const id = i + 1;
    const inputs: unknown[] = [];
    if (i > 0 && rng.chance(0.8)) {
      const linkId = links.length + 1;
      links.push([linkId, id - 1, 0, id, 0, 'MODEL']);
      inputs.push({ name: 'model', type: 'MODEL', link: linkId });
    }
    const mode = rng.chance(0.05) ? rng.pick([2, 4]) : 0;
    const properties: Record<string, unknown> = { 'Node name for S&R': spec.type, cnr_id: spec.pack?.cnr_id ?? 'comfy-core', ver: spec.pack?.ver ?? '0.3.44' };
    if (spec.models) properties.models = spec.models;
    return {
      id, type: spec.type, pos: [rng.int(-500, 3000), rng.int(-500, 2000)], size: [315, rng.int(58, 262)],
      flags: {}, order: i, mode, inputs,
      outputs: [{ name: 'MODEL', type: 'MODEL', links: [] as number[], slot_index: 0 }],
      properties, widgets_values: spec.widgets.map(([, v]) => v),
    };
  });
  return `${JSON.stringify({
    id: uuid(rng), revision: 0, last_node_id: nodes.length, last_link_id: links.length, nodes, links,
    groups: [{ id: 1, title: 'Models', bounding: [0, 0, 800, 600], color: '#3f789e', font_size: 24, flags: {} }],
    config: {}, extra: { ds: { scale: 0.75, offset: [120, -40] }, frontendVersion: '1.25.11' }, version: 0.4,
  }, null, 2)}\n`;
}

export function renderApi(rng: Rng, specs: NodeSpec[]): string {
  const prompt: Record<string, unknown> = {};
  specs.forEach((spec, i) => {
    const inputs: Record<string, unknown> = Object.fromEntries(spec.widgets.filter(([n]) => n !== 'control_after_generate' && n !== 'upload'));
    if (i > 0 && rng.chance(0.8)) inputs.model = [String(i), 0];
    prompt[String(i + 1)] = { inputs, class_type: spec.type, _meta: { title: spec.type } };
  });
  return `${JSON.stringify(prompt, null, 2)}\n`;
}
