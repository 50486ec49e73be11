/**
 * What the terminal says about services that failed: the models and node packs nobody pinned (or
 * re-checked) because Hugging Face, Civitai, the Comfy Registry or a git host failed as a whole
 * (unreachable, not answering, refusing the token, a gated repository, rate limits, server errors,
 * unreadable answers), as one `source-failed` warning per service and cause, naming the host (and
 * the endpoint variable when a mirror was used) and what to do. When every failing host could not
 * be reached at all, that is one warning: the network is unreachable. The lock and report.md keep
 * each entry's own, machine-independent reason; a warning per model would bury this under
 * hundreds of lines.
 */
import { byString } from '../core/stable-json.js';
import type { Diagnostic } from '../core/types.js';
import { scrubTokens } from '../sources/api.js';
import type { Affected, ServiceTrouble, SourceEnv } from '../sources/types.js';

export type { Affected } from '../sources/types.js';

const TOKEN: Partial<Record<ServiceTrouble['service'], { variable: string; where: string }>> = {
  huggingface: { variable: 'HF_TOKEN', where: 'huggingface.co/settings/tokens' },
  civitai: { variable: 'CIVITAI_TOKEN', where: 'civitai.com > Account settings > API Keys' },
};

const NAME: Record<ServiceTrouble['service'], string> = {
  huggingface: 'huggingface', civitai: 'civitai', 'comfy-registry': 'the Comfy Registry', git: 'git',
};

const SERVES: Record<ServiceTrouble['service'], string> = {
  huggingface: 'a huggingface API', civitai: 'a civitai API', 'comfy-registry': 'a Comfy Registry API', git: 'a git host',
};

const OFFLINE = '`comfygen build --offline` builds from the lock and the cache meanwhile';

interface Group { trouble: ServiceTrouble; keys: Map<string, boolean> }

export function troubleDiagnostics(affected: readonly Affected[], env: Pick<SourceEnv, 'hfToken' | 'civitaiToken'>): Diagnostic[] {
  const groups = new Map<string, Group>();
  for (const { key, troubles, kept } of affected) {
    for (const trouble of troubles) {
      const id = [trouble.service, trouble.kind, trouble.detail, trouble.host ?? ''].join('\0');
      let group = groups.get(id);
      if (!group) groups.set(id, (group = { trouble, keys: new Map() }));
      group.keys.set(key, kept);
    }
  }
  const sorted = [...groups.entries()].sort(([a], [b]) => byString(a, b)).map(([, g]) => g);
  const unreachable = sorted.filter((g) => g.trouble.kind === 'unreachable');
  const explained = unreachable.length > 1
    ? [noNetwork(unreachable), ...sorted.filter((g) => g.trouble.kind !== 'unreachable').map((g) => explain(g.trouble, counted(g.keys)))]
    : sorted.map((g) => explain(g.trouble, counted(g.keys)));
  return explained.map(({ message, hint }) =>
    ({ code: 'source-failed', severity: 'warning', message: scrubTokens(message, env), hint: scrubTokens(hint, env) }) satisfies Diagnostic);
}

/** Several hosts that could not be reached at all: one line for the outage, each host named once. */
function noNetwork(groups: readonly Group[]): { message: string; hint: string } {
  const keys = new Map<string, boolean>();
  for (const g of groups) for (const [key, kept] of g.keys) keys.set(key, (keys.get(key) ?? true) && kept);
  const details = new Set(groups.map((g) => g.trouble.detail));
  const hosts = groups.map((g) => `${NAME[g.trouble.service]}${at(g.trouble)}${details.size > 1 ? ` (${g.trouble.detail})` : ''}`);
  const vias = [...new Set(groups.flatMap((g) => (g.trouble.via ? [g.trouble.via] : [])))];
  return {
    message: `the network is unreachable: ${hosts.join(', ')}${details.size === 1 ? `: ${[...details][0]}` : ''}; ${counted(keys)}`,
    hint: `check the network${vias.length > 0 ? ` and ${vias.join(', ')}` : ''}; ${OFFLINE}`,
  };
}

/** `2 models and 1 node pack unresolved, 3 lock entries kept as they were, 1 node type not looked up`. */
function counted(keys: ReadonlyMap<string, boolean>): string {
  let models = 0;
  let packs = 0;
  let types = 0;
  let kept = 0;
  for (const [key, wasKept] of keys) {
    if (key.startsWith('node type:')) types++;
    else if (wasKept) kept++;
    else if (key.startsWith('node:')) packs++;
    else models++;
  }
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const unresolved = [models > 0 ? plural(models, 'model', 'models') : '', packs > 0 ? plural(packs, 'node pack', 'node packs') : ''].filter(Boolean);
  return [
    unresolved.length > 0 ? `${unresolved.join(' and ')} unresolved` : '',
    kept > 0 ? `${plural(kept, 'lock entry', 'lock entries')} kept as ${kept === 1 ? 'it was' : 'they were'}` : '',
    types > 0 ? `${plural(types, 'node type', 'node types')} not looked up` : '',
  ].filter(Boolean).join(', ');
}

function at(t: ServiceTrouble): string {
  return t.host ? ` at ${t.host}${t.via ? ` (via ${t.via})` : ''}` : '';
}

function explain(t: ServiceTrouble, count: string): { message: string; hint: string } {
  const name = NAME[t.service];
  const token = TOKEN[t.service] ?? { variable: 'a token', where: 'the service' };
  switch (t.kind) {
    case 'unreachable':
      return { message: `${name} is unreachable${at(t)}: ${t.detail}; ${count}`, hint: `check the network${t.via ? ` and ${t.via}` : ''}; ${OFFLINE}` };
    case 'timeout':
      return {
        message: `${name} is not answering${at(t)}: ${t.detail}; ${count}`,
        hint: `retry later${t.via ? `, or check ${t.via}` : ''}; COMFYGEN_API_TIMEOUT_SECONDS sets how long to wait; ${OFFLINE}`,
      };
    case 'auth':
      return t.tokenVar
        ? { message: `${name} refused ${t.tokenVar} (${t.detail})${at(t)}; ${count}`, hint: `check the token (${token.where})` }
        : { message: `${name} answered ${t.detail}${at(t)}: it wants a token; ${count}`, hint: `set ${token.variable} (${token.where})` };
    case 'gated':
      return {
        message: `${name}: ${t.detail} is a gated repository; ${count}`,
        hint: t.tokenVar ? `accept its licence there with the account ${t.tokenVar} belongs to` : `accept its licence there and set ${token.variable}`,
      };
    case 'rate-limited':
      return { message: `${name} is rate-limiting this build (${t.detail})${at(t)}; ${count}`, hint: `retry later${TOKEN[t.service] ? `; a token (${token.variable}) gets higher limits` : ''}` };
    case 'server-error':
      return { message: `${name} failed with ${t.detail}${at(t)}; ${count}`, hint: `retry later; ${OFFLINE}` };
    case 'bad-answer':
      return {
        message: `${name} gave ${t.detail}${at(t)}; ${count}`,
        hint: t.via ? `check that ${t.via} points at ${SERVES[t.service]}` : 'retry later; if it persists, the API may have changed: report it',
      };
  }
}
