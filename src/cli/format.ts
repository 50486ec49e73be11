/** Human output for diagnostics, lock changes and summaries (the CLI is the only place that prints). */
import type { Diagnostic, LockChange } from '../core/types.js';
import { visible } from '../core/visible.js';
import { formatChange } from '../lock/update.js';

export function formatDiagnostic(d: Diagnostic): string {
  const where = [d.file, d.node ? `node ${d.node}` : ''].filter(Boolean).join(' ');
  const head = `${d.severity}${where ? ` ${where}` : ''}: ${d.message} [${d.code}]`;
  return visible(d.hint ? `${head}\n  → ${d.hint}` : head);
}

export function countBySeverity(diagnostics: readonly Diagnostic[]): Record<'error' | 'warning' | 'info', number> {
  const counts = { error: 0, warning: 0, info: 0 };
  for (const d of diagnostics) counts[d.severity] += 1;
  return counts;
}

/** Lines of one code and severity printed before the rest is counted (`--json` lists them all). */
export const SHOWN_PER_CODE = { error: 20, warning: 5, info: 5 } as const;

/**
 * The diagnostics as terminal lines, at most SHOWN_PER_CODE of each code and severity, then one
 * line counting the rest: a 10,000-workflow collection can raise thousands of the same warning,
 * and a terminal page of them hides the few that differ. The order is kept.
 */
export function formatDiagnostics(diagnostics: readonly Diagnostic[], rest: string): string[] {
  const seen = new Map<string, number>();
  const lines: string[] = [];
  for (const d of diagnostics) {
    const key = `${d.severity} ${d.code}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    if (n <= SHOWN_PER_CODE[d.severity]) lines.push(formatDiagnostic(d));
  }
  for (const [key, n] of seen) {
    const [severity, code] = key.split(' ') as [Diagnostic['severity'], string];
    const hidden = n - SHOWN_PER_CODE[severity];
    if (hidden > 0) lines.push(`${severity}: … and ${hidden} more [${code}] ${severity}${hidden === 1 ? '' : 's'} (${rest})`);
  }
  return lines;
}

/** Lock changes printed before the rest is counted (a first build of a large collection adds thousands). */
export const CHANGES_SHOWN = 100;

/** `+ added <key>` lines, at most CHANGES_SHOWN, then one line counting the rest by kind. */
export function formatChanges(changes: readonly LockChange[], rest: string): string[] {
  const lines = changes.slice(0, CHANGES_SHOWN).map((c) => visible(formatChange(c)));
  const hidden = changes.slice(CHANGES_SHOWN);
  if (hidden.length === 0) return lines;
  const byKind = (['added', 'updated', 'removed'] as const)
    .map((kind) => [kind, hidden.filter((c) => c.kind === kind).length] as const)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${kind}`);
  lines.push(`… and ${hidden.length} more lock change${hidden.length === 1 ? '' : 's'} (${byKind.join(', ')}; ${rest})`);
  return lines;
}
