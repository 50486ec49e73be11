/**
 * Custom node packs (DESIGN §9): which packs the workflows need (`collectPacks`, pure), their pins
 * (`resolvePacks`, network at build time only), and nodes.sh (`renderNodesScript` in src/render).
 */
export { collectPacks } from './collect.js';
export { resolvePacks, type ResolvedPacks } from './resolve.js';
export { packDir } from './ids.js';
export type { PackDemand, PackNote, PackNoteKind, PackPin, ResolvePacksOptions, VersionSeen } from './types.js';
