/**
 * Which packs the workflows need: a pure fold over scanned workflows. Ids are validated and
 * compared case-insensitively, `comfy-core` is set aside as the ComfyUI version range, and node
 * types no pack claims (and that ComfyUI or the frontend provide neither) are listed for lookup.
 */
import { remember } from '../core/remember.js';
import type { CustomNodeRef, ScannedWorkflow } from '../core/types.js';
import { canonicalRepo, compareSemver, isAuxId, isRegistryId, normalizeVersion, versionKind } from './ids.js';
import { isBuiltinNodeType } from './node-types.js';
import type { PackDemand, VersionSeen } from './types.js';

type PackAcc = Extract<PackDemand, { kind: 'pack' }>;
type CoreAcc = Extract<PackDemand, { kind: 'core' }>;

const CORE_ID = 'comfy-core';

export function collectPacks(workflows: readonly ScannedWorkflow[]): PackDemand[] {
  const sorted = [...workflows].sort((a, b) => cmp(a.path, b.path));
  const packs = new Map<string, PackAcc & Seen>();
  const core: CoreAcc & Seen = {
    kind: 'core', key: CORE_ID, versions: [], nodeTypes: [], workflows: [], vers: new Map(), types: new Set(), wfs: new Set(),
  };
  const invalid = new Map<string, { reason: string; workflows: Set<string> }>();
  const untagged = new Map<string, Set<string>>();
  const claimed = new Set<string>();

  const addInvalid = (value: string, reason: string, wf: string) => {
    const entry = invalid.get(value) ?? { reason, workflows: new Set<string>() };
    entry.workflows.add(wf);
    invalid.set(value, entry);
  };

  // The same few ids and versions recur in every workflow: each is read once.
  const versionOf = remember((raw) => normalizeVersion(raw));
  const identities = new Map<string, ReturnType<typeof identify>>();
  const identityOf = (id: string, repo: string | null) => {
    const key = `${id}\0${repo ?? ''}`;
    if (!identities.has(key)) identities.set(key, identify(id, repo));
    return identities.get(key) as ReturnType<typeof identify>;
  };

  for (const wf of sorted) {
    for (const ref of wf.customNodes) {
      const id = ref.id.trim();
      const version = ref.version === null ? normalizeVersion(null) : versionOf(ref.version);
      if (version === null) addInvalid(`${id}@${ref.version}`, 'version is not semver, a commit or "unknown"; treated as unknown', wf.path);
      const ver = version?.ver ?? 'unknown';
      if (id.toLowerCase() === CORE_ID) {
        addTo(core, ver, ref, wf.path);
        continue;
      }
      const ident = identityOf(id, ref.repo);
      if (ident === null) {
        addInvalid(id, 'not a registry id nor a GitHub owner/repo', wf.path);
        // The node types can still reveal the pack through the registry's class lookup.
        for (const t of ref.nodeTypes ?? []) addSet(untagged, t, wf.path);
        continue;
      }
      let acc = packs.get(ident.key);
      if (!acc) {
        acc = { kind: 'pack', key: ident.key, cnrId: null, auxId: null, repo: null, versions: [], nodeTypes: [], workflows: [], vers: new Map(), types: new Set(), wfs: new Set() };
        packs.set(ident.key, acc);
      }
      acc.cnrId ??= ident.cnrId;
      acc.auxId ??= ident.auxId;
      acc.repo ??= ident.repo;
      addTo(acc, ver, ref, wf.path);
      for (const t of ref.nodeTypes ?? []) claimed.add(t);
    }
  }
  mergeGuessedIntoRegistry(packs);
  // A type tagged comfy-core anywhere is core even when newer than our table.
  for (const t of core.types) claimed.add(t);
  for (const wf of sorted) for (const t of wf.untaggedNodeTypes ?? []) addSet(untagged, t, wf.path);

  const out: PackDemand[] = [];
  if (core.wfs.size > 0) out.push(finish(core));
  for (const key of [...packs.keys()].sort(cmp)) out.push(finish(packs.get(key)!));
  for (const t of [...untagged.keys()].sort(cmp)) {
    if (!claimed.has(t) && !isBuiltinNodeType(t)) out.push({ kind: 'untagged', nodeType: t, workflows: [...untagged.get(t)!].sort(cmp) });
  }
  for (const value of [...invalid.keys()].sort(cmp)) {
    const { reason, workflows: wfs } = invalid.get(value)!;
    out.push({ kind: 'invalid', value, reason, workflows: [...wfs].sort(cmp) });
  }
  return out;
}

/**
 * The scanner names untagged nodes of a known pack by `owner/repo` with no version; when another
 * workflow tags the same pack by registry id (= the repository name), they are one pack, one folder.
 */
function mergeGuessedIntoRegistry(packs: Map<string, PackAcc & Seen>): void {
  for (const [key, acc] of packs) {
    if (acc.cnrId !== null || [...acc.vers.keys()].some((v) => v !== 'unknown')) continue;
    const target = packs.get(key.slice(key.indexOf('/') + 1));
    if (!target || target.cnrId === null) continue;
    target.repo ??= acc.repo;
    for (const t of acc.types) target.types.add(t);
    for (const wf of acc.wfs) target.wfs.add(wf);
    packs.delete(key);
  }
}

/** Lock key and the spellings the workflow used; null when the id is not usable. */
function identify(id: string, repo: string | null): { key: string; cnrId: string | null; auxId: string | null; repo: string | null } | null {
  if (id.includes('/')) {
    if (!isAuxId(id)) return null;
    // The scanner lower-cases ids; `repo` keeps the spelling (the install dir is the repo name).
    const spelled = repo !== null ? canonicalRepo(repo) : null;
    const canonical = spelled !== null && spelled.toLowerCase().endsWith(`/${id.toLowerCase()}`) ? spelled : canonicalRepo(id);
    const auxId = canonical === null ? id : canonical.split('/').slice(-2).join('/');
    return { key: id.toLowerCase(), cnrId: null, auxId, repo: canonical };
  }
  if (!isRegistryId(id)) return null;
  const canonical = repo !== null ? canonicalRepo(repo) : null;
  const auxId = canonical?.startsWith('https://github.com/') ? canonical.split('/').slice(-2).join('/') : null;
  return { key: id.toLowerCase(), cnrId: id.toLowerCase(), auxId, repo: canonical };
}

/** What an accumulator has seen: workflows by version, node types, workflows (sets: comfy-core is in every workflow). */
interface Seen {
  vers: Map<string, Set<string>>;
  types: Set<string>;
  wfs: Set<string>;
}

function addTo(acc: Seen, ver: string, ref: CustomNodeRef, wf: string): void {
  const set = acc.vers.get(ver) ?? new Set<string>();
  set.add(wf);
  acc.vers.set(ver, set);
  for (const t of ref.nodeTypes ?? []) acc.types.add(t);
  acc.wfs.add(wf);
}

function finish<T extends PackAcc | CoreAcc>(acc: T & Seen): T {
  const { vers, types, wfs, ...rest } = acc;
  const versions: VersionSeen[] = [...vers.entries()]
    .map(([ver, seen]) => ({ ver, workflows: [...seen].sort(cmp) }))
    .sort((a, b) => compareVersions(a.ver, b.ver));
  return { ...(rest as unknown as T), versions, nodeTypes: uniqueSorted(types), workflows: uniqueSorted(wfs) };
}

const KIND_ORDER = { semver: 0, commit: 1, unknown: 2 } as const;

/** Semver ascending, then commits (by text: their age is only known after fetching), then unknown. */
export function compareVersions(a: string, b: string): number {
  const [ka, kb] = [versionKind(a), versionKind(b)];
  if (ka !== kb) return KIND_ORDER[ka] - KIND_ORDER[kb];
  return ka === 'semver' ? compareSemver(a, b) : cmp(a, b);
}

function addSet(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key) ?? new Set<string>();
  set.add(value);
  map.set(key, set);
}

function uniqueSorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(cmp);
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
