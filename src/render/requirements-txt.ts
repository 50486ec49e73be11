/**
 * requirements.txt (DESIGN §5, §10): the Python plan for the box, reviewable line by line. Exact
 * `name==version` with every `--hash` when the lock holds a resolution, the merged ranges
 * otherwise (and the file says why). Each line names the packs that ask for it; the torch family,
 * skipped lines and conflicts are comments. Pure: depends on the lock only.
 */
import type { PythonLock } from '../core/types.js';
import { markerLine } from './marker.js';
import { askedBy, renderedPlan } from './python-plan.js';
import { shComment } from './shell.js';
import { compileTemplate } from './templates.js';

interface Line {
  text: string;
  hashes: string[];
  notes: string[];
}

export function renderRequirements(python: PythonLock): string {
  const plan = renderedPlan(python);
  const lines: Line[] = plan.pinned === null
    ? plan.merged.install.map((l) => ({ text: safe(l.text), hashes: [], notes: [`from ${askedBy(l)}`] }))
    : plan.pinned.map((p) => ({
      text: `${p.key}==${p.version}`,
      hashes: p.hashes,
      notes: [
        ...p.from.map((l) => `from ${askedBy(l)}`),
        ...(p.from.length === 0 ? [p.requiredBy.length > 0 ? `required by ${p.requiredBy.join(', ')}` : 'a dependency'] : []),
      ],
    }));
  const sources = [...(python.comfyui ? [['comfyui', python.comfyui] as const] : []), ...Object.entries(python.nodes)];
  const skipped = sources.flatMap(([id, entry]) => [
    ...(entry.unread !== undefined ? [`${id}: requirements unknown (${entry.unread})`] : []),
    ...(entry.skipped ?? []).map((s) => `${id}: ${s.line} (${s.reason})`),
  ]);
  return template()({
    marker: markerLine(),
    pinned: plan.pinned !== null,
    python: plan.python ?? '',
    unresolved: plan.unresolved ?? '',
    checked: [
      ...plan.merged.checked.map((l) => `${l.text}  <- ${askedBy(l)}`),
      ...plan.checkedDeps.map((k) => `${k}  <- a dependency of the plan`),
    ],
    skipped,
    conflicts: plan.merged.conflicts.map((c) => `${c.key}: ${c.a.source} asks ${c.a.requirement}, ${c.b.source} asks ${c.b.requirement}`),
    invalid: [...plan.invalid, ...plan.merged.invalid.map((i) => `${i.source}: ${i.requirement}`)],
    lines,
  });
}

/** A plan line is re-formatted from a parse, so it has no newline; this keeps it that way. */
function safe(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, ' ');
}

interface View {
  marker: string;
  pinned: boolean;
  python: string;
  unresolved: string;
  checked: string[];
  skipped: string[];
  conflicts: string[];
  invalid: string[];
  lines: Line[];
}

let compiled: ((view: View) => string) | undefined;

function template(): (view: View) => string {
  compiled ??= compileTemplate<View>('requirements.txt.hbs', { comment: (value: unknown) => shComment(String(value)) });
  return compiled;
}
