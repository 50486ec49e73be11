/**
 * One plan from the requirements of ComfyUI and every pinned pack (pure): per package (and
 * environment marker) one line with the intersection of every specifier and the sources that
 * ask for it; pairs of sources whose specifiers no version satisfies are conflicts; the torch
 * family is set aside to be checked on the box, never installed.
 */
import { byString } from '../core/stable-json.js';
import { formatRequirement, parseRequirement, type Requirement } from './requirements.js';
import { compatible } from './specifiers.js';

export interface PlanSource {
  /** `comfyui`, or a pack's lock key. */
  id: string;
  requirements: readonly string[];
}

export interface Asked {
  source: string;
  requirement: string;
}

export interface PlanLine {
  key: string;
  /** The requirement as one line: name, extras, merged specifier, marker. */
  text: string;
  marker: string | null;
  /** Merged specifier (`>=1.25,<2`), '' for any version. */
  specifier: string;
  from: Asked[];
}

export interface Conflict {
  key: string;
  a: Asked;
  b: Asked;
}

export interface MergedPlan {
  install: PlanLine[];
  /** torch, torchvision, torchaudio, xformers, triton, nvidia-*: checked on the box, never installed. */
  checked: PlanLine[];
  conflicts: Conflict[];
  /** Lines of the lock that are not requirements (an edited lock), with their source. */
  invalid: Asked[];
}

const TORCH_FAMILY = new Set(['torch', 'torchvision', 'torchaudio', 'xformers', 'triton']);

/** Packages that must match the box's GPU build, so comfygen never installs or changes them. */
export function isTorchFamily(key: string): boolean {
  return TORCH_FAMILY.has(key) || key.startsWith('nvidia-');
}

export function mergePlan(sources: readonly PlanSource[]): MergedPlan {
  const byKey = new Map<string, { req: Requirement; asked: Asked }[]>();
  const invalid: Asked[] = [];
  for (const source of sources) {
    for (const text of source.requirements) {
      const req = parseRequirement(text);
      if (req === null) {
        invalid.push({ source: source.id, requirement: text });
        continue;
      }
      const list = byKey.get(req.key) ?? [];
      list.push({ req, asked: { source: source.id, requirement: formatRequirement(req) } });
      byKey.set(req.key, list);
    }
  }
  const install: PlanLine[] = [];
  const checked: PlanLine[] = [];
  const conflicts: Conflict[] = [];
  for (const key of [...byKey.keys()].sort(byString)) {
    const asks = byKey.get(key)!;
    conflicts.push(...conflictsOf(key, asks));
    const groups = new Map<string, typeof asks>();
    for (const ask of asks) {
      const marker = ask.req.marker ?? '';
      groups.set(marker, [...(groups.get(marker) ?? []), ask]);
    }
    for (const marker of [...groups.keys()].sort(byString)) {
      const line = mergeGroup(groups.get(marker)!);
      (isTorchFamily(key) ? checked : install).push(line);
    }
  }
  return { install, checked, conflicts, invalid };
}

function mergeGroup(asks: { req: Requirement; asked: Asked }[]): PlanLine {
  const first = asks[0]!.req;
  const extras = [...new Set(asks.flatMap((a) => a.req.extras))].sort(byString);
  const seen = new Set<string>();
  const clauses = asks.flatMap((a) => a.req.clauses).filter((c) => {
    const id = `${c.op}${c.version}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  const merged: Requirement = { name: first.key, key: first.key, extras, clauses, marker: first.marker };
  const from: Asked[] = [];
  const pairs = new Set<string>();
  for (const { asked } of asks) {
    const id = `${asked.source}\0${asked.requirement}`;
    if (!pairs.has(id)) from.push(asked);
    pairs.add(id);
  }
  return { key: first.key, text: formatRequirement(merged), marker: first.marker, specifier: clauses.map((c) => `${c.op}${c.version}`).join(','), from };
}

/**
 * The first incompatible pair of requirements for each pair of sources. Requirements under two
 * different markers may never apply together, so only those where one has no marker or both the
 * same one are compared.
 */
function conflictsOf(key: string, asks: { req: Requirement; asked: Asked }[]): Conflict[] {
  const out: Conflict[] = [];
  const reported = new Set<string>();
  for (let i = 0; i < asks.length; i++) {
    for (let j = i + 1; j < asks.length; j++) {
      const [x, y] = [asks[i]!, asks[j]!];
      if (x.asked.source === y.asked.source) continue;
      const pair = `${x.asked.source}\0${y.asked.source}`;
      if (reported.has(pair)) continue;
      const overlap = x.req.marker === null || y.req.marker === null || x.req.marker === y.req.marker;
      if (overlap && !compatible(x.req.clauses, y.req.clauses)) {
        reported.add(pair);
        out.push({ key, a: x.asked, b: y.asked });
      }
    }
  }
  return out;
}

/** What pip is asked to resolve: the installable lines, one per line, in plan order. */
export function resolverInput(plan: MergedPlan): string {
  return plan.install.map((l) => `${l.text}\n`).join('');
}
