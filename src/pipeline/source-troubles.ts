/**
 * What the terminal says about services that failed: the models nobody pinned because Hugging
 * Face or Civitai failed as a whole (unreachable, not answering, refusing the token, a gated
 * repository, rate limits, server errors, unreadable answers), as one `source-failed` warning per
 * service and cause, naming the host and what to do. The lock and report.md keep each model's
 * own reason; a warning per model would bury this under hundreds of lines.
 */
import { byString } from '../core/stable-json.js';
import type { Diagnostic, ModelKey } from '../core/types.js';
import { scrubTokens } from '../sources/api.js';
import type { Tried } from '../sources/registry.js';
import type { ServiceTrouble, SourceEnv } from '../sources/types.js';

const TOKEN: Record<ServiceTrouble['service'], { variable: string; where: string }> = {
  huggingface: { variable: 'HF_TOKEN', where: 'huggingface.co/settings/tokens' },
  civitai: { variable: 'CIVITAI_TOKEN', where: 'civitai.com > Account settings > API Keys' },
};

export function troubleDiagnostics(unresolved: readonly { key: ModelKey; tried: readonly Tried[] }[], env: SourceEnv): Diagnostic[] {
  const groups = new Map<string, { trouble: ServiceTrouble; keys: Set<ModelKey> }>();
  for (const { key, tried } of unresolved) {
    for (const { trouble } of tried) {
      if (!trouble) continue;
      const id = [trouble.service, trouble.kind, trouble.detail, trouble.host ?? ''].join('\0');
      let group = groups.get(id);
      if (!group) groups.set(id, (group = { trouble, keys: new Set() }));
      group.keys.add(key);
    }
  }
  return [...groups.entries()]
    .sort(([a], [b]) => byString(a, b))
    .map(([, { trouble, keys }]) => {
      const { message, hint } = explain(trouble, `${keys.size} model${keys.size === 1 ? '' : 's'} unresolved`);
      return { code: 'source-failed', severity: 'warning', message: scrubTokens(message, env), hint: scrubTokens(hint, env) } satisfies Diagnostic;
    });
}

function explain(t: ServiceTrouble, count: string): { message: string; hint: string } {
  const at = t.host ? ` at ${t.host}${t.via ? ` (via ${t.via})` : ''}` : '';
  const offline = '`comfygen build --offline` builds from the lock and the cache meanwhile';
  const token = TOKEN[t.service];
  switch (t.kind) {
    case 'unreachable':
      return { message: `${t.service} is unreachable${at}: ${t.detail}; ${count}`, hint: `check the network${t.via ? ` and ${t.via}` : ''}; ${offline}` };
    case 'timeout':
      return {
        message: `${t.service} is not answering${at}: ${t.detail}; ${count}`,
        hint: `retry later${t.via ? `, or check ${t.via}` : ''}; COMFYGEN_API_TIMEOUT_SECONDS sets how long to wait; ${offline}`,
      };
    case 'auth':
      return t.tokenVar
        ? { message: `${t.service} refused ${t.tokenVar} (${t.detail})${at}; ${count}`, hint: `check the token (${token.where})` }
        : { message: `${t.service} answered ${t.detail}${at}: it wants a token; ${count}`, hint: `set ${token.variable} (${token.where})` };
    case 'gated':
      return {
        message: `${t.service}: ${t.detail} is a gated repository; ${count}`,
        hint: t.tokenVar ? `accept its licence there with the account ${t.tokenVar} belongs to` : `accept its licence there and set ${token.variable}`,
      };
    case 'rate-limited':
      return { message: `${t.service} is rate-limiting this build (${t.detail})${at}; ${count}`, hint: `retry later; a token (${token.variable}) gets higher limits` };
    case 'server-error':
      return { message: `${t.service} failed with ${t.detail}${at}; ${count}`, hint: `retry later; ${offline}` };
    case 'bad-answer':
      return {
        message: `${t.service} gave ${t.detail}${at}; ${count}`,
        hint: t.via ? `check that ${t.via} points at a ${t.service} API` : 'retry later; if it persists, the API may have changed: report it',
      };
  }
}
