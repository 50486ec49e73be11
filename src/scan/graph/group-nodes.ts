/**
 * Legacy group nodes: instances typed `workflow>Name` (older: `workflow/Name`), definitions in
 * `extra.groupNodes[Name].nodes`. Members get ids `<instance>:<index>`.
 *
 * The instance's widgets_values concatenate its members' widgets, but the frontend builds that
 * list from node definitions this scanner does not have. So the instance values are mapped onto
 * members only when the lengths agree exactly; otherwise members keep the values stored in the
 * definition, and the instance itself stays in the flat list so its file-like values are still
 * seen (as guesses) rather than lost.
 */
import type { DiagnosticList } from '../diagnostics.js';
import { renameType } from '../tables.js';
import { type FlatNode, type Slot, isActiveMode, isRecord } from './flat.js';
import type { RawNode } from './ui-index.js';

const PREFIXES = ['workflow>', 'workflow/'];

export function isGroupNodeType(type: string): boolean {
  return PREFIXES.some((p) => type.startsWith(p));
}

export function expandGroupNode(
  raw: RawNode, id: string, type: string, active: boolean,
  groups: Record<string, unknown>, out: FlatNode[], diagnostics: DiagnosticList,
): void {
  const wv = raw.widgets_values;
  out.push({
    id, type, active, role: 'group', properties: isRecord(raw.properties) ? raw.properties : null,
    named: dictSlots(wv), positional: Array.isArray(wv) ? wv : null,
  });
  const name = type.slice(PREFIXES.find((p) => type.startsWith(p))!.length);
  const def = Object.hasOwn(groups, name) ? groups[name] : undefined;
  if (!isRecord(def) || !Array.isArray(def.nodes)) {
    diagnostics.push('missing-group-node', `node ${id} is group node ${JSON.stringify(name)}, which extra.groupNodes does not define`, { node: id });
    return;
  }
  const members = def.nodes.filter(isRecord);
  const counts = members.map((m) => (Array.isArray(m.widgets_values) ? m.widgets_values.length : 0));
  const total = counts.reduce((a, b) => a + b, 0);
  const aligned = Array.isArray(wv) && total > 0 && wv.length === total;
  if (!aligned && Array.isArray(wv) && wv.length > 0) {
    diagnostics.push('group-node-values', `group node ${id}: its ${wv.length} values do not line up with its members' ${total}; the values stored in the group definition were used`, { node: id });
  }
  let offset = 0;
  members.forEach((member, i) => {
    const own = member.widgets_values;
    const positional = aligned ? (wv as unknown[]).slice(offset, offset + counts[i]!) : Array.isArray(own) ? own : null;
    offset += counts[i]!;
    if (typeof member.type !== 'string' || member.type === '') return;
    out.push({
      id: `${id}:${typeof member.index === 'number' ? member.index : i}`,
      type: renameType(member.type),
      active: active && isActiveMode(member.mode),
      role: 'node',
      properties: isRecord(member.properties) ? member.properties : null,
      named: dictSlots(own),
      positional,
    });
  });
}

function dictSlots(wv: unknown): Map<string, Slot> {
  const named = new Map<string, Slot>();
  if (isRecord(wv)) for (const [key, value] of Object.entries(wv)) named.set(key, { value });
  return named;
}
