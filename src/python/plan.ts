/**
 * The Python plan (DESIGN §10) as the lock's `python` section: what each pinned tree asks for
 * (read once per pin), merged (merge.ts, pure), and resolved by pip to exact versions with hashes
 * when it can be. Same rules as every lock entry: kept while it answers the same inputs (a warm
 * build runs no pip), offline builds use the lock and the cache, `check`/`--frozen` resolve
 * nothing, and a transient failure never replaces what the lock holds.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { someNames } from '../core/some-names.js';
import { byString } from '../core/stable-json.js';
import type { ComfyuiLockEntry, Diagnostic, NodeLockEntry, PythonLock, PythonResolution, PythonSourceEntry } from '../core/types.js';
import { writeCacheFile } from '../io/cache-file.js';
import type { HttpClient } from '../io/http.js';
import { openJsonCache } from '../nodes/cache.js';
import { openGitStore } from '../nodes/git.js';
import { mergePlan, resolverInput, type MergedPlan, type PlanSource } from './merge.js';
import { pipResolve } from './pip.js';
import { pinOf, readSource, type ReadContext } from './read-sources.js';
import { toResolution } from './resolution.js';

export interface PlanPythonOptions {
  /** Offline: read only from the lock and the cache; `check`/`frozen`: from the lock only. */
  offline: boolean;
  check: boolean;
  frozen: boolean;
  /** Re-resolve with pip even when the lock answers the same plan (`--update python`). */
  update: boolean;
  /** `python.resolve` from the config. */
  resolve: boolean;
  githubEndpoint: string;
  registryEndpoint: string;
  cacheDir: string | null;
  env: NodeJS.ProcessEnv;
  http: HttpClient;
  report: (d: Diagnostic) => void;
}

export const COMFYUI_SOURCE = 'comfyui';

export async function planPython(comfyui: ComfyuiLockEntry | undefined, nodes: Record<string, NodeLockEntry>, previous: PythonLock | undefined, opts: PlanPythonOptions): Promise<{ python: PythonLock; plan: MergedPlan }> {
  const sources = await readAll(comfyui, nodes, previous, opts);
  const list: PlanSource[] = [];
  if (sources.comfyui) list.push({ id: COMFYUI_SOURCE, requirements: sources.comfyui.requirements });
  for (const [key, entry] of Object.entries(sources.nodes)) list.push({ id: key, requirements: entry.requirements });
  const plan = mergePlan(list);
  reportPlan(sources, plan, opts.report);
  const { resolved, unresolved } = await resolvePlan(plan, previous, opts);
  const python: PythonLock = { ...(sources.comfyui ? { comfyui: sources.comfyui } : {}), nodes: sources.nodes };
  if (resolved) python.resolved = resolved;
  if (unresolved) python.unresolved = { reason: unresolved };
  return { python, plan };
}

async function readAll(comfyui: ComfyuiLockEntry | undefined, nodes: Record<string, NodeLockEntry>, previous: PythonLock | undefined, opts: PlanPythonOptions): Promise<Pick<PythonLock, 'comfyui' | 'nodes'>> {
  const wanted: { id: string; locked: Parameters<typeof readSource>[0]; prev: PythonSourceEntry | undefined }[] = [];
  if (comfyui?.locked) wanted.push({ id: COMFYUI_SOURCE, locked: comfyui.locked, prev: previous?.comfyui });
  for (const key of Object.keys(nodes).sort(byString)) {
    const locked = nodes[key]!.locked;
    if (locked) wanted.push({ id: key, locked, prev: previous?.nodes[key] });
  }
  const out: Pick<PythonLock, 'comfyui' | 'nodes'> = { nodes: {} };
  const put = (id: string, entry: PythonSourceEntry) => {
    if (id === COMFYUI_SOURCE) out.comfyui = entry;
    else out.nodes[id] = entry;
  };
  const pending = wanted.filter(({ id, locked, prev }) => {
    const keep = prev !== undefined && prev.pin === pinOf(locked) && (prev.unread === undefined || opts.check || opts.frozen);
    if (keep) put(id, structuredClone(prev));
    else if (opts.check || opts.frozen) put(id, { pin: pinOf(locked), file: null, requirements: [], unread: 'not read yet: run comfygen build' });
    return !keep && !opts.check && !opts.frozen;
  });
  if (pending.length === 0) return out;
  const [git, cache] = await Promise.all([openGitStore(opts.cacheDir), openJsonCache<Omit<PythonSourceEntry, 'pin' | 'unread'>>(opts.cacheDir, 'sources', 'python')]);
  const ctx: ReadContext = { offline: opts.offline, githubEndpoint: opts.githubEndpoint, registryEndpoint: opts.registryEndpoint, git, http: opts.http, cache };
  try {
    // One tree at a time per repository is git's rule anyway; the packs are few and small.
    for (const { id, locked, prev } of pending) {
      const { entry, transient } = await readSource(locked, ctx);
      // A failure that may pass (network, offline) never replaces what the lock holds for this pin.
      put(id, transient && prev !== undefined && prev.pin === entry.pin ? structuredClone(prev) : entry);
    }
    await cache.save();
  } finally {
    await git.dispose();
  }
  // Sorted like the lock, whatever order they were read in.
  out.nodes = Object.fromEntries(Object.entries(out.nodes).sort(([a], [b]) => byString(a, b)));
  return out;
}

function reportPlan(sources: Pick<PythonLock, 'comfyui' | 'nodes'>, plan: MergedPlan, report: (d: Diagnostic) => void): void {
  const all: [string, PythonSourceEntry][] = [...(sources.comfyui ? [[COMFYUI_SOURCE, sources.comfyui] as [string, PythonSourceEntry]] : []), ...Object.entries(sources.nodes)];
  for (const [id, entry] of all) {
    if (entry.unread !== undefined) {
      report({ code: 'python-source-unread', severity: 'warning', message: `${id}: its Python requirements could not be read, so the plan lacks them: ${entry.unread}`, hint: 'run comfygen build online; the plan completes once the tree can be read' });
    }
    const skipped = entry.skipped ?? [];
    if (skipped.length > 0) {
      const lines = someNames(skipped.map((s) => `${JSON.stringify(s.line)} (${s.reason})`), 'line', 3);
      report({ code: 'python-requirement-skipped', severity: 'warning', message: `${id}: ${skipped.length} line(s) of ${entry.file ?? 'its requirements'} are not in the plan: ${lines}`, hint: 'install those by hand on the box if the pack needs them' });
    }
  }
  for (const bad of plan.invalid) {
    report({ code: 'python-requirement-skipped', severity: 'warning', message: `${bad.source}: ${JSON.stringify(bad.requirement)} in comfy.lock.json is not a requirement; left out of the plan`, hint: 'restore comfy.lock.json from version control, or run comfygen build --update python' });
  }
  for (const c of plan.conflicts) {
    report({
      code: 'python-conflict',
      severity: 'warning',
      message: `${c.key}: ${c.a.source} asks for ${c.a.requirement} and ${c.b.source} asks for ${c.b.requirement}; no version satisfies both`,
      hint: 'pin another version of one of the packs in nodes.pins (or comfyui.ref), or drop one from the workflows',
    });
  }
}

/** The resolution for this plan: the lock's when it answers it, else the cache's, else pip's. */
async function resolvePlan(plan: MergedPlan, previous: PythonLock | undefined, opts: PlanPythonOptions): Promise<{ resolved?: PythonResolution; unresolved?: string }> {
  if (plan.install.length === 0) return {};
  if (!opts.resolve) return { unresolved: 'python.resolve is off in comfy.config.ts' };
  if (plan.conflicts.length > 0) return { unresolved: 'the plan has conflicting requirements (see the python-conflict warnings of comfygen build)' };
  const input = resolverInput(plan);
  const inputs = createHash('sha256').update(input).digest('hex');
  const kept = previous?.resolved?.inputs === inputs ? previous.resolved : undefined;
  if (kept && !opts.update) return { resolved: structuredClone(kept) };
  if (opts.check || opts.frozen) return kept ? { resolved: structuredClone(kept) } : { unresolved: 'not resolved yet: run comfygen build' };
  const python = opts.env.COMFYGEN_PYTHON || 'python3';
  const cacheFile = opts.cacheDir === null ? null : join(opts.cacheDir, 'python', 'resolutions.json');
  const cacheKey = createHash('sha256').update([inputs, python, ...['PIP_INDEX_URL', 'PIP_EXTRA_INDEX_URL', 'PIP_FIND_LINKS', 'PIP_CONFIG_FILE'].map((k) => opts.env[k] ?? '')].join('\0')).digest('hex');
  const cached = opts.update ? undefined : readCache(cacheFile)[cacheKey];
  if (cached?.inputs === inputs) return { resolved: cached };
  if (opts.offline) {
    opts.report({ code: 'python-unresolved', severity: 'warning', message: 'the Python plan changed and the build is offline, so requirements.txt keeps version ranges (no hashes)', hint: 'run comfygen build online to pin exact versions with hashes' });
    return { unresolved: 'the plan changed while comfygen build was offline' };
  }
  const answer = await pipResolve(input, { python, env: opts.env });
  if (answer.kind === 'resolved') {
    const resolution = await toResolution(answer.report, answer.indexes, inputs, opts.http);
    const unhashed = Object.entries(resolution.packages).filter(([, p]) => p.hashes.length === 0).map(([k]) => k);
    if (unhashed.length === 0) {
      const others = readCache(cacheFile);
      delete others[cacheKey];
      writeCache(cacheFile, { ...others, [cacheKey]: resolution });
      return { resolved: resolution };
    }
    opts.report({ code: 'python-resolve-failed', severity: 'warning', message: `pip resolved the plan, but no sha256 is known for ${someNames(unhashed, 'package')}, so requirements.txt keeps version ranges`, hint: 'use a package index that publishes hashes (PEP 503 #sha256= links)' });
    return { unresolved: 'some resolved files have no published sha256' };
  }
  if (answer.kind === 'unavailable') {
    opts.report({ code: 'python-resolver-unavailable', severity: 'warning', message: `requirements.txt keeps version ranges (no exact versions, no hashes): ${answer.reason}`, hint: 'install pip 22.2 or newer for python3 (or point COMFYGEN_PYTHON at a Python that has it), or set python.resolve: false to keep ranges without this warning' });
    return { unresolved: 'pip 22.2 or newer was not available to comfygen build' };
  }
  if (answer.transient && kept) {
    opts.report({ code: 'python-lock-kept', severity: 'warning', message: `could not re-resolve the Python plan (${answer.message}); kept the resolution from the lock` });
    return { resolved: structuredClone(kept) };
  }
  opts.report({ code: 'python-resolve-failed', severity: 'warning', message: `pip could not resolve the Python plan, so requirements.txt keeps version ranges: ${answer.message}`, hint: answer.transient ? 'check the network or PIP_INDEX_URL, then build again' : 'read pip\'s error; pin other pack versions if the plan cannot be satisfied' });
  return { unresolved: answer.transient ? 'the package index could not be reached by comfygen build' : 'pip could not resolve the plan' };
}

function readCache(file: string | null): Record<string, PythonResolution> {
  if (file === null) return {};
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, PythonResolution>) : {};
  } catch {
    return {};
  }
}

/** The most recent resolutions only: the cache answers flipping between a few plans, not history. */
const KEEP_RESOLUTIONS = 16;

function writeCache(file: string | null, data: Record<string, PythonResolution>): void {
  if (file !== null) writeCacheFile(file, `${JSON.stringify(Object.fromEntries(Object.entries(data).slice(-KEEP_RESOLUTIONS)))}\n`);
}
