/**
 * Scan results reused while a workflow is unchanged (same size, mtime, ctime and inode): in
 * memory between the builds of one process (`build --watch`), and on disk between runs
 * (`.comfygen/scans.cache`), the way the hash cache keeps model files from being read twice.
 * Scanning is pure per file, so reusing a result is exact. The file is only a cache: a missing,
 * damaged or foreign one (another comfygen, an edited scanner table) means a full scan.
 *
 * Behind the identity, the content: a result records the SHA-256 of the bytes it was parsed
 * from (except on a project's first scan, see `rebuilding` below), and a file whose identity
 * changed is read and digested before it is parsed. Same bytes, same result, under any path (a
 * scan depends on the path only through `path` and each diagnostic's `file`, which the compact
 * form leaves out). So a fresh checkout or a copied project with its `.comfygen/` restored (CI),
 * a `touch`, a branch switched back and forth or a renamed workflow cost a read and a digest
 * per file, not a parse. The same digests make the build stamp's content key (`digests`, and
 * `restamp` when that key matches and the build is replayed).
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { ScannedWorkflow } from '../core/types.js';
import { type PackedScan, decodePacked, digestFiles, scanFilesPacked } from '../scan/index.js';
import { scannerFingerprint } from '../scan/fingerprint.js';
import { type FileStamp, RACY_MS, stampFiles } from './file-stamp.js';
import { StringTable, encodeWorkflow } from '../scan/codec.js';
import { removeQuietly } from '../io/cache-file.js';

export type ScanFn = typeof scanFilesPacked;
export type DigestFn = typeof digestFiles;
type FileRef = { absPath: string; relPath: string };

/**
 * 4: each entry ends with the digest of the bytes its result was parsed from.
 * 5: one line per entry, so loading never parses the results (see saveEntries).
 */
const VERSION = 5;
/** The format 4 file, which a build of this version replaces. */
const LEGACY_NAME = 'scans.json';

type Stamps = readonly (FileStamp | null)[];

export interface ScanMemo {
  /** Scans `files`, rereading only those changed since they were last scanned. */
  scan(files: readonly FileRef[], opts?: { cacheFile?: string | null; stamps?: Stamps }): Promise<ScannedWorkflow[]>;
  /**
   * `scan`, handing each result to `each` in `files` order instead of returning them all: each
   * is decoded from its compact form for that call only, so a large collection is never held
   * decoded (build folds it into what it needs as it goes, pipeline/workflow-fold.ts).
   */
  scanEach(files: readonly FileRef[], opts: ScanEachOptions, each: (wf: ScannedWorkflow, index: number) => void): Promise<void>;
  /**
   * The digest of each file's bytes as a scan records it (null: none, see digestFileSync),
   * without parsing: known for a file whose identity is unchanged, else read. A `scan` of the
   * same files and stamps that follows reads none of them again where the digest names a
   * result already known.
   */
  digests(files: readonly FileRef[], opts: { cacheFile: string | null; stamps: Stamps }): Promise<(string | null)[]>;
  /**
   * After `digests`, when the build is replayed by content (build-stamp.ts): the files' new
   * identities are recorded for the results of the same bytes, without decoding them, and the
   * cache file is written, so the next build knows the files by identity again.
   */
  restamp(files: readonly FileRef[], opts: { cacheFile: string; stamps: Stamps; digests: readonly (string | null)[] }): void;
  /** The digest each file's current result was parsed from (null: none recorded). */
  digestsOf(files: readonly FileRef[]): (string | null)[];
  /** Files actually read and parsed so far. */
  misses(): number;
  /** Files read whose content matched a result already known (so not parsed) so far. */
  contentHits(): number;
}

export interface ScanEachOptions {
  cacheFile?: string | null;
  stamps?: Stamps;
  /**
   * false: this memo serves one build. Once the results are handed over and the cache file is
   * written, it keeps only what `digestsOf` needs (the compact forms are as large as the cache
   * file: 17 MB at 30,000 workflows), and scans no more. Default true (`build --watch`).
   */
  keep?: boolean;
}

interface Entry {
  stamp: string;
  mtimeMs: number;
  /** Only when the codec does not cover it (`packed` null); else decoded on each use. */
  result: ScannedWorkflow | null;
  /** The compact form it came in (from a worker or the cache file), stored again as it is. */
  packed: Packed | null;
  /** SHA-256 (base64url) of the bytes `result` was parsed from; null if not read whole. */
  digest: string | null;
}

/**
 * Compact form as JSON text, as it came from a worker or was read from the cache file: text
 * takes a fifth of the memory the parsed arrays would (35 → 7 MB at 10,000 workflows).
 */
type Packed = { text: string; table: readonly string[] };

export function createScanMemo(scanner: ScanFn = scanFilesPacked, digester: DigestFn = digestFiles): ScanMemo {
  let memo = new Map<string, Entry>();
  let loadedFrom: string | null = null;
  let persisted = persistedKeys(new Map(), Infinity);
  let misses = 0;
  let contentHits = 0;
  /** Digests taken by `digests` for files whose identity did not match, by path. */
  let taken = new Map<string, { stamp: string; digest: string }>();
  let spent = false;
  const load = (cacheFile: string | null) => {
    if (cacheFile && cacheFile !== loadedFrom) {
      memo = loadEntries(cacheFile);
      loadedFrom = cacheFile;
      persisted = persistedKeys(memo, Infinity);
    }
  };
  const save = (cacheFile: string) => {
    const cutoff = Date.now() - RACY_MS;
    const keys = persistedKeys(memo, cutoff);
    if (keys !== persisted && saveEntries(cacheFile, memo, cutoff)) persisted = keys;
  };
  const known = (f: FileRef, stamp: FileStamp | null): Entry | undefined => {
    const e = memo.get(f.relPath);
    return stamp && e?.stamp === stamp.stamp ? e : undefined;
  };
  return {
    misses: () => misses,
    contentHits: () => contentHits,
    digestsOf: (files) => files.map((f) => memo.get(f.relPath)?.digest ?? null),
    async digests(files, opts) {
      load(opts.cacheFile);
      const result = files.map((f, i) => known(f, opts.stamps[i] ?? null)?.digest ?? null);
      const unknown = files.flatMap((f, i) => (result[i] === null ? [i] : []));
      const read = await digester(unknown.map((i) => files[i]!));
      taken = new Map();
      unknown.forEach((fileIndex, k) => {
        const digest = read[k] ?? null;
        const stamp = opts.stamps[fileIndex];
        result[fileIndex] = digest;
        if (digest !== null && stamp) taken.set(files[fileIndex]!.relPath, { stamp: stamp.stamp, digest });
      });
      return result;
    },
    restamp(files, opts) {
      load(opts.cacheFile);
      const next = new Map<string, Entry>();
      files.forEach((f, i) => {
        const e = memo.get(f.relPath);
        const stamp = opts.stamps[i];
        if (!e || !stamp) return;
        // The result stands for these bytes: it takes their new identity; any other is dropped.
        if (e.stamp === stamp.stamp || (e.digest !== null && e.digest === opts.digests[i])) next.set(f.relPath, { ...e, ...stamp });
      });
      memo = next;
      taken = new Map();
      save(opts.cacheFile);
    },
    async scan(files, opts = {}) {
      const results: ScannedWorkflow[] = [];
      await this.scanEach(files, opts, (wf) => results.push(wf));
      return results;
    },
    async scanEach(files, opts, each) {
      if (spent) throw new Error('scan memo: this memo served one build (keep: false) and holds no results');
      const cacheFile = opts.cacheFile ?? null;
      load(cacheFile);
      const stamps = opts.stamps ?? stampFiles(files);
      const isTodo = files.map((f, i) => !known(f, stamps[i] ?? null));
      const todo = files.filter((_, i) => isTodo[i]);
      // Results that can be told again under another path: those kept in compact form (only
      // looked for when some file is to be read at all).
      const byDigest = new Map<string, Entry>();
      if (todo.length > 0) for (const e of memo.values()) if (e.digest && e.packed && !byDigest.has(e.digest)) byDigest.set(e.digest, e);
      // Digests are taken when something may match them, or when they will be kept for a
      // project scanned before. A first scan (nothing cached) skips them: digesting 300 MB of
      // workflows costs a cold build ~6% at 10,000 workflows, and its results get their digests
      // the next time they are scanned (a fresh checkout's first build), which is when a
      // project starts to be rebuilt from a restored cache.
      const rebuilding = memo.size > 0;
      const content = rebuilding || byDigest.size > 0 ? { known: byDigest.size > 0 ? new Set(byDigest.keys()) : null } : undefined;
      // Files `digests` just read for this identity whose bytes have a result: not read again.
      const stampOf = taken.size > 0 ? new Map(files.map((f, i) => [f.relPath, stamps[i]])) : null;
      const digested = (f: FileRef) => {
        const t = taken.get(f.relPath);
        return t && t.stamp === stampOf?.get(f.relPath)?.stamp && byDigest.has(t.digest) ? t.digest : null;
      };
      const toScan = todo.filter((f) => digested(f) === null);
      // A memo that serves one build writes the cache file as the results are handed over, and
      // lets each go once written (17 MB of compact forms at 30,000 workflows). A build that
      // reads nothing new rewrites nothing (save, below).
      let writer: CacheWriter | null = null;
      if (opts.keep === false && cacheFile && todo.length > 0) {
        const tables = new Set<readonly string[]>();
        for (const [i, f] of files.entries()) if (!isTodo[i]) { const t = memo.get(f.relPath)?.packed?.table; if (t) tables.add(t); }
        for (const e of byDigest.values()) if (e.packed) tables.add(e.packed.table);
        writer = CacheWriter.open(cacheFile, tables.size + availableParallelism() > MAX_TABLES);
      }
      // Each file's result as it becomes known: at once for those known already, as the
      // workers report them for the rest.
      const position = new Map(files.map((f, i) => [f.relPath, i]));
      const entries: (Held | undefined)[] = files.map((f, i) => {
        if (!isTodo[i]) return memo.get(f.relPath)!;
        const digest = digested(f);
        if (digest === null) return undefined;
        contentHits++;
        return { result: null, packed: byDigest.get(digest)!.packed, digest };
      });
      const written = (i: number) => {
        const e = entries[i]!;
        if (writer && stamps[i]) writer.add(files[i]!.relPath, { ...stamps[i]!, ...e });
        if (writer) entries[i] = { result: null, packed: null, digest: e.digest };
      };
      // What the old entries can still give is in `entries` and `byDigest` now; the rest (all of
      // them, on a fresh checkout's first build) need not be held through the scan.
      memo = new Map();
      const arrived = (r: PackedScan) => {
        const i = position.get(r.path);
        if (i === undefined || entries[i] !== undefined) return;
        if (r.kind === 'scanned') misses++;
        else contentHits++;
        entries[i] = r.kind === 'scanned' ? { result: r.result, packed: r.packed, digest: r.digest } : { result: null, packed: byDigest.get(r.digest)!.packed, digest: r.digest };
        pump();
      };
      // Results go to `each` in `files` order as soon as all before them are in, so the caller
      // folds them while the workers parse the rest. One workflow is decoded at a time and let
      // go after `each`: the collection is held in compact form (a fifth of the memory) only.
      let cursor = 0;
      let stalled = false;
      // Thrown by `each` while called from a worker's message: raised once the scan is over.
      let failed: { error: unknown } | null = null;
      const pump = () => {
        try {
          while (!stalled && cursor < files.length && entries[cursor] !== undefined) {
            const wf = materialize(files[cursor]!.relPath, entries[cursor]!);
            // A compact form that does not decode (a damaged cache line) is scanned again, below.
            if (wf === null) stalled = true;
            else {
              each(wf, cursor);
              written(cursor++);
            }
          }
        } catch (error) {
          stalled = true;
          failed = { error };
        }
      };
      try {
        await handOver();
      } catch (error) {
        writer?.discard();
        throw error;
      }
      if (opts.keep === false) {
        for (const e of memo.values()) Object.assign(e, { result: null, packed: null });
        spent = true;
      }

      async function handOver(): Promise<void> {
        pump();
        const scanned = await scanner(toScan, { content, lazy: true, onResult: arrived });
        if (failed) throw (failed as { error: unknown }).error;
        // A scanner that does not report as it goes (tests wrap one) hands its results over here.
        for (const r of scanned) arrived(r);
        taken = new Map();
        const next = new Map<string, Entry>();
        for (const [i, f] of files.entries()) {
          const e = entries[i];
          // An unreadable file (no stamp) is rescanned every time, so it reports its problem.
          if (e && stamps[i]) next.set(f.relPath, { ...stamps[i]!, result: e.result, packed: e.packed, digest: e.digest });
        }
        memo = next;
        for (; cursor < files.length; cursor++) {
          const f = files[cursor]!;
          let wf = entries[cursor] ? materialize(f.relPath, entries[cursor]!) : null;
          if (wf === null) {
            const [again] = await scanner([f], {});
            const result = again?.kind === 'scanned' ? again.result : null;
            if (!result) throw new Error(`scan cache: no result for ${f.relPath}`);
            const e = next.get(f.relPath);
            if (e) Object.assign(e, { result, packed: null, digest: again!.digest });
            entries[cursor] = { result, packed: null, digest: again!.digest };
            misses++;
            wf = result;
          }
          each(wf, cursor);
          written(cursor);
        }
        if (writer) {
          if (writer.finish()) persisted = persistedKeys(next, writer.cutoff);
        } else if (cacheFile) {
          save(cacheFile);
        }
      }
    },
  };
}

/** What a file's result is held as: decoded, or in compact form only. */
type Held = Pick<Entry, 'result' | 'packed' | 'digest'>;

/**
 * The result under `path`: decoded from its compact form each time (never kept), or as held
 * when the codec did not cover it; null if the compact form is damaged.
 */
function materialize(path: string, e: Held): ScannedWorkflow | null {
  if (e.packed) {
    try {
      return decodePacked(path, e.packed);
    } catch {
      return null;
    }
  }
  return e.result!.path === path ? e.result : null;
}

/** What the file on disk holds (or would hold), to skip rewriting an unchanged cache. */
function persistedKeys(memo: Map<string, Entry>, cutoff: number): string {
  // A digest: the keys themselves run to megabytes, and are kept as long as the memo is.
  const digest = createHash('sha256');
  for (const [path, e] of memo) if (e.mtimeMs < cutoff) digest.update(`${path}\0${e.stamp}\n`);
  return digest.digest('base64url');
}

/**
 * The file, format 5, is lines of text:
 *
 *     {"version":5,"fingerprint":"…"}
 *     ["<path>","<stamp>",<mtimeMs>,<table>,"<digest>" or null]<TAB><result as JSON>
 *     … one such line per file …
 *     {"tables":[[…],…]}
 *
 * `table` indexes `tables`, the string tables of the compact forms, or is PLAIN for a result
 * the codec does not cover (stored as it is). JSON text never holds a raw tab or newline, so the
 * first tab ends a line's head. Loading parses each head but keeps each result as the text it
 * is, decoded on first use: a 10,000-workflow cache loads in ~10 ms instead of ~150 ms, and
 * leaves no parsed copy of itself behind for the collector.
 */
type Head = [path: string, stamp: string, mtimeMs: number, table: number, digest: string | null];
const PLAIN = -1;
const MAX_TABLES = 8;

function loadEntries(file: string): Map<string, Entry> {
  try {
    const text = readFileSync(file, 'utf8');
    const firstEnd = text.indexOf('\n');
    const lastStart = text.lastIndexOf('\n', text.length - 2) + 1;
    if (firstEnd < 0 || lastStart <= firstEnd) return new Map();
    const header = JSON.parse(text.slice(0, firstEnd)) as { version?: unknown; fingerprint?: unknown };
    if (header.version !== VERSION || header.fingerprint !== scannerFingerprint()) return new Map();
    const { tables } = JSON.parse(text.slice(lastStart)) as { tables?: unknown };
    if (!Array.isArray(tables) || !tables.every(Array.isArray)) return new Map();
    const entries = new Map<string, Entry>();
    for (let at = firstEnd + 1, end = 0; at < lastStart; at = end + 1) {
      end = text.indexOf('\n', at);
      const tab = text.indexOf('\t', at);
      const head = tab >= 0 && tab < end ? parseHead(text.slice(at, tab)) : null;
      if (!head) continue;
      const [path, stamp, mtimeMs, t, digest] = head;
      const result = text.slice(tab + 1, end);
      if (t === PLAIN) {
        const plain = parseObject(result);
        if (plain) entries.set(path, { stamp, mtimeMs, result: plain as unknown as ScannedWorkflow, packed: null, digest });
      } else {
        const table = tables[t] as string[] | undefined;
        if (table) entries.set(path, { stamp, mtimeMs, result: null, packed: { text: result, table }, digest });
      }
    }
    return entries;
  } catch {
    return new Map(); // none yet, or damaged: it is only a cache
  }
}

/** A line's head, or null if it is not one. */
function parseHead(json: string): Head | null {
  let head: unknown;
  try {
    head = JSON.parse(json);
  } catch {
    return null;
  }
  if (!Array.isArray(head) || head.length !== 5) return null;
  const [path, stamp, mtimeMs, t, digest] = head as unknown[];
  if (typeof path !== 'string' || typeof stamp !== 'string' || typeof mtimeMs !== 'number' || !Number.isInteger(t)) return null;
  if (typeof digest !== 'string' && digest !== null) return null;
  return head as Head;
}

function parseObject(json: string): object | null {
  try {
    const value: unknown = JSON.parse(json);
    return value && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

/** The table index and the JSON text of the result to store for `e`. */
function storedResult(path: string, e: Entry, own: StringTable, tables: Map<readonly string[], number>, repack: boolean): [table: number, text: string] {
  if (e.packed && !repack) {
    let t = tables.get(e.packed.table);
    if (t === undefined) tables.set(e.packed.table, (t = tables.size));
    return [t, e.packed.text];
  }
  // An entry has its result, or a compact form (of the same path: it decodes to the result).
  const result = e.result ?? decodePacked(path, e.packed!);
  const encoded = encodeWorkflow(result, own);
  return encoded ? [0, JSON.stringify(encoded)] : [PLAIN, JSON.stringify(result)];
}

/** Atomic write (a crash leaves the old cache or none, never half of one); false if it failed. */
function saveEntries(file: string, memo: Map<string, Entry>, cutoff: number): boolean {
  // Each partial rescan on workers adds tables; past a few, everything is packed anew into one.
  const kept = new Set<readonly string[]>();
  for (const e of memo.values()) if (e.packed && e.mtimeMs < cutoff) kept.add(e.packed.table);
  const writer = CacheWriter.open(file, kept.size > MAX_TABLES, cutoff);
  if (!writer) return false;
  for (const [path, e] of memo) writer.add(path, e);
  return writer.finish();
}

/**
 * The cache file written entry by entry (the string tables last), so a large cache never
 * exists as one string in memory, and a memo that serves one build can let each result go as
 * soon as it is written. Compact forms that came from a worker or from the previous cache are
 * written as they are, over their own tables; the rest (and all of them, to `repack`) share
 * table 0. Entries modified after `cutoff` are left out (their stamp cannot be trusted yet).
 * Any failure abandons the file: a cache that cannot be written costs the next build a rescan.
 */
class CacheWriter {
  private readonly own = new StringTable();
  private readonly tables = new Map<readonly string[], number>([[this.own.strings, 0]]);
  private chunks: string[] = [`{"version":${VERSION},"fingerprint":${JSON.stringify(scannerFingerprint())}}\n`];
  private fd: number | undefined;
  private failed = false;

  private constructor(private readonly file: string, private readonly tmp: string, fd: number, private readonly repack: boolean, readonly cutoff: number) {
    this.fd = fd;
  }

  static open(file: string, repack: boolean, cutoff = Date.now() - RACY_MS): CacheWriter | null {
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      mkdirSync(dirname(file), { recursive: true });
      return new CacheWriter(file, tmp, openSync(tmp, 'w'), repack, cutoff);
    } catch {
      return null;
    }
  }

  add(path: string, e: Entry): void {
    if (this.failed || e.mtimeMs >= this.cutoff) return;
    try {
      const [t, text] = storedResult(path, e, this.own, this.tables, this.repack);
      const head: Head = [path, e.stamp, e.mtimeMs, t, e.digest];
      this.chunks.push(`${JSON.stringify(head)}\t${text}\n`);
      if (this.chunks.length >= 512) writeSync(this.fd!, this.chunks.splice(0).join(''));
    } catch {
      this.abandon();
    }
  }

  /** True when the file is in place. */
  finish(): boolean {
    if (this.failed) return false;
    try {
      this.chunks.push(`{"tables":[${[...this.tables.keys()].map((t) => JSON.stringify(t)).join(',')}]}\n`);
      writeSync(this.fd!, this.chunks.join(''));
      closeSync(this.fd!);
      this.fd = undefined;
      renameSync(this.tmp, this.file);
      // The format 4 cache beside it is outdated now; it was only ever comfygen's own.
      if (basename(this.file) !== LEGACY_NAME) rmSync(join(dirname(this.file), LEGACY_NAME), { force: true });
      return true;
    } catch {
      this.abandon();
      return false;
    }
  }

  /** Abandons the file (and any further add). */
  discard(): void {
    if (!this.failed) this.abandon();
  }

  private abandon(): void {
    this.failed = true;
    this.chunks = [];
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    removeQuietly(this.tmp);
  }
}
