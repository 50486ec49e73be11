/**
 * Sizes for the pins that came without one: a URL pinned as written (`url`, `embedded`,
 * `catalog`) has no API that publishes its size. download.sh decides by size whether a file is in
 * place, so a rerun over a complete box reads nothing; a pin without one makes it hash the file
 * on every run. The size is the one the lock already records for the same URL and sha256, else
 * what the server says the pinned URL serves, else (offline, an outage) the size of the local
 * file whose bytes hash to the pinned sha256. Civitai's pins keep their approximate size and are
 * decided by hash.
 */
import type { Lockfile, ModelKey } from '../core/types.js';
import type { ResolveResult } from './registry.js';
import type { ResolveRequest, SourceContext } from './types.js';

export async function completeSizes(
  results: ReadonlyMap<ModelKey, ResolveResult>,
  requests: readonly ResolveRequest[],
  previous: Lockfile | null,
  ctx: Pick<SourceContext, 'api' | 'hashLocal' | 'report'>,
): Promise<void> {
  const local = new Map(requests.map((r) => [r.key, r.local]));
  const unknown: string[] = [];
  await Promise.all([...results].map(async ([key, { resolution }]) => {
    if (resolution.status !== 'pinned') return;
    const locked = resolution.locked;
    if (locked.size !== null || locked.approxSize !== undefined) return;
    const before = previous?.models[key]?.locked;
    // An update that pins the same bytes at the same URL keeps the size, outage or not.
    let size = before && before.url === locked.url && before.sha256 === locked.sha256 ? before.size : null;
    const asked = size === null ? await ctx.api.sizeOf(locked.url, locked.auth ?? null) : null;
    if (asked?.ok) size = asked.size;
    const file = local.get(key) ?? null;
    if (size === null && file && locked.sha256 !== null) {
      // The bytes hashed: only a file with the pinned content tells the pin's size.
      const hashed = await ctx.hashLocal(file).catch(() => null);
      if (hashed?.sha256 === locked.sha256) size = file.size;
    }
    if (size !== null) resolution.locked = { ...locked, size };
    else if (asked && !asked.ok && !asked.transient) unknown.push(`${key}: ${asked.detail}`);
  }));
  for (const line of unknown.sort()) {
    ctx.report({
      code: 'size-unknown', severity: 'warning',
      message: `${line}: the pinned URL did not say how large the file is, so the lock records no size; download.sh will read the whole file on every run to tell whether it is in place`,
      hint: 'check that the URL serves the file; `comfygen build --update <key>` asks again',
    });
  }
}
