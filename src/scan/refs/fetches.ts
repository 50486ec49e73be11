/**
 * Files a node downloads itself at run time (fetch-nodes.json): each becomes a ref whose key names
 * the place its pack looks first (src/core/roots.ts), with what the pack downloads it from
 * (`fetch`), so the lock can pin it and download.sh can put it there before the box goes offline.
 * Same active rules as any ref: the node's.
 *
 * The node's values pick the files: an input by name (API, dict widgets, followed links), else by
 * its widget position, else the pack's default. A template filled from a value the pack would
 * use as is (`{model}` → `microsoft/Florence-2-base`) is checked like a workflow's file name
 * later (demand.ts): a value cannot lead a key out of its root or a URL to another path.
 */
import { hfCacheKey, hfRepoOf, hfResolveUrl } from '../../core/roots.js';
import type { FetchSpec } from '../../core/types.js';
import { shown } from '../diagnostics.js';
import { type FlatGraph, type FlatNode, settle } from '../graph/flat.js';
import { type FetchItem, type FetchRow, fetchFor } from '../tables.js';
import type { Use } from './use.js';

const PLACEHOLDER = /\{([^{}|]+)(?:\|([a-z]+))?\}/g;
const HF_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}(?:\/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?$/;

export function fetchUses(graph: FlatGraph): Use[] {
  const uses: Use[] = [];
  for (const node of graph.nodes) {
    const row = node.role === 'node' ? fetchFor(node.type) : undefined;
    if (!row) continue;
    const values = valuesOf(node, row, graph);
    // Each item with the inputs that chose it (a case's) besides those it is filled from.
    const items = [
      ...row.fetch.map((item) => ({ item, chosenBy: [] as string[] })),
      ...row.cases.filter((c) => matches(c.when, values)).flatMap((c) => c.fetch.map((item) => ({ item, chosenBy: Object.keys(c.when) }))),
    ];
    // Items of one key are one file: the pack tries their URLs in this order (bases, then fallbacks).
    const byKey = new Map<string, Use>();
    for (const { item, chosenBy } of items) {
      const expanded = expand(item, values, row.pack);
      // An input without a usable value was reported when it was read.
      if ('missing' in expanded) continue;
      if ('refused' in expanded) {
        graph.diagnostics.push('unknown-loader-value', `${node.type} node ${node.id}: ${expanded.refused}`, { node: node.id });
        continue;
      }
      const slash = expanded.key.indexOf('/');
      const seen = byKey.get(expanded.key);
      if (seen?.fetch && 'urls' in seen.fetch && 'urls' in expanded.fetch) {
        seen.fetch = { pack: row.pack, urls: [...new Set([...seen.fetch.urls, ...expanded.fetch.urls])] };
        continue;
      }
      if (seen) continue;
      const inputs = [...new Set([...chosenBy, ...expanded.inputs])].sort();
      const use: Use = {
        folder: expanded.key.slice(0, slash), name: expanded.key.slice(slash + 1), active: node.active,
        node: { id: node.id, type: node.type, input: inputs.length > 0 ? inputs.join('+') : '(fetched by the node)' },
        guessed: false, fetch: expanded.fetch,
      };
      byKey.set(expanded.key, use);
      uses.push(use);
    }
  }
  return uses;
}

/** The string value of each input the row reads, or undefined when the node has none. */
function valuesOf(node: FlatNode, row: FetchRow, graph: FlatGraph): Map<string, string | undefined> {
  const values = new Map<string, string | undefined>();
  for (const [name, spec] of Object.entries(row.inputs)) {
    let value: unknown;
    const slot = node.named.get(name);
    if (slot) {
      const settled = settle(slot);
      if ('value' in settled) value = settled.value;
      else graph.diagnostics.push('linked-widget', `${node.type} node ${node.id}: ${name} is fed by ${settled.unresolved}, not by a literal value`, { node: node.id });
    } else {
      const index = spec.widget_index ?? positionByName(node, name);
      if (index !== null && node.positional && index < node.positional.length) value = node.positional[index];
    }
    if (value === undefined || value === null) value = spec.default;
    if (typeof value !== 'string') {
      // Said once per input: the files this value picks stay unknown, so no ref can name them.
      const what = value === undefined ? 'has no value' : `is ${shown(value)}`;
      graph.diagnostics.push('unknown-loader-value', `${node.type} node ${node.id}: ${name} ${what}, so the files it picks for the node to fetch are not known`, { node: node.id });
    }
    values.set(name, typeof value === 'string' ? value : undefined);
  }
  return values;
}

function positionByName(node: FlatNode, name: string): number | null {
  const position = node.widgetOrder?.indexOf(name) ?? -1;
  return position >= 0 ? position : null;
}

function matches(when: FetchRow['cases'][number]['when'], values: Map<string, string | undefined>): boolean {
  return Object.entries(when).every(([input, wanted]) => {
    const value = values.get(input);
    if (value === undefined) return false;
    if (typeof wanted === 'string') return value === wanted;
    if (Array.isArray(wanted)) return wanted.includes(value);
    return !wanted.not.includes(value);
  });
}

type Expanded = { key: string; fetch: FetchSpec; inputs: string[] } | { missing: string } | { refused: string };

function expand(item: FetchItem, values: Map<string, string | undefined>, pack: string): Expanded {
  const inputs = new Set<string>();
  const gaps: string[] = [];
  const fill = (text: string, encode: boolean): string => text.replace(PLACEHOLDER, (_, name: string, filter?: string) => {
    inputs.add(name);
    let value = values.get(name);
    if (value === undefined) {
      gaps.push(name);
      return '';
    }
    if (filter === 'tail') value = value.slice(value.lastIndexOf('/') + 1);
    return encode ? encodeURIComponent(value) : value;
  });
  if (item.url !== undefined) {
    const urls = [item.url, ...(item.mirrors ?? [])].map((u) => fill(u, true));
    const key = fill(item.to, false);
    if (gaps[0] !== undefined) return { missing: gaps[0] };
    return { key, fetch: { pack, urls }, inputs: [...inputs] };
  }
  const spec = fill(item.hf!, false);
  const file = item.file === undefined ? '' : fill(item.file, false);
  const to = fill(item.to, false);
  if (gaps[0] !== undefined) return { missing: gaps[0] };
  const { type, repo } = hfRepoOf(spec);
  if (!HF_ID.test(repo) || repo.includes('..') || repo.includes('--')) return { refused: `${shown(spec, 200)} is not a Hugging Face repository id, so nothing is fetched for it` };
  const revision = item.revision ?? 'main';
  if (item.snapshot) {
    const key = to === 'hf-cache' ? hfCacheKey(type, repo, revision, '') : to;
    return { key, fetch: { pack, snapshot: { repo: spec, revision, ...(item.allow ? { allow: item.allow } : {}), ...(item.ignore ? { ignore: item.ignore } : {}) } }, inputs: [...inputs] };
  }
  const key = to === 'hf-cache' ? hfCacheKey(type, repo, revision, file) : to;
  return { key, fetch: { pack, urls: [hfResolveUrl(type, repo, revision, file)] }, inputs: [...inputs] };
}
