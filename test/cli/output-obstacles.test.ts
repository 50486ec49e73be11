/**
 * What stands at an output path: a folder, a file where a folder should be, a link the user
 * made, a folder comfygen may not write. A clear error, never a stack, nothing removed.
 */
import { spawnSync } from 'node:child_process';
import { chmod, chown, lstat, mkdir, readFile, readlink, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli.js';
import { makeProject, uiWorkflow } from './project.js';
import { RUN_MAIN } from './spawn.js';

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

test('a read-only output folder: one clear error per file it could not take, exit 1, no stack; the lock is still written', async () => {
  const p = await makeProject();
  try {
    await mkdir(join(p.dir, 'generated'));
    await chmod(join(p.dir, 'generated'), 0o555);
    // As root, permissions deny nothing: the build then runs as the unprivileged `nobody`, in a
    // project it owns, except for the output folder.
    const root = process.getuid?.() === 0;
    if (root) {
      await chmod(p.dir, 0o755);
      for (const entry of ['', 'comfy.config.json', 'workflows', 'workflows/a.json', 'models']) await chown(join(p.dir, entry), 65534, 65534);
    }
    const run = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), RUN_MAIN, 'build'], {
      cwd: p.dir, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: p.dir }, ...(root ? { uid: 65534, gid: 65534 } : {}),
    });
    assert.is(run.status, 1, run.stderr);
    assert.match(run.stderr, /error generated\/download\.sh: generated\/download\.sh could not be written: permission denied \(EACCES\) in generated; it was left as it was \[unwritable-output\]/);
    assert.match(run.stderr, /make generated writable for the user running comfygen \(for example: chmod u\+w 'generated'\)/);
    assert.is(run.stderr.match(/\[unwritable-output\]/g)?.length, 5, 'each output named once');
    assert.not.match(run.stderr, /\n\s+at /, 'no stack trace');
    assert.not.match(run.stdout, /wrote generated/);
    assert.match(run.stdout, /wrote comfy\.lock\.json/);
    assert.ok(existsSync(join(p.dir, 'comfy.lock.json')));
    assert.equal(await readdir(join(p.dir, 'generated')), [], 'no temp file left');
  } finally {
    await chmod(join(p.dir, 'generated'), 0o755).catch(() => undefined);
    await p.cleanup();
  }
});

test('a symlinked lock stays a link across builds; a dangling link at an output is an error and stays', async () => {
  const p = await makeProject();
  try {
    await mkdir(join(p.dir, 'locks'));
    await mkdir(join(p.dir, 'generated'));
    assert.is((await runCli(['build', '--offline'], p.dir)).code, 0);
    await rename(join(p.dir, 'comfy.lock.json'), join(p.dir, 'locks', 'project.lock.json'));
    await symlink('locks/project.lock.json', join(p.dir, 'comfy.lock.json'));
    await rm(join(p.dir, 'generated', 'report.md'));
    await symlink('../notes/report.md', join(p.dir, 'generated', 'report.md'));
    // One more model: the lock must change, so it is written (through the link).
    await writeFile(join(p.dir, 'workflows', 'b.json'), JSON.stringify(uiWorkflow([{ type: 'VAELoader', value: 'added.safetensors' }])));
    const r = await runCli(['build', '--offline'], p.dir);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, /error generated\/report\.md: generated\/report\.md is a symbolic link to "\.\.\/notes\/report\.md", which does not exist; it was left untouched \[foreign-file\]/);
    assert.is(await readlink(join(p.dir, 'comfy.lock.json')), 'locks/project.lock.json', 'the lock is still the link the user made');
    assert.is(await readlink(join(p.dir, 'generated', 'report.md')), '../notes/report.md');
    assert.not.ok(existsSync(join(p.dir, 'notes')), 'nothing created where the dangling link points');
    assert.ok((await lstat(join(p.dir, 'locks', 'project.lock.json'))).isFile());
    assert.match(await readFile(join(p.dir, 'locks', 'project.lock.json'), 'utf8'), /"vae\/added\.safetensors"/, 'the new entry reached the target');
  } finally {
    await p.cleanup();
  }
});

test.run();
