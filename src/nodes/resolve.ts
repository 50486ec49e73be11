/**
 * Pins every pack the workflows need (`resolvePacks`). Like the model lock: an existing entry is
 * kept while the workflows still ask for what it pins (unless `update`), offline builds use only
 * the previous lock, and every problem becomes data (an `unresolved` entry, a diagnostic, a note).
 */
import pLimit from 'p-limit';
import { someNames } from '../core/some-names.js';
import { stableStringify } from '../core/stable-json.js';
import type { Affected } from '../sources/types.js';
import type { Diagnostic, NodeLockEntry } from '../core/types.js';
import { createHttpClient } from '../io/http.js';
import { openJsonCache } from './cache.js';
import { pinFromConfig, pinFromWorkflows, type Choice } from './choose-pin.js';
import { cmp, compareVersions } from './collect.js';
import type { Locked, ResolveContext, Want } from './context.js';
import { checkDirs, comfyuiNote, noteAbout } from './notes.js';
import { openGitStore } from './git.js';
import { canonicalRepo, normalizeVersion } from './ids.js';
import { mapNodeTypes } from './node-type-lookup.js';
import { registryClient } from './registry.js';
import type { PackDemand, PackNote, PackPin, ResolvePacksOptions } from './types.js';

export interface ResolvedPacks {
  nodes: Record<string, NodeLockEntry>;
  /** Everything also passed to `opts.report`, sorted. */
  diagnostics: Diagnostic[];
  notes: PackNote[];
  /**
   * Packs (`node:<key>`) and node types (`node type:<Type>`) a failing service left unresolved,
   * not looked up or as the lock had them, with the trouble: said once per cause by the build.
   */
  affected: Affected[];
}

export async function resolvePacks(demand: readonly PackDemand[], previous: Record<string, NodeLockEntry>, opts: ResolvePacksOptions): Promise<ResolvedPacks> {
  const diagnostics: Diagnostic[] = [];
  const notes: PackNote[] = [];
  const report = (d: Diagnostic) => {
    diagnostics.push(d);
    opts.report(d);
  };
  const prev = lowerKeys(previous);
  const pins = lowerKeys(opts.pins);
  // `--update` names a pack by its lock key, as `node:<key>` (how lock changes print it) or bare.
  const named = new Set(Array.isArray(opts.update) ? opts.update.map((k) => k.toLowerCase().replace(/^node:/, '')) : []);
  const updating = (key: string) => opts.update === true || named.has(key);
  const [classes, zipHashes, git] = await Promise.all([
    openJsonCache<string | null>(opts.cacheDir, 'classes'),
    openJsonCache<{ sha256: string; size: number }>(opts.cacheDir, 'zip-sha256'),
    openGitStore(opts.cacheDir),
  ]);
  const http = opts.http ?? createHttpClient();
  const affected: Affected[] = [];
  const ctx: ResolveContext = {
    opts, registry: registryClient(opts.registryEndpoint, http), http, git, zipHashes, report, note: (n) => notes.push(n), affected: (a) => affected.push(a),
  };
  try {
    const wants = new Map<string, Want>();
    for (const d of demand) {
      if (d.kind === 'core') notes.push(comfyuiNote(d.versions));
      if (d.kind === 'invalid') {
        report({ code: 'invalid-pack-ref', severity: 'warning', message: `${JSON.stringify(d.value)} (${someNames(d.workflows, 'workflow')}): ${d.reason}`, file: d.workflows[0] });
      }
      if (d.kind === 'pack') {
        const { key, cnrId, auxId, repo, versions, workflows } = d;
        wants.set(key, { key, cnrId, auxId, repo, versions, byType: false, nodeTypes: [], workflows: [...workflows] });
      }
    }
    const untagged = demand.filter((d): d is Extract<PackDemand, { kind: 'untagged' }> => d.kind === 'untagged');
    await mapNodeTypes(ctx, untagged, wants, prev, updating, classes);
    for (const key of Object.keys(pins)) {
      if (!wants.has(key)) wants.set(key, { key, cnrId: null, auxId: null, repo: null, versions: [], byType: false, nodeTypes: [], workflows: [] });
    }
    const keys = [...wants.keys()].sort(cmp);
    const limit = pLimit(4);
    const entries = await Promise.all(keys.map((key) => limit(() => lockOne(ctx, wants.get(key)!, prev[key], pins[key], updating(key)))));
    const nodes = Object.fromEntries(keys.map((key, i) => [key, entries[i]!]));
    checkDirs(nodes, report);
    await Promise.all([classes.save(), zipHashes.save()]);
    return {
      nodes, diagnostics: diagnostics.sort(byText), notes: notes.sort((a, b) => cmp(a.pack, b.pack) || cmp(a.kind, b.kind)),
      affected: affected.sort((a, b) => cmp(a.key, b.key)),
    };
  } finally {
    await git.dispose();
  }
}

async function lockOne(ctx: ResolveContext, want: Want, prev: NodeLockEntry | undefined, pin: PackPin | undefined, isUpdating: boolean): Promise<NodeLockEntry> {
  let entry: NodeLockEntry;
  const fits = prev !== undefined && canKeep(prev, want, pin);
  if (prev && fits && !isUpdating) entry = keep(prev, want);
  else if (ctx.opts.offline) {
    if (prev) {
      if (!fits && prev.locked) ctx.report({ code: 'pack-lock-stale', severity: 'warning', message: `${want.key}: the workflows or config ask for another pin than the lock holds; kept the lock (offline)`, hint: 'run comfygen build without --offline' });
      entry = keep(prev, want);
    } else entry = { original: originalOf(want, askedVer(want)), unresolved: { reason: 'offline: not in the lock yet; run comfygen build without --offline' } };
  } else {
    const choice: Choice = pin ? await pinFromConfig(ctx, want, pin) : await pinFromWorkflows(ctx, want);
    entry = toEntry(ctx, want, choice, prev, fits);
  }
  noteAbout(ctx, want, entry);
  return entry;
}

/**
 * The entry for a resolution's outcome. A failing service (`transient`) never changes what the lock
 * has: a pin stays, and so does an unresolved entry for the same demand (its reason too), so a
 * build during an outage writes the lock it read. `--update` keeps a pin it cannot verify again
 * (`fits`: the pin still answers what the workflows and config ask for, so only `--update` asked).
 */
function toEntry(ctx: ResolveContext, want: Want, choice: Choice, prev: NodeLockEntry | undefined, fits: boolean): NodeLockEntry {
  const { outcome, chosenBy } = choice;
  if ('unresolved' in outcome) {
    const fresh: NodeLockEntry = { original: originalOf(want, askedVer(want)), ...(chosenBy ? { chosenBy } : {}), unresolved: { reason: outcome.unresolved } };
    const troubles = outcome.trouble ? [outcome.trouble] : [];
    const kept = (entry: NodeLockEntry): NodeLockEntry => {
      if (troubles.length > 0) ctx.affected({ key: `node:${want.key}`, troubles, kept: true });
      return entry;
    };
    if (outcome.transient && prev?.unresolved && sameDemand(prev, fresh)) return kept(structuredClone(prev));
    if (prev?.locked && fits) {
      if (!outcome.transient) {
        ctx.report({ code: 'update-kept-pin', severity: 'warning', message: `node:${want.key} could not be pinned again (${outcome.unresolved}); the pin in the lock was kept`,
          hint: 'retry the update later; to drop the pin, remove the pack from the workflows and nodes.pins' });
      }
      return kept(keep(prev, want));
    }
    if (outcome.transient && prev?.locked) {
      // The workflows ask for another pin than the lock holds, and the service cannot say which.
      ctx.report({ code: 'pack-lock-kept', severity: 'warning', message: `${want.key}: the workflows or config ask for another pin than the lock holds, and it could not be resolved now; kept the pin from the lock`, hint: 'retry later' });
      return kept(keep(prev, want));
    }
    if (troubles.length > 0) ctx.affected({ key: `node:${want.key}`, troubles, kept: false });
    // A failing service is said once for all its packs (`source-failed`), not once per pack.
    if (!outcome.transient) {
      ctx.report({ code: 'pack-unresolved', severity: chosenBy === 'config' ? 'error' : 'warning', message: `${want.key}: ${outcome.unresolved}`, file: want.workflows[0] });
    }
    return fresh;
  }
  // `original` is what the workflows said: the version that was pinned, or (config pin) the newest asked.
  const ver = chosenBy === 'config' ? askedVer(want) : outcome.ver ?? (chosenBy === undefined ? askedVer(want) : undefined);
  return { original: originalOf(want, ver), ...(chosenBy ? { chosenBy } : {}), locked: outcome.locked };
}

/** The version the workflows ask for: the newest-looking of those recorded (see `compareVersions`). */
function askedVer(want: Want): string | undefined {
  return want.versions.map((v) => v.ver).filter((v) => v !== 'unknown').sort(compareVersions).at(-1);
}

/** An entry still answers the demand: same config pin, or a `ver` the workflows still record. */
function canKeep(prev: NodeLockEntry, want: Want, pin: PackPin | undefined): boolean {
  if (pin) return prev.chosenBy === 'config' && prev.locked !== undefined && matchesPin(prev.locked, pin);
  if (prev.chosenBy === 'config' || !prev.locked) return false;
  if (want.byType) return true;
  const vers = want.versions.map((v) => v.ver);
  if (prev.chosenBy === 'comfygen') return vers.every((v) => v === 'unknown');
  return vers.includes(normalizeVersion(prev.original.ver)?.ver ?? 'unknown');
}

/** An unresolved entry answers the same demand when everything but its reason is the same. */
function sameDemand(prev: NodeLockEntry, fresh: NodeLockEntry): boolean {
  return stableStringify({ ...prev, unresolved: undefined }) === stableStringify({ ...fresh, unresolved: undefined });
}

function keep(prev: NodeLockEntry, want: Want): NodeLockEntry {
  const original = want.workflows.length > 0 ? originalOf(want, prev.original.ver) : prev.original;
  return { ...structuredClone(prev), original };
}

function matchesPin(locked: Locked, pin: PackPin): boolean {
  if ('repo' in pin) return locked.type === 'git' && locked.repo === canonicalRepo(pin.repo) && locked.commit === pin.commit.toLowerCase();
  return locked.type === 'registry' && locked.id.toLowerCase() === pin.registry.toLowerCase() && locked.version === normalizeVersion(pin.version)?.ver;
}

function originalOf(want: Want, ver: string | undefined): NodeLockEntry['original'] {
  const original: NodeLockEntry['original'] = {};
  if (want.cnrId !== null && !want.byType) original.cnr_id = want.cnrId;
  if (want.auxId !== null) original.aux_id = want.auxId;
  if (ver !== undefined && ver !== 'unknown') original.ver = ver;
  if (want.byType) original.nodeTypes = [...new Set(want.nodeTypes)].sort(cmp);
  return original;
}

function lowerKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k.toLowerCase(), v]));
}

function byText(a: Diagnostic, b: Diagnostic): number {
  return cmp(a.code, b.code) || cmp(a.message, b.message);
}
