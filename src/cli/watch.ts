/**
 * `comfygen build --watch`: rebuild when the config, a workflow folder or a model root changes.
 * Events are debounced, a change during a build queues one more build, a bad edit prints its
 * error and keeps watching, and SIGINT / SIGTERM stop cleanly. The hash cache makes the
 * inventory of unchanged files cheap on every rebuild.
 */
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CONFIG_FILES, loadConfig } from '../config/load.js';
import type { Config } from '../config/normalize.js';
import { UserError } from '../core/errors.js';
import { visible } from '../core/visible.js';
import { loadRoots } from '../inventory/load-roots.js';
import { createScanMemo } from '../pipeline/scan-memo.js';
import { type BuildFlags, buildCommand, type Io } from './build-command.js';

export interface WatchOptions {
  debounceMs?: number;
  /** Stops watching when aborted (tests); without it, SIGINT and SIGTERM do. */
  signal?: AbortSignal;
}

interface Target {
  dir: string;
  recursive: boolean;
  /** Paths relative to `dir` that should trigger a rebuild. */
  accepts: (rel: string) => boolean;
}

/** The folder part of a glob before its first wildcard: `workflows/**\/*.json` → `workflows`. */
export function globBase(pattern: string): string {
  const parts = pattern.split('/');
  const fixed: string[] = [];
  for (const p of parts.slice(0, -1)) {
    if (/[*?[\]{}()!]/.test(p)) break;
    fixed.push(p);
  }
  return fixed.join('/') || '.';
}

/** What to watch for a loaded config. Our own writes (outputs, lock, cache) never trigger a build. */
export async function watchTargets(config: Config, env: NodeJS.ProcessEnv): Promise<Target[]> {
  const own = [config.outputDir, '.comfygen', 'node_modules'].map((d) => join(config.configDir, d));
  const isOwn = (abs: string) => abs === config.lockPath || own.some((d) => abs === d || abs.startsWith(d + sep)) || abs.endsWith('.part') || abs.endsWith('.part.map');
  const under = (dir: string) => (rel: string) => !isOwn(join(dir, rel));
  const targets: Target[] = [{ dir: config.configDir, recursive: false, accepts: (rel) => rel === basename(config.configPath) || CONFIG_FILES.includes(rel) }];
  for (const pattern of config.workflows) {
    const base = globBase(pattern);
    const dir = isAbsolute(base) ? base : resolve(config.configDir, base);
    targets.push({ dir, recursive: true, accepts: under(dir) });
  }
  const { roots } = await loadRoots({ roots: config.models.roots, extraModelPaths: config.models.extraModelPaths, configDir: config.configDir, env });
  for (const root of roots) {
    if (root.kind === 'extra-model-paths') {
      targets.push({ dir: dirname(root.path), recursive: false, accepts: (rel) => rel === basename(root.path) });
    } else targets.push({ dir: root.path, recursive: true, accepts: under(root.path) });
    for (const dirs of Object.values(root.folders)) for (const dir of dirs) targets.push({ dir, recursive: true, accepts: under(dir) });
  }
  // A folder already watched recursively from above needs no watcher of its own.
  const recursive = targets.filter((t) => t.recursive);
  return targets.filter((t, i) => targets.findIndex((o) => o.dir === t.dir && o.recursive === t.recursive) === i)
    .filter((t) => !recursive.some((o) => o !== t && o.dir !== t.dir && !relative(o.dir, t.dir).startsWith('..') && !isAbsolute(relative(o.dir, t.dir))));
}

function openWatchers(targets: readonly Target[], onChange: (why: string) => void): FSWatcher[] {
  const watchers: FSWatcher[] = [];
  for (const t of targets) {
    const listener = (_event: string, file: string | Buffer | null) => {
      const rel = file === null ? '' : file.toString();
      if (rel === '' || t.accepts(rel)) onChange(rel === '' ? t.dir : join(t.dir, rel));
    };
    try {
      watchers.push(watch(t.dir, { recursive: t.recursive, persistent: true }, listener).on('error', () => {}));
    } catch (err) {
      // A folder that does not exist yet (or a platform without recursive watching) is watched shallowly or not at all.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM') watchers.push(watch(t.dir, { persistent: true }, listener).on('error', () => {}));
    }
  }
  return watchers;
}

export async function watchBuild(flags: BuildFlags, io: Io, opts: WatchOptions = {}): Promise<number> {
  const memo = createScanMemo();
  const debounceMs = opts.debounceMs ?? 200;
  const say = (line: string) => io.stderr.write(`${visible(line)}\n`);
  let watchers: FSWatcher[] = [];
  let watchedKey = '';
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let stop!: () => void;
  const done = new Promise<void>((r) => (stop = r));

  const refreshWatchers = async (): Promise<void> => {
    let targets: Target[];
    try {
      targets = await watchTargets(await loadConfig({ cwd: io.cwd, file: flags.config }), io.env);
    } catch {
      // A broken config: keep what is watched, so fixing it triggers the next build.
      if (watchers.length > 0) return;
      const file = flags.config ? resolve(io.cwd, flags.config) : null;
      const dir = file ? dirname(file) : io.cwd;
      targets = [{ dir, recursive: false, accepts: (rel) => (file ? rel === basename(file) : CONFIG_FILES.includes(rel)) }];
    }
    const key = targets.map((t) => `${t.recursive ? 'r' : 's'}:${t.dir}`).join('\n');
    if (key === watchedKey || stopped) return;
    for (const w of watchers) w.close();
    watchers = openWatchers(targets, schedule);
    watchedKey = key;
  };

  const cycle = async (): Promise<void> => {
    do {
      again = false;
      try {
        await buildCommand('build', { ...flags, scanMemo: memo }, io);
      } catch (err) {
        // A bad edit must not end the session: print it like the CLI would, keep watching.
        say(err instanceof UserError ? `comfygen: ${err.message}` : `comfygen: ${(err as Error).stack ?? String(err)}`);
      }
      await refreshWatchers();
    } while (again && !stopped);
    if (!stopped) say('watching for changes (Ctrl-C to stop)');
  };

  function schedule(): void {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      if (running) {
        again = true;
        return;
      }
      running = cycle().finally(() => (running = null));
    }, debounceMs);
  }

  const onSignal = () => {
    stopped = true;
    stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  opts.signal?.addEventListener('abort', onSignal, { once: true });
  if (opts.signal?.aborted) onSignal();
  try {
    running = cycle().finally(() => (running = null));
    await done;
    if (timer) clearTimeout(timer);
    for (const w of watchers) w.close();
    // Let a build in progress finish its atomic writes rather than leave it half done.
    await running;
    say('stopped watching');
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    opts.signal?.removeEventListener('abort', onSignal);
  }
}
