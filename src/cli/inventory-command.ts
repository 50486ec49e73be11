/**
 * `comfygen inventory`: the model files this machine has, by folder, with the hashes the hash
 * cache already knows. Without `--hash` it never reads a model file's content, so it is instant
 * on any disk; `--hash` computes the digests the cache lacks and remembers them.
 */
import { join } from 'node:path';
import type { Config } from '../config/normalize.js';
import { UserError } from '../core/errors.js';
import { visible } from '../core/visible.js';
import type { Diagnostic, LocalFile } from '../core/types.js';
// Not from inventory/index.js, which would also load the YAML reader for extra_model_paths.yaml.
import { loadRoots } from '../inventory/load-roots.js';
import type { ModelRoot } from '../inventory/types.js';
import { walkInventory } from '../inventory/walk.js';
import { createHasher, HASH_ALGORITHMS, type HashAlgorithm, type Hasher, type HashProgress } from '../io/hash.js';
import type { Io } from './build-command.js';
import { formatDiagnostic } from './format.js';
import { chooseRenderer, createProgress } from './progress.js';

export interface InventoryFlags {
  config?: string;
  json?: boolean;
  /** `--hash` alone is true (SHA-256); `--hash sha256,blake3` names the algorithms. */
  hash?: boolean | string;
}

/** The `--json` shape: stable, extra fields welcome. */
export interface InventoryJson {
  roots: { label: string; kind: ModelRoot['kind']; path: string; folders: Record<string, string[]> }[];
  files: {
    folder: string;
    name: string;
    /** The root as configured (`~`, `$VAR` kept). */
    root: string;
    path: string;
    size: number;
    mtime: string;
    sha256: string | null;
    blake3: string | null;
    /** True when an earlier root has the same folder/name: ComfyUI loads that one instead. */
    shadowed: boolean;
  }[];
  diagnostics: Diagnostic[];
}

export async function collectInventory(files: readonly LocalFile[], roots: readonly ModelRoot[], hasher: Pick<Hasher, 'cached'>, diagnostics: Diagnostic[] = []): Promise<InventoryJson> {
  const seen = new Set<string>();
  const out: InventoryJson['files'] = [];
  // walkInventory already orders by folder, name, then root precedence.
  for (const f of files) {
    const id = `${f.folder}/${f.name}`;
    const hashes = await hasher.cached(f);
    out.push({
      folder: f.folder,
      name: f.name,
      root: f.root,
      path: f.absPath,
      size: f.size,
      mtime: new Date(f.mtimeMs).toISOString(),
      sha256: hashes?.sha256 ?? null,
      blake3: hashes?.blake3 ?? null,
      shadowed: seen.has(id),
    });
    seen.add(id);
  }
  return {
    roots: roots.map((r) => ({
      label: r.label,
      kind: r.kind,
      path: r.path,
      folders: Object.fromEntries(Object.entries(r.folders).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    })),
    files: out,
    diagnostics,
  };
}

/** `--hash` → the algorithms to compute (none without the flag); an unknown name is a usage error. */
export function parseHashFlag(value: boolean | string | undefined): HashAlgorithm[] {
  if (value === undefined || value === false) return [];
  if (value === true) return ['sha256'];
  const names = value.split(',').map((n) => n.trim().toLowerCase()).filter(Boolean);
  const unknown = names.filter((n) => !(HASH_ALGORITHMS as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new UserError(`--hash takes a comma-separated list of ${HASH_ALGORITHMS.join(', ')}; got "${value}"`);
  }
  return HASH_ALGORITHMS.filter((a) => names.includes(a));
}

export async function inventoryCommand(flags: InventoryFlags, io: Io): Promise<number> {
  const algorithms = parseHashFlag(flags.hash);
  // Without --hash nothing is read, so no thread pool is started; with it, the workers start
  // first and get ready while the config loads (its modules too) and the model roots are walked.
  let config: Config | undefined;
  const cacheFile = () => join(config!.cacheDir, 'hashes.json');
  // This thread waits while they hash, so it hashes too: one worker fewer to start.
  const hasher = algorithms.length > 0 ? createHasher({ cacheFile, startWorkers: algorithms, callerHashes: true }) : createHasher({ cacheFile, workers: 0 });
  let inventory: InventoryJson;
  try {
    config = await (await import('../config/load.js')).loadConfig({ cwd: io.cwd, file: flags.config });
    const loaded = await loadRoots({ roots: config.models.roots, extraModelPaths: config.models.extraModelPaths, configDir: config.configDir, env: io.env });
    const walked = await walkInventory(loaded.roots, { statAll: true });
    const diagnostics = [...loaded.diagnostics, ...walked.diagnostics];
    if (algorithms.length > 0) diagnostics.push(...(await hashMissing(hasher, walked.files, algorithms, flags, io)));
    inventory = await collectInventory(walked.files, loaded.roots, hasher, diagnostics);
  } finally {
    await hasher.close();
  }
  if (flags.json) {
    io.stdout.write(`${JSON.stringify(inventory, null, 2)}\n`);
    return 0;
  }
  for (const d of inventory.diagnostics.filter((d) => d.severity !== 'info')) io.stderr.write(`${formatDiagnostic(d)}\n`);
  io.stdout.write(visible(formatInventory(inventory, algorithms.length > 0 ? algorithms : ['sha256'])));
  return 0;
}

/** Hashes what the cache cannot answer, with progress on stderr, and saves the cache. */
async function hashMissing(hasher: Hasher, files: readonly LocalFile[], algorithms: HashAlgorithm[], flags: InventoryFlags, io: Io): Promise<Diagnostic[]> {
  const kind = chooseRenderer({ quiet: false, json: flags.json === true, stream: io.stderr, env: io.env });
  // On a pipe, a long run says where it is every 2 s.
  const renderer = createProgress(kind, io.stderr, { updateMs: 2000 });
  const describe = (p: HashProgress) => `${p.files}/${p.totalFiles} file(s), ${formatSize(p.bytes)} of ${formatSize(p.totalBytes)} read`;
  const seen: { last?: HashProgress } = {};
  renderer.sink({ step: 'hash', kind: 'start', title: `Hash model files (${algorithms.join(', ')})` });
  try {
    const { diagnostics } = await hasher.hashMany(files, {
      algorithms,
      onProgress: (p) => {
        seen.last = p;
        renderer.sink({ step: 'hash', kind: 'update', detail: describe(p) });
      },
    });
    renderer.sink({ step: 'hash', kind: 'done', detail: seen.last && describe(seen.last) });
    await hasher.save();
    return diagnostics;
  } finally {
    await renderer.flush();
  }
}

export function formatSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u += 1;
  }
  return u === 0 ? `${n} B` : `${n.toFixed(1)} ${units[u]}`;
}

/** One compact table per folder: size, modified, short digests (or `-`), name, root. */
export function formatInventory(inv: InventoryJson, digests: readonly HashAlgorithm[] = ['sha256']): string {
  const lines: string[] = [];
  if (inv.roots.length === 0) lines.push('no model roots configured (models.roots / models.extraModelPaths)');
  for (const r of inv.roots) lines.push(`root ${r.label}${r.kind === 'extra-model-paths' ? ' (extra_model_paths.yaml)' : ''}: ${r.path}`);
  const folders = [...new Set(inv.files.map((f) => f.folder))];
  for (const folder of folders) {
    const rows = inv.files.filter((f) => f.folder === folder);
    lines.push('', `${folder} (${rows.length})`);
    const sizes = rows.map((f) => formatSize(f.size));
    const width = Math.max(...sizes.map((s) => s.length));
    rows.forEach((f, i) => {
      const hashes = digests.map((a) => f[a]?.slice(0, 12) ?? '-'.padEnd(12)).join('  ');
      const notes = [inv.roots.length > 1 ? `[${f.root}]` : '', f.shadowed ? '(shadowed)' : ''].filter(Boolean).join(' ');
      lines.push(`  ${sizes[i]!.padStart(width)}  ${f.mtime.slice(0, 10)}  ${hashes}  ${f.name}${notes ? `  ${notes}` : ''}`);
    });
  }
  const total = inv.files.reduce((n, f) => n + f.size, 0);
  const known = inv.files.filter((f) => digests.every((a) => f[a])).length;
  lines.push('', `${inv.files.length} file(s), ${formatSize(total)}, ${known} with a known hash${digests.length === 1 && digests[0] === 'sha256' ? '' : ` (${digests.join(', ')})`}`);
  return `${lines.join('\n')}\n`;
}
