/**
 * Custom node packs a workflow uses.
 *
 * - Tagged nodes: ComfyUI-Manager stamps `properties.cnr_id` (registry id) or `aux_id` (GitHub
 *   `owner/repo`) plus `ver`. Values are validated (the frontend's rules) because packs stamp
 *   arbitrary strings; ids are lower-cased, so case differences merge. `comfy-core` is ComfyUI
 *   itself and is kept: its `ver` is the ComfyUI version.
 * - Untagged nodes of a popular pack (pack-nodes.json) become an `owner/repo` entry without a
 *   version; it joins a tagged entry whose registry id equals the repository name.
 * - One entry per (pack, version): a workflow saved across updates can name several versions
 *   (multiple-pack-versions), and the pinning stage decides.
 * - Node types of untagged nodes that are neither core nor frontend-only are listed in
 *   `untaggedNodeTypes` for the registry lookup; they are not packs yet.
 */
import { remember } from '../core/remember.js';
import { byString } from '../core/stable-json.js';
import type { CustomNodeRef } from '../core/types.js';
import { type DiagnosticList, shown } from './diagnostics.js';
import type { FlatNode } from './graph/flat.js';
import { isCoreType, isFrontendOnly, packForType, repoName } from './tables.js';

const REGISTRY_ID = /^[a-zA-Z0-9](?:[a-zA-Z0-9._-]*[a-zA-Z0-9])?$/;
const AUX_ID = /^[a-zA-Z0-9][a-zA-Z0-9-]{0,38}\/[a-zA-Z0-9._-]{1,100}$/;
const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const COMMIT = /^[0-9a-fA-F]{4,40}$/;
export const COMFY_CORE = 'comfy-core';

interface PackAcc {
  id: string;
  repo: string | null;
  /** version (or '' for none) → node types */
  versions: Map<string, Set<string>>;
}

export function collectCustomNodes(nodes: readonly FlatNode[], diagnostics: DiagnosticList): { customNodes: CustomNodeRef[]; untaggedNodeTypes: string[] } {
  const packs = new Map<string, PackAcc>();
  const untagged = new Set<string>();
  const pack = (id: string, repo: string | null): PackAcc => {
    let acc = packs.get(id);
    if (!acc) packs.set(id, (acc = { id, repo, versions: new Map() }));
    acc.repo ??= repo;
    return acc;
  };
  for (const node of nodes) {
    if (node.role !== 'node' || node.type === '') continue;
    const tag = readTag(node, diagnostics);
    if (tag) {
      addType(pack(tag.id, tag.repo), tag.version ?? '', node.type);
      continue;
    }
    if (isCoreType(node.type) || isFrontendOnly(node.type)) continue;
    untagged.add(node.type);
    const known = packForType(node.type);
    if (known) addType(pack(known.toLowerCase(), `https://github.com/${known}`), '', node.type);
  }
  mergeUntaggedIntoRegistry(packs);
  const customNodes: CustomNodeRef[] = [];
  for (const acc of [...packs.values()].sort((a, b) => byString(a.id, b.id))) {
    const versions = [...acc.versions.keys()].sort(byString);
    const named = versions.filter((v) => v !== '');
    if (named.length > 1) {
      const code = acc.id === COMFY_CORE ? 'comfyui-versions' : 'multiple-pack-versions';
      diagnostics.push(code, `nodes of ${acc.id} were saved with ${named.length} versions: ${named.join(', ')}`);
    }
    for (const version of versions) {
      customNodes.push({ id: acc.id, version: version === '' ? null : version, repo: acc.repo, nodeTypes: [...acc.versions.get(version)!].sort(byString) });
    }
  }
  return { customNodes, untaggedNodeTypes: [...untagged].sort(byString) };
}

function readTag(node: FlatNode, diagnostics: DiagnosticList): { id: string; repo: string | null; version: string | null } | null {
  const props = node.properties;
  if (!props) return null;
  const cnr = valid(props.cnr_id, isRegistryId, 'cnr_id', node, diagnostics);
  const aux = valid(props.aux_id, isAuxId, 'aux_id', node, diagnostics);
  if (cnr === null && aux === null) return null;
  const ver = valid(props.ver, isVersion, 'ver', node, diagnostics);
  return { id: (cnr ?? aux)!.toLowerCase(), repo: aux === null ? null : `https://github.com/${aux}`, version: ver };
}

// Nearly every node carries the same few ids and versions: each distinct value is tested once.
const isRegistryId = remember((v) => v.length <= 100 && REGISTRY_ID.test(v));
const isAuxId = remember((v) => AUX_ID.test(v));
const isVersion = remember((v) => {
  const bare = /^v\d/i.test(v) ? v.slice(1) : v;
  return SEMVER.test(bare) || COMMIT.test(bare) || v.toLowerCase() === 'unknown';
});

function valid(value: unknown, ok: (v: string) => boolean, field: string, node: FlatNode, diagnostics: DiagnosticList): string | null {
  if (value === undefined || value === null || value === '') return null;
  const text = typeof value === 'string' ? value.trim() : '';
  if (text !== '' && ok(text)) return text;
  diagnostics.push('invalid-pack-metadata', `${node.type} node ${node.id}: ${field} ${shown(value)} is not valid and was ignored`, { node: node.id });
  return null;
}

function addType(acc: PackAcc, version: string, type: string): void {
  let set = acc.versions.get(version);
  if (!set) acc.versions.set(version, (set = new Set()));
  set.add(type);
}

/** `kijai/comfyui-kjnodes` (found by node type) joins `comfyui-kjnodes` (tagged) in the same workflow. */
function mergeUntaggedIntoRegistry(packs: Map<string, PackAcc>): void {
  for (const [id, acc] of packs) {
    if (!id.includes('/') || acc.versions.size !== 1 || !acc.versions.has('')) continue;
    const target = packs.get(repoName(id));
    if (!target) continue;
    target.repo ??= acc.repo;
    // Credit the types to the pack's most used tagged version: they were saved alongside it.
    const best = [...target.versions.entries()].sort((a, b) => b[1].size - a[1].size || byString(a[0], b[0]))[0]![0];
    for (const type of acc.versions.get('')!) addType(target, best, type);
    packs.delete(id);
  }
}
