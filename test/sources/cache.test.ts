/** src/io/cache.ts: what the sources' answer cache guarantees. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openCache } from '../../src/io/cache.js';
import { tempDir } from '../helpers/tmp.js';

test('every answer stored before close() is on disk for the next run, whatever the write timing', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const first = openCache(dir);
    const bulk = 'x'.repeat(4000);
    for (let i = 0; i < 200; i++) {
      first.set('huggingface', `k${i}`, { i, bulk });
      await new Promise((done) => setTimeout(done, 1)); // writes land while earlier saves are on disk
    }
    await first.close();
    const second = openCache(dir);
    const entries = await Promise.all(Array.from({ length: 200 }, (_, i) => second.get<{ i: number }>('huggingface', `k${i}`)));
    await second.close();
    assert.equal(entries.map((e) => e?.value.i), Array.from({ length: 200 }, (_, i) => i));
  } finally {
    await cleanup();
  }
});

test('namespaces are separate; without a directory the cache lives in memory only', async () => {
  const memory = openCache(null);
  memory.set('civitai', 'k', 1);
  assert.is((await memory.get<number>('civitai', 'k'))?.value, 1);
  assert.is(await memory.get('huggingface', 'k'), undefined);
  await memory.close();
});

test.run();
