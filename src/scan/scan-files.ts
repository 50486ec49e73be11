/** Many files at once, with bounded concurrency; results sorted by path whatever the input order. */
import { byString } from '../core/stable-json.js';
import type { ScannedWorkflow } from '../core/types.js';
import { scanFile } from './scan-file.js';

export async function scanFiles(
  files: readonly { absPath: string; relPath: string }[],
  opts: { concurrency?: number } = {},
): Promise<ScannedWorkflow[]> {
  const sorted = [...files].sort((a, b) => byString(a.relPath, b.relPath) || byString(a.absPath, b.absPath));
  const results: ScannedWorkflow[] = new Array(sorted.length);
  const limit = Math.max(1, Math.min(sorted.length, Math.floor(opts.concurrency ?? 8)));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < sorted.length) {
      const i = next++;
      results[i] = await scanFile(sorted[i]!.absPath, sorted[i]!.relPath);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}
