// Runs one real `comfygen build` (the pipeline the CLI runs, minus terminal output) in this
// process and prints a JSON line the harness reads: exit code, counts and model bytes read.
//   node bench/child-build.mjs <dist-dir> <config-file> [--online | --check | --phases]
// --check runs `comfygen check` instead (offline, writes no lock or output, keeps its cache).
// --phases adds when the scan started and ended and when the build was done (seconds since
// the process started), for bench/extraction-bound.ts.
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const [distDir, configFile, flag] = process.argv.slice(2);
const { runBuild } = await import(pathToFileURL(join(distDir, 'src/pipeline/run-build.js')).href);
const phases = {};
const progress = flag === '--phases' ? (e) => {
  if (e.step === 'scan' && (e.kind === 'start' || e.kind === 'done')) phases[`scan_${e.kind}`] = performance.now() / 1000;
} : undefined;
const result = await runBuild({ cwd: dirname(configFile), configFile, mode: flag === '--check' ? 'check' : 'build', offline: flag !== '--online', env: process.env, progress });
if (progress) phases.end = performance.now() / 1000;
process.stdout.write(`${JSON.stringify({
  exitCode: result.exitCode,
  workflows: result.workflowCount,
  // An unchanged build replays the last one (src/pipeline/build-stamp.ts) and parses nothing.
  unchanged: result.unchanged,
  refs: result.unchanged ? null : result.references,
  demands: result.demands.length,
  present: result.local ? result.local.matches.size : null,
  bytesRead: result.local ? result.local.hasher.bytesRead : null,
  errors: result.diagnostics.filter((d) => d.severity === 'error').length,
  drift: result.writes.filter((w) => w.status !== 'unchanged').length,
  ...(progress ? { phases } : {}),
})}\n`);
