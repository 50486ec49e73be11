/**
 * The Python plan as rendered data (pure, from the lock alone): the merged plan of the lock's
 * `python` section, and its resolution checked entry by entry (the lock is a file people edit),
 * shared by requirements.txt, install.sh and report.md.
 */
import { valid } from '@renovatebot/pep440';
import type { PythonLock } from '../core/types.js';
import type { Lockfile } from '../core/types.js';
import { mergePlan, type MergedPlan, type PlanLine } from '../python/merge.js';
import { mdCode, mdText } from './markdown.js';

export interface PinnedPackage {
  key: string;
  version: string;
  hashes: string[];
  /** The plan line(s) that ask for it, or none when it is only a dependency. */
  from: PlanLine[];
  requiredBy: string[];
}

export interface RenderedPlan {
  merged: MergedPlan;
  /** Exact pins with hashes, when the lock holds a resolution; null: the merged ranges are installed. */
  pinned: PinnedPackage[] | null;
  python: string | null;
  /** Torch-family packages only dependencies need (from the resolution). */
  checkedDeps: string[];
  /** Lock entries of the resolution that failed a check: left out, with why. */
  invalid: string[];
  unresolved: string | null;
}

const NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const HASH = /^sha256:[0-9a-f]{64}$/;

export function renderedPlan(python: PythonLock): RenderedPlan {
  const sources = [
    ...(python.comfyui ? [{ id: 'comfyui', requirements: python.comfyui.requirements }] : []),
    ...Object.entries(python.nodes).map(([id, e]) => ({ id, requirements: e.requirements })),
  ];
  const merged = mergePlan(sources);
  const invalid: string[] = [];
  let pinned: PinnedPackage[] | null = null;
  const resolved = python.resolved;
  if (resolved) {
    pinned = [];
    for (const [key, pkg] of Object.entries(resolved.packages).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (!NAME.test(key) || valid(pkg.version) === null || !/^[A-Za-z0-9.+!_-]+$/.test(pkg.version)) invalid.push(`${key}: the name or version is not valid`);
      else if (pkg.hashes.length === 0 || !pkg.hashes.every((h) => HASH.test(h))) invalid.push(`${key}: no valid sha256`);
      else {
        pinned.push({
          key, version: pkg.version, hashes: [...pkg.hashes],
          from: merged.install.filter((l) => l.key === key),
          requiredBy: (pkg.requiredBy ?? []).filter((r) => NAME.test(r)),
        });
      }
    }
  }
  return {
    merged,
    pinned,
    python: resolved && /^\d+\.\d+$/.test(resolved.python) ? resolved.python : null,
    checkedDeps: (resolved?.checked ?? []).filter((k) => NAME.test(k) && !merged.checked.some((l) => l.key === k)),
    invalid,
    unresolved: pinned === null && merged.install.length > 0 ? python.unresolved?.reason ?? 'the lock holds no resolution' : null,
  };
}

/** `comfyui (>=1.25.0), o/pack`: who asks, and for what beyond the bare name and the line's marker. */
export function askedBy(line: PlanLine): string {
  return line.from.map((f) => {
    // The line carries the marker (lines are grouped by it): only extras and versions differ.
    const rest = f.requirement.replace(/^[A-Za-z0-9._-]+/, '').replace(/\s*;.*$/, '').trim();
    return rest === '' ? f.source : `${f.source} (${rest})`;
  }).join(', ');
}

/** report.md's Python section: a summary line and the lines worth a look. */
export interface PythonReport {
  summary: string;
  items: string[];
}

export function pythonReport(lock: Lockfile): PythonReport | null {
  if (!lock.python) return null;
  const plan = renderedPlan(lock.python);
  const trees = (lock.python.comfyui ? 1 : 0) + Object.keys(lock.python.nodes).length;
  const summary = plan.pinned !== null
    ? `${plan.merged.install.length} requirement line(s) from ${trees} tree(s), resolved by pip to ${plan.pinned.length} exact version(s) with hashes${plan.python ? ` for Python ${plan.python}` : ''}.`
    : `${plan.merged.install.length} requirement line(s) from ${trees} tree(s), kept as version ranges${plan.unresolved ? ` (${mdText(plan.unresolved)})` : ''}.`;
  const items = [
    ...plan.merged.checked.map((l) => `checked on the box, never installed: ${mdCode(l.text)} (${mdText(askedBy(l))})`),
    ...plan.checkedDeps.map((k) => `checked on the box, never installed: ${mdCode(k)} (a dependency)`),
    ...plan.merged.conflicts.map((c) => `conflict: ${mdCode(c.a.requirement)} (${mdText(c.a.source)}) and ${mdCode(c.b.requirement)} (${mdText(c.b.source)})`),
    ...[...(lock.python.comfyui ? [['comfyui', lock.python.comfyui] as const] : []), ...Object.entries(lock.python.nodes)].flatMap(([id, e]) => [
      ...(e.unread !== undefined ? [`${mdText(id)}: requirements unknown (${mdText(e.unread)})`] : []),
      ...(e.skipped ?? []).map((x) => `${mdText(id)}: not in the plan: ${mdCode(x.line)} (${mdText(x.reason)})`),
    ]),
  ];
  return { summary, items };
}
