/** Runs the CLI in-process with captured output, as a user would call `comfygen …` in `cwd`. */
import { main } from '../../src/cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function sink(): NodeJS.WriteStream & { text: string } {
  const stream = { text: '', isTTY: false, write(chunk: string | Uint8Array) { stream.text += chunk.toString(); return true; } };
  return stream as unknown as NodeJS.WriteStream & { text: string };
}

export async function runCli(argv: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const stdout = sink();
  const stderr = sink();
  const code = await main(argv, { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
