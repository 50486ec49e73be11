/**
 * Progress as events, so the pipeline never prints: the CLI turns them into listr2 tasks on a
 * TTY and plain lines elsewhere (STYLE.md §1).
 */
import type { HttpOptions } from '../io/http.js';

export type StepId = 'config' | 'scan' | 'inventory' | 'hash' | 'resolve' | 'nodes' | 'comfyui' | 'python' | 'render' | 'write';

export type ProgressEvent =
  | { step: StepId; kind: 'start'; title: string }
  | { step: StepId; kind: 'update'; detail: string }
  /** Worth a line of its own even where updates are throttled: a host that keeps the build waiting. */
  | { step: StepId; kind: 'note'; detail: string }
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

/**
 * HTTP client hooks that turn a host keeping the build waiting into progress notes, so a hung
 * server is named (with how long comfygen will wait) instead of a silent stall.
 */
export function waitNotes(sink: ProgressSink, id: StepId): Pick<HttpOptions, 'onSlow' | 'onHostDown'> {
  return {
    onSlow: (w) => sink({ step: id, kind: 'note',
      detail: `waiting for ${w.host}: no answer for ${seconds(w.waitedMs)} to ${w.label}; giving up after ${w.attempts} attempt(s) of ${seconds(w.timeoutMs)}` }),
    // A host that cannot be reached fails at once: nobody waited, and the build's warning names it.
    onHostDown: (d) => {
      if (d.kind !== 'unreachable') sink({ step: id, kind: 'note', detail: `${d.host} is not answering (${d.detail}); not asking it again this run` });
    },
  };
}

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;
