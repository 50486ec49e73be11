/**
 * Persistent hash cache (`.comfygen/hashes.json`): absolute path → the file's identity (size,
 * mtimeMs, inode) and whichever digests are known for it, so an unchanged model file is never
 * read twice for the same algorithm. A digest computed later for the same identity joins the
 * entry; a new identity replaces it. Holds only paths and digests. A missing or damaged cache is
 * an empty one; it is written atomically, with sorted keys, and only when something changed.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stableStringify } from '../core/stable-json.js';
import { type Digests, type FileIdentity, HASH_ALGORITHMS } from './hash-file.js';

type Entry = FileIdentity & Digests;

// Version 1 entries written before digests became optional held both; they read as they are.
const VERSION = 1;
const HEX64 = /^[0-9a-f]{64}$/;

function isEntry(value: unknown): value is Entry {
  const e = value as Partial<Entry> | null;
  if (typeof e !== 'object' || e === null || typeof e.size !== 'number' || typeof e.mtimeMs !== 'number' || typeof e.ino !== 'number') return false;
  const digests = HASH_ALGORITHMS.map((a) => e[a]).filter((d) => d !== undefined);
  return digests.length > 0 && digests.every((d) => typeof d === 'string' && HEX64.test(d));
}

function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}

function digestsOf(e: Entry): Digests {
  const out: Digests = {};
  for (const a of HASH_ALGORITHMS) if (e[a]) out[a] = e[a];
  return out;
}

export class HashCache {
  private dirty = false;

  private constructor(private readonly file: string | null, private readonly entries: Map<string, Entry>) {}

  static async load(file: string | null): Promise<HashCache> {
    const entries = new Map<string, Entry>();
    if (file) {
      try {
        const data = JSON.parse(await readFile(file, 'utf8')) as { version?: unknown; files?: Record<string, unknown> };
        if (data.version === VERSION && data.files && typeof data.files === 'object') {
          for (const [path, entry] of Object.entries(data.files)) if (isEntry(entry)) entries.set(path, entry);
        }
      } catch {
        // No cache yet, or one we cannot use: start empty, it is only a cache.
      }
    }
    return new HashCache(file, entries);
  }

  /** Every digest known for this file while it keeps this identity; null when none is. */
  get(absPath: string, id: FileIdentity): Digests | null {
    const e = this.entries.get(absPath);
    return e && sameIdentity(e, id) ? digestsOf(e) : null;
  }

  /** Adds digests of the file as it was at identity `id`, keeping the others known for it. */
  merge(absPath: string, id: FileIdentity, digests: Digests): void {
    const old = this.entries.get(absPath);
    const kept = old && sameIdentity(old, id) ? digestsOf(old) : {};
    this.entries.set(absPath, { ...kept, ...digests, size: id.size, mtimeMs: id.mtimeMs, ino: id.ino });
    this.dirty = true;
  }

  /**
   * Best effort, like every cache: a project that cannot be written (read-only checkout, full
   * disk) costs the next run its hashing again, never the run itself. False when not saved.
   */
  async save(): Promise<boolean> {
    if (!this.file || !this.dirty) return true;
    const files = Object.fromEntries(this.entries);
    const tmp = `${this.file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await mkdir(dirname(this.file), { recursive: true });
      await writeFile(tmp, stableStringify({ version: VERSION, files }));
      await rename(tmp, this.file);
    } catch {
      await rm(tmp, { force: true }).catch(() => undefined);
      return false;
    }
    this.dirty = false;
    return true;
  }
}
