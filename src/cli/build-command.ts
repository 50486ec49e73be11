/** `comfygen build` and `comfygen check`: run the pipeline, print what changed and why. */
import { runBuild, type BuildResult } from '../pipeline/run-build.js';
import { visible } from '../core/visible.js';
import { countBySeverity, formatChanges, formatDiagnostics } from './format.js';
import { chooseRenderer, createProgress } from './progress.js';

export interface BuildFlags {
  config?: string;
  offline?: boolean;
  frozen?: boolean;
  update?: boolean | string[];
  dryRun?: boolean;
  json?: boolean;
  quiet?: boolean;
  force?: boolean;
  strict?: boolean;
  /** Set by `--watch`: scan results shared between rebuilds. */
  scanMemo?: import('../pipeline/scan-memo.js').ScanMemo;
}

export interface Io {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export async function buildCommand(mode: 'build' | 'check', flags: BuildFlags, io: Io): Promise<number> {
  const renderer = createProgress(chooseRenderer({ quiet: flags.quiet === true, json: flags.json === true, stream: io.stderr, env: io.env }), io.stderr);
  let result: BuildResult;
  try {
    result = await runBuild({
      cwd: io.cwd,
      configFile: flags.config,
      mode,
      offline: flags.offline,
      frozen: flags.frozen,
      update: flags.update,
      dryRun: flags.dryRun,
      force: flags.force,
      strict: flags.strict,
      env: io.env,
      progress: renderer.sink,
      scanMemo: flags.scanMemo,
    });
  } finally {
    await renderer.flush();
  }
  if (flags.json) {
    io.stdout.write(`${JSON.stringify(summaryJson(mode, result, flags), null, 2)}\n`);
    return result.exitCode;
  }
  printHuman(mode, result, flags, io);
  return result.exitCode;
}

/**
 * The models the workflows reference, in disjoint groups that add up: unresolved (the lock cannot
 * install them, whatever this machine has), present locally (pinned, and a matching file is here),
 * to download (pinned, not here). `unresolvedActive` counts the unresolved ones an active node
 * needs (what `--strict` fails on), `unresolvedHere` those a local file stands in for on this
 * machine only; `keptUnread` the lock entries kept for unreadable workflows.
 */
export function localSummary(result: BuildResult) {
  let present = 0;
  let toDownload = 0;
  let unresolved = 0;
  let unresolvedActive = 0;
  let unresolvedHere = 0;
  for (const d of result.demands) {
    if (!result.lock.models[d.key]?.locked) {
      unresolved++;
      if (d.active) unresolvedActive++;
      if (result.local?.matches.has(d.key)) unresolvedHere++;
    } else if (result.local?.matches.has(d.key)) present++;
    else toDownload++;
  }
  const referenced = new Set(result.demands.map((d) => d.key));
  return {
    referenced: result.demands.length,
    presentLocally: result.local ? present : null,
    toDownload,
    unresolved,
    unresolvedActive,
    unresolvedHere,
    keptUnread: Object.keys(result.lock.models).filter((key) => !referenced.has(key)).length,
  };
}

/** Whether this run wrote its outputs: `check`, `--dry-run` and `--frozen` only compare them with disk. */
const writesOutputs = (mode: string, flags: BuildFlags): boolean => mode === 'build' && !flags.dryRun && !flags.frozen;

function summaryJson(mode: string, result: BuildResult, flags: BuildFlags) {
  const written = result.writes.filter((w) => (w.status === 'create' || w.status === 'update') && !result.unwritten.has(w.path));
  return {
    command: mode,
    dryRun: flags.dryRun === true,
    frozen: flags.frozen === true,
    exitCode: result.exitCode,
    counts: { workflows: result.workflowCount, ...localSummary(result), ...countBySeverity(result.diagnostics) },
    changes: result.changes,
    diagnostics: result.diagnostics,
    outputs: result.writes.map((w) => ({ path: w.path, status: w.status })),
    written: writesOutputs(mode, flags) ? written.map((w) => w.path) : [],
  };
}

/** `missing: …` / `would change: …` / `foreign: …` for every output that differs from disk (check, --frozen). */
function driftLines(result: BuildResult): string[] {
  return result.writes.filter((w) => w.status !== 'unchanged')
    .map((w) => `${w.status === 'create' ? 'missing' : w.status === 'foreign' ? 'foreign' : 'would change'}: ${w.path}`);
}

/**
 * Problems first (stderr), then what changed and the summary (stdout). `--quiet` prints only
 * warnings and errors, and for `check` / `--frozen` what would change (the problem they report).
 */
function printHuman(mode: string, result: BuildResult, flags: BuildFlags, io: Io): void {
  const out = (line: string) => io.stdout.write(`${visible(line)}\n`);
  const quiet = flags.quiet === true;
  const rest = `\`comfygen ${mode} --json\` lists every one`;
  for (const line of formatDiagnostics(result.diagnostics.filter((d) => d.severity !== 'info'), rest)) io.stderr.write(`${line}\n`);
  const drift = driftLines(result);
  if (!quiet) for (const line of formatChanges(result.changes, rest)) out(line);
  if (mode === 'check') {
    if (drift.length === 0) {
      if (!quiet) out('check: lock and outputs are up to date');
    } else {
      for (const line of drift) out(line);
      out('check: out of date; run `comfygen build` and commit the result');
    }
    if (!quiet) out(summaryLine(localSummary(result)));
    return;
  }
  if (flags.frozen) {
    // --frozen writes nothing: it says what a build would change, as check does.
    for (const line of drift) out(line);
    if (drift.length > 0) out('--frozen: the lock or outputs would change; nothing was written; run `comfygen build` without --frozen and commit the result');
    else if (!quiet) out('--frozen: the lock and outputs are up to date');
  } else if (!quiet) {
    const verb = flags.dryRun ? 'would write' : 'wrote';
    for (const w of result.writes.filter((w) => (w.status === 'create' || w.status === 'update') && !result.unwritten.has(w.path))) out(`${verb} ${w.path}`);
  }
  if (!quiet) out(summaryLine(localSummary(result)));
}

/** `referenced 6, present locally 1, to download 3, unresolved 2 (1 needed by an active node, 1 only on this machine)`. */
export function summaryLine(s: ReturnType<typeof localSummary>): string {
  const present = s.presentLocally === null ? '' : `, present locally ${s.presentLocally}`;
  const notes = [
    s.unresolvedActive === 0 ? 'none needed by an active node' : `${s.unresolvedActive} needed by ${s.unresolvedActive === 1 ? 'an active node' : 'active nodes'}`,
    s.unresolvedHere > 0 ? `${s.unresolvedHere} only on this machine` : '',
  ].filter(Boolean);
  const active = s.unresolved === 0 ? '' : ` (${notes.join(', ')})`;
  const kept = s.keptUnread > 0 ? `; ${s.keptUnread} more lock entr${s.keptUnread === 1 ? 'y' : 'ies'} kept for unreadable workflows` : '';
  return `referenced ${s.referenced}${present}, to download ${s.toDownload}, unresolved ${s.unresolved}${active}${kept}`;
}
