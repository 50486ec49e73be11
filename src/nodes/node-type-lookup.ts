/**
 * Node types no workflow attributes to a pack, mapped to packs: first through the previous lock
 * (its `original.nodeTypes`, so offline builds and CI agree), then through the registry's class
 * lookup `GET /comfy-nodes/{Class}/node` (cached; the API takes one class per request, so requests
 * run a few at a time). Types nobody claims are reported, never guessed.
 */
import pLimit from 'p-limit';
import { someNames } from '../core/some-names.js';
import type { NodeLockEntry } from '../core/types.js';
import type { JsonCache } from './cache.js';
import { isRegistryId } from './ids.js';
import type { ResolveContext, Want } from './context.js';
import type { PackDemand } from './types.js';

type Untagged = Extract<PackDemand, { kind: 'untagged' }>;

export async function mapNodeTypes(
  ctx: ResolveContext,
  untagged: Untagged[],
  wants: Map<string, Want>,
  previous: Record<string, NodeLockEntry>,
  updating: (key: string) => boolean,
  classes: JsonCache<string | null>,
): Promise<void> {
  const fromLock = new Map<string, { key: string; id: string }>();
  for (const [rawKey, entry] of Object.entries(previous)) {
    const key = rawKey.toLowerCase();
    if (updating(key)) continue;
    const id = entry.locked?.type === 'registry' ? entry.locked.id : key;
    for (const t of entry.original.nodeTypes ?? []) fromLock.set(t, { key, id });
  }
  const attach = (d: Untagged, key: string, id: string) => {
    const want = wants.get(key) ?? { key, cnrId: id, auxId: null, repo: null, versions: [], byType: true, nodeTypes: [], workflows: [] };
    if (want.byType) want.nodeTypes.push(d.nodeType);
    want.workflows.push(...d.workflows);
    wants.set(key, want);
  };

  const toLookUp: Untagged[] = [];
  for (const d of untagged) {
    const known = fromLock.get(d.nodeType);
    if (known) attach(d, known.key, known.id);
    else if (ctx.opts.offline) {
      ctx.report({ code: 'node-type-not-looked-up', severity: 'info', message: `node type ${d.nodeType} names no pack and was not looked up (offline)`, file: d.workflows[0] });
    } else toLookUp.push(d);
  }
  const limit = pLimit(4);
  const answers = await Promise.all(toLookUp.map((d) => limit(async () => ({ d, id: await lookUp(ctx, d, classes) }))));
  for (const { d, id } of answers) {
    if (id === undefined || id?.toLowerCase() === 'comfy-core') continue;
    if (id === null) {
      ctx.report({
        code: 'unknown-node-type',
        severity: 'warning',
        message: `node type ${d.nodeType} (${someNames(d.workflows, 'workflow')}) is not part of ComfyUI and no known pack provides it`,
        file: d.workflows[0],
        hint: 'add the pack to nodes.pins in comfy.config.ts; if it is a ComfyUI node newer than comfygen, ignore this',
      });
      continue;
    }
    if (!isRegistryId(id)) {
      ctx.report({ code: 'registry-error', severity: 'warning', message: `node type ${d.nodeType}: the Comfy Registry answered with an unusable pack id ${JSON.stringify(id.slice(0, 120))}` });
      continue;
    }
    attach(d, id.toLowerCase(), id);
  }
}

/** A registry id, null when the registry knows no pack for the type, undefined on error. */
async function lookUp(ctx: ResolveContext, d: Untagged, classes: JsonCache<string | null>): Promise<string | null | undefined> {
  const cached = ctx.opts.update === true ? undefined : classes.get(d.nodeType);
  if (cached !== undefined) return cached;
  const answer = await ctx.registry.packForClass(d.nodeType);
  if (answer.kind === 'error') {
    // A registry that is down is said once for everything it cost (`source-failed`).
    if (answer.trouble) ctx.affected({ key: `node type:${d.nodeType}`, troubles: [answer.trouble], kept: false });
    if (!answer.transient) ctx.report({ code: 'registry-error', severity: 'warning', message: `node type ${d.nodeType}: ${answer.message}`, file: d.workflows[0] });
    return undefined;
  }
  const id = answer.kind === 'found' ? answer.value.id : null;
  classes.set(d.nodeType, id);
  return id;
}
