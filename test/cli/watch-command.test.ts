/** `comfygen watch` is `build --watch` by name: its help, and a run stopped by SIGINT. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli.js';
import { makeProject } from './project.js';

test('watch --help prints the watch command\'s own help and exits 0', async () => {
  const r = await runCli(['watch', '--help'], process.cwd());
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Usage: comfygen watch \[options\]/m);
  assert.match(r.stdout, /--offline/);
});

test('watch builds, keeps watching, and stops cleanly on SIGINT', async () => {
  const p = await makeProject();
  try {
    const running = runCli(['watch', '--offline', '--quiet'], p.dir);
    const started = Date.now();
    while (!existsSync(join(p.dir, 'generated', 'report.md')) && Date.now() - started < 15_000) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
    process.emit('SIGINT');
    const r = await running;
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stderr, /watching for changes/);
    assert.match(r.stderr, /stopped watching/);
  } finally {
    await p.cleanup();
  }
});

test.run();
