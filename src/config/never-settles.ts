/**
 * A config whose top-level await waits on a promise nothing can settle: Node exits as soon as its
 * event loop is empty, even while an import is pending, and with exit code 0, as if all went
 * well. 'beforeExit' is emitted exactly then, so the wait becomes an error instead. (While other
 * work keeps the loop alive, as in --watch, the wait simply goes on.)
 */
export function failIfNeverSettles<T>(work: Promise<T>, error: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const stuck = () => reject(error());
    process.once('beforeExit', stuck);
    work.then(
      (value) => {
        process.off('beforeExit', stuck);
        resolve(value);
      },
      (reason: unknown) => {
        process.off('beforeExit', stuck);
        reject(reason);
      },
    );
  });
}
