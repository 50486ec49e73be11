/** On a pipe, a long step is never silent: where it is, every few seconds, and notes at once. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProgress } from '../../src/cli/progress.js';
import { resolveAll } from '../../src/sources/index.js';
import type { ResolveProgress } from '../../src/sources/registry.js';
import type { Source } from '../../src/sources/types.js';
import { request, testContext } from '../sources/harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('plain progress: a quick step prints one line; a long one repeats its latest state; notes print at once', async () => {
  let text = '';
  const stream = { isTTY: false, write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WriteStream;
  const progress = createProgress('plain', stream, { updateMs: 60 });
  progress.sink({ step: 'scan', kind: 'start', title: 'Scan 1 workflow(s)' });
  progress.sink({ step: 'scan', kind: 'update', detail: 'half' });
  progress.sink({ step: 'scan', kind: 'done', detail: 'done' });
  assert.is(text, '✔ Scan 1 workflow(s): done\n');

  text = '';
  progress.sink({ step: 'resolve', kind: 'start', title: 'Resolve 3 model(s)' });
  progress.sink({ step: 'resolve', kind: 'update', detail: 'civitai (source 2 of 2): 1/3 model(s) answered' });
  progress.sink({ step: 'resolve', kind: 'note', detail: 'waiting for 127.0.0.1:9' });
  assert.is(text, '… Resolve 3 model(s): waiting for 127.0.0.1:9\n');
  await sleep(200);
  assert.match(text, /^… Resolve 3 model\(s\): civitai \(source 2 of 2\): 1\/3 model\(s\) answered, \d+ s so far$/m);
  progress.sink({ step: 'resolve', kind: 'done', detail: '0 pinned' });
  const after = text;
  await sleep(150);
  assert.is(text, after, 'nothing after the step ended');
  assert.match(text, /✔ Resolve 3 model\(s\): 0 pinned\n$/);
  await progress.flush();
});

test('resolveAll reports each source with how many of its models it answered', async () => {
  const t = await testContext({});
  const slowSource: Source = {
    id: 'slow',
    resolve: async (requests, ctx) => {
      const out = new Map();
      for (const r of requests) {
        out.set(r.key, { status: 'miss' });
        ctx.answered?.(r.key);
      }
      return out;
    },
  };
  const seen: ResolveProgress[] = [];
  await resolveAll([request('loras/a.safetensors'), request('loras/b.safetensors')], [slowSource], t.ctx, (p) => seen.push(p));
  await t.ctx.close();
  assert.equal(seen.map((p) => `${p.source} ${p.index + 1}/${p.sources}: ${p.done}/${p.total}`), ['slow 1/1: 0/2', 'slow 1/1: 1/2', 'slow 1/1: 2/2', 'slow 1/1: 2/2']);
});

test.run();
