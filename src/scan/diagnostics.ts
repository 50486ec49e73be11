/**
 * Every diagnostic code the scanner emits, with its fixed severity. README.md in this folder
 * explains each one (meaning and fix); keep the two in step.
 */
import type { Diagnostic, Severity } from '../core/types.js';
import { redactUrls } from './refs/credentials.js';

export const SCAN_CODES = {
  'unreadable-file': 'error',
  'file-too-large': 'error',
  'unparsable-workflow': 'error',
  'scan-failed': 'error',
  'not-a-workflow': 'warning',
  'no-embedded-workflow': 'warning',
  'invalid-embedded-graph': 'warning',
  'unknown-loader-value': 'warning',
  'missing-subgraph': 'warning',
  'subgraph-cycle': 'warning',
  'graph-too-large': 'warning',
  'invalid-graph-id': 'warning',
  'missing-group-node': 'warning',
  'conflicting-embedded-hash': 'warning',
  'multiple-pack-versions': 'warning',
  'credential-in-url': 'warning',
  'linked-widget': 'info',
  'unmapped-model-value': 'info',
  'group-node-values': 'info',
  'invalid-embedded-model': 'info',
  'embedded-folder-mismatch': 'info',
  'invalid-pack-metadata': 'info',
  'comfyui-versions': 'info',
} as const satisfies Record<string, Severity>;

export type ScanCode = keyof typeof SCAN_CODES;

/** Hostile files can carry megabyte-long names; a diagnostic quotes at most this much. */
const MAX_MESSAGE = 1000;

export function diag(code: ScanCode, message: string, where: { node?: string; hint?: string } = {}): Diagnostic {
  const text = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message;
  const d: Diagnostic = { code, severity: SCAN_CODES[code], message: text };
  if (where.node !== undefined) d.node = where.node.length > 200 ? `${where.node.slice(0, 200)}…` : where.node;
  if (where.hint !== undefined) d.hint = where.hint;
  return d;
}

/**
 * A foreign value quoted in a message: strings JSON-quoted, any URL in them without credentials,
 * and cut short; containers named rather than serialised (a hostile file can nest arrays deeper
 * than JSON.stringify recurses).
 */
export function shown(value: unknown, max = 80): string {
  if (typeof value === 'string') {
    // Redacted before the cut, so the cut cannot leave part of a token behind.
    const text = redactUrls(value.length > max + 4096 ? value.slice(0, max + 4096) : value);
    return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
  }
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** Collects diagnostics once each (same code, node and message), in the order found. */
export class DiagnosticList {
  readonly items: Diagnostic[] = [];
  private readonly seen = new Set<string>();

  add(d: Diagnostic): void {
    const key = `${d.code}\0${d.node ?? ''}\0${d.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.items.push(d);
  }

  push(code: ScanCode, message: string, where: { node?: string; hint?: string } = {}): void {
    this.add(diag(code, message, where));
  }
}

/** Attach the file to each diagnostic, keeping the contract's key order. */
export function inFile(list: readonly Diagnostic[], file: string): Diagnostic[] {
  return list.map((d) => {
    const out: Diagnostic = { code: d.code, severity: d.severity, message: d.message, file };
    if (d.node !== undefined) out.node = d.node;
    if (d.hint !== undefined) out.hint = d.hint;
    return out;
  });
}
