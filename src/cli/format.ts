/** Human output for diagnostics, lock changes and summaries (the CLI is the only place that prints). */
import type { Diagnostic } from '../core/types.js';

export function formatDiagnostic(d: Diagnostic): string {
  const where = [d.file, d.node ? `node ${d.node}` : ''].filter(Boolean).join(' ');
  const head = `${d.severity}${where ? ` ${where}` : ''}: ${d.message} [${d.code}]`;
  return d.hint ? `${head}\n  → ${d.hint}` : head;
}

export function countBySeverity(diagnostics: readonly Diagnostic[]): Record<'error' | 'warning' | 'info', number> {
  const counts = { error: 0, warning: 0, info: 0 };
  for (const d of diagnostics) counts[d.severity] += 1;
  return counts;
}
