/**
 * Starts a worker thread from a module next to the caller, whether comfygen runs compiled
 * (`dist/…/x.js`) or from source under tsx (`src/…/x.ts`, as the tests do).
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function spawnModuleWorker(callerUrl: string, baseName: string, options: WorkerOptions = {}): Worker {
  const fromSource = callerUrl.endsWith('.ts');
  const entry = new URL(`./${baseName}${fromSource ? '.ts' : '.js'}`, callerUrl);
  if (fromSource) {
    // Node 20 resolves a worker's entry before the loader hooks inherited through --import are
    // active, so register tsx inside the worker first.
    const tsx = import.meta.resolve('tsx/esm/api');
    const code = `import(${JSON.stringify(tsx)}).then((m) => m.register()).then(() => import(${JSON.stringify(entry.href)}))`;
    return new Worker(code, { ...options, eval: true });
  }
  return new Worker(entry, options);
}
