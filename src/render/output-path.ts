/**
 * Configured paths as the generated files must write them. A relative path in comfy.config.ts is
 * relative to the config's folder; the files live in output.dir, and each resolves a relative path
 * from its own folder (ComfyUI for extra_model_paths.yaml, the scripts for their defaults), so the
 * path is re-based once here and every output names the same place from any working directory.
 */
import { isAbsolute, posix } from 'node:path';

/** As configured, except relative paths, which are re-based from `configDir` to `outDir` (both absolute). */
export function seenFromOutput(path: string, configDir: string, outDir: string): string {
  if (isAbsolute(path) || path.startsWith('~') || path.startsWith('$')) return path;
  const rel = posix.relative(outDir, posix.resolve(configDir, path.replace(/\\/g, '/')));
  return rel === '' ? '.' : rel;
}
