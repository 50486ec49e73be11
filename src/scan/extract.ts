/**
 * The pure core: a parsed workflow (UI or API, or a wrapper holding one) in, refs, packs and
 * diagnostics out. Never throws on bad input.
 */
import type { CustomNodeRef, Diagnostic, ModelRef } from '../core/types.js';
import { collectCustomNodes } from './custom-nodes.js';
import { diag, inFile } from './diagnostics.js';
import { flattenApi } from './graph/api.js';
import { detectGraph } from './graph/detect.js';
import type { FlatGraph } from './graph/flat.js';
import { flattenUi } from './graph/ui.js';
import { stripGraphCredentials } from './refs/credentials.js';
import { collectEmbedded } from './refs/embedded-models.js';
import { embeddingUses } from './refs/embeddings.js';
import { fetchUses } from './refs/fetches.js';
import { guessUses } from './refs/guess.js';
import { impliedUses } from './refs/implied.js';
import { loaderUses } from './refs/loaders.js';
import { mergeRefs } from './refs/merge.js';

export interface Extraction {
  refs: ModelRef[];
  customNodes: CustomNodeRef[];
  diagnostics: Diagnostic[];
  /** Which graph was read, or null when the value holds none. */
  graph: 'ui' | 'api' | null;
  untaggedNodeTypes: string[];
}

export function extractRefs(graph: unknown, file: string): Extraction {
  const found = detectGraph(graph);
  if (!found) {
    const d = diag('not-a-workflow', 'valid JSON, but neither a UI workflow (no "nodes" array) nor an API prompt (objects with class_type and inputs)', {
      hint: 'export the workflow from ComfyUI (Workflow → Export, or Export (API)), or remove the file from the workflows globs',
    });
    return { refs: [], customNodes: [], diagnostics: inFile([d], file), graph: null, untaggedNodeTypes: [] };
  }
  return fromFlat(found.kind === 'ui' ? flattenUi(found.root) : flattenApi(found.prompt), file);
}

function fromFlat(flat: FlatGraph, file: string): Extraction {
  // Before anything reads a value: a URL's token must not reach a ref, a diagnostic or the cache.
  stripGraphCredentials(flat);
  // Loaders first: following their links marks the values that guesses must not count again.
  const loaders = loaderUses(flat);
  const embedded = collectEmbedded(flat);
  const uses = [...loaders, ...impliedUses(flat, loaders), ...fetchUses(flat), ...embeddingUses(flat), ...guessUses(flat, embedded)];
  const refs = mergeRefs(uses, embedded, flat.diagnostics);
  const packs = collectCustomNodes(flat.nodes, flat.diagnostics);
  return {
    refs,
    customNodes: packs.customNodes,
    diagnostics: inFile(flat.diagnostics.items, file),
    graph: flat.format,
    untaggedNodeTypes: packs.untaggedNodeTypes,
  };
}
