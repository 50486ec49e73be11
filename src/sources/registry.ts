/**
 * The source registry: config entries → plugins, and the precedence walk. Each source is asked,
 * in config order, about the models no earlier source pinned; every answer is kept for
 * `comfygen why` and the report.
 */
import type { ModelKey } from '../core/types.js';
import { createCatalogSource } from './catalog/index.js';
import { createCivitaiSource } from './civitai/index.js';
import { createEmbeddedSource } from './embedded/index.js';
import { createHuggingfaceSource } from './huggingface/index.js';
import type { KnownService } from './known-urls.js';
import { failed, miss } from './resolution.js';
import type { Resolution, ResolveRequest, ServiceTrouble, Source, SourceConfig, SourceContext } from './types.js';
import { createUrlSource } from './url/index.js';

export interface Tried {
  source: string;
  status: Resolution['status'];
  /** `pinned <url>`, a failure's reason, a miss's reason, or '' for a plain miss. */
  answer: string;
  /** When the failure was the service's rather than the model's (see ServiceTrouble). */
  trouble?: ServiceTrouble;
  /** The source's service was not asked or did not answer: this answer says nothing about the model. */
  transient?: 'offline' | 'unavailable';
}

/** Where resolving is: the source asked now (0-based `index` of `sources`) and how many of its models it answered. */
export interface ResolveProgress {
  source: string;
  index: number;
  sources: number;
  done: number;
  total: number;
}

export interface ResolveResult {
  resolution: Resolution;
  tried: Tried[];
}

/** One plugin per `sources[]` entry, in order. */
export function createSources(configs: readonly SourceConfig[]): Source[] {
  const delegates = new Set<KnownService>();
  for (const c of configs) if (c.type === 'huggingface' || c.type === 'civitai') delegates.add(c.type);
  return configs.map((config): Source => {
    switch (config.type) {
      case 'url':
        return createUrlSource(config);
      case 'embedded':
        return createEmbeddedSource({ delegates });
      case 'huggingface':
        return createHuggingfaceSource(config);
      case 'civitai':
        return createCivitaiSource();
      case 'catalog':
        return createCatalogSource(config);
    }
  });
}

/**
 * Ask each source in order with the requests still unpinned. The result per key is the pin, else
 * the first failure (the source that knew the model says why it could not pin it), else a miss.
 */
export async function resolveAll(
  requests: readonly ResolveRequest[],
  sources: readonly Source[],
  ctx: SourceContext,
  onProgress?: (progress: ResolveProgress) => void,
): Promise<Map<ModelKey, ResolveResult>> {
  const tried = new Map<ModelKey, Tried[]>(requests.map((r) => [r.key, []]));
  const decided = new Map<ModelKey, Resolution>();
  const firstFailure = new Map<ModelKey, Resolution>();
  for (const [index, source] of sources.entries()) {
    const pending = requests.filter((r) => !decided.has(r.key));
    if (pending.length === 0) break;
    const asked = new Set(pending.map((r) => r.key));
    const answered = new Set<ModelKey>();
    const report = () => onProgress?.({ source: source.id, index, sources: sources.length, done: answered.size, total: pending.length });
    report();
    const sourceCtx: SourceContext = {
      ...ctx,
      answered: (key) => {
        if (!asked.has(key) || answered.has(key)) return;
        answered.add(key);
        report();
      },
    };
    let answers: Map<ModelKey, Resolution>;
    try {
      answers = await source.resolve(pending, sourceCtx);
    } catch (err) {
      // A plugin bug must not sink the build: its models go on to the next source.
      const message = err instanceof Error ? err.message : String(err);
      ctx.report({ code: 'source-error', severity: 'error', message: `source ${source.id} failed: ${message}` });
      answers = new Map(pending.map((r) => [r.key, failed(`source error: ${message}`)]));
    }
    for (const request of pending) answered.add(request.key);
    report();
    for (const request of pending) {
      const answer = answers.get(request.key) ?? miss();
      tried.get(request.key)!.push({
        source: source.id, status: answer.status, answer: describe(answer),
        ...(answer.status === 'failed' && answer.trouble ? { trouble: answer.trouble } : {}),
        ...(answer.status === 'failed' && answer.transient ? { transient: answer.transient } : {}),
      });
      if (answer.status === 'pinned') decided.set(request.key, answer);
      else if (answer.status === 'failed' && !firstFailure.has(request.key)) firstFailure.set(request.key, answer);
    }
  }
  const results = new Map<ModelKey, ResolveResult>();
  for (const request of requests) {
    const resolution = decided.get(request.key) ?? firstFailure.get(request.key) ?? miss('no source knows this file');
    results.set(request.key, { resolution, tried: tried.get(request.key)! });
  }
  return results;
}

function describe(answer: Resolution): string {
  switch (answer.status) {
    case 'pinned':
      return `pinned ${answer.locked.url}`;
    case 'failed':
      return answer.reason;
    case 'miss':
      return answer.reason ?? '';
  }
}
