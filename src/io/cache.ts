/**
 * Answer cache for the sources: one keyv-file store per namespace (`<dir>/<namespace>.json`), or
 * memory when there is no cache dir. It stores what callers hand it (validated API answers, never
 * requests), so no header, and hence no token, can reach it. Every entry keeps the time it was
 * stored: freshness is the caller's decision (an offline run takes any age).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Keyv } from 'keyv';
import type { KeyvFile } from 'keyv-file';
import { removeQuietly } from './cache-file.js';

export interface CacheEntry<T> {
  /** Epoch ms when stored. */
  at: number;
  value: T;
}

export interface AnswerCache {
  get<T>(namespace: string, key: string): Promise<CacheEntry<T> | undefined>;
  /** Stores in the background; `close()` waits for every write. */
  set(namespace: string, key: string, value: unknown): void;
  close(): Promise<void>;
}

export interface CacheOptions {
  /** Entries older than this are dropped from disk (default 30 days). */
  retainMs?: number;
  now?: () => number;
  /** A broken cache must never break a build: errors are reported, then ignored. */
  onError?: (error: unknown) => void;
}

const NAMESPACE = /^[a-z0-9-]+$/;

export function openCache(dir: string | null, options: CacheOptions = {}): AnswerCache {
  const retainMs = options.retainMs ?? 30 * 24 * 3600 * 1000;
  const now = options.now ?? Date.now;
  const stores = new Map<string, Promise<Keyv>>();
  const files = new Map<string, KeyvFile>();
  const written = new Set<string>();
  // This run's writes, readable at once (the stores write in the background).
  const recent = new Map<string, CacheEntry<unknown>>();
  const pending = new Set<Promise<unknown>>();

  const checked = (namespace: string) => {
    if (!NAMESPACE.test(namespace)) throw new Error(`invalid cache namespace ${JSON.stringify(namespace)}`);
    return namespace;
  };
  const fileOf = (namespace: string) => (dir ? join(dir, `${namespace}.json`) : null);

  function store(namespace: string): Promise<Keyv> {
    let kv = stores.get(namespace);
    if (!kv) {
      kv = loadKeyv().then(({ Keyv, KeyvFile }) => {
        const filename = fileOf(namespace);
        // A file keyv-file cannot use would make it print a stack (or throw); memory serves instead.
        const file = filename && prepareFile(filename, options.onError) ? new KeyvFile({ filename, writeDelay: 20 }) : null;
        if (file) files.set(namespace, file);
        const opened = new Keyv({ namespace, ttl: retainMs, ...(file ? { store: file } : {}) });
        opened.on('error', (err: unknown) => options.onError?.(err));
        return opened;
      });
      stores.set(namespace, kv);
    }
    return kv;
  }

  /**
   * Nothing can be found in a namespace that has no file and no store yet (nothing written in
   * this run): keyv and keyv-file (~10 ms to load) are not loaded to say so, which spares an
   * offline build with a fresh cache.
   */
  const holdsNothing = (namespace: string): boolean => {
    if (stores.has(namespace)) return false;
    const filename = fileOf(namespace);
    return filename === null || !existsSync(filename);
  };

  return {
    async get<T>(namespace: string, key: string) {
      const fresh = recent.get(`${namespace}\0${key}`) as CacheEntry<T> | undefined;
      if (fresh) return fresh;
      try {
        if (holdsNothing(checked(namespace))) return undefined;
        const entry = (await (await store(namespace)).get(key)) as CacheEntry<T> | undefined;
        return entry && typeof entry.at === 'number' ? entry : undefined;
      } catch (err) {
        options.onError?.(err);
        return undefined;
      }
    },
    set(namespace, key, value) {
      checked(namespace);
      written.add(namespace);
      const entry = { at: now(), value };
      recent.set(`${namespace}\0${key}`, entry);
      const write = store(namespace)
        .then((kv) => kv.set(key, entry))
        .catch((err: unknown) => options.onError?.(err))
        .finally(() => pending.delete(write));
      pending.add(write);
    },
    async close() {
      while (pending.size > 0) await Promise.all([...pending]);
      const opened = await Promise.all([...stores.values()].map((kv) => kv.catch(() => null)));
      // keyv-file resolves a write made while an earlier save is on disk with that earlier save,
      // so the last entries can be missing from the file; one final full write settles it.
      await Promise.all(
        [...files].filter(([ns]) => written.has(ns)).map(([, file]) => flush(file).catch((err: unknown) => options.onError?.(err))),
      );
      await Promise.all(opened.map((kv) => kv?.disconnect()));
      stores.clear();
      files.clear();
      written.clear();
      recent.clear();
    },
  };
}

let keyv: Promise<{ Keyv: typeof Keyv; KeyvFile: typeof KeyvFile }> | null = null;

function loadKeyv() {
  return (keyv ??= Promise.all([import('keyv'), import('keyv-file')]).then(([k, f]) => ({ Keyv: k.Keyv, KeyvFile: f.KeyvFile })));
}

async function flush(file: KeyvFile): Promise<void> {
  const writer = file as unknown as { saveToDisk?: () => Promise<void> };
  if (typeof writer.saveToDisk === 'function') await writer.saveToDisk();
}

/**
 * Whether keyv-file may open `filename`: it is missing (a fresh cache) or holds what keyv-file
 * wrote. keyv-file prints a stack to stderr for a file it cannot read, and throws on JSON of
 * another shape (`null`, `{"cache":[1]}`), so those never reach it: a damaged file is removed
 * (a cache, comfygen's own) and rewritten at the end of the run; a path that cannot be read at
 * all (`.comfygen` is a file, no permission) leaves this run's answers in memory.
 */
function prepareFile(filename: string, onError: CacheOptions['onError']): boolean {
  let text: string;
  try {
    text = readFileSync(filename, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return true;
    const why = code === 'ENOTDIR' ? 'ENOTDIR: part of that path is a file, not a folder' : code ?? (err as Error).message;
    onError?.(new Error(`cannot use ${filename} (${why}); answers are kept in memory for this run`));
    return false;
  }
  if (isKeyvFileData(text)) return true;
  removeQuietly(filename);
  onError?.(new Error(`discarded the unreadable cache file ${filename}`));
  return !existsSync(filename);
}

/** The shape keyv-file reads: `{ "cache": [[key, entry], …] }` (or an object of entries). */
function isKeyvFileData(text: string): boolean {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return false;
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return false;
  const cache = (data as { cache?: unknown }).cache;
  if (Array.isArray(cache)) return cache.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string');
  return cache === undefined || (typeof cache === 'object' && cache !== null);
}
