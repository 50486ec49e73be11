/** The CLI in a child process, for what in-process runs cannot show: signals and terminals. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Resolved here: `--import tsx` would be looked up from the fixture's folder and not found.
const TSX = import.meta.resolve('tsx');
export const RUN_MAIN = fileURLToPath(new URL('./run-main.ts', import.meta.url));

export interface Spawned {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  /** Resolves once stderr or stdout matches, rejects after `ms`. */
  waitFor(pattern: RegExp, ms?: number, from?: number): Promise<void>;
  exited: Promise<number | null>;
}

/** Children still running; killed when the test process exits, so a failed test leaves none behind. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export function spawnCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Spawned {
  const child = spawn(process.execPath, ['--import', TSX, RUN_MAIN, ...args], {
    cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.on('exit', () => running.delete(child));
  let out = '';
  let err = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (err += c));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    child,
    out: () => out,
    err: () => err,
    exited,
    // A wait for what the program says; the bound only ends a wait that would never end (a loaded
    // CI machine may take many seconds just to start Node and load TypeScript).
    waitFor: (pattern, ms = 60_000, from = 0) => new Promise((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        if (pattern.test((out + err).slice(from))) {
          clearInterval(poll);
          resolve();
        } else if (Date.now() - started > ms || child.exitCode !== null) {
          clearInterval(poll);
          reject(new Error(`timed out waiting for ${pattern}; output:\n${out}\n${err}`));
        }
      }, 25);
    }),
  };
}
