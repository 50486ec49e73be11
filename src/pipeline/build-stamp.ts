/**
 * The unchanged-build short cut, make's "nothing to be done": after a build that leaves nothing
 * to resolve, `.comfygen/build.json` records a digest of everything the lock and the outputs
 * depend on (comfygen's own code and templates, the evaluated config, the network mode, every
 * workflow, and the bytes and mode of the lock and of each output) with what that build
 * reported. A later build with the same digest would resolve nothing and render the same bytes,
 * so it skips scanning, rendering and writing and replays the report. The local inventory is
 * still walked: "present locally" is about this machine now.
 *
 * The digest is taken twice, over two ways of naming a workflow: `key` by its identity (size,
 * mtime, ctime, inode: free to check, stat only) and `content` by the SHA-256 of its bytes, as
 * the scan cache records them. When the identities changed but not the bytes (a CI job restoring
 * `.comfygen/` onto a fresh checkout, a `touch`), the content key still matches: the workflows
 * are read and digested, not parsed, and the build is replayed. `content` is null when some
 * workflow has no digest (a project's first scan records none; media too large to be read whole
 * never has one).
 *
 * Only digests and model keys are stored; a missing, damaged or stale stamp means a full build.
 */
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/normalize.js';
import { packageRoot, packageVersion } from '../core/package-root.js';
import { textSlices } from '../core/text-slices.js';
import { writeCacheFile } from '../io/cache-file.js';
import type { Diagnostic } from '../core/types.js';
import type { ModelDemand } from './demand.js';
import { type FileStamp, RACY_MS } from './file-stamp.js';

/** 2: the content key. */
const VERSION = 2;

export interface BuildStamp {
  version: typeof VERSION;
  /** By the workflows' identities; null when one was written too recently to be trusted. */
  key: string | null;
  /** By the workflows' bytes; null when some workflow has no digest. */
  content: string | null;
  workflows: number;
  /** key, folder, name, active, guessed: enough to match local files and count. */
  demands: [string, string, string, boolean, boolean][];
  /** The lock and every output, relative to the config folder, with their modes. */
  outputs: { path: string; mode: number }[];
  /** What the scan and the demand aggregation reported, then what the node step reported. */
  before: Diagnostic[];
  after: Diagnostic[];
}

type FileRef = { absPath: string; relPath: string };

export function stampFile(config: Config): string {
  return join(config.cacheDir, 'build.json');
}

export function readStamp(config: Config): BuildStamp | null {
  try {
    const stamp = JSON.parse(readFileSync(stampFile(config), 'utf8')) as BuildStamp;
    const digest = (v: unknown) => v === null || typeof v === 'string';
    if (stamp.version !== VERSION || !digest(stamp.key) || !digest(stamp.content) || !Array.isArray(stamp.outputs) || !Array.isArray(stamp.demands)) return null;
    if (!Array.isArray(stamp.before) || !Array.isArray(stamp.after) || typeof stamp.workflows !== 'number') return null;
    return stamp;
  } catch {
    return null;
  }
}

/** Atomic; a stamp that cannot be written only costs the next build its short cut. */
export function writeStamp(config: Config, stamp: BuildStamp): void {
  writeCacheFile(stampFile(config), JSON.stringify(stamp));
}

export interface StampKeys {
  key: string | null;
  content: string | null;
  /** The texts of the outputs `keep` named, as read from disk to take the keys. */
  read: Map<string, string>;
  /** The digest of each output taken from disk (for another call, as `known`). */
  hashed: Map<string, string>;
}

/**
 * Both digests, or null when no short cut can be trusted at all: an output is missing or not a
 * plain file. `key` is null when a workflow is unreadable or was just modified; `content` when
 * `digests` is null or lacks one. `contents` gives outputs' texts already at hand, `known` their
 * digests; the rest are hashed from disk a slice at a time (report.md of 30,000 workflows is
 * 17 MB), and only those `keep` names are read as text (the lock, which a replay parses).
 */
export function stampKeys(
  config: Config,
  files: readonly FileRef[],
  stamps: readonly (FileStamp | null)[],
  digests: readonly (string | null)[] | null,
  outputs: readonly { path: string; mode: number }[],
  offline: boolean,
  at: { contents?: ReadonlyMap<string, string>; known?: ReadonlyMap<string, string>; keep?: (path: string) => boolean } = {},
): StampKeys | null {
  const read = new Map<string, string>();
  const hashed = new Map<string, string>();
  const outputLines: string[] = [];
  for (const out of outputs) {
    let hex = at.known?.get(out.path);
    const content = at.contents?.get(out.path);
    if (hex === undefined && content !== undefined) {
      const hash = createHash('sha256');
      for (const slice of textSlices(content)) hash.update(slice);
      hex = hash.digest('hex');
    } else if (hex === undefined) {
      const abs = join(config.configDir, out.path);
      try {
        const st = lstatSync(abs);
        if (!st.isFile() || (st.mode & 0o777) !== out.mode) return null;
        if (at.keep?.(out.path)) {
          const text = readFileSync(abs, 'utf8');
          read.set(out.path, text);
          hex = createHash('sha256').update(text).digest('hex');
        } else {
          hex = hashFile(abs);
        }
      } catch {
        return null;
      }
      hashed.set(out.path, hex);
    }
    outputLines.push(joined('output', out.path, out.mode, hex));
  }
  const keyOver = (kind: string, nameOf: (i: number) => string | null): string | null => {
    const digest = createHash('sha256');
    digest.update(joined('comfygen build stamp', VERSION, kind, codeFingerprint(), offline));
    digest.update(`${JSON.stringify(config)}\n`);
    for (const [i, f] of files.entries()) {
      const name = nameOf(i);
      if (name === null) return null;
      digest.update(joined('workflow', f.relPath, name));
    }
    for (const line of outputLines) digest.update(line);
    return digest.digest('hex');
  };
  const cutoff = Date.now() - RACY_MS;
  return {
    key: keyOver('identity', (i) => {
      const st = stamps[i];
      return st && st.mtimeMs < cutoff ? st.stamp : null;
    }),
    content: digests === null ? null : keyOver('content', (i) => digests[i] ?? null),
    read,
    hashed,
  };
}

/** SHA-256 of a file's bytes, read a slice at a time. */
function hashFile(path: string): string {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, 'r');
  try {
    for (let got = readSync(fd, buffer); got > 0; got = readSync(fd, buffer)) hash.update(buffer.subarray(0, got));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

const joined = (...parts: (string | number | boolean)[]) => `${parts.join('\0')}\n`;

/** The light demands a replay needs (matching and counts; who uses what is in the scan). */
export function stampDemands(demands: readonly ModelDemand[]): BuildStamp['demands'] {
  return demands.map((d) => [d.key, d.folder, d.name, d.active, d.guessed]);
}

export function demandsFromStamp(stamp: BuildStamp): ModelDemand[] {
  return stamp.demands.map(([key, folder, name, active, guessed]) => ({ key, folder, name, active, guessed, urls: [], declaredSha256: null, usedBy: [] }));
}

let fingerprint: string | null = null;

/** comfygen's own code and templates: another version, or an edited template, renders differently. */
function codeFingerprint(): string {
  if (fingerprint) return fingerprint;
  const digest = createHash('sha256').update(`${packageVersion()}\n`);
  const codeDir = dirname(dirname(fileURLToPath(import.meta.url)));
  for (const dir of [codeDir, join(packageRoot(), 'templates')]) {
    const found = readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && /\.(ts|js|json|hbs)$/.test(e.name) && !e.name.endsWith('.d.ts'))
      .map((e) => join(e.parentPath, e.name))
      .sort();
    for (const file of found) digest.update(`${file.slice(dir.length)}\0`).update(readFileSync(file)).update('\0');
  }
  fingerprint = digest.digest('hex');
  return fingerprint;
}
