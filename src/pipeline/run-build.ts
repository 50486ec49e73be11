/**
 * The build pipeline (DESIGN §1): config → scan → inventory → resolve → lock → render → write.
 * This file is the thin IO shell around the pure stages; it prints nothing (events go to the
 * progress sink, results to the caller).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/normalize.js';
import { UserError } from '../core/errors.js';
import { someNames } from '../core/some-names.js';
import { stableStringify } from '../core/stable-json.js';
import type { Diagnostic, LockChange, LockEntry, Lockfile, RenderedFile } from '../core/types.js';
import type { PlannedWrite } from '../io/write.js';
import { parseLock, readLock } from '../lock/read.js';
import { serializeLock, updateLock } from '../lock/update.js';
import { type BuildStamp, demandsFromStamp, readStamp, stampDemands, stampKeys, writeStamp } from './build-stamp.js';
import type { ModelDemand } from './demand.js';
import { oncePerFile, stampFiles } from './file-stamp.js';
import { type LocalState, inspectLocal, walkLocal } from './local.js';
import { type ProgressSink, silentProgress, step } from './progress.js';
import type { ResolveTrace } from './resolve.js';
import type { ScanMemo } from './scan-memo.js';
import type { Affected } from './source-troubles.js';
import type { PackDemand } from '../nodes/types.js';
import { findStrayWorkflows } from './stray-workflows.js';
import { findWorkflowFiles } from './workflow-files.js';
import type { WorkflowSummary } from './workflow-fold.js';

export interface BuildOptions {
  cwd: string;
  configFile?: string;
  /** `check`: offline, resolves nothing, writes no lock or output (only its cache), reports drift. */
  mode: 'build' | 'check';
  offline?: boolean;
  frozen?: boolean;
  /** true = re-resolve everything; a list = these keys (or key prefixes). */
  update?: boolean | string[];
  dryRun?: boolean;
  force?: boolean;
  /** Any model an active node needs that the lock cannot install is an error (`unresolved-active`). */
  strict?: boolean;
  env?: NodeJS.ProcessEnv;
  progress?: ProgressSink;
  /** Scan results kept between builds; `build --watch` passes one memo to all its rebuilds. */
  scanMemo?: ScanMemo;
  /** The undici dispatcher of every API request (a proxy agent; tests inject name lookups). */
  dispatcher?: Dispatcher;
  /** Keep which nodes use each model in `demands` (`comfygen why` shows them). */
  nodeUses?: boolean;
}

export interface BuildResult {
  config: Config;
  /**
   * Each workflow's path and format (what it needs went into `demands` and the outputs as it was
   * scanned); empty when the build was skipped as unchanged (`unchanged`). `workflowCount` is
   * always set.
   */
  workflows: WorkflowSummary[];
  /** The packs (and comfy-core versions) the workflows record; empty when the build was replayed. */
  packs: PackDemand[];
  workflowCount: number;
  /** Model references found in the workflows (0 when the build was replayed). */
  references: number;
  /** True when nothing changed since the last build, which was replayed (build-stamp.ts). */
  unchanged: boolean;
  /** On an unchanged build these carry keys, folders and names, not who uses them. */
  demands: ModelDemand[];
  lock: Lockfile;
  changes: LockChange[];
  writes: PlannedWrite[];
  /** Paths of planned creates and updates that could not be written (`unwritable-output`). */
  unwritten: ReadonlySet<string>;
  diagnostics: Diagnostic[];
  local: LocalState | null;
  traces: Map<string, ResolveTrace>;
  /** Exit code the CLI should use (0 ok, 1 drift/errors). */
  exitCode: 0 | 1;
}

export async function runBuild(opts: BuildOptions): Promise<BuildResult> {
  const progress = opts.progress ?? silentProgress;
  const env = opts.env ?? process.env;
  const check = opts.mode === 'check';
  const offline = check || opts.offline === true;
  const config = await step(progress, 'config', 'Load config', () => loadConfig({ cwd: opts.cwd, file: opts.configFile }));

  const found = await findWorkflowFiles(config);
  // Workflows the globs miss get one warning, on every build (a replayed one included).
  const straying = findStrayWorkflows(config, new Set(found.map((f) => f.relPath)));
  // Taken once, before anything is read: the scan cache and the build stamp both record the
  // state that was scanned, even if a workflow changes while the build runs.
  const { files, stamps, aliases } = oncePerFile(found, stampFiles(found));
  // Only a plain `build` may be skipped: --update, --force, --dry-run, --frozen and check each
  // ask for work to be done, and --watch keeps its own memo.
  const stampable = opts.mode === 'build' && !opts.update && !opts.force && !opts.dryRun && !opts.frozen && !opts.scanMemo;
  const cacheFile = join(config.cacheDir, 'scans.cache');
  // Loaded only when needed: an unchanged build needs none of the scanner, the node-pack
  // resolver or the templates. The latter two load while the workers parse.
  const newMemo = async () => (await import('./scan-memo.js')).createScanMemo();
  let memo = opts.scanMemo;
  if (stampable) {
    const stamp = readStamp(config);
    const lockPath = relativeToConfig(config, config.lockPath);
    const current = stamp ? stampKeys(config, files, stamps, null, stamp.outputs, offline, { keep: (path) => path === lockPath }) : null;
    if (stamp && current) {
      if (current.key !== null && current.key === stamp.key) return replayUnchanged(config, stamp, current.read, env, progress, await straying, opts.strict === true);
      if (stamp.content !== null) {
        // New identities, maybe the same bytes: digest the workflows (without parsing them).
        memo = await newMemo();
        const digests = await memo.digests(files, { cacheFile, stamps });
        const byContent = stampKeys(config, files, stamps, digests, stamp.outputs, offline, { contents: current.read, known: current.hashed });
        if (byContent?.content === stamp.content) {
          // Known by identity again from now on: the next build replays without reading them.
          memo.restamp(files, { cacheFile, stamps, digests });
          writeStamp(config, { ...stamp, key: byContent.key });
          return replayUnchanged(config, stamp, current.read, env, progress, await straying, opts.strict === true);
        }
      }
    }
  }
  const scanMemo = memo ?? (await newMemo());
  // `check` keeps its scan results too (a cache, not an output): a repeated check, or a CI job
  // that restores `.comfygen/`, does not parse unchanged workflows again.
  // Each workflow is folded into what the build needs as the memo hands it over, and let go.
  // A memo of this build alone keeps only the digests after that (watch keeps its results).
  const scanning = step(progress, 'scan', `Scan ${files.length} workflow(s)`, async () => {
    // The fold's modules (the node tables, the report's templates) load only for a build that scans.
    const { WorkflowFold } = await import('./workflow-fold.js');
    const fold = new WorkflowFold({ nodeUses: opts.nodeUses === true });
    await scanMemo.scanEach(files, { cacheFile, stamps, keep: opts.scanMemo !== undefined }, (wf) => fold.add(wf));
    return fold.finish();
  }, (folded) => `${folded.refs} model reference(s)`);
  // The local inventory only influences resolution, never the rendered outputs, so `check`
  // skips it and gives the same answer on a laptop full of models and a bare CI runner.
  // Walked while the workers parse workflows; its errors surface when it is awaited.
  const walking = check ? null : walkLocal(config, env);
  walking?.catch(() => undefined);
  // What only a build that scans needs (a replayed one loads none of it).
  const later = Promise.all([import('./nodes.js'), import('./render-outputs.js'), import('../io/write.js'), import('./source-troubles.js'), import('../sources/env.js'), import('./demand.js'), import('../scan/diagnostics.js')]);
  const folded = await scanning;
  const workflows = folded.workflows;
  const [{ resolveNodeLock, knownPackKeys }, { renderOutputs }, { applyWrites, planWrites }, { troubleDiagnostics }, { readSourceEnv }, { unsafeKey }, { shown }] = await later;
  const diagnostics: Diagnostic[] = [];
  if (files.length === 0) {
    diagnostics.push({ code: 'no-workflows', severity: 'warning', file: config.configPath,
      message: `no file matches workflows: ${config.workflows.join(', ')}`, hint: 'check the globs (relative to the config file)' });
  }
  for (const d of folded.diagnostics) diagnostics.push(d);
  for (const alias of aliases) {
    diagnostics.push({ code: 'same-workflow-twice', severity: 'info', file: alias.relPath,
      message: `${alias.relPath} is the same file as ${alias.sameAs} (reached through a symlink); it was scanned once, as ${alias.sameAs}` });
  }
  diagnostics.push(...folded.demandDiagnostics);
  const demands = folded.demands;
  const scanned = diagnostics.length;
  // After `scanned`, so the build stamp does not keep it: it is looked for afresh on every build.
  const stray = await straying;
  if (stray) diagnostics.push(stray);

  const previous = await readLock(config.lockPath);
  const update = splitUpdate(opts.update ?? false, demands, knownPackKeys(config, folded.packs, previous));
  const toResolve = pickKeysToResolve(demands, previous, { check, frozen: opts.frozen === true, offline, update: update.models });

  const local = walking ? await inspectLocal(config, demands, walking, { progress }) : null;
  if (local) diagnostics.push(...local.diagnostics);

  const fresh = new Map<string, LockEntry>();
  let traces = new Map<string, ResolveTrace>();
  const affected: Affected[] = [];
  try {
    if (toResolve.length > 0) {
      const resolved = await step(progress, 'resolve', `Resolve ${toResolve.length} model(s)`,
        // The sources (and their HTTP stack) load only when something needs resolving.
        async () => (await import('./resolve.js')).resolveDemands(config, toResolve, local, previous, { offline, env, update: update.models, progress, report: (d) => diagnostics.push(d), dispatcher: opts.dispatcher }),
        (r) => `${[...r.entries.values()].filter((e) => e.locked).length} pinned`);
      traces = resolved.traces;
      affected.push(...resolved.affected);
      for (const [key, entry] of resolved.entries) fresh.set(key, entry);
    } else if (check || opts.frozen) {
      // Nothing is resolved here, so a model the lock lacks shows up as a change: drift.
      for (const d of demands) {
        if (!previous?.models[d.key]) fresh.set(d.key, { original: {}, unresolved: { reason: 'not in the lock yet: run `comfygen build`', sha256: null } });
      }
    } else {
      progress({ step: 'resolve', kind: 'skip', detail: 'every model is already in the lock' });
    }
    const nodesFrom = diagnostics.length;
    const { nodes, notes: packNotes, affected: packsAffected } = await resolveNodeLock(config, folded.packs, previous, { offline, check, frozen: opts.frozen === true, update: update.packs, env, progress, report: (d) => diagnostics.push(d), dispatcher: opts.dispatcher });
    // ComfyUI and the Python plan come after the packs: the plan reads every pinned tree.
    const environment = config.comfyui.install || config.python.plan
      ? await (await import('./environment.js')).resolveEnvironment(config, folded.packs, previous, nodes, { offline, check, frozen: opts.frozen === true, update: update.sections, env, progress, report: (d) => diagnostics.push(d) })
      : {};
    const nodeDiagnostics = diagnostics.slice(nodesFrom);
    // Said once per service and cause, models and packs together (the lock and report.md keep each reason).
    diagnostics.push(...troubleDiagnostics([...affected, ...packsAffected], readSourceEnv(env)));
    // A workflow that could not be read says nothing about what it needs: the lock keeps the
    // pins no readable workflow names (and download.sh still installs them) until it reads.
    const unread = folded.unread;
    // Kept entries are checked as a workflow's names are: a key no workflow could have produced
    // (custom_nodes/, a download.sh working name, ../) is never installed, whatever the lock says.
    const plan = updateLock(previous, demands.map((d) => d.key), fresh, nodes, { keepUnneeded: unread.length > 0, unkeepable: unsafeKey, ...environment });
    const { lock, changes } = plan;
    const kept = plan.kept.length;
    for (const { key, why } of plan.refused) {
      diagnostics.push({ code: 'lock-key-refused', severity: 'warning', file: relativeToConfig(config, config.lockPath),
        message: `${shown(key, 200)} was not kept: ${why}; it was dropped from the lock`,
        hint: 'no workflow can need it; if a hand edit put it there, nothing is lost' });
    }
    if (kept > 0) {
      const named = unread.slice(0, 3).join(', ') + (unread.length > 3 ? ` and ${unread.length - 3} more` : '');
      diagnostics.push({ code: 'lock-kept-unread', severity: 'warning', file: relativeToConfig(config, config.lockPath),
        message: `${kept} lock entr${kept === 1 ? 'y' : 'ies'} that no readable workflow names ${kept === 1 ? 'was' : 'were'} kept, because ${unread.length} workflow(s) could not be read: ${named}`,
        hint: 'fix or remove the unreadable workflows; the next build then drops what no workflow needs' });
    }
    if (local) diagnostics.push(...await local.finishContentMatches(lock));
    if (opts.strict) diagnostics.push(...strictProblems(demands, lock));

    const rendered: RenderedFile[] = await step(progress, 'render', 'Render outputs', async () => [
      ...await renderOutputs(config, folded.report, demands, lock, packNotes, folded.packs),
      { path: relativeToConfig(config, config.lockPath), content: serializeLock(lock), mode: 0o644 },
    ]);
    // The report's lines per workflow are in the report now (at 30,000 workflows, 15 MB twice).
    folded.report.release();
    const writes = await planWrites(rendered, { baseDir: config.configDir, force: opts.force, owned: new Set([relativeToConfig(config, config.lockPath)]) });
    for (const w of writes.filter((w) => w.status === 'foreign')) {
      diagnostics.push(w.blocked
        ? { code: 'foreign-file', severity: 'error', file: w.path, message: `${w.path} ${w.blocked.why}; it was left untouched`, hint: w.blocked.fix }
        : { code: 'foreign-file', severity: 'error', file: w.path, message: `${w.path} exists and was not generated by comfygen; it was left untouched`,
          hint: 'move it away, or pass --force to overwrite it' });
    }
    const drift = writes.some((w) => w.status !== 'unchanged');
    let unwritten = new Set<string>();
    if ((check || opts.frozen) && drift) {
      return finish(1);
    }
    // --frozen reaches here only without drift, with nothing to write; it never writes.
    if (!opts.dryRun && !check && !opts.frozen) {
      const failed = await step(progress, 'write', 'Write outputs', () => applyWrites(writes, config.configDir),
        (failures) => `${writes.filter((w) => w.status === 'create' || w.status === 'update').length - failures.length} file(s) written`);
      for (const f of failed) diagnostics.push({ code: 'unwritable-output', severity: 'error', file: f.path, message: f.message, hint: f.hint });
      unwritten = new Set(failed.map((f) => f.path));
      // A fixpoint (a rebuild would resolve nothing and render these bytes) is stamped, so the
      // next build of the same state is skipped. Online, an unresolved entry is asked again
      // every build, so such a state is no fixpoint; and a build that went online for models or
      // packs may have reported network trouble a rebuild would not, so only a build that did
      // not (or could not) go online is replayed.
      // A Python plan that pip could not pin (it was not there, the index did not answer) is asked again next build.
      const allLocked = Object.values(lock.models).every((e) => e.locked) && Object.values(lock.nodes ?? {}).every((e) => e.locked)
        && (lock.comfyui === undefined || lock.comfyui.locked !== undefined) && (lock.python?.unresolved === undefined || !config.python.resolve);
      const stayedHome = toResolve.length === 0 && stableStringify(previous?.nodes ?? {}) === stableStringify(lock.nodes ?? {})
        && stableStringify(previous?.comfyui ?? null) === stableStringify(lock.comfyui ?? null) && stableStringify(previous?.python ?? null) === stableStringify(lock.python ?? null);
      const settled = offline || (allLocked && stayedHome);
      // A lock kept for unread workflows is no fixpoint either: its warning must be said each time.
      // Nor is a build a failing service cut short: its warning must be said each time too.
      const troubled = affected.length > 0 || packsAffected.length > 0;
      if (stampable && settled && kept === 0 && !troubled && failed.length === 0 && !writes.some((w) => w.status === 'foreign')) {
        const outputs = writes.map((w) => ({ path: w.path, mode: w.mode }));
        const current = stampKeys(config, files, stamps, scanMemo.digestsOf(files), outputs, offline, { contents: new Map(writes.map((w) => [w.path, w.content])) });
        if (current && (current.key !== null || current.content !== null)) {
          writeStamp(config, { version: 2, key: current.key, content: current.content, workflows: files.length, demands: stampDemands(demands), outputs,
            before: diagnostics.slice(0, scanned), after: nodeDiagnostics });
        }
      }
    }
    return finish(diagnostics.some((d) => d.severity === 'error') ? 1 : 0);

    function finish(exitCode: 0 | 1): BuildResult {
      return { config, workflows, packs: folded.packs, workflowCount: workflows.length, references: folded.refs, unchanged: false, demands, lock, changes, writes, unwritten, diagnostics, local, traces, exitCode };
    }
  } finally {
    await local?.close();
  }
}

/**
 * Nothing changed since a build that settled: walk the local models, replay the rest. `outputs`
 * holds the lock's text, as read to take the stamp's keys; the other outputs are read here.
 */
async function replayUnchanged(config: Config, stamp: BuildStamp, outputs: Map<string, string>, env: NodeJS.ProcessEnv, progress: ProgressSink, stray: Diagnostic | null, strict: boolean): Promise<BuildResult> {
  progress({ step: 'scan', kind: 'skip', detail: `${stamp.workflows} workflow(s) unchanged since the last build` });
  const demands = demandsFromStamp(stamp);
  const local = await inspectLocal(config, demands, walkLocal(config, env), { progress });
  try {
    const lockPath = relativeToConfig(config, config.lockPath);
    const lock = parseLock(outputs.get(lockPath) ?? '', 'comfy.lock.json');
    progress({ step: 'resolve', kind: 'skip', detail: 'every model is already in the lock' });
    const differing = await local.finishContentMatches(lock);
    progress({ step: 'render', kind: 'skip', detail: 'the lock and every output are up to date' });
    const diagnostics = [...stamp.before, ...(stray ? [stray] : []), ...local.diagnostics, ...differing, ...stamp.after, ...(strict ? strictProblems(demands, lock) : [])];
    const writes: PlannedWrite[] = stamp.outputs.map((o) => {
      const absPath = join(config.configDir, o.path);
      return { path: o.path, content: outputs.get(o.path) ?? readFileSync(absPath, 'utf8'), mode: o.mode, absPath, status: 'unchanged' };
    });
    const exitCode = diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
    return { config, workflows: [], packs: [], workflowCount: stamp.workflows, references: 0, unchanged: true, demands, lock, changes: [], writes, unwritten: new Set(), diagnostics, local, traces: new Map(), exitCode };
  } finally {
    await local.close();
  }
}

/**
 * `--strict`: the models an active node needs that the lock cannot install (unresolved, or not in
 * it yet), as one error, so automation can tell a complete box from an incomplete one.
 */
export function strictProblems(demands: readonly Pick<ModelDemand, 'key' | 'active'>[], lock: Lockfile): Diagnostic[] {
  const missing = demands.filter((d) => d.active && !lock.models[d.key]?.locked).map((d) => d.key);
  if (missing.length === 0) return [];
  const n = missing.length;
  return [{
    code: 'unresolved-active', severity: 'error',
    message: `--strict: ${n} model${n === 1 ? '' : 's'} that active nodes need ${n === 1 ? 'is' : 'are'} unresolved: ${someNames(missing, 'model', 5)}`,
    hint: 'report.md (or `comfygen why <model>`) says why for each; pin them, or build without --strict to accept an incomplete box',
  }];
}

function relativeToConfig(config: Config, abs: string): string {
  return abs.slice(config.configDir.length + 1).split('\\').join('/');
}

/**
 * `--update KEY…` split between models and node packs: `node:<id>` names a pack; any other word
 * names the models it matches (key, folder, file name) and the pack of that id, if any. A word
 * that matches nothing is a usage error, before anything is asked.
 */
export function splitUpdate(
  update: boolean | string[], demands: readonly ModelDemand[], packKeys: ReadonlySet<string>,
): { models: boolean | string[]; packs: boolean | string[]; sections: boolean | string[] } {
  if (!Array.isArray(update)) return { models: update, packs: update, sections: update };
  const models: string[] = [];
  const packs: string[] = [];
  const sections: string[] = [];
  const unknown: string[] = [];
  for (const word of update) {
    // The lock's other sections: ComfyUI's pin and the Python plan (`--update python` asks pip again).
    if (LOCK_SECTIONS.has(word.toLowerCase())) {
      sections.push(word.toLowerCase());
      continue;
    }
    const pack = word.toLowerCase().replace(/^node:/, '');
    const isPack = packKeys.has(pack);
    const isModel = !/^node:/i.test(word) && demands.some((d) => matchesKey(d.key, word));
    if (isPack) packs.push(pack);
    if (isModel) models.push(word);
    if (!isPack && !isModel) unknown.push(word);
  }
  if (unknown.length > 0) {
    throw new UserError(`--update: no model or node pack matches ${unknown.join(', ')} (a model as loras/x.safetensors, loras or x.safetensors; a pack as node:<id> or <id>; or comfyui, python)`);
  }
  return { models, packs, sections };
}

const LOCK_SECTIONS = new Set(['comfyui', 'python']);

/**
 * Which demands go to the sources: new keys, keys named by --update, and (online) entries that
 * were unresolved last time. `check` and `--frozen` resolve nothing; a missing key is drift.
 */
export function pickKeysToResolve(
  demands: readonly ModelDemand[],
  previous: Lockfile | null,
  opts: { check: boolean; frozen: boolean; offline: boolean; update: boolean | string[] },
): ModelDemand[] {
  if (opts.check || opts.frozen) return [];
  const prior = previous?.models ?? {};
  const updateAll = opts.update === true;
  const updateList = Array.isArray(opts.update) ? opts.update : [];
  const unknown = updateList.filter((u) => !demands.some((d) => matchesKey(d.key, u)));
  if (unknown.length > 0) throw new UserError(`--update: no model matches ${unknown.join(', ')}`);
  const named = (key: string) => updateList.some((u) => matchesKey(key, u));
  return demands.filter((d) => {
    const entry = prior[d.key];
    if (!entry) return true;
    if (updateAll || named(d.key)) return true;
    return !entry.locked && !opts.offline;
  });
}

/** `--update` accepts a full key, a folder (`loras`), or a bare file name. */
function matchesKey(key: string, wanted: string): boolean {
  const w = wanted.replace(/\/+$/, '');
  return key === w || key.startsWith(`${w}/`) || key.endsWith(`/${w}`);
}
