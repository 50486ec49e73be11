/**
 * Node types that need no pack: ComfyUI's own classes and frontend-only nodes (the scanner's
 * table, src/scan/core-nodes.json, so there is one list), plus shapes that are not classes at all
 * (subgraph instances, group nodes). The scanner already leaves these out of `untaggedNodeTypes`;
 * this is the same rule for callers that build workflows themselves.
 */
import { isCoreType, isFrontendOnly } from '../scan/tables.js';

/** Subgraph instances use their definition's uuid as type. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Legacy group nodes: `workflow>Name` (older frontends wrote `workflow/Name`). */
const GROUP_NODE = /^workflow[>/]/;

export function isBuiltinNodeType(type: string): boolean {
  return isCoreType(type) || isFrontendOnly(type) || UUID.test(type) || GROUP_NODE.test(type);
}
