/** A folder, or a file where a folder should be, at an output path: a clear error, never a stack, never removed. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli.js';
import { makeProject } from './project.js';

test('build --force with a folder at an output path: error naming it, the folder kept, the other outputs written', async () => {
  const p = await makeProject();
  try {
    await mkdir(join(p.dir, 'generated', 'report.md'), { recursive: true });
    await writeFile(join(p.dir, 'generated', 'report.md', 'notes.txt'), 'mine');
    const r = await runCli(['build', '--force'], p.dir);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, /error generated\/report\.md: generated\/report\.md is a folder; it was left untouched \[foreign-file\]/);
    assert.match(r.stderr, /never removes a folder/);
    assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
    assert.is(await readFile(join(p.dir, 'generated', 'report.md', 'notes.txt'), 'utf8'), 'mine');
    assert.ok(existsSync(join(p.dir, 'generated', 'download.sh')));
  } finally {
    await p.cleanup();
  }
});

test('a file where the output folder should be: error naming it, the file kept', async () => {
  const p = await makeProject();
  try {
    await writeFile(join(p.dir, 'generated'), 'not a folder');
    const r = await runCli(['build', '--force'], p.dir);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, /generated\/download\.sh cannot be created: generated is a file, not a folder/);
    assert.not.match(r.stderr, /\n\s+at /);
    assert.is(await readFile(join(p.dir, 'generated'), 'utf8'), 'not a folder');
    assert.ok(existsSync(join(p.dir, 'comfy.lock.json')), 'the lock beside it is still written');
  } finally {
    await p.cleanup();
  }
});

test.run();
