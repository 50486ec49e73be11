/**
 * Which graph a parsed JSON value holds. Besides bare UI workflows and API prompts, accepts the
 * wrappers tools save: `{workflow, prompt}` and the `POST /prompt` body
 * (`{prompt, extra_data: {extra_pnginfo: {workflow}}}`); the UI graph is preferred.
 */
import { type ApiPrompt, isApiPrompt } from './api.js';
import { isRecord } from './flat.js';

export type Graph = { kind: 'ui'; root: Record<string, unknown> } | { kind: 'api'; prompt: ApiPrompt };

export function isUiWorkflow(value: unknown): value is Record<string, unknown> {
  return isRecord(value) && Array.isArray(value.nodes);
}

export function detectGraph(value: unknown): Graph | null {
  if (isUiWorkflow(value)) return { kind: 'ui', root: value };
  if (isApiPrompt(value)) return { kind: 'api', prompt: value };
  if (!isRecord(value)) return null;
  const extra = isRecord(value.extra_data) && isRecord(value.extra_data.extra_pnginfo) ? value.extra_data.extra_pnginfo : {};
  for (const candidate of [value.workflow, extra.workflow]) {
    if (isUiWorkflow(candidate)) return { kind: 'ui', root: candidate };
  }
  return isApiPrompt(value.prompt) ? { kind: 'api', prompt: value.prompt } : null;
}
