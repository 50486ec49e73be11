/**
 * Comfy Registry reads (custom-nodes.md §2). Every answer is validated against the schema of
 * the fields we use; a mismatch is an error naming the URL. Lock-time lookups use the read-only
 * `/versions/{v}` endpoint; `/install` (which counts an install) only when a version has no URL.
 */
import * as v from 'valibot';
import type { HttpClient } from '../io/http.js';
import { unavailableHost, type PackFailure } from './context.js';
import { canonicalRegistryUrl, REGISTRY_VARIABLE } from './endpoints.js';
import { getJson, troubleOf, type HttpFailure } from './http.js';
import { CANONICAL_REGISTRY } from './ids.js';

const NodeVersionSchema = v.object({
  node_id: v.optional(v.nullable(v.string())),
  version: v.string(),
  downloadUrl: v.optional(v.nullable(v.string())),
  deprecated: v.optional(v.nullable(v.boolean())),
  status: v.optional(v.nullable(v.string())),
});

const NodeSchema = v.object({
  id: v.string(),
  repository: v.optional(v.nullable(v.string())),
  status: v.optional(v.nullable(v.string())),
  latest_version: v.optional(v.nullable(NodeVersionSchema)),
});

export type RegistryNode = v.InferOutput<typeof NodeSchema>;
export type RegistryVersion = v.InferOutput<typeof NodeVersionSchema>;

export type Lookup<T> = { kind: 'found'; value: T } | { kind: 'missing' } | ({ kind: 'error' } & PackFailure);

export interface RegistryClient {
  node(id: string): Promise<Lookup<RegistryNode>>;
  versions(id: string): Promise<Lookup<RegistryVersion[]>>;
  version(id: string, version: string): Promise<Lookup<RegistryVersion>>;
  /** Counts an install on the registry: only for versions whose `downloadUrl` is empty. */
  install(id: string, version: string): Promise<Lookup<RegistryVersion>>;
  /** The pack the registry ranks first for a node class. */
  packForClass(nodeType: string): Promise<Lookup<RegistryNode>>;
}

export function registryClient(endpoint: string, http: HttpClient): RegistryClient {
  const base = endpoint.replace(/\/+$/, '');
  const seg = encodeURIComponent;
  const via = base === CANONICAL_REGISTRY ? undefined : REGISTRY_VARIABLE;
  const read = <S extends v.GenericSchema>(url: string, schema: S) => readJson(http, url, schema, { shown: canonicalRegistryUrl(url, base).replace(/\?.*$/s, ''), via });
  return {
    node: (id) => read(`${base}/nodes/${seg(id)}`, NodeSchema),
    versions: (id) => read(`${base}/nodes/${seg(id)}/versions?statuses=NodeVersionStatusActive&statuses=NodeVersionStatusPending`, v.array(NodeVersionSchema)),
    version: (id, version) => read(`${base}/nodes/${seg(id)}/versions/${seg(version)}`, NodeVersionSchema),
    install: (id, version) => read(`${base}/nodes/${seg(id)}/install?version=${seg(version)}`, NodeVersionSchema),
    packForClass: (nodeType) => read(`${base}/comfy-nodes/${seg(nodeType)}/node`, NodeSchema),
  };
}

async function readJson<S extends v.GenericSchema>(
  http: HttpClient, url: string, schema: S, where: { shown: string; via: string | undefined },
): Promise<Lookup<v.InferOutput<S>>> {
  const answer = await getJson(http, url);
  if (!answer.ok) {
    if (answer.status === 404) return { kind: 'missing' };
    return { kind: 'error', ...registryFailure(answer, where.shown, where.via) };
  }
  const parsed = v.safeParse(schema, answer.body);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const at = issue ? v.getDotPath(issue) ?? '(root)' : '(root)';
    return {
      kind: 'error', transient: false,
      message: `the Comfy Registry answered an unexpected shape for ${where.shown} at ${at}: ${issue?.message ?? ''}`,
      trouble: { service: 'comfy-registry', kind: 'bad-answer', detail: 'an answer of an unexpected shape', host: hostOf(url), ...(where.via ? { via: where.via } : {}) },
    };
  }
  return { kind: 'found', value: parsed.output };
}

/** A failed registry request (or zip download) as the lock and the terminal say it; `shown` is the canonical URL. */
export function registryFailure(f: HttpFailure, shown: string, via: string | undefined): PackFailure {
  const t = troubleOf(f);
  const trouble = t ? { service: 'comfy-registry' as const, kind: t.kind, detail: f.detail, host: f.host, ...(via ? { via } : {}) } : undefined;
  if (t?.transient) return { message: unavailableHost(new URL(CANONICAL_REGISTRY).host), transient: true, trouble };
  return { message: `the Comfy Registry answered ${f.detail} for ${shown}`, transient: false, ...(trouble ? { trouble } : {}) };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

/** Versions the registry still serves and does not warn about. */
export function isUsableVersion(version: RegistryVersion): boolean {
  const status = version.status ?? 'NodeVersionStatusActive';
  return !version.deprecated && (status === 'NodeVersionStatusActive' || status === 'NodeVersionStatusPending');
}

/** Statuses under which a version's zip must not be installed. */
export function isWithdrawn(status: string | null | undefined): boolean {
  return status === 'NodeVersionStatusBanned' || status === 'NodeVersionStatusDeleted' || status === 'NodeStatusBanned';
}
