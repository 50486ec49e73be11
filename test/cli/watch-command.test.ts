/** `comfygen watch` is `build --watch` by name: its help, and a run stopped by SIGINT. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli.js';
import { makeProject } from './project.js';
import { spawnCli } from './spawn.js';

test('watch --help prints the watch command\'s own help and exits 0', async () => {
  const r = await runCli(['watch', '--help'], process.cwd());
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Usage: comfygen watch \[options\]/m);
  assert.match(r.stdout, /--offline/);
});

test('watch builds, keeps watching, and stops cleanly on SIGINT', async () => {
  const p = await makeProject();
  const cli = spawnCli(['watch', '--offline', '--quiet'], p.dir);
  try {
    // Waits for what the watcher says, not for a time: a loaded machine may take seconds to start.
    await cli.waitFor(/watching for changes/, 60_000);
    assert.ok(existsSync(join(p.dir, 'generated', 'report.md')), 'built before watching');
    cli.child.kill('SIGINT');
    assert.is(await cli.exited, 0, cli.err());
    assert.match(cli.err(), /stopped watching/);
  } finally {
    if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    await p.cleanup();
  }
});

test.run();
