/**
 * Per-file scan results kept between builds of one process (`build --watch`): a workflow whose
 * size, mtime and inode are unchanged is not read or parsed again. Scanning is pure per file,
 * so reusing a result is exact.
 */
import { stat } from 'node:fs/promises';
import type { ScannedWorkflow } from '../core/types.js';
import { scanFiles } from '../scan/index.js';

export type ScanFn = typeof scanFiles;

export function createScanMemo(): { scan: ScanFn; misses(): number } {
  const memo = new Map<string, { stamp: string; result: ScannedWorkflow }>();
  let misses = 0;
  const scan: ScanFn = async (files, opts) => {
    const stamps = await Promise.all(
      files.map(async (f) => {
        try {
          const st = await stat(f.absPath);
          return `${f.relPath}\0${st.size}\0${st.mtimeMs}\0${st.ino}`;
        } catch {
          return null; // let the scanner report the unreadable file
        }
      }),
    );
    const todo = files.filter((f, i) => !stamps[i] || memo.get(f.absPath)?.stamp !== stamps[i]);
    misses += todo.length;
    const fresh = await scanFiles(todo, opts);
    const byPath = new Map(fresh.map((wf) => [wf.path, wf]));
    const seen = new Set<string>();
    const results = files.map((f, i) => {
      seen.add(f.absPath);
      const result = byPath.get(f.relPath) ?? memo.get(f.absPath)!.result;
      if (stamps[i]) memo.set(f.absPath, { stamp: stamps[i]!, result });
      return result;
    });
    for (const key of memo.keys()) if (!seen.has(key)) memo.delete(key);
    return results;
  };
  return { scan, misses: () => misses };
}
