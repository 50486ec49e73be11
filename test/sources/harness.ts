/**
 * What the source tests share: a context wired to the fakes (retry waits recorded, not slept),
 * requests built from a key, and local files with known hashes (no disk needed).
 */
import type { Diagnostic, LocalFile } from '../../src/core/types.js';
import { createSourceContext, readSourceEnv, type OpenSourceContext } from '../../src/sources/index.js';
import type { ResolveRequest } from '../../src/sources/types.js';

export interface TestContext {
  ctx: OpenSourceContext;
  diagnostics: Diagnostic[];
  /** Every wait the HTTP client asked for, in ms. */
  sleeps: number[];
}

export async function testContext(opts: {
  hf?: { url: string };
  civitai?: { url: string };
  env?: NodeJS.ProcessEnv;
  offline?: boolean;
  cacheDir?: string | null;
  localHashes?: Map<string, string>;
  configDir?: string;
  /** As `build --update`: cached answers about branches and searches are asked again. */
  refresh?: boolean;
  /** Per-attempt timeout and requests in flight per host (default 5 s, 8). */
  timeoutMs?: number;
  concurrency?: number;
}): Promise<TestContext> {
  const diagnostics: Diagnostic[] = [];
  const sleeps: number[] = [];
  const ctx = await createSourceContext({
    offline: opts.offline ?? false,
    env: readSourceEnv({
      HF_ENDPOINT: opts.hf?.url ?? 'http://127.0.0.1:9',
      CIVITAI_ENDPOINT: opts.civitai?.url ?? 'http://127.0.0.1:9',
      ...opts.env,
    }),
    configDir: opts.configDir ?? '/project',
    cacheDir: opts.cacheDir ?? null,
    hashLocal: async (file) => {
      const sha256 = opts.localHashes?.get(file.absPath);
      if (!sha256) throw new Error(`test: no hash for ${file.absPath}`);
      return { sha256, blake3: '0'.repeat(64) };
    },
    report: (d) => diagnostics.push(d),
    refresh: opts.refresh,
    http: {
      retries: 3,
      baseDelayMs: 1,
      timeoutMs: opts.timeoutMs ?? 5000,
      ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
  });
  return { ctx, diagnostics, sleeps };
}

export function request(key: string, extra: Partial<ResolveRequest> = {}): ResolveRequest {
  const slash = key.indexOf('/');
  return { key, folder: key.slice(0, slash), name: key.slice(slash + 1), urls: [], declaredSha256: null, local: null, ...extra };
}

export function localFile(folder: string, name: string, size = 1): LocalFile {
  return { root: '/models', folder, name, absPath: `/models/${folder}/${name}`, size, mtimeMs: 0, ino: 0 };
}
