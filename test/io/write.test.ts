import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { chmod, lstat, mkdir, readFile, readdir, readlink, stat, symlink, writeFile } from 'node:fs/promises';
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

test('a large output is written byte for byte, whatever characters straddle the slices it is written in', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    // A surrogate pair (an emoji) right at the first 1 MiB slice boundary, and multi-byte text around it.
    const head = `${markerLine()}\n${'é'.repeat(1000)}`;
    const content = `${head}${'x'.repeat((1 << 20) - head.length - 1)}😀${'日本'.repeat(600_000)}😀\n`;
    assert.is(content.charCodeAt((1 << 20) - 1), 0xd83d, 'the pair starts on the last unit of the first slice');
    assert.equal(await applyWrites(await planWrites([{ path: 'big.md', content, mode: 0o644 }], { baseDir: dir })), []);
    assert.ok((await readFile(join(dir, 'big.md'))).equals(Buffer.from(content, 'utf8')));
  } finally {
    await cleanup();
  }
});

// ---------- links the user made (issue 20, class 7) ----------

test('a dangling symbolic link at an output path is never replaced, not even with --force', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await symlink('elsewhere/report.md', join(dir, 'report.md'));
    await symlink('missing.lock.json', join(dir, 'comfy.lock.json'));
    const files = [{ path: 'report.md', content: ours('r\n'), mode: 0o644 }, { path: 'comfy.lock.json', content: '{"version":1}\n', mode: 0o644 }];
    for (const force of [false, true]) {
      const plan = await planWrites(files, { baseDir: dir, force, owned: new Set(['comfy.lock.json']) });
      assert.equal(plan.map((p) => p.status), ['foreign', 'foreign']);
      assert.is(plan[0]!.blocked?.why, 'is a symbolic link to "elsewhere/report.md", which does not exist');
      assert.match(plan[1]!.blocked!.fix, /never replaces a link you made/);
      assert.equal(await applyWrites(plan), []);
    }
    assert.is(await readlink(join(dir, 'report.md')), 'elsewhere/report.md', 'still the same link');
    assert.is(await readlink(join(dir, 'comfy.lock.json')), 'missing.lock.json');
    assert.equal((await readdir(dir)).sort(), ['comfy.lock.json', 'report.md'], 'no target created, no temp file left');
  } finally {
    await cleanup();
  }
});

test('a symlinked lock and a symlinked output are written through: the link stays, its target is replaced atomically', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await mkdir(join(dir, 'shared'));
    await writeFile(join(dir, 'shared', 'lock.json'), '{"version":1,"models":{}}\n');
    await writeFile(join(dir, 'shared', 'report.md'), ours('old\n'));
    await mkdir(join(dir, 'out'));
    await symlink('../shared/report.md', join(dir, 'out', 'report.md'));
    await symlink('shared/lock.json', join(dir, 'comfy.lock.json'));
    const files = [{ path: 'out/report.md', content: ours('new\n'), mode: 0o644 }, { path: 'comfy.lock.json', content: '{"version":1,"models":{"a":1}}\n', mode: 0o644 }];
    const plan = await planWrites(files, { baseDir: dir, owned: new Set(['comfy.lock.json']) });
    assert.equal(plan.map((p) => p.status), ['update', 'update']);
    assert.equal(await applyWrites(plan, dir), []);
    assert.ok((await lstat(join(dir, 'comfy.lock.json'))).isSymbolicLink(), 'the lock is still a link');
    assert.ok((await lstat(join(dir, 'out', 'report.md'))).isSymbolicLink(), 'the output is still a link');
    assert.is(await readFile(join(dir, 'shared', 'lock.json'), 'utf8'), files[1]!.content);
    assert.is(await readFile(join(dir, 'shared', 'report.md'), 'utf8'), files[0]!.content);
    assert.equal((await readdir(join(dir, 'shared'))).sort(), ['lock.json', 'report.md'], 'no temp file left beside the targets');
    assert.equal((await planWrites(files, { baseDir: dir, owned: new Set(['comfy.lock.json']) })).map((p) => p.status), ['unchanged', 'unchanged'], 'compared through the link: no drift');
  } finally {
    await cleanup();
  }
});

test('a link to a file without the marker is foreign like the file itself; a loop or a FIFO is left alone', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeFile(join(dir, 'mine.sh'), 'my own script\n');
    await symlink('mine.sh', join(dir, 'download.sh'));
    await symlink('loop', join(dir, 'loop'));
    execFileSync('mkfifo', [join(dir, 'fifo.md')]);
    const files = [
      { path: 'download.sh', content: ours('x\n'), mode: 0o755 },
      { path: 'loop', content: ours('x\n'), mode: 0o644 },
      { path: 'fifo.md', content: ours('x\n'), mode: 0o644 },
    ];
    // A FIFO read would never return: the plan must settle without one.
    const plan = await Promise.race([planWrites(files, { baseDir: dir }), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('planWrites hung on a FIFO')), 20_000).unref())]);
    assert.equal(plan.map((p) => [p.status, p.blocked?.why ?? null]), [
      ['foreign', null],
      ['foreign', 'is a symbolic link that leads back to itself (a loop)'],
      ['foreign', 'is not a regular file'],
    ]);
    await applyWrites(plan);
    assert.is(await readFile(join(dir, 'mine.sh'), 'utf8'), 'my own script\n');
    assert.ok((await lstat(join(dir, 'download.sh'))).isSymbolicLink());
    assert.ok((await lstat(join(dir, 'fifo.md'))).isFIFO());
  } finally {
    // Had a read of the FIFO started, it would hold the process open: a writer that closes at once ends it.
    try {
      closeSync(openSync(join(dir, 'fifo.md'), constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // ENXIO: nobody is reading it.
    }
    await cleanup();
  }
});

test.run();
