/**
 * Progress as events, so the pipeline never prints: the CLI turns them into listr2 tasks on a
 * TTY and plain lines elsewhere (STYLE.md §1).
 */
export type StepId = 'config' | 'scan' | 'inventory' | 'hash' | 'resolve' | 'nodes' | 'render' | 'write';

export type ProgressEvent =
  | { step: StepId; kind: 'start'; title: string }
  | { step: StepId; kind: 'update'; detail: string }
  | { step: StepId; kind: 'done'; detail?: string }
  | { step: StepId; kind: 'skip'; detail?: string };

export type ProgressSink = (event: ProgressEvent) => void;

export const silentProgress: ProgressSink = () => {};

/** Run `fn` as one step, reporting start/done around it. */
export async function step<T>(sink: ProgressSink, id: StepId, title: string, fn: () => Promise<T>, done?: (value: T) => string): Promise<T> {
  sink({ step: id, kind: 'start', title });
  const value = await fn();
  sink({ step: id, kind: 'done', detail: done?.(value) });
  return value;
}
