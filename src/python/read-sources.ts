/**
 * The requirements of every pinned tree, read at its pin: ComfyUI and git packs from their
 * commit (the bare repositories under `.comfygen/nodes/git/` that pinning already filled; fetched
 * when absent), registry packs from the zip the lock pins (checked against its sha256). A tree at
 * a pin never changes, so what was read is kept: in the lock (an entry whose `pin` still matches
 * is not read again) and in `.comfygen/python/sources.json` (keyed by repository and commit, or
 * zip hash), which also answers offline builds.
 */
import { createHash } from 'node:crypto';
import { unzipSync } from 'fflate';
import type { ComfyuiLockEntry, NodeLockEntry, PythonSourceEntry } from '../core/types.js';
import type { HttpClient } from '../io/http.js';
import type { JsonCache } from '../nodes/cache.js';
import { gitFetchUrl, registryFetchUrl } from '../nodes/endpoints.js';
import type { GitStore } from '../nodes/git.js';
import { readTreeRequirements, type TreeReader } from './requirements.js';

export interface ReadContext {
  offline: boolean;
  githubEndpoint: string;
  registryEndpoint: string;
  git: GitStore;
  http: HttpClient;
  /** Parsed trees by `git:<repo>@<commit>` / `zip:<sha256>`. */
  cache: JsonCache<Omit<PythonSourceEntry, 'pin' | 'unread'>>;
}

/** A source's entry, or `transient` when reading failed in a way worth retrying (network). */
export type ReadOutcome = { entry: PythonSourceEntry; transient?: boolean };

type Pinned = NonNullable<ComfyuiLockEntry['locked']> | NonNullable<NodeLockEntry['locked']>;

/** The pin a source entry answers (what `PythonSourceEntry.pin` records). */
export function pinOf(locked: Pinned): string {
  return 'type' in locked && locked.type === 'registry' ? locked.sha256 : locked.commit;
}

export async function readSource(locked: Pinned, ctx: ReadContext): Promise<ReadOutcome> {
  const pin = pinOf(locked);
  const zip = 'type' in locked && locked.type === 'registry' ? locked : null;
  const git = zip === null ? (locked as { repo: string; commit: string }) : null;
  const cacheKey = zip ? `zip:${zip.sha256}` : `git:${git!.repo}@${git!.commit}`;
  const cached = ctx.cache.get(cacheKey);
  if (cached) return { entry: { ...structuredClone(cached), pin } };
  const tree = zip ? await zipTree(zip, ctx) : gitTree(git!.repo, git!.commit, ctx);
  if ('unread' in tree) return { entry: { pin, file: null, requirements: [], unread: tree.unread }, transient: tree.transient };
  let failure: { unread: string; transient: boolean } | null = null;
  const read: TreeReader = async (path) => {
    if (failure) return null;
    const answer = await tree.read(path);
    if ('text' in answer) return answer.text;
    failure = answer;
    return null;
  };
  const result = await readTreeRequirements(read);
  if (failure !== null) {
    const { unread, transient } = failure;
    return { entry: { pin, file: null, requirements: [], unread }, transient };
  }
  const entry = { file: result.file, requirements: result.requirements, ...(result.skipped.length > 0 ? { skipped: result.skipped } : {}) };
  ctx.cache.set(cacheKey, entry);
  return { entry: { pin, ...entry } };
}

type Tree = { read(path: string): Promise<{ text: string | null } | { unread: string; transient: boolean }> } | { unread: string; transient: boolean };

function gitTree(repo: string, commit: string, ctx: ReadContext): Tree {
  const url = ctx.offline ? null : gitFetchUrl(repo, ctx.githubEndpoint);
  return {
    async read(path) {
      const answer = await ctx.git.readFile(repo, url, commit, path);
      if (answer.kind === 'found') return { text: answer.value };
      if (answer.kind === 'missing') return { unread: `${repo} at ${commit}: ${answer.reason}`, transient: url === null };
      return { unread: `${repo} at ${commit}: ${answer.message}`, transient: true };
    },
  };
}

/** Registry zips hold the pack at their root (as nodes.sh extracts them). */
async function zipTree(locked: { id: string; version: string; url: string; sha256: string }, ctx: ReadContext): Promise<Tree> {
  const what = `${locked.id} ${locked.version}`;
  if (ctx.offline) return { unread: `${what}: the zip is not in the cache (offline)`, transient: true };
  const res = await ctx.http.send({ method: 'GET', url: registryFetchUrl(locked.url, ctx.registryEndpoint), redirect: 'follow', maxBytes: 256 * 2 ** 20 });
  // The lock's words name no endpoint or error name (they are about this machine): the host only.
  if (!res.ok) return { unread: `${what}: ${new URL(locked.url).host} unavailable; the next build asks again`, transient: true };
  if (res.status >= 400) return { unread: `${what}: downloading the zip failed (HTTP ${res.status})`, transient: res.status >= 500 || res.status === 429 };
  const sha256 = createHash('sha256').update(res.body).digest('hex');
  if (sha256 !== locked.sha256) return { unread: `${what}: the zip's sha256 is ${sha256}, not the pinned ${locked.sha256}`, transient: false };
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(new Uint8Array(res.body), { filter: (f) => f.name.endsWith('.txt') || f.name === 'pyproject.toml' });
  } catch (err) {
    return { unread: `${what}: the zip cannot be read (${(err as Error).message})`, transient: false };
  }
  const decoder = new TextDecoder();
  return { read: async (path) => ({ text: files[path] === undefined ? null : decoder.decode(files[path]) }) };
}
