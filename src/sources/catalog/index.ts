/**
 * `catalog` source: a ComfyUI-Manager `model-list.json` as a (folder, name) → URL table.
 * Its Hugging Face and Civitai URLs are pinned the way those sources pin; other URLs are
 * pinned as written, unverified (the catalog publishes no hashes).
 */
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import * as v from 'valibot';
import type { ModelKey } from '../../core/types.js';
import { asWritten, pinKnownUrl } from '../known-urls.js';
import { basename, failed, miss, pinned, resolveEach, scrubUrl } from '../resolution.js';
import type { Resolution, ResolveRequest, Source, SourceContext } from '../types.js';
import { placeEntry } from './placement.js';
import { CatalogEntrySchema, ModelListSchema, type CatalogEntry } from './schema.js';

export const CATALOG = 'catalog';

interface Catalog {
  /** By exact key, and by `<folder>/<basename>` (Manager's installed check ignores sub-paths). */
  byKey: Map<ModelKey, CatalogEntry[]>;
  byBase: Map<ModelKey, CatalogEntry[]>;
}

export function createCatalogSource(config: { path: string }): Source {
  let loading: Promise<Catalog | string> | null = null;
  return {
    id: CATALOG,
    async resolve(requests, ctx) {
      loading ??= loadCatalog(config.path, ctx);
      const catalog = await loading;
      return resolveEach(requests, ctx, (r) => (typeof catalog === 'string' ? miss(catalog) : resolveOne(r, catalog, ctx)));
    },
  };

  async function resolveOne(request: ResolveRequest, catalog: Catalog, ctx: SourceContext): Promise<Resolution> {
    const entries = catalog.byKey.get(request.key) ?? catalog.byBase.get(`${request.folder}/${basename(request.name)}`) ?? [];
    const urls = [...new Set(entries.map((e) => e.url))].sort();
    if (urls.length === 0) return miss();
    if (urls.length > 1) return failed(`the catalog lists ${urls.length} different URLs for ${request.key}: ${urls.map(scrubUrl).join(', ')}`);
    const url = scrubUrl(urls[0]!);
    const original = { catalog: relative(ctx.configDir, config.path).split('\\').join('/'), url };
    const known = await pinKnownUrl(url, request, ctx, { source: CATALOG, original });
    if (known) return known;
    const sha256 = request.declaredSha256;
    return pinned(original, asWritten(url, sha256, null, sha256 ? 'embedded' : 'declared', ctx, CATALOG));
  }
}

async function loadCatalog(path: string, ctx: SourceContext): Promise<Catalog | string> {
  const shown = relative(ctx.configDir, path).split('\\').join('/');
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    ctx.report({ code: 'catalog-unreadable', severity: 'error', file: shown, message: `cannot read the catalog ${shown}: ${why}` });
    return `catalog ${shown} unreadable`;
  }
  const list = v.safeParse(ModelListSchema, json);
  if (!list.success) {
    ctx.report({ code: 'catalog-invalid', severity: 'error', file: shown, message: `${shown} is not a model-list.json: expected { "models": [...] }` });
    return `catalog ${shown} invalid`;
  }
  const catalog: Catalog = { byKey: new Map(), byBase: new Map() };
  let skipped = 0;
  for (const raw of list.output.models) {
    const entry = v.safeParse(CatalogEntrySchema, raw);
    const place = entry.success ? placeEntry(entry.output) : null;
    if (!entry.success) skipped++;
    if (!entry.success || !place) continue;
    add(catalog.byKey, `${place.folder}/${place.name}`, entry.output);
    add(catalog.byBase, `${place.folder}/${basename(place.name)}`, entry.output);
  }
  if (skipped > 0) {
    ctx.report({ code: 'catalog-entries-skipped', severity: 'warning', file: shown, message: `${shown}: ${skipped} entries without a filename or url were skipped` });
  }
  return catalog;
}

function add(map: Map<ModelKey, CatalogEntry[]>, key: ModelKey, entry: CatalogEntry): void {
  const list = map.get(key);
  if (list) list.push(entry);
  else map.set(key, [entry]);
}
