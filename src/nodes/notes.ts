/**
 * What resolution tells the user besides the lock: notes (version conflicts, who chose a pin,
 * packs found by node type, the ComfyUI range) and the one cross-pack check (install folders).
 */
import { ends, someNames } from '../core/some-names.js';
import type { Diagnostic, NodeLockEntry } from '../core/types.js';
import { cmp, compareVersions } from './collect.js';
import type { Locked, ResolveContext, Want } from './context.js';
import { packDir } from './ids.js';
import type { PackNote } from './types.js';

export function noteAbout(ctx: ResolveContext, want: Want, entry: NodeLockEntry): void {
  const pack = want.key;
  const workflows = [...new Set(want.workflows)].sort(cmp);
  const pinned = entry.locked ? describeLocked(entry.locked) : 'nothing (unresolved)';
  const known = want.versions.filter((v) => v.ver !== 'unknown');
  if (known.length > 1) {
    const list = ends(known.map((v) => `${v.ver} (${someNames(v.workflows, 'workflow', 2)})`), 3, 3, '; ');
    ctx.note({ pack, kind: 'version-conflict', message: `workflows record ${known.length} versions: ${list}; locked ${pinned}`, versions: known.map((v) => v.ver), workflows });
    ctx.report({ code: 'pack-version-conflict', severity: 'warning', message: `${pack}: workflows record ${known.length} versions (${ends(known.map((v) => v.ver), 3, 3)}); locked ${pinned}` });
  }
  if (entry.chosenBy === 'comfygen') ctx.note({ pack, kind: 'chosen-by-comfygen', message: `no workflow records a version; comfygen chose ${pinned}`, workflows });
  if (entry.chosenBy === 'config') ctx.note({ pack, kind: 'pinned-by-config', message: `pinned by nodes.pins in the config: ${pinned}`, workflows });
  if (want.byType) {
    const types = [...new Set(want.nodeTypes)].sort(cmp);
    ctx.note({ pack, kind: 'found-by-node-type', message: `no workflow names this pack; found through node type${types.length > 1 ? 's' : ''} ${someNames(types, 'node type', 5)}`, workflows });
  }
}

function describeLocked(locked: Locked): string {
  return locked.type === 'git' ? `${locked.repo} at ${locked.commit}` : `${locked.id} ${locked.version} from the Comfy Registry`;
}

/** Two packs in one `custom_nodes/<dir>` (case-insensitive file systems included) cannot both install. */
export function checkDirs(nodes: Record<string, NodeLockEntry>, report: (d: Diagnostic) => void): void {
  const seen = new Map<string, string>();
  for (const [key, entry] of Object.entries(nodes)) {
    if (!entry.locked) continue;
    const dir = packDir(entry.locked).toLowerCase();
    const other = seen.get(dir);
    if (other === undefined) seen.set(dir, key);
    else report({ code: 'pack-dir-collision', severity: 'warning', message: `${other} and ${key} both install into custom_nodes/${packDir(entry.locked)}; nodes.sh installs only ${other}`, hint: 'pin one of them in nodes.pins or remove one from the workflows' });
  }
}

export function comfyuiNote(versions: { ver: string; workflows: string[] }[]): PackNote {
  const semvers = versions.map((v) => v.ver).filter((v) => v !== 'unknown').sort(compareVersions);
  const workflows = [...new Set(versions.flatMap((v) => v.workflows))].sort(cmp);
  const range = semvers.length === 0 ? 'an unrecorded version' : semvers.length === 1 ? semvers[0]! : `${semvers[0]} to ${semvers.at(-1)}`;
  return { pack: 'comfy-core', kind: 'comfyui-version', message: `workflows were saved with ComfyUI ${range}; ComfyUI itself is not installed by nodes.sh`, versions: semvers, workflows };
}
