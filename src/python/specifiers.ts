/**
 * Can two PEP 440 specifier sets both hold? Each clause is an interval of versions (`>=1.2` is
 * [1.2, ∞), `==1.4.*` is [1.4.dev0, 1.5.dev0), `~=1.4.2` is [1.4.2, 1.5.dev0)); the sets are
 * compatible when the intersection of all their intervals is not empty. Versions are ordered by
 * @renovatebot/pep440. Anything this cannot judge (`===`, an invalid version, `~=` with one
 * component) counts as compatible: a conflict is only reported when it is certain.
 */
import { compare, explain, valid } from '@renovatebot/pep440';

export interface Clause {
  op: string;
  version: string;
}

type Bound = { v: string; inclusive: boolean } | null;
interface Range {
  lo: Bound;
  hi: Bound;
  /** Exact versions excluded by `!=`. */
  not: string[];
}

export function compatible(a: readonly Clause[], b: readonly Clause[]): boolean {
  const range: Range = { lo: null, hi: null, not: [] };
  for (const clause of [...a, ...b]) {
    if (!narrow(range, clause)) return true;
  }
  if (range.lo === null || range.hi === null) return true;
  const order = compare(range.lo.v, range.hi.v);
  if (order > 0) return false;
  if (order < 0) return true;
  if (!range.lo.inclusive || !range.hi.inclusive) return false;
  const point = range.lo.v;
  return !range.not.some((v) => compare(v, point) === 0);
}

/** Intersects `range` with one clause; false when the clause cannot be judged. */
function narrow(range: Range, { op, version }: Clause): boolean {
  const wildcard = version.endsWith('.*');
  const base = wildcard ? version.slice(0, -2) : version;
  if (valid(base) === null) return false;
  switch (op) {
    case '>=':
      if (wildcard) return false;
      raise(range, { v: base, inclusive: true });
      return true;
    case '>':
      if (wildcard) return false;
      raise(range, { v: base, inclusive: false });
      return true;
    case '<=':
      if (wildcard) return false;
      lower(range, { v: base, inclusive: true });
      return true;
    case '<':
      if (wildcard) return false;
      lower(range, { v: base, inclusive: false });
      return true;
    case '==': {
      if (!wildcard) {
        raise(range, { v: base, inclusive: true });
        lower(range, { v: base, inclusive: true });
        return true;
      }
      const next = nextRelease(base);
      if (next === null) return false;
      raise(range, { v: `${base}.dev0`, inclusive: true });
      lower(range, { v: `${next}.dev0`, inclusive: false });
      return true;
    }
    case '~=': {
      const parts = explain(base)?.release ?? [];
      if (wildcard || parts.length < 2) return false;
      const next = nextRelease(parts.slice(0, -1).join('.'));
      if (next === null) return false;
      raise(range, { v: base, inclusive: true });
      lower(range, { v: `${next}.dev0`, inclusive: false });
      return true;
    }
    case '!=':
      if (!wildcard) range.not.push(base);
      return true;
    default:
      return false;
  }
}

function raise(range: Range, bound: NonNullable<Bound>): void {
  const lo = range.lo;
  if (lo === null) {
    range.lo = bound;
    return;
  }
  const order = compare(bound.v, lo.v);
  if (order > 0 || (order === 0 && !bound.inclusive)) range.lo = bound;
}

function lower(range: Range, bound: NonNullable<Bound>): void {
  const hi = range.hi;
  if (hi === null) {
    range.hi = bound;
    return;
  }
  const order = compare(bound.v, hi.v);
  if (order < 0 || (order === 0 && !bound.inclusive)) range.hi = bound;
}

/** `1.4` → `1.5`: the first release after every `1.4.*`. Null for anything but plain releases. */
function nextRelease(prefix: string): string | null {
  if (!/^\d+(\.\d+)*$/.test(prefix)) return null;
  const parts = prefix.split('.').map(Number);
  parts[parts.length - 1]! += 1;
  return parts.join('.');
}
