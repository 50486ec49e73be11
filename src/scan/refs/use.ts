/** One sighting of a model in one node input, before sightings are merged into ModelRefs. */
import { MODEL_EXTENSIONS } from '../../core/folders.js';
import type { FetchSpec, NodeUse } from '../../core/types.js';

export interface Use {
  folder: string;
  name: string;
  active: boolean;
  node: NodeUse;
  /** Found by heuristics (unknown node, file-like value), not by the loader table. */
  guessed: boolean;
  /** Other names ComfyUI would accept for the same file (embeddings written without extension). */
  alternatives?: string[];
  /** A file the node fetches itself: what from (refs/fetches.ts). */
  fetch?: FetchSpec;
}

const EXTENSIONS = new Set(MODEL_EXTENSIONS);
const LONGEST = Math.max(...MODEL_EXTENSIONS.map((e) => e.length));

/**
 * Lower-cased extension with the dot (`.safetensors`), or '' when the last segment has none
 * (a leading dot names a hidden file, not an extension). Looks only at the text after the last
 * dot: this runs on every string of every workflow, prompts included.
 */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return '';
  const before = name.charCodeAt(dot - 1);
  if (before === 0x2f || before === 0x5c) return '';
  const ext = name.slice(dot);
  return ext.includes('/') || ext.includes('\\') ? '' : ext.toLowerCase();
}

export function hasModelExtension(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot > 0 && name.length - dot <= LONGEST && EXTENSIONS.has(extensionOf(name));
}

/**
 * A widget value that reads as a model file name: one line, a model extension, not a URL.
 * Prompt text rarely ends in `.safetensors`, so this stays quiet on prose.
 */
export function looksLikeModelFile(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 1024
    && hasModelExtension(value) && !value.includes('\n') && !value.includes('://');
}
