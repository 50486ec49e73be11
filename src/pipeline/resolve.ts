/**
 * Turns demands into fresh lock entries through the configured sources (lock first: only the
 * demands picked by the caller arrive here). A model nobody can pin becomes `unresolved` with
 * the sources' answers as the reason, and the local file's sha256 when there is one. A source
 * that could not be asked (offline, an outage) never changes an entry the lock has; the models
 * its service failed are returned as `affected`, for the build's one warning per cause.
 */
import type { Dispatcher } from 'undici';
import type { Config } from '../config/normalize.js';
import type { Diagnostic, LockEntry, Lockfile } from '../core/types.js';
import { isRootedKey } from '../core/roots.js';
import { createSourceContext, createSources, readSourceEnv, resolveAll, type Tried } from '../sources/index.js';
import { createPackSource } from '../sources/pack/index.js';
import { completeSizes } from '../sources/sizes.js';
import type { ResolveRequest } from '../sources/types.js';
import { httpOptionsFromEnv } from '../io/http.js';
import type { ModelDemand } from './demand.js';
import { stableStringify } from '../core/stable-json.js';
import type { Affected } from './source-troubles.js';
import type { LocalState } from './local.js';
import { type ProgressSink, silentProgress, waitNotes } from './progress.js';

export interface ResolveTrace {
  tried: Tried[];
}

export async function resolveDemands(
  config: Config,
  demands: readonly ModelDemand[],
  local: LocalState | null,
  previous: Lockfile | null,
  opts: {
    offline: boolean;
    env: NodeJS.ProcessEnv;
    report: (d: Diagnostic) => void;
    /** `--update [KEY…]`: cached answers about branches and searches are asked again. */
    update?: boolean | string[];
    progress?: ProgressSink;
    dispatcher?: Dispatcher;
  },
): Promise<{ entries: Map<string, LockEntry>; traces: Map<string, ResolveTrace>; affected: Affected[] }> {
  const progress = opts.progress ?? silentProgress;
  const requests: ResolveRequest[] = demands.map((d) => ({
    key: d.key,
    folder: d.folder,
    name: d.name,
    urls: d.urls,
    declaredSha256: d.declaredSha256,
    local: local?.matches.get(d.key)?.file ?? null,
    ...(d.fetch ? { fetch: d.fetch } : {}),
  }));
  const env = readSourceEnv(opts.env);
  const ctx = await createSourceContext({
    offline: opts.offline,
    env,
    configDir: config.configDir,
    cacheDir: config.cacheDir,
    hashLocal: (file) => {
      if (!local) throw new Error('no local inventory in this mode');
      return local.hashLocal(file);
    },
    report: opts.report,
    // The whole run is refreshed: with a key list, that is those keys plus any new or unresolved ones.
    refresh: opts.update === true || (Array.isArray(opts.update) && opts.update.length > 0),
    http: { ...httpOptionsFromEnv(opts.env), ...waitNotes(progress, 'resolve') },
    dispatcher: opts.dispatcher,
  });
  try {
    const onProgress = (p: { source: string; index: number; sources: number; done: number; total: number }) =>
      progress({ step: 'resolve', kind: 'update', detail: `${p.source} (source ${p.index + 1} of ${p.sources}): ${p.done}/${p.total} model(s) answered` });
    // What a node fetches itself comes from its pack's URLs first; a file outside MODELS_DIR
    // only from there (no other source knows where it goes or from which repository).
    const pack = createPackSource();
    const [rooted, models] = [requests.filter((r) => isRootedKey(r.key)), requests.filter((r) => !isRootedKey(r.key))];
    const results = new Map([
      ...(rooted.length > 0 ? await resolveAll(rooted, [pack], ctx, onProgress) : []),
      ...(models.length > 0 ? await resolveAll(models, models.some((r) => r.fetch) ? [pack, ...createSources(config.sources)] : createSources(config.sources), ctx, onProgress) : []),
    ]);
    // Pins of URLs as written come without a size; download.sh decides by size on a rerun.
    await completeSizes(results, requests, previous, ctx);
    // The local files of models nobody pinned, hashed together (the pool works on several at
    // once) so the lock can name them by content.
    const localSha = new Map<string, string | null>();
    const unreadable: string[] = [];
    await Promise.all(requests.filter((r) => r.local && results.get(r.key)?.resolution.status !== 'pinned').map(async (r) => {
      try {
        localSha.set(r.key, (await local!.hashLocal(r.local!)).sha256);
      } catch (error) {
        unreadable.push(`${r.key}: ${(error as Error).message}; the lock records no local hash for it`);
        localSha.set(r.key, null);
      }
    }));
    for (const message of unreadable.sort()) opts.report({ code: 'unreadable-model-file', severity: 'warning', message });
    const entries = new Map<string, LockEntry>();
    const traces = new Map<string, ResolveTrace>();
    const affected: Affected[] = [];
    let notRechecked = 0;
    for (const request of requests) {
      const result = results.get(request.key);
      const tried = result?.tried ?? [];
      traces.set(request.key, { tried });
      const before = previous?.models[request.key];
      const original: LockEntry['original'] = {};
      if (request.urls[0]) original.url = request.urls[0];
      if (request.declaredSha256) original.sha256 = request.declaredSha256;
      const troubles = tried.flatMap((t) => (t.trouble ? [t.trouble] : []));
      const pinnedBy = tried.findIndex((t) => t.status === 'pinned');
      // A source that could not be asked (offline, an outage) said nothing about the model: the
      // answer is incomplete, and an incomplete answer never replaces what the lock has. A source
      // earlier in the order counts even when a later one pinned: its pin would have won.
      const incomplete = tried.slice(0, pinnedBy < 0 ? tried.length : pinnedBy).some((t) => t.transient);
      if (result?.resolution.status === 'pinned' && !(incomplete && before?.locked)) {
        entries.set(request.key, { original: result.resolution.original, locked: result.resolution.locked });
        continue;
      }
      if (before && incomplete && (before.locked || stableStringify(before.original) === stableStringify(original))) {
        entries.set(request.key, before);
        if (troubles.length > 0) affected.push({ key: request.key, troubles, kept: true });
        else if (before.locked) notRechecked++;
        continue;
      }
      // Re-resolving (`--update`) a pinned model that no source pins now (a search that changed,
      // a file that is gone): the old pin stands, so an update can never lose one.
      if (before?.locked) {
        entries.set(request.key, before);
        opts.report({ code: 'update-kept-pin', severity: 'warning', message: `${request.key} could not be pinned again (${unresolvedReason(tried, request)}); the pin in the lock was kept`,
          hint: 'retry the update later; to drop the pin, remove the model from the workflows' });
        continue;
      }
      entries.set(request.key, { original, unresolved: { reason: unresolvedReason(tried, request), sha256: localSha.get(request.key) ?? null } });
      if (troubles.length > 0) affected.push({ key: request.key, troubles, kept: false });
    }
    if (notRechecked > 0) {
      // `--update --offline`: nothing could be asked; one line, not one per pin.
      opts.report({ code: 'update-kept-pin', severity: 'warning', message: `${notRechecked} pin${notRechecked === 1 ? '' : 's'} could not be checked again offline; the lock keeps ${notRechecked === 1 ? 'it' : 'them'}`,
        hint: 'run the update without --offline' });
    }
    return { entries, traces, affected };
  } finally {
    await ctx.close();
  }
}

/** The failures of the sources that knew the model (gated, 404…) when there are any, else every miss that said something. */
function unresolvedReason(tried: Tried[], request: ResolveRequest): string {
  const failures = tried.filter((t) => t.status === 'failed');
  const answers = (failures.length > 0 ? failures : tried.filter((t) => t.answer)).map((t) => `${t.source}: ${t.answer}`);
  if (answers.length > 0) return answers.join('; ');
  return request.local ? 'only on this machine: no source knows this file' : 'no source knows this file';
}
