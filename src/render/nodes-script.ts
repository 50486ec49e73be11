/**
 * nodes.sh (DESIGN §9): a pure function of the lock's `nodes` map and the ComfyUI folder. Every
 * value is checked again here (the lock is a file people can edit) and reaches the script only
 * through `shQuote`; an entry that fails a check becomes a `pack_invalid` line that counts as failed.
 */
import type { NodeLockEntry } from '../core/types.js';
import { canonicalRepo, isFullCommit, isRegistryId, isSafeDir, isSafeHttpsUrl, isSha256, normalizeVersion, packDir } from '../nodes/ids.js';
import { visible } from '../core/visible.js';
import { markerLine } from './marker.js';
import { shComment, shQuote } from './shell.js';
import { shellMarks, type ShellMarks } from './shell-marks.js';
import { compileTemplate } from './templates.js';

interface PackRow {
  key: string;
  about: string;
  isGit: boolean;
  isRegistry: boolean;
  isUnresolved: boolean;
  isInvalid: boolean;
  dir: string;
  repo: string;
  commit: string;
  version: string;
  url: string;
  sha256: string;
  reason: string;
}

/**
 * `comfyuiDir` is comfyui.dir as the script's folder sees it (a relative one re-based there, see
 * `seenFromOutput`); nodes.sh expands `~/`, `$VAR` and `${VAR}` in it at run time, without eval.
 */
export function renderNodesScript(nodes: Record<string, NodeLockEntry>, opts: { comfyuiDir: string }): string {
  const packs: PackRow[] = [];
  const dirs = new Map<string, string>();
  for (const key of Object.keys(nodes).sort()) {
    const row = toRow(key, nodes[key]!);
    if (row.isGit || row.isRegistry) {
      // One folder per pack; case-insensitive file systems make Foo and foo the same folder.
      const other = dirs.get(row.dir.toLowerCase());
      if (other !== undefined) Object.assign(row, invalid(`custom_nodes/${row.dir} is already the folder of ${other}`));
      else dirs.set(row.dir.toLowerCase(), key);
    }
    packs.push(row);
  }
  return template()({ marker: markerLine(), comfyuiDir: opts.comfyuiDir, packs, marks: shellMarks() });
}

const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,200}$/;

function toRow(rawKey: string, entry: NodeLockEntry): PackRow {
  const safeKey = SAFE_KEY.test(rawKey);
  const key = safeKey ? rawKey : shown(rawKey).slice(0, 200);
  const base: PackRow = {
    key, about: about(key, entry), isGit: false, isRegistry: false, isUnresolved: false, isInvalid: false,
    dir: '', repo: '', commit: '', version: '', url: '', sha256: '', reason: '',
  };
  if (!safeKey) return { ...base, ...invalid('the lock key is not a pack id') };
  const locked = entry.locked;
  if (locked?.type === 'git') {
    const dir = packDir(locked);
    if (canonicalRepo(locked.repo) !== locked.repo) return { ...base, ...invalid('the locked repository is not a canonical https URL') };
    if (!isFullCommit(locked.commit)) return { ...base, ...invalid('the locked commit is not 40 lower-case hex digits') };
    if (!isSafeDir(dir)) return { ...base, ...invalid('the repository name is not a safe folder name') };
    return { ...base, isGit: true, dir, repo: locked.repo, commit: locked.commit };
  }
  if (locked?.type === 'registry') {
    if (!isRegistryId(locked.id) || !isSafeDir(locked.id)) return { ...base, ...invalid('the locked registry id is not valid') };
    if (normalizeVersion(locked.version)?.kind !== 'semver') return { ...base, ...invalid('the locked version is not semver') };
    if (!isSafeHttpsUrl(locked.url)) return { ...base, ...invalid('the locked URL is not a plain https URL') };
    if (!isSha256(locked.sha256)) return { ...base, ...invalid('the locked sha256 is not 64 lower-case hex digits') };
    return { ...base, isRegistry: true, dir: locked.id, version: locked.version, url: locked.url, sha256: locked.sha256 };
  }
  if (locked !== undefined) return { ...base, ...invalid('the lock entry has an unknown type') };
  const reason = entry.unresolved?.reason ?? 'no pin recorded';
  return { ...base, isUnresolved: true, reason: shown(reason).slice(0, 500) };
}

function invalid(reason: string): Pick<PackRow, 'isGit' | 'isRegistry' | 'isUnresolved' | 'isInvalid' | 'reason'> {
  return { isGit: false, isRegistry: false, isUnresolved: false, isInvalid: true, reason };
}

/** The comment line above each pack: what the workflows said and who chose the pin. */
function about(key: string, entry: NodeLockEntry): string {
  const o = entry.original;
  const parts = [
    o.cnr_id !== undefined ? `cnr_id ${o.cnr_id}` : null,
    o.aux_id !== undefined ? `aux_id ${o.aux_id}` : null,
    o.ver !== undefined ? `ver ${o.ver}` : null,
    o.nodeTypes !== undefined ? `found by node type ${o.nodeTypes.join(', ')}` : null,
    entry.chosenBy === 'comfygen' ? 'version chosen by comfygen' : entry.chosenBy === 'config' ? 'pinned in comfy.config.ts' : null,
  ].filter((p): p is string => p !== null);
  return shown(`${key}${parts.length > 0 ? `: ${parts.join('; ')}` : ''}`).slice(0, 400);
}

/** A value as the script shows it: on one line, with nothing that acts on a terminal or hides. */
function shown(value: string): string {
  return visible(shComment(value));
}

interface View {
  marker: string;
  comfyuiDir: string;
  packs: PackRow[];
  marks: ShellMarks;
}

let compiled: ((view: View) => string) | undefined;

function template(): (view: View) => string {
  compiled ??= compileTemplate<View>('nodes.sh.hbs', {
    sh: (value: unknown) => shQuote(String(value)),
    comment: (value: unknown) => shComment(String(value)),
  });
  return compiled;
}
