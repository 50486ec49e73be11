/**
 * Model metadata the workflow carries (`node.properties.models`, workflow-level `models`), read
 * the way the frontend's loadGraphData does: a node's entry counts only when its name equals one
 * of that node's string widget values; workflow-level entries all count.
 */
import { canonicalFolder, normalizeName, unsafeFolder } from '../../core/folders.js';
import { remember } from '../../core/remember.js';
import { type DiagnosticList, shown } from '../diagnostics.js';
import { type FlatGraph, type FlatNode, type StringValue, isRecord, stringValues } from '../graph/flat.js';
import { type Stripped, reportCredentials, scrubCredentials, stripCredentials } from './credentials.js';

export interface EmbeddedEntry {
  name: string;
  /** Canonical folder from `directory`, or null when the entry has none. */
  folder: string | null;
  url: string | null;
  sha256: string | null;
  /** The node carrying the entry, or null for workflow-level entries. */
  node: { id: string; type: string; input: string } | null;
  active: boolean;
}

export function collectEmbedded(graph: FlatGraph): EmbeddedEntry[] {
  const out: EmbeddedEntry[] = [];
  for (const node of graph.nodes) {
    const models = node.properties?.models;
    if (!Array.isArray(models)) continue;
    const labels = new Map<string, StringValue>();
    for (const sv of stringValues(node)) if (!labels.has(sv.value)) labels.set(sv.value, sv);
    for (const raw of models) {
      const name = entryName(raw, graph.diagnostics, node);
      const sv = name === null ? undefined : labels.get(name);
      if (sv === undefined) continue;
      out.push(toEntry(raw as Record<string, unknown>, name!, { id: node.id, type: node.type, input: sv.label }, node.active, graph.diagnostics));
    }
  }
  for (const raw of graph.topModels) {
    const name = entryName(raw, graph.diagnostics, null);
    if (name !== null) out.push(toEntry(raw as Record<string, unknown>, name, null, true, graph.diagnostics));
  }
  return out;
}

function entryName(raw: unknown, diagnostics: DiagnosticList, node: FlatNode | null): string | null {
  if (isRecord(raw) && typeof raw.name === 'string' && raw.name !== '') {
    // A name may be a pasted URL: it becomes a ref name, so it loses its credentials first.
    const stripped = scrubCredentials(raw.name);
    if (stripped.removed.length > 0) reportCredentials(diagnostics, stripped);
    return stripped.url;
  }
  const where = node ? `node ${node.id}` : 'the workflow-level models list';
  diagnostics.push('invalid-embedded-model', `a models entry on ${where} has no file name and was ignored`, node ? { node: node.id } : {});
  return null;
}

function toEntry(raw: Record<string, unknown>, name: string, node: EmbeddedEntry['node'], active: boolean, diagnostics: DiagnosticList): EmbeddedEntry {
  const where = node ? { node: node.id } : {};
  let url: string | null = null;
  if (raw.url !== undefined && raw.url !== null && raw.url !== '') {
    const read = typeof raw.url === 'string' ? readModelUrl(raw.url) : null;
    if (read?.removed.length) reportCredentials(diagnostics, read);
    url = read?.http ? read.url : null;
    if (url === null) diagnostics.push('invalid-embedded-model', `models entry ${name}: url ${shown(read?.url ?? raw.url, 100)} is not an http(s) URL and was ignored`, where);
  }
  return {
    name: normalizeName(name),
    folder: declaredFolder(raw.directory, name, diagnostics, where),
    url,
    sha256: declaredSha256(raw, name, diagnostics, where),
    node,
    active,
  };
}

/**
 * The folder `directory` names (its first segment after a leading `models/`), canonical; null
 * when there is none, or when it is no plain model folder name (`../..`, `~`, `$HOME`,
 * `custom_nodes`…): the metadata cannot place a file outside the model folders.
 */
function declaredFolder(directory: unknown, name: string, diagnostics: DiagnosticList, where: { node?: string }): string | null {
  const text = typeof directory === 'string' ? directory.replace(/\\/g, '/').trim() : '';
  if (text === '') return null;
  const folder = canonicalFolder(text.split('/').filter((s) => s !== '' && s !== 'models')[0] ?? text);
  const problem = unsafeFolder(folder);
  if (problem === null) return folder;
  diagnostics.push('invalid-embedded-model', `models entry ${shown(name, 100)}: directory ${shown(directory)} is ${problem} and was ignored`, where);
  return null;
}

const SHA256 = /^[0-9a-f]{64}$/i;

/** The hash, lower-case, when it is a SHA-256 (hash_type SHA256 or absent) of 64 hex digits. */
function declaredSha256(raw: Record<string, unknown>, name: string, diagnostics: DiagnosticList, where: { node?: string }): string | null {
  if (typeof raw.hash !== 'string' || raw.hash === '') return null;
  const type = raw.hash_type;
  const isSha256 = type === undefined || type === null || (typeof type === 'string' && /^sha-?256$/i.test(type.trim()));
  if (!isSha256) return null;
  if (SHA256.test(raw.hash.trim())) return raw.hash.trim().toLowerCase();
  diagnostics.push('invalid-embedded-model', `models entry ${name}: hash ${shown(raw.hash)} is not a 64-digit SHA-256 and was ignored`, where);
  return null;
}

const HF_HOSTS = /^(?:huggingface\.co|hf\.co|[a-z0-9-]+\.huggingface\.co)$/;

/**
 * A model URL as comfygen records it: credentials removed (see credentials.ts), Hugging Face
 * `/blob/` (an HTML page) becomes `/resolve/` and `download=true` is dropped; anything else is
 * kept as written. Null for non-http(s) URLs.
 */
export function normalizeModelUrl(input: string): string | null {
  const read = readModelUrl(input);
  return read?.http ? read.url : null;
}

/** The URL normalized for http(s), only stripped otherwise; null when it is no URL at all. Shared answers: read-only. */
const readModelUrl = remember(readModelUrlOnce);

function readModelUrlOnce(input: string): (Stripped & { http: boolean }) | null {
  const stripped = stripCredentials(input.trim());
  if (!stripped) return null;
  const url = new URL(stripped.url);
  const http = url.protocol === 'https:' || url.protocol === 'http:';
  if (!http || !HF_HOSTS.test(url.hostname.toLowerCase())) return { ...stripped, http };
  let changed = false;
  const segments = url.pathname.split('/');
  const blob = segments[1] === 'datasets' || segments[1] === 'spaces' ? 4 : 3;
  if (segments[blob] === 'blob') {
    segments[blob] = 'resolve';
    url.pathname = segments.join('/');
    changed = true;
  }
  if (url.searchParams.get('download')?.toLowerCase() === 'true') {
    url.searchParams.delete('download');
    changed = true;
  }
  return { url: changed ? url.href : stripped.url, removed: stripped.removed, http };
}
