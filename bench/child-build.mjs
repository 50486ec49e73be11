// Runs one real `comfygen build` (the pipeline the CLI runs, minus terminal output) in this
// process and prints a JSON line the harness reads: exit code, counts and model bytes read.
//   node bench/child-build.mjs <dist-dir> <config-file> [--online | --check]
// --check runs `comfygen check` instead (offline, writes no lock or output, keeps its cache).
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const [distDir, configFile, flag] = process.argv.slice(2);
const { runBuild } = await import(pathToFileURL(join(distDir, 'src/build/run-build.js')).href);
const result = await runBuild({ cwd: dirname(configFile), configFile, mode: flag === '--check' ? 'check' : 'build', offline: flag !== '--online', env: process.env });
process.stdout.write(`${JSON.stringify({
  exitCode: result.exitCode,
  workflows: result.workflowCount,
  // An unchanged build replays the last one (src/build/build-stamp.ts) and parses nothing.
  unchanged: result.unchanged,
  refs: result.unchanged ? null : result.workflows.reduce((n, wf) => n + wf.refs.length, 0),
  demands: result.demands.length,
  present: result.local ? result.local.matches.size : null,
  bytesRead: result.local ? result.local.hasher.bytesRead : null,
  errors: result.diagnostics.filter((d) => d.severity === 'error').length,
  drift: result.writes.filter((w) => w.status !== 'unchanged').length,
})}\n`);
