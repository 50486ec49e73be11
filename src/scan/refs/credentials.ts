/**
 * Credentials pasted into model URLs (`…/models/123?token=…`, `https://user:pass@host/…`).
 * Whatever the scanner records ends up in comfy.lock.json, report.md, download.sh and the scan
 * cache, and tokens must never land in a file: they come from the environment only (HF_TOKEN,
 * CIVITAI_TOKEN). So every URL is stripped of them before it is recorded, and the workflow gets
 * one warning per URL naming the parameter, never its value.
 */
import { remember } from '../../core/remember.js';
import type { DiagnosticList } from '../diagnostics.js';
import { type FlatGraph, type Slot, isRecord, settle } from '../graph/flat.js';

/**
 * Query parameters that carry a secret, compared lower-cased. Any name ending in `token`
 * (`hf_token`, `access_token`, `x-amz-security-token`…) counts too. Harmless ones such as
 * Civitai's `type`, `format`, `size`, `fp` or HF's `download` are kept.
 */
export const SECRET_PARAMS: ReadonlySet<string> = new Set([
  'api_key', 'apikey', 'api-key', 'key', 'auth', 'authorization', 'password', 'passwd', 'secret',
  'client_secret', 'sig', 'signature', 'x-amz-signature', 'x-amz-credential', 'x-goog-signature', 'x-goog-credential',
]);
const TOKEN_NAME = /(?:^|[_-])token$/;

export function isSecretParam(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_PARAMS.has(lower) || TOKEN_NAME.test(lower);
}

export interface Stripped {
  /** The URL without credentials; the input, untouched, when it carried none. */
  url: string;
  /** What was removed: parameter names (decoded), and `user:password@` for userinfo. */
  removed: string[];
}

/**
 * Null when `text` is not a URL at all (it cannot carry URL credentials then). The answer is
 * shared between calls with the same text: treat it as read-only.
 */
export const stripCredentials: (text: string) => Stripped | null = remember(stripOnce);

/**
 * Any text that may hold URLs (a prompt, a URL the WHATWG parser refuses, such as one with port
 * 99999 or a space in its host), without their credentials: a whole-text URL as
 * stripCredentials gives it, otherwise every `scheme://user:password@` and every secret
 * `?name=value` / `&name=value` / `#name=value` pair is cut from the text itself. Text without
 * `://` is returned as it is. Shared answers: read-only.
 */
export function scrubCredentials(text: string): Stripped {
  return text.includes('://') ? scrubRemembered(text) : { url: text, removed: [] };
}

const scrubRemembered = remember(scrubOnce);

function scrubOnce(text: string): Stripped {
  const whole = stripCredentials(text.trim());
  if (whole) return whole.removed.length > 0 ? whole : { url: text, removed: [] };
  const removed: string[] = [];
  let out = text.replace(USERINFO, (_m, scheme: string) => {
    if (!removed.includes('user:password@')) removed.push('user:password@');
    return scheme;
  });
  out = withoutSecretPairs(out, removed);
  return { url: removed.length > 0 ? out : text, removed };
}

const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]*@/gi;
const PAIR = /[?&#]([^=&#?\s"'<>]*)=[^&#\s"'<>]*/g;

/**
 * `text` with every secret query or fragment pair cut. A cut pair that opened with `?` or `#`
 * hands that character to the pair right after it (`?token=x&a=1` → `?a=1`).
 */
function withoutSecretPairs(text: string, removed: string[]): string {
  let out = '';
  let last = 0;
  let pendingLead: string | null = null;
  for (const m of text.matchAll(PAIR)) {
    const start = m.index;
    const end = start + m[0].length;
    const lead = text[start]!;
    const adjacent = start === last && lead === '&';
    const name = paramName(m[1]!);
    if (name !== '' && isSecretParam(name)) {
      if (!removed.includes(name)) removed.push(name);
      out += text.slice(last, start);
      if (lead !== '&') pendingLead = lead;
      else if (!adjacent) pendingLead = null;
      last = end;
    } else if (pendingLead !== null && adjacent) {
      out += pendingLead + m[0].slice(1);
      pendingLead = null;
      last = end;
    } else {
      pendingLead = null;
    }
  }
  return out + text.slice(last);
}

function stripOnce(text: string): Stripped | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  const removed: string[] = [];
  if (url.username !== '' || url.password !== '') {
    removed.push('user:password@');
    url.username = '';
    url.password = '';
  }
  // The fragment too: OAuth-style links put `#access_token=…` there.
  url.search = withoutSecrets(url.search, '?', removed);
  url.hash = withoutSecrets(url.hash, '#', removed);
  return removed.length > 0 ? { url: url.href, removed } : { url: text, removed };
}

/**
 * `?a=1&token=x` without its secret pairs. The raw pairs are filtered rather than going through
 * URLSearchParams, which would re-encode the ones kept.
 */
function withoutSecrets(part: string, lead: '?' | '#', removed: string[]): string {
  if (part.length <= 1 || !part.includes('=')) return part;
  const pairs = part.slice(1).split('&');
  const kept = pairs.filter((pair) => {
    const name = paramName(pair);
    if (name === '' || !isSecretParam(name)) return true;
    if (!removed.includes(name)) removed.push(name);
    return false;
  });
  if (kept.length === pairs.length) return part;
  return kept.length > 0 ? `${lead}${kept.join('&')}` : '';
}

/** `text` with every URL in it stripped of credentials: for quoting foreign values in messages. */
export function redactUrls(text: string): string {
  return scrubCredentials(text).url;
}

function paramName(pair: string): string {
  const raw = pair.split('=', 1)[0]!.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(raw).trim();
  } catch {
    return raw.trim();
  }
}

/** The warning for one stripped URL (or text holding URLs); identical messages collapse, so each is named once. */
export function reportCredentials(diagnostics: DiagnosticList, stripped: Stripped): void {
  const what = stripped.removed.map((r) => (r === 'user:password@' ? 'the user name and password before @' : `query parameter ${r}`)).join(' and ');
  const host = hostOf(stripped.url);
  const recorded = isUrl(stripped.url.trim()) ? `the URL is recorded as ${stripped.url}` : `the value is recorded as ${JSON.stringify(cut(stripped.url))}`;
  diagnostics.push('credential-in-url', `a model URL carries credentials (${what}); they were removed, and ${recorded}`, { hint: hintFor(host) });
}

const URL_IN_TEXT = /[a-z][a-z0-9+.-]*:\/\/[^\s"'<>/?#]+/i;

function isUrl(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

/** The host of the (first) URL in `text`, lower-cased; '' when none can be read. */
function hostOf(text: string): string {
  const m = URL_IN_TEXT.exec(text);
  if (!m) return '';
  return m[0].slice(m[0].indexOf('://') + 3).replace(/:\d*$/, '').toLowerCase();
}

function cut(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

function hintFor(host: string): string {
  const env = /(^|\.)civitai\.com$/.test(host) ? 'CIVITAI_TOKEN' : /(^|\.)(huggingface\.co|hf\.co)$/.test(host) ? 'HF_TOKEN' : null;
  const fix = 'remove the credentials from the workflow (they are readable by anyone who gets the file)';
  return env ? `${fix}; set ${env} in the environment instead, comfygen and download.sh send it only to its own host` : `${fix}; if the host needs them, download the file yourself and pin it under a url source`;
}

/**
 * Every widget value of the graph that is a URL carrying credentials, replaced by the stripped
 * URL: a loader value becomes a ref name, and values are quoted in diagnostics. Linked values are
 * stripped when followed. Values are replaced, never edited in place: `positional` may be the
 * caller's own array.
 */
export function stripGraphCredentials(graph: FlatGraph): void {
  const stripText = (value: string): string => {
    if (!value.includes('://')) return value;
    const stripped = scrubCredentials(value);
    if (stripped.removed.length === 0) return value;
    reportCredentials(graph.diagnostics, stripped);
    return stripped.url;
  };
  // Objects one level deep too: rgthree's Power Lora Loader keeps `{on, lora, strength}`.
  const strip = (value: unknown): unknown => {
    if (typeof value === 'string') return stripText(value);
    if (!isRecord(value)) return value;
    let copy: Record<string, unknown> | null = null;
    for (const [key, field] of Object.entries(value)) {
      if (typeof field !== 'string') continue;
      const next = stripText(field);
      if (next !== field) (copy ??= { ...value })[key] = next;
    }
    return copy ?? value;
  };
  const stripSlot = (slot: Slot): Slot => {
    if ('value' in slot) {
      const value = strip(slot.value);
      return value === slot.value ? slot : { value };
    }
    if ('lazy' in slot) return { lazy: () => stripSlot(settle(slot)) };
    return slot;
  };
  for (const node of graph.nodes) {
    for (const [name, slot] of node.named) {
      const next = stripSlot(slot);
      if (next !== slot) node.named.set(name, next);
    }
    const positional = node.positional;
    if (positional?.some(mayHoldUrl)) {
      const stripped = positional.map(strip);
      if (stripped.some((v, i) => v !== positional[i])) node.positional = stripped;
    }
  }
}

function mayHoldUrl(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('://');
  return isRecord(value) && Object.values(value).some((v) => typeof v === 'string' && v.includes('://'));
}
