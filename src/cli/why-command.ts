/**
 * `comfygen why <model>`: everything comfygen knows about one model — who needs it, what this
 * machine has, what each source answered, and the pin. It runs the pipeline offline and as a dry
 * run, so asking never writes an output and never touches the network.
 */
import { runBuild, type BuildResult } from '../pipeline/run-build.js';
import type { LocalMatch, LockEntry, LockedModel, NodeUse } from '../core/types.js';
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

/** A full key wins; otherwise a name, or a file name, that picks exactly one key. */
export function pickModel(keys: readonly string[], wanted: string): { key: string } | { candidates: string[] } {
  const w = wanted.replace(/\\/g, '/').replace(/^\/+|\/+$/g, '');
  if (keys.includes(w)) return { key: w };
  const tiers = [
    (k: string) => k.slice(k.indexOf('/') + 1) === w,
    (k: string) => k.endsWith(`/${w}`),
    (k: string) => k.toLowerCase().endsWith(`/${w.toLowerCase()}`),
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
  const lock = result.lock.models[key] ?? null;
  const trace = result.traces.get(key);
  return {
    key,
    folder,
    name,
    active: demand ? demand.active : null,
    neededBy: (demand?.usedBy ?? []).map((u) => ({ workflow: u.workflow, active: u.active, nodes: u.nodes })),
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
    status: lock?.locked ? 'pinned' : lock?.unresolved ? 'unresolved' : 'not-in-lock',
    tried: trace ? trace.tried : null,
    lock,
    pin: lock?.locked ?? null,
  };
}

export async function whyCommand(model: string, flags: { config?: string; json?: boolean }, io: Io): Promise<number> {
  const result = await runBuild({ cwd: io.cwd, configFile: flags.config, mode: 'build', offline: true, dryRun: true, env: io.env });
  const picked = pickModel(knownKeys(result), model);
  if ('candidates' in picked) {
    if (picked.candidates.length === 0) {
      throw new UserError(`no model matches ${JSON.stringify(model)}: no workflow needs it, the lock lacks it and no model root has it (try \`comfygen scan\`)`);
    }
    io.stderr.write(`comfygen: ${JSON.stringify(model)} is ambiguous; say which one:\n${picked.candidates.map((c) => `  ${c}\n`).join('')}`);
    return 2;
  }
  const report = await explainModel(result, picked.key);
  if (flags.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else io.stdout.write(visible(formatWhy(report)));
  return 0;
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
  } else lines.push('  on this machine: not found in any model root');
  if (r.tried) {
    lines.push('  sources asked (offline run):');
    for (const t of r.tried) lines.push(`    ${t.source}: ${t.answer || 'does not know it'}`);
    if (r.tried.length === 0) lines.push('    (none)');
  } else if (r.lock) lines.push('  from comfy.lock.json (sources not asked again; `comfygen build --update KEY` re-resolves)');
  if (r.pin) {
    lines.push(`  pinned by ${r.pin.source}: ${r.pin.url}`);
    lines.push(`    sha256 ${r.pin.sha256 ?? 'none published (unverified)'}${r.pin.hashOrigin ? ` (${r.pin.hashOrigin})` : ''}${r.pin.size !== null ? `, ${r.pin.size} bytes` : ''}`);
  } else if (r.lock?.unresolved) lines.push(`  unresolved: ${r.lock.unresolved.reason}`);
  else lines.push('  not in the lock: no workflow needs it');
  return `${lines.join('\n')}\n`;
}
