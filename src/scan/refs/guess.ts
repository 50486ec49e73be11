/**
 * Nodes the loader table does not know: a value that reads as a model file becomes a guessed ref
 * rather than being dropped. Its folder comes from the workflow's own model metadata, else from
 * the input name or node type (folder_hints in loader-nodes.json), else `unknown`.
 *
 * Core nodes and self-downloading packs are known not to be loaders: a file-like value there is
 * reported (unmapped-model-value), never turned into a ref.
 */
import { normalizeName } from '../../core/folders.js';
import { type FlatGraph, type FlatNode, consumedKey, stringValues } from '../graph/flat.js';
import {
  fetchFor, folderHintForInput, folderHintForName, folderHintForType, isCoreType, isDocumentation, isFrontendOnly, isKnownPackType, isNoGuessPack,
  loaderFor, packForType,
} from '../tables.js';
import type { EmbeddedEntry } from './embedded-models.js';
import { type Use, looksLikeModelFile } from './use.js';

export function guessUses(graph: FlatGraph, embedded: readonly EmbeddedEntry[]): Use[] {
  const declared = declaredFolders(embedded);
  const uses: Use[] = [];
  for (const node of graph.nodes) {
    // A node that fetches its own files: fetch-nodes.json says which values name them.
    if (node.role === 'node' && (loaderFor(node.type) || fetchFor(node.type))) continue;
    if (isDocumentation(node.type) || (isFrontendOnly(node.type) && node.type !== 'PrimitiveNode')) continue;
    for (const sv of stringValues(node)) {
      const value = sv.value;
      if (!looksLikeModelFile(value) || graph.consumed.has(consumedKey(node.id, value))) continue;
      const label = sv.label;
      if (node.role === 'node' && (isCoreType(node.type) || isKnownPackType(node.type) || selfDownloading(node))) {
        const why = isCoreType(node.type) ? 'is not a known loader' : 'loads no model file from that input (its pack\'s code says so)';
        graph.diagnostics.push('unmapped-model-value', `${node.type} node ${node.id}: ${label} = ${JSON.stringify(value)} looks like a model file, but ${node.type} ${why}, so it is not a ref`, {
          node: node.id, hint: 'if the node loads this file from the models folder, add it to data/packs/hand.json (see data/packs/README.md)',
        });
        continue;
      }
      const name = normalizeName(value);
      const folder = declared.byNode.get(`${node.id}\0${name}`) ?? declared.byName.get(name) ?? hintedFolder(node, label, name) ?? 'unknown';
      uses.push({ folder, name, active: node.active, node: { id: node.id, type: node.type, input: label }, guessed: true });
    }
  }
  return uses;
}

/**
 * The input name decides first; a node type's keyword only when the file name itself does not
 * point elsewhere (a `..._tile.pth` ControlNet on an "Upscale" node stays `unknown`).
 */
function hintedFolder(node: FlatNode, label: string, name: string): string | null {
  const byInput = label.startsWith('widgets_values[') ? null : folderHintForInput(label);
  if (byInput) return byInput;
  const byType = node.role === 'node' ? folderHintForType(node.type) : null;
  if (byType === null) return null;
  const byName = folderHintForName(name);
  return byName === null || byName === byType ? byType : null;
}

function selfDownloading(node: FlatNode): boolean {
  const pack = packForType(node.type);
  if (pack && isNoGuessPack(pack)) return true;
  const props = node.properties;
  return [props?.cnr_id, props?.aux_id].some((id) => typeof id === 'string' && isNoGuessPack(id));
}

/** Folders the metadata declares: per (node, name), and per name when all entries agree. */
function declaredFolders(embedded: readonly EmbeddedEntry[]) {
  const byNode = new Map<string, string>();
  const byName = new Map<string, string>();
  const conflicting = new Set<string>();
  for (const entry of embedded) {
    if (entry.folder === null) continue;
    if (entry.node) byNode.set(`${entry.node.id}\0${entry.name}`, entry.folder);
    const seen = byName.get(entry.name);
    if (seen !== undefined && seen !== entry.folder) conflicting.add(entry.name);
    else byName.set(entry.name, entry.folder);
  }
  for (const name of conflicting) byName.delete(name);
  return { byNode, byName };
}
