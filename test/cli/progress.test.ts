import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chooseRenderer } from '../../src/cli/progress.js';
import { runCli } from '../helpers/cli.js';
import { makeProject } from './project.js';
import { RUN_MAIN } from './spawn.js';

const run = promisify(execFile);
const tty = { isTTY: true, columns: 80 } as NodeJS.WriteStream;
const pipe = { isTTY: false } as NodeJS.WriteStream;
const CURSOR = /\x1b\[\d*[ABGK]|\x1b\[\?25[lh]/;

test('chooseRenderer: listr2 on a terminal, plain lines on a pipe, in CI or on a dumb terminal, nothing with --quiet / --json', () => {
  assert.is(chooseRenderer({ quiet: false, json: false, stream: tty, env: {} }), 'tty');
  assert.is(chooseRenderer({ quiet: false, json: false, stream: pipe, env: {} }), 'plain');
  assert.is(chooseRenderer({ quiet: false, json: false, stream: tty, env: { CI: 'true' } }), 'plain');
  assert.is(chooseRenderer({ quiet: false, json: false, stream: tty, env: { TERM: 'dumb' } }), 'plain');
  assert.is(chooseRenderer({ quiet: true, json: false, stream: tty, env: {} }), 'silent');
  assert.is(chooseRenderer({ quiet: false, json: true, stream: tty, env: {} }), 'silent');
});

test('build piped: one plain line per step, no escape codes; --quiet and --json show no progress', async () => {
  const p = await makeProject();
  try {
    const plain = await runCli(['build', '--offline', '--dry-run'], p.dir);
    assert.is(plain.code, 0, plain.stderr);
    assert.match(plain.stderr, /^✔ Load config$/m);
    assert.match(plain.stderr, /^✔ Scan 1 workflow\(s\): 3 model reference\(s\)$/m);
    assert.match(plain.stderr, /^✔ Render outputs$/m);
    assert.not.match(plain.stderr, /\x1b/);
    const quiet = await runCli(['build', '--offline', '--dry-run', '--quiet'], p.dir);
    assert.not.match(quiet.stderr, /✔/);
    const json = await runCli(['build', '--offline', '--dry-run', '--json'], p.dir);
    assert.not.match(json.stderr, /✔/);
    assert.is(JSON.parse(json.stdout).command, 'build');
  } finally {
    await p.cleanup();
  }
});

test('build on a real terminal (script(1) pseudo-terminal): listr2 redraws its task list', async () => {
  const p = await makeProject();
  try {
    // A pty made by script(1) without a terminal behind it is 0 columns wide; give it a real size.
    const cmd = `stty cols 100 rows 40; ${process.execPath} --import ${import.meta.resolve('tsx')} ${RUN_MAIN} build --offline --dry-run`;
    const { stdout } = await run('script', ['-qec', cmd, '/dev/null'], { cwd: p.dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm-256color' }, timeout: 30_000 });
    assert.match(stdout, CURSOR, 'cursor movement or line erase from the listr2 renderer');
    assert.match(stdout, /Load config/);
    assert.match(stdout, /Scan 1 workflow\(s\)/);
    assert.match(stdout, /referenced 3/);
  } finally {
    await p.cleanup();
  }
});

test.run();
