/** `comfygen scan`: extraction only, no network, no writes (DESIGN §3). */
import { relative, resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import { findWorkflowFiles } from '../pipeline/workflow-files.js';
import type { ScannedWorkflow } from '../core/types.js';
import { visible } from '../core/visible.js';
import { scanFiles } from '../scan/index.js';
import type { Io } from './build-command.js';
import { formatDiagnostic } from './format.js';

export async function scanCommand(files: string[], flags: { config?: string; json?: boolean }, io: Io): Promise<number> {
  let targets: { absPath: string; relPath: string }[];
  if (files.length > 0) {
    targets = files.map((f) => {
      const absPath = resolve(io.cwd, f);
      return { absPath, relPath: (relative(io.cwd, absPath) || f).split('\\').join('/') };
    });
  } else {
    targets = await findWorkflowFiles(await loadConfig({ cwd: io.cwd, file: flags.config }));
  }
  const workflows = await scanFiles(targets);
  if (flags.json) {
    io.stdout.write(`${JSON.stringify({ workflows }, null, 2)}\n`);
  } else {
    for (const wf of workflows) printWorkflow(wf, io);
  }
  return workflows.some((wf) => wf.diagnostics.some((d) => d.severity === 'error')) ? 1 : 0;
}

function printWorkflow(wf: ScannedWorkflow, io: Io): void {
  io.stdout.write(visible(`${wf.path} (${wf.format ?? 'unreadable'}): ${wf.refs.length} model(s)\n`));
  for (const ref of wf.refs) {
    const flags = [ref.active ? '' : 'optional', ref.guessed ? 'guessed' : '', ref.embedded?.url ? 'has url' : ''].filter(Boolean);
    io.stdout.write(visible(`  ${ref.folder}/${ref.name}${flags.length ? ` (${flags.join(', ')})` : ''}\n`));
  }
  for (const pack of wf.customNodes) io.stdout.write(visible(`  node pack ${pack.id}${pack.version ? `@${pack.version}` : ''}\n`));
  for (const d of wf.diagnostics.filter((d) => d.severity !== 'info')) io.stderr.write(`  ${formatDiagnostic(d)}\n`);
}
