/**
 * Scan results reused while a workflow is unchanged (same size, mtime, ctime and inode): in
 * memory between the builds of one process (`build --watch`), and on disk between runs
 * (`.comfygen/scans.json`), the way the hash cache keeps model files from being read twice.
 * Scanning is pure per file, so reusing a result is exact. The file is only a cache: a missing,
 * damaged or foreign one (another comfygen, an edited scanner table) means a full scan.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ScannedWorkflow } from '../core/types.js';
import { scanFiles } from '../scan/index.js';
import { scannerFingerprint } from '../scan/fingerprint.js';
import { type FileStamp, RACY_MS, stampFiles } from './file-stamp.js';
import { type EncodedWorkflow, StringTable, decodeWorkflow, encodeWorkflow } from '../scan/codec.js';

export type ScanFn = typeof scanFiles;
type FileRef = { absPath: string; relPath: string };

const VERSION = 2;

export interface ScanMemo {
  /** Scans `files`, rereading only those changed since they were last scanned. */
  scan(files: readonly FileRef[], opts?: { cacheFile?: string | null; persist?: boolean; stamps?: readonly (FileStamp | null)[] }): Promise<ScannedWorkflow[]>;
  /** Files actually read and parsed so far. */
  misses(): number;
}

interface Entry {
  stamp: string;
  mtimeMs: number;
  result: ScannedWorkflow;
}

export function createScanMemo(scanner: ScanFn = scanFiles): ScanMemo {
  let memo = new Map<string, Entry>();
  let loadedFrom: string | null = null;
  let persisted = '';
  let misses = 0;
  return {
    misses: () => misses,
    async scan(files, opts = {}) {
      const cacheFile = opts.cacheFile ?? null;
      if (cacheFile && cacheFile !== loadedFrom) {
        memo = loadEntries(cacheFile);
        loadedFrom = cacheFile;
        persisted = persistedKeys(memo, Infinity);
      }
      const stamps = opts.stamps ?? stampFiles(files);
      const todo = files.filter((f, i) => !stamps[i] || memo.get(f.relPath)?.stamp !== stamps[i]!.stamp);
      misses += todo.length;
      const fresh = new Map((await scanner(todo)).map((wf) => [wf.path, wf]));
      const next = new Map<string, Entry>();
      const results = files.map((f, i) => {
        const result = fresh.get(f.relPath) ?? memo.get(f.relPath)!.result;
        // An unreadable file (no stamp) is rescanned every time, so it reports its problem.
        if (stamps[i]) next.set(f.relPath, { ...stamps[i]!, result });
        return result;
      });
      memo = next;
      if (cacheFile && opts.persist !== false) {
        const cutoff = Date.now() - RACY_MS;
        const keys = persistedKeys(memo, cutoff);
        if (keys !== persisted && saveEntries(cacheFile, memo, cutoff)) persisted = keys;
      }
      return results;
    },
  };
}

/** What the file on disk holds (or would hold), to skip rewriting an unchanged cache. */
function persistedKeys(memo: Map<string, Entry>, cutoff: number): string {
  const parts: string[] = [];
  for (const [path, e] of memo) if (e.mtimeMs < cutoff) parts.push(`${path}\0${e.stamp}`);
  return parts.join('\n');
}

type StoredFile = [stamp: string, mtimeMs: number, result: EncodedWorkflow | ScannedWorkflow];

function loadEntries(file: string): Map<string, Entry> {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown; fingerprint?: unknown; strings?: unknown; files?: unknown };
    if (data.version !== VERSION || data.fingerprint !== scannerFingerprint()) return new Map();
    if (!Array.isArray(data.strings) || !data.files || typeof data.files !== 'object') return new Map();
    const strings = data.strings as string[];
    const entries = new Map<string, Entry>();
    for (const [path, stored] of Object.entries(data.files as Record<string, StoredFile>)) {
      const [stamp, mtimeMs, result] = stored;
      if (typeof stamp !== 'string' || typeof mtimeMs !== 'number' || !result || typeof result !== 'object') continue;
      entries.set(path, { stamp, mtimeMs, result: Array.isArray(result) ? decodeWorkflow(path, result, strings) : result });
    }
    return entries;
  } catch {
    return new Map(); // none yet, or damaged: it is only a cache
  }
}

/** Atomic write (a crash leaves the old cache or none, never half of one); false if it failed. */
function saveEntries(file: string, memo: Map<string, Entry>, cutoff: number): boolean {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  let fd: number | undefined;
  try {
    mkdirSync(dirname(file), { recursive: true });
    fd = openSync(tmp, 'w');
    // Written entry by entry (the string table last), so a large cache never exists as one
    // string in memory.
    const table = new StringTable();
    const chunks: string[] = [`{"version":${VERSION},"fingerprint":${JSON.stringify(scannerFingerprint())},"files":{`];
    let first = true;
    for (const [path, e] of memo) {
      if (e.mtimeMs >= cutoff) continue;
      const stored: StoredFile = [e.stamp, e.mtimeMs, encodeWorkflow(e.result, table) ?? e.result];
      chunks.push(`${first ? '' : ','}${JSON.stringify(path)}:${JSON.stringify(stored)}`);
      first = false;
      if (chunks.length >= 512) writeSync(fd, chunks.splice(0).join(''));
    }
    chunks.push(`},"strings":${JSON.stringify(table.strings)}}`);
    writeSync(fd, chunks.join(''));
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
    return true;
  } catch {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    return false; // a cache that cannot be written costs the next build a rescan, nothing more
  }
}
