/**
 * Comfy Registry reads (custom-nodes.md §2). Every answer is validated against the schema of
 * the fields we use; a mismatch is an error naming the URL. Lock-time lookups use the read-only
 * `/versions/{v}` endpoint; `/install` (which counts an install) only when a version has no URL.
 */
import * as v from 'valibot';
import type { HttpClient } from '../io/http.js';
import { getJson } from './http.js';

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

export type Lookup<T> = { kind: 'found'; value: T } | { kind: 'missing' } | { kind: 'error'; message: string };

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
  const read = <S extends v.GenericSchema>(url: string, schema: S) => readJson(http, url, schema);
  return {
    node: (id) => read(`${base}/nodes/${seg(id)}`, NodeSchema),
    versions: (id) => read(`${base}/nodes/${seg(id)}/versions?statuses=NodeVersionStatusActive&statuses=NodeVersionStatusPending`, v.array(NodeVersionSchema)),
    version: (id, version) => read(`${base}/nodes/${seg(id)}/versions/${seg(version)}`, NodeVersionSchema),
    install: (id, version) => read(`${base}/nodes/${seg(id)}/install?version=${seg(version)}`, NodeVersionSchema),
    packForClass: (nodeType) => read(`${base}/comfy-nodes/${seg(nodeType)}/node`, NodeSchema),
  };
}

async function readJson<S extends v.GenericSchema>(http: HttpClient, url: string, schema: S): Promise<Lookup<v.InferOutput<S>>> {
  const answer = await getJson(http, url);
  if (!answer.ok) {
    if (answer.status === 404) return { kind: 'missing' };
    return { kind: 'error', message: `Comfy Registry: ${answer.message} for ${url}` };
  }
  const parsed = v.safeParse(schema, answer.body);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const where = issue ? v.getDotPath(issue) ?? '(root)' : '(root)';
    return { kind: 'error', message: `Comfy Registry answered an unexpected shape for ${url} at ${where}: ${issue?.message ?? ''}` };
  }
  return { kind: 'found', value: parsed.output };
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
