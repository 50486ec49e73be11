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

export function localSummary(result: BuildResult) {
  const entries = Object.entries(result.lock.models);
  const present = result.local ? result.demands.filter((d) => result.local!.matches.has(d.key)).length : null;
  return {
    referenced: result.demands.length,
    presentLocally: present,
    toDownload: entries.filter(([key, e]) => e.locked && !result.local?.matches.has(key)).length,
    unresolved: entries.filter(([, e]) => !e.locked).length,
  };
}

/** Whether this run wrote its outputs: `check`, `--dry-run` and `--frozen` only compare them with disk. */
const writesOutputs = (mode: string, flags: BuildFlags): boolean => mode === 'build' && !flags.dryRun && !flags.frozen;

function summaryJson(mode: string, result: BuildResult, flags: BuildFlags) {
  const written = result.writes.filter((w) => w.status === 'create' || w.status === 'update');
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

function printHuman(mode: string, result: BuildResult, flags: BuildFlags, io: Io): void {
  const out = (line: string) => io.stdout.write(`${visible(line)}\n`);
  const shown = result.diagnostics.filter((d) => d.severity !== 'info' || !flags.quiet);
  const rest = `\`comfygen ${mode} --json\` lists every one`;
  for (const line of formatDiagnostics(shown.filter((d) => d.severity !== 'info'), rest)) io.stderr.write(`${line}\n`);
  for (const line of formatChanges(result.changes, rest)) out(line);
  const s = localSummary(result);
  const drift = driftLines(result);
  if (mode === 'check') {
    if (drift.length === 0) out('check: lock and outputs are up to date');
    else {
      for (const line of drift) out(line);
      out('check: out of date; run `comfygen build` and commit the result');
    }
    return;
  }
  if (flags.frozen) {
    // --frozen writes nothing: it says what a build would change, as check does.
    for (const line of drift) out(line);
    out(drift.length === 0
      ? '--frozen: the lock and outputs are up to date'
      : '--frozen: the lock or outputs would change; nothing was written; run `comfygen build` without --frozen and commit the result');
  } else {
    const verb = flags.dryRun ? 'would write' : 'wrote';
    for (const w of result.writes.filter((w) => w.status === 'create' || w.status === 'update')) if (!flags.quiet) out(`${verb} ${w.path}`);
  }
  const present = s.presentLocally === null ? '' : `, present locally ${s.presentLocally}`;
  out(`referenced ${s.referenced}${present}, to download ${s.toDownload}, unresolved ${s.unresolved}`);
}
