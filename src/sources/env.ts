/** The sources' settings from the environment, apart from the HTTP stack (the build reads them for its messages too). */
import { PUBLIC_BASE } from './api.js';
import type { SourceEnv } from './types.js';

/** Endpoints and tokens from the environment (DESIGN §2). Tokens stay in memory only. */
export function readSourceEnv(env: NodeJS.ProcessEnv = process.env): SourceEnv {
  const pick = (...names: string[]): { name: string; value: string } | null => {
    for (const name of names) {
      const value = env[name]?.trim();
      if (value) return { name, value };
    }
    return null;
  };
  const hfToken = pick('HF_TOKEN', 'HF_API_TOKEN');
  const civitaiToken = pick('CIVITAI_TOKEN', 'CIVITAI_API_TOKEN');
  return {
    hfEndpoint: (pick('HF_ENDPOINT')?.value ?? PUBLIC_BASE.huggingface).replace(/\/+$/, ''),
    civitaiEndpoint: (pick('CIVITAI_ENDPOINT')?.value ?? PUBLIC_BASE.civitai).replace(/\/+$/, ''),
    githubEndpoint: (pick('GITHUB_ENDPOINT')?.value ?? 'https://github.com').replace(/\/+$/, ''),
    hfToken: hfToken?.value ?? null,
    civitaiToken: civitaiToken?.value ?? null,
    hfTokenVar: hfToken?.name ?? null,
    civitaiTokenVar: civitaiToken?.name ?? null,
  };
}
