/**
 * The sources' public face: read the environment, open a context, build the plugins from the
 * config, resolve. Adding a source = a folder `src/sources/<id>/` and one case in registry.ts.
 */
export { createSourceContext, readSourceEnv, type OpenSourceContext, type SourceContextOptions } from './context.js';
export { createSources, resolveAll, type ResolveResult, type Tried } from './registry.js';
export type { Resolution, ResolveRequest, Source, SourceConfig, SourceContext, SourceEnv } from './types.js';
