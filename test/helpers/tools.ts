/**
 * System tools some tests need that npm cannot bring. A missing one skips those tests with one
 * line naming the package to install (uvu counts them, and the runner's closing line says
 * `, N skipped`); `.ci/run` installs them all and fails on any skip.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Test } from 'uvu';
import { createHash as wasmBlake3 } from 'blake3-wasm';

const INSTALL: Record<string, string> = {
  shellcheck: 'apt-get install shellcheck (Debian/Ubuntu) or brew install shellcheck',
  b3sum: 'apt-get install b3sum (Debian/Ubuntu) or brew install b3sum',
};

const found = new Map<string, boolean>();
const said = new Set<string>();

export function hasTool(name: string): boolean {
  let ok = found.get(name);
  if (ok === undefined) {
    ok = spawnSync(name, ['--version'], { stdio: 'ignore' }).status === 0;
    found.set(name, ok);
  }
  return ok;
}

/** `test` when `tool` is installed, else `test.skip` (and, once per tool, the line saying why). */
export function needing(test: Test, tool: string): Test['skip'] {
  if (hasTool(tool)) return test;
  if (!said.has(tool)) {
    said.add(tool);
    process.stderr.write(`SKIP tests that run ${tool}: it is not installed (${INSTALL[tool] ?? `install ${tool}`})\n`);
  }
  return test.skip;
}

/** BLAKE3 of a file as b3sum prints it; blake3-wasm (an independent build of the reference code) where b3sum is missing. */
export function referenceBlake3(path: string): string {
  if (hasTool('b3sum')) {
    const out = spawnSync('b3sum', ['--no-names', path], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`b3sum failed: ${out.stderr}`);
    return out.stdout.trim();
  }
  return wasmBlake3().update(readFileSync(path)).digest('hex');
}
