/**
 * Builders and runners shared by the custom-node tests: scanned workflows in memory, a temp
 * ComfyUI folder, and running nodes.sh for real (asynchronously, so in-process fake servers answer).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { CustomNodeRef, ScannedWorkflow } from '../../src/core/types.js';
import { createHttpClient } from '../../src/io/http.js';
import type { ResolvePacksOptions } from '../../src/nodes/types.js';

export function workflow(path: string, customNodes: CustomNodeRef[], untaggedNodeTypes: string[] = []): ScannedWorkflow {
  return { path, format: 'ui', refs: [], customNodes, untaggedNodeTypes, diagnostics: [] };
}

export function ref(id: string, version: string | null, extra: Partial<CustomNodeRef> = {}): CustomNodeRef {
  return { id, version, repo: null, ...extra };
}

export function options(over: Partial<ResolvePacksOptions> & Pick<ResolvePacksOptions, 'registryEndpoint' | 'githubEndpoint'>): ResolvePacksOptions {
  // Fast retries: the outage tests must not wait for real backoff.
  const http = createHttpClient({ retries: 2, baseDelayMs: 5, maxDelayMs: 20 });
  return { offline: false, update: false, pins: {}, cacheDir: null, report: () => {}, http, ...over };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runScript(script: string, args: string[], env: Record<string, string>, cwd?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn('bash', [script, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: env.HOME ?? cwd ?? '/nonexistent', LC_ALL: 'C', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export function writeScript(dir: string, content: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'nodes.sh');
  writeFileSync(path, content, { mode: 0o755 });
  return path;
}

/** Every path under `root` with its kind, size and mtime: equal snapshots mean nothing was touched. */
export function snapshot(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const st = statSync(path, { throwIfNoEntry: false });
      if (!st) continue;
      out.push(`${relative(root, path)} ${st.isDirectory() ? 'd' : st.size} ${st.mtimeMs}`);
      if (st.isDirectory()) walk(path);
    }
  };
  walk(root);
  return out;
}

export function read(path: string): string {
  return readFileSync(path, 'utf8');
}
