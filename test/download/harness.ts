/** Shared setup for download.sh tests: build locks, render, run the script with real bash + curl. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { LockedModel, Lockfile } from '../../src/core/types.js';
import { renderDownloadScript } from '../../src/render/download-script.js';
import type { Test } from 'uvu';
import { startFileServer, type FileServer } from '../helpers/file-server.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * A loopback file server and a temp dir for one test file: started before its tests (then
 * `setup` configures the server), both gone after. Read `server` and `dir` inside tests only.
 */
export function serverAndDir(suite: Test, prefix: string, setup?: (server: FileServer) => void): { readonly server: FileServer; readonly dir: string } {
  const fixture = {} as { server: FileServer; dir: string };
  let cleanup = async () => {};
  suite.before(async () => {
    fixture.server = await startFileServer();
    setup?.(fixture.server);
    const tmp = await tempDir(prefix);
    fixture.dir = tmp.dir;
    cleanup = tmp.cleanup;
  });
  suite.after(async () => {
    await fixture.server?.close();
    await cleanup();
  });
  return fixture;
}

export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** Deterministic pseudo-random bytes (tests must not depend on Math.random). */
export function bytes(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** A seeded PRNG in [0, 1). */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
}

/** A locked entry for `body` served at `url`. */
export function pin(url: string, body: Buffer | string, extra: Partial<LockedModel> = {}): LockedModel {
  return { source: 'url', url, sha256: sha256(body), size: Buffer.byteLength(body), ...extra };
}

export function lockOf(models: Record<string, LockedModel | { unresolved: string }>): Lockfile {
  const lock: Lockfile = { version: 1, models: {} };
  for (const [key, m] of Object.entries(models)) {
    lock.models[key] = 'unresolved' in m ? { original: {}, unresolved: { reason: m.unresolved, sha256: null } } : { original: {}, locked: m };
  }
  return lock;
}

export async function writeScript(dir: string, lock: Lockfile, target = 'models'): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'download.sh');
  await writeFile(path, renderDownloadScript(lock, { target }), { mode: 0o755 });
  return path;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together. */
  output: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Called right after spawn (to kill it at some point, watch the process list…). */
  onSpawn?: (child: ChildProcess) => void;
  timeoutMs?: number;
}

/** Environment every run starts from: no inherited tokens or endpoints, fast retries. */
export function baseEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    COMFYGEN_RETRY_BASE_SECONDS: '0',
    COMFYGEN_RETRIES: '4',
  };
}

export function runScript(script: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, ...args], {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let output = '';
    child.stdout!.on('data', (d) => { stdout += d; output += d; });
    child.stderr!.on('data', (d) => { stderr += d; output += d; });
    const timer = setTimeout(() => {
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
    }, opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, output });
    });
    opts.onSpawn?.(child);
  });
}

/** Pids of the processes whose argv mentions `needle` (a curl still writing our .part, say). */
/** The ways a user or a supervisor stops download.sh: its process group, or the script alone. */
export const STOP_WAYS = ['kill-group', 'term-group', 'int-group', 'term-script'] as const;

/** Stops a running download.sh `way`; false when it had already finished. */
export function stopScript(child: ChildProcess, way: (typeof STOP_WAYS)[number]): boolean {
  try {
    if (way === 'kill-group') process.kill(-child.pid!, 'SIGKILL');
    else if (way === 'term-group') process.kill(-child.pid!, 'SIGTERM');
    else if (way === 'int-group') process.kill(-child.pid!, 'SIGINT');
    else process.kill(child.pid!, 'SIGTERM');
    return true;
  } catch {
    return false;
  }
}

export function processesMentioning(needle: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle)) found.push(Number(pid));
    } catch { /* gone */ }
  }
  return found;
}

/**
 * Pids of the processes that hold `path` open (a curl writing it, a hasher reading it), from
 * their descriptors: also those whose command line does not name it.
 */
export function processesHolding(path: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readdirSync(`/proc/${pid}/fd`).some((fd) => {
        try { return readlinkSync(`/proc/${pid}/fd/${fd}`) === path; } catch { return false; }
      })) found.push(Number(pid));
    } catch { /* gone, or not ours to look into */ }
  }
  return found;
}

/** Every file and directory under `dir`, relative, sorted (symlinks listed, not followed). */
export async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      out.push(relative(dir, p) + (e.isDirectory() ? '/' : ''));
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk(dir);
  return out.sort();
}

export function shellcheck(path: string): { ok: boolean; output: string } {
  const r = spawnSync('shellcheck', ['--shell=bash', path], { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

/** The summary counts printed on the script's last line. */
export function summary(output: string): { downloaded: number; skipped: number; failed: number; unresolved: number } | null {
  const m = /downloaded (\d+), skipped (\d+), failed (\d+), unresolved (\d+)/.exec(output);
  return m ? { downloaded: +m[1]!, skipped: +m[2]!, failed: +m[3]!, unresolved: +m[4]! } : null;
}

const pathCache = new Map<string, string>();

/** A PATH with every command of the current one except `missing` (a machine without flock…). */
export async function pathWithout(dir: string, missing: string[]): Promise<string> {
  const key = [...missing].sort().join(' ');
  const known = pathCache.get(key);
  if (known && existsSync(known)) return known;
  const bin = join(dir, `bin-without-${missing.join('-')}`);
  pathCache.set(key, bin);
  await mkdir(bin, { recursive: true });
  const seen = new Set<string>(missing);
  for (const d of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    let names: string[] = [];
    try { names = await readdir(d); } catch { continue; }
    for (const name of names) {
      if (seen.has(name)) continue;
      seen.add(name);
      await symlink(join(d, name), join(bin, name)).catch(() => undefined);
    }
  }
  return bin;
}
