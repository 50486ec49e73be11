/**
 * Answer cache for the sources: one keyv-file store per namespace (`<dir>/<namespace>.json`), or
 * memory when there is no cache dir. It stores what callers hand it (validated API answers, never
 * requests), so no header, and hence no token, can reach it. Every entry keeps the time it was
 * stored: freshness is the caller's decision (an offline run takes any age).
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Keyv } from 'keyv';
import { KeyvFile } from 'keyv-file';

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
  const stores = new Map<string, Keyv>();
  const files = new Map<string, KeyvFile>();
  const written = new Set<string>();
  // This run's writes, readable at once (the stores write in the background).
  const recent = new Map<string, CacheEntry<unknown>>();
  const pending = new Set<Promise<unknown>>();

  function store(namespace: string): Keyv {
    if (!NAMESPACE.test(namespace)) throw new Error(`invalid cache namespace ${JSON.stringify(namespace)}`);
    let kv = stores.get(namespace);
    if (!kv) {
      const filename = dir ? join(dir, `${namespace}.json`) : null;
      if (filename) discardIfCorrupt(filename, options.onError);
      const file = filename ? new KeyvFile({ filename, writeDelay: 20 }) : null;
      if (file) files.set(namespace, file);
      kv = new Keyv({ namespace, ttl: retainMs, ...(file ? { store: file } : {}) });
      kv.on('error', (err: unknown) => options.onError?.(err));
      stores.set(namespace, kv);
    }
    return kv;
  }

  return {
    async get<T>(namespace: string, key: string) {
      const fresh = recent.get(`${namespace}\0${key}`) as CacheEntry<T> | undefined;
      if (fresh) return fresh;
      try {
        const entry = (await store(namespace).get(key)) as CacheEntry<T> | undefined;
        return entry && typeof entry.at === 'number' ? entry : undefined;
      } catch (err) {
        options.onError?.(err);
        return undefined;
      }
    },
    set(namespace, key, value) {
      written.add(namespace);
      const entry = { at: now(), value };
      recent.set(`${namespace}\0${key}`, entry);
      const write = store(namespace)
        .set(key, entry)
        .catch((err: unknown) => options.onError?.(err))
        .finally(() => pending.delete(write));
      pending.add(write);
    },
    async close() {
      while (pending.size > 0) await Promise.all([...pending]);
      // keyv-file resolves a write made while an earlier save is on disk with that earlier save,
      // so the last entries can be missing from the file; one final full write settles it.
      await Promise.all(
        [...files].filter(([ns]) => written.has(ns)).map(([, file]) => flush(file).catch((err: unknown) => options.onError?.(err))),
      );
      await Promise.all([...stores.values()].map((kv) => kv.disconnect()));
      stores.clear();
      files.clear();
      written.clear();
      recent.clear();
    },
  };
}

async function flush(file: KeyvFile): Promise<void> {
  const writer = file as unknown as { saveToDisk?: () => Promise<void> };
  if (typeof writer.saveToDisk === 'function') await writer.saveToDisk();
}

/** keyv-file prints a stack for an unreadable file; a cache is disposable, so drop it quietly instead. */
function discardIfCorrupt(filename: string, onError: CacheOptions['onError']): void {
  let text: string;
  try {
    text = readFileSync(filename, 'utf8');
  } catch {
    return;
  }
  try {
    JSON.parse(text);
  } catch {
    rmSync(filename, { force: true });
    onError?.(new Error(`discarded the unreadable cache file ${filename}`));
  }
}
