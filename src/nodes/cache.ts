/**
 * A small JSON-file cache for lock-time lookups (class → pack, zip URL → sha256). Read once,
 * written once at the end, atomically (io/cache-file.ts). With no cache folder it is a plain in-memory map.
 * Zip hashes never expire (registry versions are immutable); class answers are refreshed by
 * `--update`, which skips the cache.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { byString } from '../core/stable-json.js';
import { writeCacheFile } from '../io/cache-file.js';

export interface JsonCache<T> {
  get(key: string): T | undefined;
  set(key: string, value: T): void;
  save(): Promise<void>;
}

/** `.comfygen/<folder>/<name>.json` (folder `nodes` unless given). */
export async function openJsonCache<T>(cacheDir: string | null, name: string, folder = 'nodes'): Promise<JsonCache<T>> {
  const file = cacheDir === null ? null : join(cacheDir, folder, `${name}.json`);
  const data = new Map<string, T>();
  if (file !== null) {
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as unknown;
      if (parsed && typeof parsed === 'object') for (const [k, v] of Object.entries(parsed)) data.set(k, v as T);
    } catch {
      // Missing or damaged cache: start empty; it is only a cache.
    }
  }
  let dirty = false;
  return {
    get: (key) => data.get(key),
    set(key, value) {
      data.set(key, value);
      dirty = true;
    },
    /** Best effort: a cache that cannot be written (`.comfygen` is a file, read-only) costs the next run a lookup, never this build. */
    async save() {
      if (file === null || !dirty) return;
      const sorted = Object.fromEntries([...data.entries()].sort(([a], [b]) => byString(a, b)));
      writeCacheFile(file, `${JSON.stringify(sorted, null, 2)}\n`);
    },
  };
}
