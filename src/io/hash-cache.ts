/**
 * Persistent hash cache (`.comfygen/hashes.json`): absolute path → digests, valid while size,
 * mtimeMs and inode are unchanged, so an unchanged model file is never read twice. Holds only
 * paths and digests. A missing or damaged cache is an empty one; it is written atomically,
 * with sorted keys, and only when something changed.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stableStringify } from '../core/stable-json.js';
import type { FileIdentity } from './hash-file.js';

export interface FileHashes {
  sha256: string;
  blake3: string;
}

type Entry = FileIdentity & FileHashes;

const VERSION = 1;
const HEX64 = /^[0-9a-f]{64}$/;

function isEntry(value: unknown): value is Entry {
  const e = value as Partial<Entry> | null;
  return typeof e === 'object' && e !== null && typeof e.size === 'number' && typeof e.mtimeMs === 'number'
    && typeof e.ino === 'number' && typeof e.sha256 === 'string' && HEX64.test(e.sha256)
    && typeof e.blake3 === 'string' && HEX64.test(e.blake3);
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

  get(absPath: string, id: FileIdentity): FileHashes | null {
    const e = this.entries.get(absPath);
    if (!e || e.size !== id.size || e.mtimeMs !== id.mtimeMs || e.ino !== id.ino) return null;
    return { sha256: e.sha256, blake3: e.blake3 };
  }

  set(absPath: string, id: FileIdentity, hashes: FileHashes): void {
    this.entries.set(absPath, { size: id.size, mtimeMs: id.mtimeMs, ino: id.ino, sha256: hashes.sha256, blake3: hashes.blake3 });
    this.dirty = true;
  }

  async save(): Promise<void> {
    if (!this.file || !this.dirty) return;
    const files = Object.fromEntries(this.entries);
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, stableStringify({ version: VERSION, files }));
      await rename(tmp, this.file);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
    this.dirty = false;
  }
}
