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
  const fold = new PackFold();
  for (const wf of [...workflows].sort((a, b) => cmp(a.path, b.path))) fold.add(wf);
  return fold.finish();
}

/** collectPacks one workflow at a time, in path order, as a build scans them. */
export class PackFold {
  private readonly packs = new Map<string, PackAcc & Seen>();
  private readonly core: CoreAcc & Seen = {
    kind: 'core', key: CORE_ID, versions: [], nodeTypes: [], workflows: [], vers: new Map(), types: new Set(), wfs: new Set(),
  };
  private readonly invalid = new Map<string, { reason: string; workflows: Set<string> }>();
  private readonly untagged = new Map<string, Set<string>>();
  private readonly claimed = new Set<string>();
  // The same few ids and versions recur in every workflow: each is read once.
  private readonly versionOf = remember((raw) => normalizeVersion(raw));
  private readonly identities = new Map<string, ReturnType<typeof identify>>();

  add(wf: ScannedWorkflow): void {
    for (const ref of wf.customNodes) {
      const id = ref.id.trim();
      const version = ref.version === null ? normalizeVersion(null) : this.versionOf(ref.version);
      if (version === null) this.addInvalid(`${id}@${ref.version}`, 'version is not semver, a commit or "unknown"; treated as unknown', wf.path);
      const ver = version?.ver ?? 'unknown';
      if (id.toLowerCase() === CORE_ID) {
        addTo(this.core, ver, ref, wf.path);
        continue;
      }
      const ident = this.identityOf(id, ref.repo);
      if (ident === null) {
        this.addInvalid(id, 'not a registry id nor a GitHub owner/repo', wf.path);
        // The node types can still reveal the pack through the registry's class lookup.
        for (const t of ref.nodeTypes ?? []) addSet(this.untagged, t, wf.path);
        continue;
      }
      let acc = this.packs.get(ident.key);
      if (!acc) {
        acc = { kind: 'pack', key: ident.key, cnrId: null, auxId: null, repo: null, versions: [], nodeTypes: [], workflows: [], vers: new Map(), types: new Set(), wfs: new Set() };
        this.packs.set(ident.key, acc);
      }
      acc.cnrId ??= ident.cnrId;
      acc.auxId ??= ident.auxId;
      acc.repo ??= ident.repo;
      addTo(acc, ver, ref, wf.path);
      for (const t of ref.nodeTypes ?? []) this.claimed.add(t);
    }
    for (const t of wf.untaggedNodeTypes ?? []) addSet(this.untagged, t, wf.path);
  }

  finish(): PackDemand[] {
    const { packs, core, claimed, untagged, invalid } = this;
    mergeGuessedIntoRegistry(packs);
    // A type tagged comfy-core anywhere is core even when newer than our table.
    for (const t of core.types) claimed.add(t);
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

  private addInvalid(value: string, reason: string, wf: string): void {
    const entry = this.invalid.get(value) ?? { reason, workflows: new Set<string>() };
    entry.workflows.add(wf);
    this.invalid.set(value, entry);
  }

  private identityOf(id: string, repo: string | null): ReturnType<typeof identify> {
    const key = `${id}\0${repo ?? ''}`;
    if (!this.identities.has(key)) this.identities.set(key, identify(id, repo));
    return this.identities.get(key) as ReturnType<typeof identify>;
  }
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
