/**
 * `comfygen why <model>`: everything comfygen knows about one model — who needs it, what this
 * machine has, what each source answered, and the pin — or about one custom node pack
 * (`node:<id>`, or its id): who needs it, at which versions, and its pin. It runs the pipeline
 * offline and as a dry run, so asking never writes an output and never touches the network.
 */
import { runBuild, type BuildResult } from '../pipeline/run-build.js';
import type { LocalMatch, LockEntry, LockedModel, NodeLockEntry, NodeUse } from '../core/types.js';
import { visible } from '../core/visible.js';
import { UserError } from '../core/errors.js';
import type { Io } from './build-command.js';

export interface WhyReport {
  key: string;
  folder: string;
  name: string;
  /** True when at least one workflow uses it on an active node; null when no workflow needs it. */
  active: boolean | null;
  neededBy: { workflow: string; active: boolean; nodes: NodeUse[] }[];
  local: { how: LocalMatch['how']; root: string; folder: string; name: string; path: string; size: number; sha256: string | null; alternatives: string[] } | null;
  /** With no local match: local files of the same name but another extension or spelling (`loras/x.pth` for `x.safetensors`). */
  similarLocal: string[];
  status: 'pinned' | 'unresolved' | 'not-in-lock';
  /** Sources asked in this (offline) run; null when the answer came from comfy.lock.json. */
  tried: { source: string; answer: string }[] | null;
  lock: LockEntry | null;
  pin: LockedModel | null;
}

/** Every key this run knows about: demanded, locked, or present on this machine. */
function knownKeys(result: BuildResult): string[] {
  const keys = new Set<string>([...result.demands.map((d) => d.key), ...Object.keys(result.lock.models)]);
  for (const f of result.local?.files ?? []) keys.add(`${f.folder}/${f.name}`);
  return [...keys].sort();
}

/** A name without its extension: `loras/x` for `loras/x.safetensors`. */
const stem = (name: string): string => name.replace(/\.[^./]+$/, '');

/**
 * A full key wins; otherwise a name, or a file name, that picks exactly one key; then the same
 * without the extension (`why mystery`, `why loras/mystery`).
 */
export function pickModel(keys: readonly string[], wanted: string): { key: string } | { candidates: string[] } {
  const w = wanted.replace(/\\/g, '/').replace(/^\/+|\/+$/g, '');
  if (keys.includes(w)) return { key: w };
  const name = (k: string) => k.slice(k.indexOf('/') + 1);
  const tiers = [
    (k: string) => name(k) === w,
    (k: string) => k.endsWith(`/${w}`),
    (k: string) => k.toLowerCase().endsWith(`/${w.toLowerCase()}`),
    (k: string) => stem(k) === w || stem(name(k)) === w,
    (k: string) => stem(k).endsWith(`/${w}`),
    (k: string) => stem(k).toLowerCase().endsWith(`/${w.toLowerCase()}`),
  ];
  for (const tier of tiers) {
    const found = keys.filter(tier);
    if (found.length === 1) return { key: found[0]! };
    if (found.length > 1) return { candidates: found };
  }
  return { candidates: [] };
}

export async function explainModel(result: BuildResult, key: string): Promise<WhyReport> {
  const demand = result.demands.find((d) => d.key === key);
  const slash = key.indexOf('/');
  const folder = demand?.folder ?? key.slice(0, slash);
  const name = demand?.name ?? key.slice(slash + 1);
  let match = result.local?.matches.get(key) ?? null;
  if (!match) {
    // Not needed by a workflow, but on disk: show the file itself.
    const file = result.local?.files.find((f) => f.folder === folder && f.name === name);
    if (file) match = { file, how: 'exact' };
  }
  const cached = match && result.local ? await result.local.hasher.cached(match.file) : null;
  const similarLocal = match ? [] : nearNames((result.local?.files ?? []).map((f) => `${f.folder}/${f.name}`), key);
  const lock = result.lock.models[key] ?? null;
  const trace = result.traces.get(key);
  return {
    key,
    folder,
    name,
    active: demand ? demand.active : null,
    // The build was asked for the nodes of each use (nodeUses).
    neededBy: (demand?.usedBy ?? []).map((u) => ({ workflow: u.workflow, active: u.active, nodes: u.nodes ?? [] })),
    local: match
      ? {
          how: match.how,
          root: match.file.root,
          folder: match.file.folder,
          name: match.file.name,
          path: match.file.absPath,
          size: match.file.size,
          // The hash cache, or what this run recorded: an unresolved entry keeps the local file's hash,
          // and a content match is by definition the pinned hash.
          sha256: cached?.sha256 ?? lock?.unresolved?.sha256 ?? (match.how === 'content' ? lock?.locked?.sha256 ?? null : null),
          alternatives: (match.alternatives ?? []).map((f) => f.absPath),
        }
      : null,
    similarLocal,
    status: lock?.locked ? 'pinned' : lock?.unresolved ? 'unresolved' : 'not-in-lock',
    tried: trace ? trace.tried : null,
    lock,
    pin: lock?.locked ?? null,
  };
}

export async function whyCommand(model: string, flags: { config?: string; json?: boolean }, io: Io): Promise<number> {
  const result = await runBuild({ cwd: io.cwd, configFile: flags.config, mode: 'build', offline: true, dryRun: true, env: io.env, nodeUses: true });
  const print = (report: WhyReport | WhyPackReport, text: string) =>
    io.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : visible(text));
  const packs = packKeys(result);
  const asPack = model.toLowerCase().replace(/^node:/, '');
  const picked: { key: string } | { candidates: string[] } = /^node:/i.test(model) ? { candidates: [] } : pickModel(knownKeys(result), model);
  if ('candidates' in picked && picked.candidates.length === 0 && packs.has(asPack)) {
    const report = explainPack(result, asPack);
    print(report, formatWhyPack(report));
    return 0;
  }
  if ('candidates' in picked) {
    if (picked.candidates.length === 0) {
      const near = nearNames([...knownKeys(result), ...[...packs].map((k) => `node:${k}`)], model.replace(/^node:/i, ''));
      const hint = near.length > 0 ? `; did you mean ${near.join(', ')}?` : ' (try `comfygen scan`)';
      throw new UserError(`no model or node pack matches ${JSON.stringify(model)}: no workflow needs it, the lock lacks it and no model root has it${hint}`);
    }
    io.stderr.write(`comfygen: ${JSON.stringify(model)} is ambiguous; say which one:\n${picked.candidates.map((c) => `  ${c}\n`).join('')}`);
    return 2;
  }
  const report = await explainModel(result, picked.key);
  print(report, formatWhy(report));
  return 0;
}

/**
 * Names like `wanted` (a key, a name or a file name), best first, at most 5: the same file name
 * in another spelling or with another extension (`x.pth` for `x.safetensors`), then names one
 * or two typos away. Compared without folder, extension, case and `-`/`_`/space.
 */
export function nearNames(names: readonly string[], wanted: string): string[] {
  const base = (n: string) => n.slice(n.lastIndexOf('/') + 1);
  const folded = (n: string) => stem(base(n)).toLowerCase().replace(/[-_ .]+/g, '');
  const target = folded(wanted);
  if (target === '') return [];
  const scored = names
    .filter((n) => n !== wanted)
    .map((n) => ({ n, d: folded(n) === target ? 0 : target.length >= 4 ? distance(folded(n), target, 2) : Infinity }))
    .filter((x) => x.d <= 2);
  return [...new Set(scored.sort((a, b) => a.d - b.d || (a.n < b.n ? -1 : a.n > b.n ? 1 : 0)).map((x) => x.n))].slice(0, 5);
}

/** Levenshtein distance, or `limit + 1` as soon as it is sure to exceed `limit`. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    if (Math.min(...row) > limit) return limit + 1;
    prev = row;
  }
  return prev[b.length]!;
}

// ---------- custom node packs ----------

export interface WhyPackReport {
  kind: 'pack';
  /** `node:<lock key>`, as lock changes print it. */
  key: string;
  neededBy: { workflow: string; versions: string[] }[];
  /** Node types that revealed the pack when no workflow names it. */
  nodeTypes: string[];
  status: 'pinned' | 'unresolved' | 'not-in-lock';
  chosenBy: 'workflows' | 'config' | 'comfygen';
  lock: NodeLockEntry | null;
}

/** Every pack key a build knows: named by the workflows, in the lock, or pinned in the config (lower-case). */
function packKeys(result: BuildResult): Set<string> {
  const keys = new Set<string>(Object.keys(result.lock.nodes ?? {}).map((k) => k.toLowerCase()));
  for (const d of result.packs) if (d.kind === 'pack') keys.add(d.key);
  for (const k of Object.keys(result.config.nodes.pins)) keys.add(k.toLowerCase());
  return keys;
}

export function explainPack(result: BuildResult, key: string): WhyPackReport {
  const lockKey = Object.keys(result.lock.nodes ?? {}).find((k) => k.toLowerCase() === key);
  const lock = lockKey === undefined ? null : result.lock.nodes![lockKey]!;
  const demand = result.packs.find((d) => d.kind === 'pack' && d.key === key);
  const byWorkflow = new Map<string, string[]>();
  if (demand?.kind === 'pack') {
    for (const v of demand.versions) for (const wf of v.workflows) byWorkflow.set(wf, [...(byWorkflow.get(wf) ?? []), v.ver]);
  }
  const nodeTypes = lock?.original.nodeTypes ?? [];
  for (const d of result.packs) {
    if (d.kind !== 'untagged' || !nodeTypes.includes(d.nodeType)) continue;
    for (const wf of d.workflows) if (!byWorkflow.has(wf)) byWorkflow.set(wf, []);
  }
  return {
    kind: 'pack',
    key: `node:${lockKey ?? key}`,
    neededBy: [...byWorkflow].sort(([a], [b]) => (a < b ? -1 : 1)).map(([workflow, versions]) => ({ workflow, versions: versions.filter((v) => v !== 'unknown') })),
    nodeTypes,
    status: lock?.locked ? 'pinned' : lock?.unresolved ? 'unresolved' : 'not-in-lock',
    chosenBy: lock?.chosenBy ?? 'workflows',
    lock,
  };
}

export function formatWhyPack(r: WhyPackReport): string {
  const lines = [r.key];
  lines.push(r.neededBy.length === 0 ? '  needed by: no workflow (pinned in the config)' : '  needed by:');
  for (const u of r.neededBy) lines.push(`    ${u.workflow}${u.versions.length > 0 ? `  ver ${u.versions.join(', ')}` : ''}`);
  if (r.nodeTypes.length > 0) lines.push(`  found through node type${r.nodeTypes.length === 1 ? '' : 's'} ${r.nodeTypes.join(', ')} (no workflow names the pack)`);
  const locked = r.lock?.locked;
  if (locked?.type === 'git') lines.push(`  pinned: ${locked.repo} at ${locked.commit}`);
  else if (locked?.type === 'registry') lines.push(`  pinned: ${locked.id} ${locked.version} from the Comfy Registry`, `    ${locked.url}`, `    sha256 ${locked.sha256}`);
  else if (r.lock?.unresolved) lines.push(`  unresolved: ${r.lock.unresolved.reason}`);
  else lines.push('  not in the lock yet: run `comfygen build`');
  if (r.chosenBy === 'config') lines.push('  chosen by nodes.pins in the config');
  if (r.chosenBy === 'comfygen') lines.push('  chosen by comfygen: no workflow records a version (the newest release, or the default branch)');
  if (r.lock) lines.push(`  from comfy.lock.json (\`comfygen build --update ${r.key}\` re-resolves)`);
  return `${lines.join('\n')}\n`;
}

export function formatWhy(r: WhyReport): string {
  const lines = [r.key];
  lines.push(r.neededBy.length === 0 ? '  needed by: no workflow' : `  needed by (${r.active ? 'active' : 'optional: only muted or bypassed nodes'}):`);
  for (const u of r.neededBy) {
    const nodes = u.nodes.map((n) => `node ${n.id} ${n.type}.${n.input}`).join(', ');
    lines.push(`    ${u.workflow}${nodes ? `  ${nodes}` : ''}${u.active ? '' : '  (optional)'}`);
  }
  if (r.local) {
    lines.push(`  on this machine: ${r.local.how} match, ${r.local.folder}/${r.local.name} in root ${r.local.root}`);
    lines.push(`    ${r.local.path} (${r.local.size} bytes${r.local.sha256 ? `, sha256 ${r.local.sha256}` : ''})`);
    for (const alt of r.local.alternatives) lines.push(`    also: ${alt}`);
  } else {
    lines.push('  on this machine: not found in any model root');
    if (r.similarLocal.length > 0) lines.push(`    similar local files (another extension or spelling): ${r.similarLocal.join(', ')}`);
  }
  if (r.tried) {
    lines.push('  sources asked (offline run):');
    for (const t of r.tried) lines.push(`    ${t.source}: ${t.answer || 'does not know it'}`);
    if (r.tried.length === 0) lines.push('    (none)');
  } else if (r.lock) lines.push('  from comfy.lock.json (sources not asked again; `comfygen build --update KEY` re-resolves)');
  if (r.pin) {
    lines.push(`  pinned by ${r.pin.source}: ${r.pin.url}`);
    if (r.pin.files) {
      // A snapshot: each of its files is pinned on its own.
      lines.push(`    ${Object.keys(r.pin.files).length} files${r.pin.size !== null ? `, ${r.pin.size} bytes` : ''}, each with its sha256:`);
      for (const [path, file] of Object.entries(r.pin.files)) lines.push(`      ${path}  sha256 ${file.sha256}, ${file.size} bytes`);
    } else {
      lines.push(`    sha256 ${r.pin.sha256 ?? 'none published (unverified)'}${r.pin.hashOrigin ? ` (${r.pin.hashOrigin})` : ''}${r.pin.size !== null ? `, ${r.pin.size} bytes` : ''}`);
    }
  } else if (r.lock?.unresolved) lines.push(`  unresolved: ${r.lock.unresolved.reason}`);
  else lines.push('  not in the lock: no workflow needs it');
  return `${lines.join('\n')}\n`;
}
