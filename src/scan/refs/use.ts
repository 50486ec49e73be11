/** One sighting of a model in one node input, before sightings are merged into ModelRefs. */
import { MODEL_EXTENSIONS } from '../../core/folders.js';
import type { NodeUse } from '../../core/types.js';

export interface Use {
  folder: string;
  name: string;
  active: boolean;
  node: NodeUse;
  /** Found by heuristics (unknown node, file-like value), not by the loader table. */
  guessed: boolean;
  /** Other names ComfyUI would accept for the same file (embeddings written without extension). */
  alternatives?: string[];
}

const EXTENSIONS = new Set(MODEL_EXTENSIONS);

/** Lower-cased extension with the dot (`.safetensors`), or '' when the last segment has none. */
export function extensionOf(name: string): string {
  const slash = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
  const dot = name.lastIndexOf('.');
  return dot > slash + 1 ? name.slice(dot).toLowerCase() : '';
}

export function hasModelExtension(name: string): boolean {
  return EXTENSIONS.has(extensionOf(name));
}

/**
 * A widget value that reads as a model file name: one line, a model extension, not a URL.
 * Prompt text rarely ends in `.safetensors`, so this stays quiet on prose.
 */
export function looksLikeModelFile(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 1024
    && !value.includes('\n') && !value.includes('://') && hasModelExtension(value);
}
