/**
 * Renders pipeline progress events: listr2 tasks on an interactive terminal, one plain line per
 * finished step otherwise (CI, pipes, NO_COLOR-friendly), nothing with --quiet or --json.
 */
import { Listr } from 'listr2';
import type { ProgressEvent, ProgressSink } from '../build/progress.js';

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

export function createProgress(kind: ProgressRenderer['kind'], stream: NodeJS.WriteStream): ProgressRenderer {
  if (kind === 'silent') return { kind, sink: () => {}, flush: async () => {} };
  if (kind === 'plain') {
    const titles = new Map<string, string>();
    return {
      kind,
      flush: async () => {},
      sink: (e: ProgressEvent) => {
        if (e.kind === 'start') titles.set(e.step, e.title);
        else if (e.kind === 'done') stream.write(`✔ ${titles.get(e.step) ?? e.step}${e.detail ? `: ${e.detail}` : ''}\n`);
        else if (e.kind === 'skip') stream.write(`- ${e.step}: skipped${e.detail ? ` (${e.detail})` : ''}\n`);
      },
    };
  }
  return listrProgress(stream);
}

function listrProgress(stream: NodeJS.WriteStream): ProgressRenderer {
  let queue: Promise<unknown> = Promise.resolve();
  const open = new Map<string, { update(detail: string): void; done(detail?: string): void }>();
  const sink: ProgressSink = (e) => {
    if (e.kind === 'start') {
      let finish!: (detail?: string) => void;
      let setOutput: (detail: string) => void = () => {};
      const finished = new Promise<string | undefined>((resolve) => (finish = resolve));
      open.set(e.step, { update: (d) => setOutput(d), done: (d) => finish(d) });
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
      queue = queue.then(() => list.run().catch(() => {}));
    } else if (e.kind === 'update') open.get(e.step)?.update(e.detail);
    else if (e.kind === 'done') open.get(e.step)?.done(e.detail);
    else stream.write(`- ${e.step}: skipped${e.detail ? ` (${e.detail})` : ''}\n`);
  };
  return { kind: 'tty', sink, flush: () => queue.then(() => {}) };
}
