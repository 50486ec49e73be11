/**
 * The unchanged-build short cut, make's "nothing to be done": after a build that leaves nothing
 * to resolve, `.comfygen/build.json` records a digest of everything the lock and the outputs
 * depend on (comfygen's own code and templates, the evaluated config, the network mode, every
 * workflow's stamp, and the bytes and mode of the lock and of each output) with what that build
 * reported. A later build with the same digest would resolve nothing and render the same bytes,
 * so it skips scanning, rendering and writing and replays the report. The local inventory is
 * still walked: "present locally" is about this machine now.
 *
 * Only a digest and model keys are stored; a missing, damaged or stale stamp means a full build.
 */
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/normalize.js';
import { packageRoot, packageVersion } from '../core/package-root.js';
import type { Diagnostic } from '../core/types.js';
import type { ModelDemand } from './demand.js';
import { type FileStamp, RACY_MS } from './file-stamp.js';

const VERSION = 1;

export interface BuildStamp {
  version: typeof VERSION;
  key: string;
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
    if (stamp.version !== VERSION || typeof stamp.key !== 'string' || !Array.isArray(stamp.outputs) || !Array.isArray(stamp.demands)) return null;
    if (!Array.isArray(stamp.before) || !Array.isArray(stamp.after) || typeof stamp.workflows !== 'number') return null;
    return stamp;
  } catch {
    return null;
  }
}

/** Atomic; a stamp that cannot be written only costs the next build its short cut. */
export function writeStamp(config: Config, stamp: BuildStamp): void {
  const file = stampFile(config);
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(tmp, JSON.stringify(stamp));
    renameSync(tmp, file);
  } catch {
    rmSync(tmp, { force: true });
  }
}

/**
 * The digest, or null when no short cut can be trusted: a workflow is unreadable or was just
 * modified, or an output is missing or not a plain file. `contents` gives outputs' bytes as
 * just written (else they are read from disk).
 */
export function stampKey(
  config: Config,
  files: readonly FileRef[],
  stamps: readonly (FileStamp | null)[],
  outputs: readonly { path: string; mode: number }[],
  offline: boolean,
  contents?: ReadonlyMap<string, string>,
): { key: string; read: Map<string, string> } | null {
  const digest = createHash('sha256');
  const line = (...parts: (string | number | boolean)[]) => digest.update(`${parts.join('\0')}\n`);
  line('comfygen build stamp', VERSION, codeFingerprint(), offline);
  line(JSON.stringify(config));
  const cutoff = Date.now() - RACY_MS;
  for (const [i, f] of files.entries()) {
    const st = stamps[i];
    if (!st || st.mtimeMs >= cutoff) return null;
    line('workflow', f.relPath, st.stamp);
  }
  const read = new Map<string, string>();
  for (const out of outputs) {
    let content = contents?.get(out.path);
    if (content === undefined) {
      const abs = join(config.configDir, out.path);
      try {
        const st = lstatSync(abs);
        if (!st.isFile() || (st.mode & 0o777) !== out.mode) return null;
        content = readFileSync(abs, 'utf8');
      } catch {
        return null;
      }
      read.set(out.path, content);
    }
    line('output', out.path, out.mode, createHash('sha256').update(content).digest('hex'));
  }
  return { key: digest.digest('hex'), read };
}

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
