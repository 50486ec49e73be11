import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createScanMemo } from '../../src/pipeline/scan-memo.js';
import { scanFiles } from '../../src/scan/index.js';
import { tempDir } from '../helpers/tmp.js';

test('watch rebuilds rescan only changed workflows and give the same results as a full scan', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const wf = (name: string) => JSON.stringify({ 1: { class_type: 'LoraLoader', inputs: { lora_name: name } } });
    const files = ['a.json', 'b.json', 'c.json'].map((f) => ({ relPath: f, absPath: join(dir, f) }));
    for (const [i, f] of files.entries()) await writeFile(f.absPath, wf(`l${i}.safetensors`));
    const memo = createScanMemo();
    assert.equal(await memo.scan(files), await scanFiles(files));
    assert.is(memo.misses(), 3);
    assert.equal(await memo.scan(files), await scanFiles(files));
    assert.is(memo.misses(), 3, 'nothing re-read when nothing changed');
    await writeFile(files[1]!.absPath, wf('changed.safetensors'));
    await utimes(files[1]!.absPath, new Date(), new Date(Date.now() + 5000));
    const again = await memo.scan(files);
    assert.is(memo.misses(), 4, 'only the changed file re-read');
    assert.equal(again, await scanFiles(files));
    assert.is(again[1]!.refs[0]!.name, 'changed.safetensors');
  } finally {
    await cleanup();
  }
});

test.run();
