/** Local inventory: which model files this machine has, and which demands they satisfy. */
export type { LocalMatch, MatchHow } from '../core/types.js';
export { loadRoots, type LoadRootsOptions } from './load-roots.js';
export { matchByContent, matchByName, normalizeForMatch, type ContentWant, type NameRef } from './match.js';
export { parseExtraModelPaths, registerFolderPaths, type ExtraPathEntry } from './read-extra-model-paths.js';
export type { ModelRoot } from './types.js';
export { walkInventory, type WalkOptions } from './walk.js';
