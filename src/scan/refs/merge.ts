/**
 * Sightings → ModelRefs: one ref per (folder, name) with every using node, `active` if any use
 * is, the first embedded URL as `embedded.url` and the others as `mirrors`. Sorted by folder,
 * then name; nodes by id (numeric-aware), then input.
 */
import { byString } from '../../core/stable-json.js';
import type { FetchSpec, ModelRef, NodeUse } from '../../core/types.js';
import type { DiagnosticList } from '../diagnostics.js';
import type { EmbeddedEntry } from './embedded-models.js';
import type { Use } from './use.js';

interface Acc {
  folder: string;
  name: string;
  active: boolean;
  nodes: Map<string, NodeUse>;
  guessed: boolean;
  urls: string[];
  sha256: string | null;
  alternatives?: string[];
  fetch?: FetchSpec;
}

export function mergeRefs(uses: readonly Use[], embedded: readonly EmbeddedEntry[], diagnostics: DiagnosticList): ModelRef[] {
  const accs = new Map<string, Acc>();
  const byNodeName = new Map<string, Set<Acc>>();
  const byName = new Map<string, Set<Acc>>();
  const get = (folder: string, name: string): Acc => {
    const key = `${folder}\0${name}`;
    let acc = accs.get(key);
    if (!acc) {
      acc = { folder, name, active: false, nodes: new Map(), guessed: true, urls: [], sha256: null };
      accs.set(key, acc);
      addTo(byName, name, acc);
    }
    return acc;
  };

  // A guess never duplicates a name the table already placed, and an `unknown` guess joins a
  // guess that found a folder for the same name.
  const confirmed = new Set(uses.filter((u) => !u.guessed).map((u) => u.name));
  const guessedFolder = new Map<string, string>();
  for (const u of uses) if (u.guessed && u.folder !== 'unknown' && !guessedFolder.has(u.name)) guessedFolder.set(u.name, u.folder);
  for (const use of uses) {
    if (use.guessed && confirmed.has(use.name)) continue;
    const folder = use.guessed && use.folder === 'unknown' ? guessedFolder.get(use.name) ?? 'unknown' : use.folder;
    const acc = get(folder, use.name);
    acc.active ||= use.active;
    acc.guessed &&= use.guessed;
    acc.nodes.set(`${use.node.id}\0${use.node.input}`, use.node);
    if (use.alternatives) acc.alternatives ??= use.alternatives;
    if (use.fetch) acc.fetch = mergeFetch(acc.fetch, use.fetch);
    addTo(byNodeName, `${use.node.id}\0${use.name}`, acc);
  }

  for (const entry of embedded) {
    let targets = entry.node ? [...(byNodeName.get(`${entry.node.id}\0${entry.name}`) ?? [])] : [];
    if (targets.length === 0 && entry.folder !== null && accs.has(`${entry.folder}\0${entry.name}`)) {
      targets = [accs.get(`${entry.folder}\0${entry.name}`)!];
    }
    if (targets.length === 0 && (byName.get(entry.name)?.size ?? 0) === 1) targets = [...byName.get(entry.name)!];
    if (targets.length === 0) {
      const acc = get(entry.folder ?? 'unknown', entry.name);
      acc.guessed = false;
      acc.active ||= entry.active;
      if (entry.node) acc.nodes.set(`${entry.node.id}\0${entry.node.input}`, entry.node);
      targets = [acc];
    }
    for (const acc of targets) {
      if (entry.folder !== null && entry.folder !== acc.folder) {
        diagnostics.push('embedded-folder-mismatch', `models metadata puts ${entry.name} in ${entry.folder}, but the node loads it from ${acc.folder}; ${acc.folder} was used`, entry.node ? { node: entry.node.id } : {});
      }
      if (entry.url && !acc.urls.includes(entry.url)) acc.urls.push(entry.url);
      if (entry.sha256 && acc.sha256 && entry.sha256 !== acc.sha256) {
        diagnostics.push('conflicting-embedded-hash', `models metadata gives two sha256 values for ${acc.folder}/${acc.name} (${acc.sha256}, ${entry.sha256}); the first was kept`);
      }
      acc.sha256 ??= entry.sha256;
    }
  }

  return [...accs.values()].map(toRef).sort((a, b) => byString(a.folder, b.folder) || byString(a.name, b.name));
}

function toRef(acc: Acc): ModelRef {
  const ref: ModelRef = {
    folder: acc.folder,
    name: acc.name,
    active: acc.active,
    nodes: [...acc.nodes.values()].sort((a, b) => compareIds(a.id, b.id) || byString(a.input, b.input)),
    embedded: acc.urls.length > 0 || acc.sha256 ? { url: acc.urls[0] ?? null, sha256: acc.sha256 } : null,
  };
  if (acc.urls.length > 1) ref.mirrors = acc.urls.slice(1);
  if (acc.guessed) ref.guessed = true;
  if (acc.alternatives) ref.alternatives = acc.alternatives;
  if (acc.fetch) ref.fetch = acc.fetch;
  return ref;
}

/** `2` < `10` < `10:3`: numeric segments compare as numbers, others as strings. */
export function compareIds(a: string, b: string): number {
  const as = a.split(':');
  const bs = b.split(':');
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const x = as[i]!;
    const y = bs[i]!;
    if (x === y) continue;
    const nx = Number(x);
    const ny = Number(y);
    if (x !== '' && y !== '' && Number.isFinite(nx) && Number.isFinite(ny)) return nx - ny || byString(x, y);
    return byString(x, y);
  }
  return as.length - bs.length;
}

/** Two nodes fetching one key: every URL, first node's first; a snapshot keeps the first node's. */
function mergeFetch(a: FetchSpec | undefined, b: FetchSpec): FetchSpec {
  if (!a) return b;
  if ('urls' in a && 'urls' in b) return { pack: a.pack, urls: [...new Set([...a.urls, ...b.urls])] };
  return a;
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}
