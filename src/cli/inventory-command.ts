/**
 * `comfygen inventory`: the model files this machine has, by folder, with the hashes the hash
 * cache already knows. It never reads a model file's content, so it is instant on any disk.
 */
import { join } from 'node:path';
import { loadConfig } from '../config/load.js';
import type { Diagnostic, LocalFile } from '../core/types.js';
import { loadRoots, walkInventory, type ModelRoot } from '../inventory/index.js';
import { createHasher, type Hasher } from '../io/hash.js';
import type { Io } from './build-command.js';
import { formatDiagnostic } from './format.js';

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

export async function inventoryCommand(flags: { config?: string; json?: boolean }, io: Io): Promise<number> {
  const config = await loadConfig({ cwd: io.cwd, file: flags.config });
  const loaded = await loadRoots({ roots: config.models.roots, extraModelPaths: config.models.extraModelPaths, configDir: config.configDir, env: io.env });
  const walked = await walkInventory(loaded.roots);
  // workers: 0: nothing is hashed here, so no thread pool is started.
  const hasher = createHasher({ cacheFile: join(config.cacheDir, 'hashes.json'), workers: 0 });
  let inventory: InventoryJson;
  try {
    inventory = await collectInventory(walked.files, loaded.roots, hasher, [...loaded.diagnostics, ...walked.diagnostics]);
  } finally {
    await hasher.close();
  }
  if (flags.json) {
    io.stdout.write(`${JSON.stringify(inventory, null, 2)}\n`);
    return 0;
  }
  for (const d of inventory.diagnostics.filter((d) => d.severity !== 'info')) io.stderr.write(`${formatDiagnostic(d)}\n`);
  io.stdout.write(formatInventory(inventory));
  return 0;
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

/** One compact table per folder: size, modified, short sha256 (or `-`), name, root. */
export function formatInventory(inv: InventoryJson): string {
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
      const sha = f.sha256 ? f.sha256.slice(0, 12) : '-'.padEnd(12);
      const notes = [inv.roots.length > 1 ? `[${f.root}]` : '', f.shadowed ? '(shadowed)' : ''].filter(Boolean).join(' ');
      lines.push(`  ${sizes[i]!.padStart(width)}  ${f.mtime.slice(0, 10)}  ${sha}  ${f.name}${notes ? `  ${notes}` : ''}`);
    });
  }
  const total = inv.files.reduce((n, f) => n + f.size, 0);
  lines.push('', `${inv.files.length} file(s), ${formatSize(total)}, ${inv.files.filter((f) => f.sha256).length} with a known hash`);
  return `${lines.join('\n')}\n`;
}
