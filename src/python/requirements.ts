/**
 * Requirement lines as packs write them (requirements.txt, pyproject.toml `[project].dependencies`)
 * to one canonical PEP 508 form. Parsing is pip-requirements-js (PEP 508 grammar + pip's file
 * syntax); this file only decides what a line *means for the plan*: pip options, editable/VCS and
 * URL lines are skipped with a reason instead of failing the pack, and `-r` includes are followed.
 */
import { parsePipRequirementsLine, type EnvironmentMarker, type ProjectNameRequirement } from 'pip-requirements-js';
import { parse as parseToml } from 'smol-toml';

/** One requirement in canonical form. */
export interface Requirement {
  /** As spelled (`Pillow`); `key` is the PEP 503 normalised name (`pillow`). */
  name: string;
  key: string;
  extras: string[];
  /** Specifier clauses in the order written, e.g. `[{op: '>=', version: '1.25'}]`. */
  clauses: { op: string; version: string }[];
  /** Environment marker as canonical text, or null. */
  marker: string | null;
}

export interface Skipped {
  line: string;
  reason: string;
}

export interface ReadRequirements {
  /** Which file the requirements came from, or null when the tree has neither. */
  file: 'requirements.txt' | 'pyproject.toml' | null;
  /** Canonical requirement strings (`formatRequirement`), in file order, duplicates kept once. */
  requirements: string[];
  skipped: Skipped[];
}

/** PEP 503: lower case, runs of `-`, `_`, `.` become one `-`. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

export function formatRequirement(req: Requirement): string {
  const extras = req.extras.length > 0 ? `[${req.extras.join(',')}]` : '';
  const spec = req.clauses.map((c) => `${c.op}${c.version}`).join(',');
  return `${req.name}${extras}${spec}${req.marker ? ` ; ${req.marker}` : ''}`;
}

/** Parses one PEP 508 requirement with a name (no URL); null when it is not one. */
export function parseRequirement(text: string): Requirement | null {
  let parsed;
  try {
    parsed = parsePipRequirementsLine(text);
  } catch {
    return null;
  }
  if (parsed === null || parsed.type !== 'ProjectName') return null;
  return fromParsed(parsed);
}

function fromParsed(parsed: ProjectNameRequirement): Requirement {
  return {
    name: parsed.name,
    key: normalizeName(parsed.name),
    extras: [...new Set((parsed.extras ?? []).map((e) => normalizeName(e)))].sort(),
    clauses: (parsed.versionSpec ?? []).map((s) => ({ op: s.operator, version: s.version })),
    marker: parsed.environmentMarkerTree ? formatMarker(parsed.environmentMarkerTree) : null,
  };
}

function formatMarker(node: EnvironmentMarker): string {
  if ('left' in node && typeof node.left === 'string') {
    const leaf = node as { left: string; operator: string; right: string };
    return `${leaf.left} ${leaf.operator} ${leaf.right}`;
  }
  const tree = node as { operator: 'and' | 'or'; left: EnvironmentMarker; right: EnvironmentMarker };
  // `and` binds tighter than `or`: an `or` inside an `and` needs its parentheses back.
  const side = (child: EnvironmentMarker) => {
    const text = formatMarker(child);
    return tree.operator === 'and' && 'operator' in child && child.operator === 'or' ? `(${text})` : text;
  };
  return `${side(tree.left)} ${tree.operator} ${side(tree.right)}`;
}

/** pip options that belong to the person installing, not to a pack's plan. */
const GLOBAL_OPTIONS = /^(-i|--index-url|--extra-index-url|-f|--find-links|--no-index|--pre|--trusted-host|--no-binary|--only-binary|--prefer-binary|--require-hashes|--use-feature|--no-deps)\b/;

type Include = { kind: 'include'; path: string };
type LineResult = { kind: 'requirement'; requirement: Requirement } | { kind: 'skip'; reason: string } | Include | null;

/** What one logical line of a requirements file contributes. */
export function interpretLine(raw: string): LineResult {
  const line = raw.replace(/(^|\s)#.*$/, '').trim();
  if (line === '') return null;
  const include = /^(?:-r|--requirement)(?:\s+|=)(\S+)$/.exec(line);
  if (include) return { kind: 'include', path: include[1]! };
  if (/^(-c|--constraint)\b/.test(line)) return { kind: 'skip', reason: 'constraints files are not part of the plan' };
  if (/^(-e|--editable)\b/.test(line)) return { kind: 'skip', reason: 'an editable install cannot be pinned with a hash; install it by hand' };
  if (GLOBAL_OPTIONS.test(line)) return { kind: 'skip', reason: 'a pip option; the box decides its own index and install options' };
  if (line.startsWith('-')) return { kind: 'skip', reason: 'an unknown pip option' };
  // Per-requirement options (`--hash=…`, `--config-settings …`) follow the requirement.
  const requirement = line.replace(/\s+--?[A-Za-z][\w-]*(?:[=\s].*)?$/, '').trim();
  if (/^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@/.test(requirement)) {
    return { kind: 'skip', reason: 'a direct reference (name @ URL) cannot be pinned from an index; install it by hand' };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(requirement) || /^(\.{0,2}\/|~)/.test(requirement) || /\.(whl|zip|tar\.gz)$/i.test(requirement)) {
    return { kind: 'skip', reason: 'a URL or path, not a package name; install it by hand' };
  }
  let parsed;
  try {
    parsed = parsePipRequirementsLine(requirement);
  } catch {
    return { kind: 'skip', reason: 'not a valid requirement (PEP 508)' };
  }
  if (parsed === null) return null;
  if (parsed.type !== 'ProjectName') return { kind: 'skip', reason: 'not a requirement' };
  return { kind: 'requirement', requirement: fromParsed(parsed) };
}

/** Logical lines: `\` at the end of a line continues it (pip's rule). */
function logicalLines(text: string): string[] {
  const out: string[] = [];
  let pending = '';
  for (const physical of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    if (/\\$/.test(physical) && !/(^|\s)#/.test(physical)) {
      pending += `${physical.slice(0, -1)} `;
      continue;
    }
    out.push(pending + physical);
    pending = '';
  }
  if (pending !== '') out.push(pending);
  return out;
}

/** Reads a file of the pack's tree by its path from the root ('/' separators); null when absent. */
export type TreeReader = (path: string) => Promise<string | null>;

const MAX_INCLUDE_DEPTH = 5;
const MAX_LINE_SHOWN = 200;

/**
 * The requirements of a pack's (or ComfyUI's) tree: `requirements.txt` with its `-r` includes,
 * else `pyproject.toml`'s `[project].dependencies` — what ComfyUI-Manager installs, in its order.
 */
export async function readTreeRequirements(read: TreeReader): Promise<ReadRequirements> {
  const txt = await read('requirements.txt');
  if (txt !== null) {
    const acc = { requirements: [] as string[], skipped: [] as Skipped[] };
    await readRequirementsFile(read, 'requirements.txt', txt, acc, new Set(['requirements.txt']), 0);
    return { file: 'requirements.txt', requirements: unique(acc.requirements), skipped: acc.skipped };
  }
  const toml = await read('pyproject.toml');
  if (toml !== null) return { file: 'pyproject.toml', ...pyprojectRequirements(toml) };
  return { file: null, requirements: [], skipped: [] };
}

async function readRequirementsFile(read: TreeReader, path: string, text: string, acc: { requirements: string[]; skipped: Skipped[] }, seen: Set<string>, depth: number): Promise<void> {
  const shown = (line: string) => (path === 'requirements.txt' ? '' : `${path}: `) + line.trim().slice(0, MAX_LINE_SHOWN);
  for (const line of logicalLines(text)) {
    const result = interpretLine(line);
    if (result === null) continue;
    if (result.kind === 'requirement') acc.requirements.push(formatRequirement(result.requirement));
    else if (result.kind === 'skip') acc.skipped.push({ line: shown(line), reason: result.reason });
    else {
      const target = joinTreePath(path, result.path);
      if (target === null) acc.skipped.push({ line: shown(line), reason: 'includes a file outside the pack' });
      else if (seen.has(target) || depth >= MAX_INCLUDE_DEPTH) acc.skipped.push({ line: shown(line), reason: 'includes a file already read (a cycle) or nested too deep' });
      else {
        const included = await read(target);
        if (included === null) acc.skipped.push({ line: shown(line), reason: `includes ${target}, which the pack does not have` });
        else await readRequirementsFile(read, target, included, acc, new Set([...seen, target]), depth + 1);
      }
    }
  }
}

/** `[project].dependencies` of a pyproject.toml (PEP 621); other tables are not the plan. */
export function pyprojectRequirements(text: string): { requirements: string[]; skipped: Skipped[] } {
  let doc: unknown;
  try {
    doc = parseToml(text);
  } catch (err) {
    return { requirements: [], skipped: [{ line: 'pyproject.toml', reason: `not valid TOML (${firstLine((err as Error).message)})` }] };
  }
  const project = (doc as { project?: unknown }).project;
  const deps = project && typeof project === 'object' ? (project as { dependencies?: unknown }).dependencies : undefined;
  if (deps === undefined) return { requirements: [], skipped: [] };
  if (!Array.isArray(deps)) return { requirements: [], skipped: [{ line: 'pyproject.toml', reason: '[project].dependencies is not a list' }] };
  const requirements: string[] = [];
  const skipped: Skipped[] = [];
  for (const dep of deps) {
    if (typeof dep !== 'string') {
      skipped.push({ line: String(dep).slice(0, MAX_LINE_SHOWN), reason: 'not a string' });
      continue;
    }
    const result = interpretLine(dep);
    if (result?.kind === 'requirement') requirements.push(formatRequirement(result.requirement));
    else if (result !== null) skipped.push({ line: dep.trim().slice(0, MAX_LINE_SHOWN), reason: result.kind === 'skip' ? result.reason : 'not a requirement' });
  }
  return { requirements: unique(requirements), skipped };
}

/** `base`'s folder joined with a relative path; null for absolute paths or ones leaving the tree. */
export function joinTreePath(base: string, rel: string): string | null {
  if (rel.startsWith('/') || /^[A-Za-z]:/.test(rel) || rel.includes('\\')) return null;
  const parts = base.split('/').slice(0, -1);
  for (const seg of rel.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(seg);
  }
  return parts.length === 0 ? null : parts.join('/');
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').slice(0, 200);
}
