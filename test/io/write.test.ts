import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyWrites, planWrites } from '../../src/io/write.js';
import { markerLine } from '../../src/render/marker.js';
import { tempDir } from '../helpers/tmp.js';

const ours = (body: string) => `${markerLine()}\n${body}`;

test('creates, then leaves unchanged files alone, then updates only what changed', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const files = [
      { path: 'out/a.sh', content: ours('echo a\n'), mode: 0o755 },
      { path: 'out/b.md', content: ours('b\n'), mode: 0o644 },
    ];
    let plan = await planWrites(files, { baseDir: dir });
    assert.equal(plan.map((p) => p.status), ['create', 'create']);
    await applyWrites(plan);
    assert.is((await stat(join(dir, 'out/a.sh'))).mode & 0o777, 0o755);
    const before = (await stat(join(dir, 'out/b.md'))).mtimeMs;
    plan = await planWrites([files[0]!, { ...files[1]!, content: ours('b2\n') }], { baseDir: dir });
    assert.equal(plan.map((p) => p.status), ['unchanged', 'update']);
    await applyWrites(plan);
    assert.is(await readFile(join(dir, 'out/b.md'), 'utf8'), ours('b2\n'));
    assert.ok((await stat(join(dir, 'out/a.sh'))).mtimeMs <= before, 'unchanged file not rewritten');
  } finally {
    await cleanup();
  }
});

test('only the executable bit counts: a checkout under umask 002, or a read-only one, is no drift', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const files = [
      { path: 'a.sh', content: ours('echo a\n'), mode: 0o755 },
      { path: 'b.md', content: ours('b\n'), mode: 0o644 },
    ];
    await applyWrites(await planWrites(files, { baseDir: dir }));
    await chmod(join(dir, 'a.sh'), 0o775);
    await chmod(join(dir, 'b.md'), 0o444);
    assert.equal((await planWrites(files, { baseDir: dir })).map((p) => p.status), ['unchanged', 'unchanged']);
    await chmod(join(dir, 'a.sh'), 0o644);
    assert.equal((await planWrites(files, { baseDir: dir })).map((p) => p.status), ['update', 'unchanged'], 'a lost executable bit is drift');
  } finally {
    await cleanup();
  }
});

test('never overwrites a file without the marker unless forced or owned', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeFile(join(dir, 'download.sh'), 'my own script\n');
    await writeFile(join(dir, 'comfy.lock.json'), '{}\n');
    const files = [
      { path: 'download.sh', content: ours('x\n'), mode: 0o755 },
      { path: 'comfy.lock.json', content: '{"version":1}\n', mode: 0o644 },
    ];
    const plan = await planWrites(files, { baseDir: dir, owned: new Set(['comfy.lock.json']) });
    assert.equal(plan.map((p) => p.status), ['foreign', 'update']);
    await applyWrites(plan);
    assert.is(await readFile(join(dir, 'download.sh'), 'utf8'), 'my own script\n');
    const forced = await planWrites(files.slice(0, 1), { baseDir: dir, force: true });
    assert.is(forced[0]!.status, 'update');
  } finally {
    await cleanup();
  }
});

test.run();
