/**
 * Renders pipeline progress events: listr2 tasks on an interactive terminal, one plain line per
 * finished step otherwise (CI, pipes, NO_COLOR-friendly) plus, in a long step, a line of where it
 * is every few seconds and every note at once; nothing with --quiet or --json.
 */
import type { ProgressEvent, ProgressSink } from '../pipeline/progress.js';

export interface ProgressRenderer {
  sink: ProgressSink;
  /** Wait until the terminal shows the final state of every step. */
  flush(): Promise<void>;
  kind: 'tty' | 'plain' | 'silent';
}

export function chooseRenderer(opts: { quiet: boolean; json: boolean; stream: NodeJS.WriteStream; env: NodeJS.ProcessEnv }): ProgressRenderer['kind'] {
  if (opts.quiet || opts.json) return 'silent';
  if (!opts.stream.isTTY || opts.env.CI === 'true' || opts.env.TERM === 'dumb') return 'plain';
  // A terminal of unknown or zero width (a pty nobody sized, some CI runners) garbles listr2's
  // redraws: it wraps every line at column 0 and the cursor moves miss.
  if (!opts.stream.columns) return 'plain';
  return 'tty';
}

/** How often a plain renderer says where a long step is (`… Resolve …: civitai 40/151, 15 s so far`). */
export const PLAIN_UPDATE_MS = 5000;

export function createProgress(kind: ProgressRenderer['kind'], stream: NodeJS.WriteStream, opts: { updateMs?: number } = {}): ProgressRenderer {
  if (kind === 'silent') return { kind, sink: () => {}, flush: async () => {} };
  if (kind === 'plain') return plainProgress(stream, opts.updateMs ?? PLAIN_UPDATE_MS);
  return listrProgress(stream);
}

/**
 * One line per finished step; in a step that runs longer than `updateMs`, a line every `updateMs`
 * with its latest state and how long it has run (so a stall is never silent); notes at once.
 */
function plainProgress(stream: NodeJS.WriteStream, updateMs: number): ProgressRenderer {
  const open = new Map<string, { title: string; started: number; lastLine: number; detail: string | null }>();
  let ticker: NodeJS.Timeout | null = null;
  const line = (step: string, text: string) => {
    const s = open.get(step);
    if (s) s.lastLine = Date.now();
    stream.write(`… ${s?.title ?? step}: ${text}\n`);
  };
  const tick = () => {
    const now = Date.now();
    for (const [step, s] of open) {
      if (now - s.lastLine < updateMs) continue;
      const ran = `${Math.round((now - s.started) / 1000)} s so far`;
      line(step, s.detail ? `${s.detail}, ${ran}` : ran);
    }
  };
  const close = (step: string) => {
    open.delete(step);
    if (open.size === 0 && ticker) {
      clearInterval(ticker);
      ticker = null;
    }
  };
  return {
    kind: 'plain',
    flush: async () => {
      for (const step of [...open.keys()]) close(step);
    },
    sink: (e: ProgressEvent) => {
      if (e.kind === 'start') {
        open.set(e.step, { title: e.title, started: Date.now(), lastLine: Date.now(), detail: null });
        if (!ticker) {
          ticker = setInterval(tick, Math.max(10, Math.min(1000, updateMs / 4)));
          ticker.unref();
        }
      } else if (e.kind === 'note') line(e.step, e.detail);
      else if (e.kind === 'update') {
        const s = open.get(e.step);
        if (s) s.detail = e.detail;
      } else if (e.kind === 'done') {
        stream.write(`✔ ${open.get(e.step)?.title ?? e.step}${e.detail ? `: ${e.detail}` : ''}\n`);
        close(e.step);
      } else stream.write(`- ${e.step}: skipped${e.detail ? ` (${e.detail})` : ''}\n`);
    },
  };
}

function listrProgress(stream: NodeJS.WriteStream): ProgressRenderer {
  // Loaded only for a terminal: a piped, quiet or --json run never pays for it.
  const listr2 = import('listr2');
  let queue: Promise<unknown> = Promise.resolve();
  const open = new Map<string, { update(detail: string): void; done(detail?: string): void }>();
  const sink: ProgressSink = (e) => {
    if (e.kind === 'start') {
      let finish!: (detail?: string) => void;
      let setOutput: (detail: string) => void = () => {};
      const finished = new Promise<string | undefined>((resolve) => (finish = resolve));
      open.set(e.step, { update: (d) => setOutput(d), done: (d) => finish(d) });
      queue = queue.then(async () => {
        const { Listr } = await listr2;
        const list = new Listr(
          [{
            title: e.title,
            task: async (_ctx, task) => {
              setOutput = (d) => (task.output = d);
              const detail = await finished;
              if (detail) task.title = `${e.title}: ${detail}`;
            },
          }],
          { renderer: 'default', exitOnError: false, registerSignalListeners: false, fallbackRendererCondition: false },
        );
        await list.run().catch(() => {});
      });
    } else if (e.kind === 'update' || e.kind === 'note') open.get(e.step)?.update(e.detail);
    else if (e.kind === 'done') open.get(e.step)?.done(e.detail);
    else stream.write(`- ${e.step}: skipped${e.detail ? ` (${e.detail})` : ''}\n`);
  };
  return { kind: 'tty', sink, flush: () => queue.then(() => {}) };
}
