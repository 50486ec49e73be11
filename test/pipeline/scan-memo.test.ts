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

test('scanEach hands over each result in file order, decoded anew; a one-build memo then keeps only the digests', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const wf = (name: string) => JSON.stringify({ 1: { class_type: 'LoraLoader', inputs: { lora_name: name } } });
    // Enough files for the workers, whose results arrive in compact form.
    const files = Array.from({ length: 120 }, (_, i) => ({ relPath: `w${String(i).padStart(3, '0')}.json`, absPath: join(dir, `w${i}.json`) }));
    for (const [i, f] of files.entries()) await writeFile(f.absPath, wf(`l${i}.safetensors`));
    const cacheFile = join(dir, 'scans.cache');
    const memo = createScanMemo();
    const seen: [number, string][] = [];
    await memo.scanEach(files, { cacheFile, keep: true }, (w, i) => seen.push([i, w.path]));
    assert.equal(seen, files.map((f, i) => [i, f.relPath]));
    const twice: unknown[] = [];
    await memo.scanEach(files, { cacheFile, keep: false }, (w) => twice.push(w));
    assert.equal(twice, await scanFiles(files, { workers: 0 }), 'the same results from the compact forms kept');
    assert.is(memo.misses(), 120, 'nothing read twice');
    assert.is(memo.digestsOf(files).length, 120);
    const refused = await memo.scanEach(files, { cacheFile }, () => undefined).then(() => null, (err: Error) => err.message);
    assert.match(refused ?? '', /served one build/);
  } finally {
    await cleanup();
  }
});

test.run();
