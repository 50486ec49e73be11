/** `comfygen init` refuses, with exit 2 and what to do, whenever it cannot create its file; it never overwrites. */
import { mkdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

test('an existing comfy.config.ts (a file, or a symlink to nowhere) is left alone: exit 2, what to do, no stack', async () => {
  const { dir, cleanup } = await tempDir('comfygen-init-');
  try {
    await writeFile(join(dir, 'comfy.config.ts'), 'mine');
    const file = await runCli(['init'], dir);
    assert.is(file.code, 2);
    assert.match(file.stderr, /^comfygen: comfy\.config\.ts already exists; comfygen init never overwrites a config\. Edit it, or move it away and run init again/);
    assert.is(await readFile(join(dir, 'comfy.config.ts'), 'utf8'), 'mine');

    // A symlink to a file that does not exist is in the way too: nothing is written through it.
    const dangling = join(dir, 'dangling');
    await mkdir(dangling);
    await symlink(join(dir, 'target-that-does-not-exist.ts'), join(dangling, 'comfy.config.ts'));
    const r = await runCli(['init', 'dangling'], dir);
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, /dangling\/comfy\.config\.ts already exists; comfygen init never overwrites/);
    assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
    assert.is(await readlink(join(dangling, 'comfy.config.ts')), join(dir, 'target-that-does-not-exist.ts'));
    assert.not.ok(existsSync(join(dir, 'target-that-does-not-exist.ts')), 'nothing written through the link');
  } finally {
    await cleanup();
  }
});

test('init into a path that is a file: exit 2 with the reason, no stack', async () => {
  const { dir, cleanup } = await tempDir('comfygen-init-');
  try {
    await writeFile(join(dir, 'notes.txt'), 'keep');
    const r = await runCli(['init', 'notes.txt'], dir);
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, /^comfygen: cannot create notes\.txt\/comfy\.config\.ts: notes\.txt is not a folder/);
    assert.is(await readFile(join(dir, 'notes.txt'), 'utf8'), 'keep');
  } finally {
    await cleanup();
  }
});

test.run();
