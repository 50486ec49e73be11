/**
 * The loader table from the packs' own code (issue 21). See data/packs/README.md.
 *
 *   npm run packs -- derive --mirror DIR [--pack owner/repo …]
 *       read each pack of data/packs/packs.json at its commit from DIR/<owner>+<repo>/repo (a git
 *       dir, as the fetch tool lays them out) and write data/packs/derived/<owner>+<repo>.json
 *   npm run packs -- refresh owner/repo --git-dir DIR [--commit REV]
 *       a new version of one pack: derive it at REV (default HEAD), record the commit, rebuild
 *   npm run packs -- manager --git-dir DIR
 *       node types per pack from ComfyUI-Manager's extension-node-map.json (pack identification)
 *   npm run packs -- build
 *       derived + hand rows → src/scan/loader-nodes.json (custom), src/scan/pack-nodes.json,
 *       src/core/pack-folders.json, data/packs/{loader-table,self-downloads}.json, coverage.md
 *
 * The pack source is read, never run: scripts/derive_pack_loaders.py parses it with Python's
 * `ast` module and evaluates a safe subset symbolically.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTables } from './pack-table/build.js';
import { coverageReport } from './pack-table/coverage.js';
import { type Manifest, derivedPath, readPackData } from './pack-table/data.js';
import { buildFetchTable } from './pack-table/fetches.js';
import type { DerivedPack } from './pack-table/types.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dataDir = join(root, 'data/packs');
const manifestPath = join(dataDir, 'packs.json');

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const writeJson = (path: string, value: unknown) => writeFileSync(path, `${JSON.stringify(value, null, 1)}\n`);

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

function gitDirIn(mirror: string, repo: string): string {
  const base = join(mirror, repo.replace('/', '+'), 'repo');
  return existsSync(join(base, '.git')) ? join(base, '.git') : base;
}

/** The deriver's output as it writes it (one line per node, download, folder), checked. */
function derive(repo: string, gitDir: string, commit: string): string {
  const out = execFileSync('python3', [join(root, 'scripts/derive_pack_loaders.py'), '--git-dir', gitDir, '--commit', commit, '--pack', repo], {
    maxBuffer: 256 * 1024 * 1024, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
  });
  const parsed = JSON.parse(out) as DerivedPack;
  if (parsed.pack !== repo || !Array.isArray(parsed.nodes)) throw new Error(`the deriver gave no result for ${repo}`);
  return out;
}

function commandDerive(args: string[]): void {
  const mirror = option(args, '--mirror');
  if (!mirror) throw new Error('derive needs --mirror DIR (folder of <owner>+<repo>/repo git dirs)');
  const only = args.filter((a, i) => args[i - 1] === '--pack');
  const manifest = readJson<Manifest>(manifestPath);
  for (const pack of manifest.packs) {
    if (only.length && !only.includes(pack.repo)) continue;
    process.stderr.write(`deriving ${pack.repo}@${pack.commit.slice(0, 12)}\n`);
    writeFileSync(derivedPath(root, pack.repo), derive(pack.repo, gitDirIn(mirror, pack.repo), pack.commit));
  }
}

function commandRefresh(args: string[]): void {
  const repo = args[0];
  const gitDir = option(args, '--git-dir');
  if (!repo || !gitDir) throw new Error('refresh needs owner/repo and --git-dir DIR');
  const manifest = readJson<Manifest>(manifestPath);
  const pack = manifest.packs.find((p) => p.repo === repo);
  if (!pack) throw new Error(`${repo} is not in data/packs/packs.json: add it there first (repo, why)`);
  const commit = execFileSync('git', ['--git-dir', gitDir, 'rev-parse', option(args, '--commit') ?? 'HEAD'], { encoding: 'utf8' }).trim();
  writeFileSync(derivedPath(root, repo), derive(repo, gitDir, commit));
  pack.commit = commit;
  writeJson(manifestPath, manifest);
  commandBuild();
}

function commandManager(args: string[]): void {
  const gitDir = option(args, '--git-dir');
  if (!gitDir) throw new Error('manager needs --git-dir DIR (a ComfyUI-Manager git dir)');
  const commit = execFileSync('git', ['--git-dir', gitDir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  const map = JSON.parse(execFileSync('git', ['--git-dir', gitDir, 'show', `${commit}:extension-node-map.json`], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })) as Record<string, [string[], unknown]>;
  const manifest = readJson<Manifest>(manifestPath);
  const types: Record<string, string[]> = {};
  for (const pack of manifest.packs) {
    const entry = map[`https://github.com/${pack.repo}`];
    if (entry) types[pack.repo] = [...entry[0]].sort();
  }
  writeJson(join(dataDir, 'manager-types.json'), {
    _about: `Node types per pack from ComfyUI-Manager extension-node-map.json (Comfy-Org/ComfyUI-Manager ${commit}); used to name packs, never for loader rows.`,
    types,
  });
}

function commandBuild(): void {
  const { manifest, derived, hand, managerTypes, fetches } = readPackData(root);
  const built = buildTables({ manifest: manifest.packs, derived, hand, managerTypes });
  const owner = new Map(Object.entries(built.packTypes).flatMap(([pack, types]) => types.map((t) => [t, pack] as const)));
  const fetchTable = buildFetchTable(fetches, manifest.packs, derived, owner);
  if (fetchTable.problems.length) throw new Error(`data/packs/fetches.json:\n  ${fetchTable.problems.join('\n  ')}`);

  const loaderPath = join(root, 'src/scan/loader-nodes.json');
  const loader = readJson<Record<string, unknown>>(loaderPath);
  loader.custom = sortKeys(built.rows);
  loader.implied = sortKeys(built.implied);
  writeFileSync(loaderPath, rowPerLine(loader, ['custom', 'implied']));

  const packPath = join(root, 'src/scan/pack-nodes.json');
  const packNodes = readJson<Record<string, unknown>>(packPath);
  packNodes.packs = built.packTypes;
  packNodes.known_types = built.knownTypes;
  writeJson(packPath, packNodes);

  writeJson(join(root, 'src/core/pack-folders.json'), {
    _about: 'Folders custom node packs register (folder_paths keys) or list themselves under the models folder, generated by scripts/derive-pack-loaders.ts from data/packs. dirs: relative to the models root, first = where download.sh installs. kind: registered (a folder_paths key: extra_model_paths.yaml can add directories), listed (the pack lists models_dir/<dir> itself). custom_nodes: the folder a pack may have under custom_nodes/ (its repository name first, then its registry ids), for files installed into it.',
    folders: built.folders,
    custom_nodes: fetchTable.packDirs,
  });
  writeFileSync(join(root, 'src/scan/fetch-nodes.json'), rowPerLine({
    _about: 'What self-downloading nodes fetch at run time and where their pack looks first, generated by scripts/derive-pack-loaders.ts from data/packs/fetches.json (each row\'s reason and source line are there). inputs: the values that pick the files (widget_index in UI widgets_values, default when absent); fetch: items always needed; cases: items added when every input in `when` has one of the listed values (or none of `not`).',
    nodes: fetchTable.nodes,
  }, ['nodes']));
  writeJson(join(dataDir, 'loader-table.json'), { _about: 'Every custom loader row with its provenance (generated; see README.md).', rows: sortKeys(built.provenance) });
  writeFileSync(join(dataDir, 'self-downloads.json'), callPerLine(built.downloads));
  writeFileSync(join(dataDir, 'coverage.md'), coverageReport(manifest.packs, derived, built, hand, fetches));
  for (const c of built.conflicts) process.stderr.write(`conflict: ${c}\n`);
  process.stderr.write(`${Object.keys(built.rows).length} loader rows, ${Object.keys(built.folders).length} pack folders, ${Object.keys(fetchTable.nodes).length} self-downloading node types, ${built.skipped.length} inputs skipped (see data/packs/coverage.md)\n`);
}

/** self-downloads.json: one call per line. */
function callPerLine(downloads: Record<string, { commit: string; calls: unknown[] }>): string {
  const packs = Object.entries(downloads).map(([pack, d]) =>
    `  ${JSON.stringify(pack)}: {"commit": ${JSON.stringify(d.commit)}, "calls": [\n${d.calls.map((c) => `   ${JSON.stringify(c)}`).join(',\n')}\n  ]}`);
  const about = 'Calls that fetch weights at run time, per pack, each with the node types whose function reaches it, as the derivation reads them from the code (generated; see README.md, "Self-downloading nodes").';
  return `{\n "_about": ${JSON.stringify(about)},\n "packs": {\n${packs.join(',\n')}\n }\n}\n`;
}

/** JSON with the rows of one section one per line: thousands of rows stay reviewable in a diff. */
function rowPerLine(value: Record<string, unknown>, sections: string[]): string {
  const parts = Object.entries(value).map(([key, v]) => {
    if (!sections.includes(key)) return ` ${JSON.stringify(key)}: ${JSON.stringify(v, null, 1).replace(/\n/g, '\n ')}`;
    const rows = Object.entries(v as Record<string, unknown>).map(([k, row]) => `  ${JSON.stringify(k)}: ${JSON.stringify(row)}`);
    return ` ${JSON.stringify(key)}: {\n${rows.join(',\n')}\n }`;
  });
  return `{\n${parts.join(',\n')}\n}\n`;
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const [command, ...rest] = process.argv.slice(2);
const commands: Record<string, (args: string[]) => void> = {
  derive: commandDerive, refresh: commandRefresh, manager: commandManager, build: () => commandBuild(),
};
const run = command ? commands[command] : undefined;
if (!run) {
  process.stderr.write('usage: derive-pack-loaders.ts derive --mirror DIR [--pack owner/repo …] | refresh owner/repo --git-dir DIR [--commit REV] | manager --git-dir DIR | build\n');
  process.exitCode = 2;
} else {
  try {
    run(rest);
  } catch (error) {
    process.stderr.write(`derive-pack-loaders: ${(error as Error).message}\n`);
    process.exitCode = 2;
  }
}
