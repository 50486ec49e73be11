/** `build --frozen` compares and never writes, so it must never say it wrote anything. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli.js';
import { makeProject } from './project.js';

test('build --frozen with drift: names what would change, writes nothing, and --json lists nothing as written', async () => {
  const p = await makeProject();
  try {
    assert.is((await runCli(['build'], p.dir)).code, 0);
    const report = join(p.dir, 'generated', 'report.md');
    const edited = `${await readFile(report, 'utf8')}\nhand edit\n`;
    await writeFile(report, edited);

    const frozen = await runCli(['build', '--frozen'], p.dir);
    assert.is(frozen.code, 1, frozen.stderr);
    assert.match(frozen.stdout, /^would change: generated\/report\.md$/m);
    assert.match(frozen.stdout, /--frozen: the lock or outputs would change; nothing was written/);
    assert.not.match(frozen.stdout, /wrote/);
    assert.not.match(frozen.stderr, /Write outputs/);
    assert.is(await readFile(report, 'utf8'), edited, 'the file is untouched');

    const json = await runCli(['build', '--frozen', '--json'], p.dir);
    assert.is(json.code, 1);
    const summary = JSON.parse(json.stdout);
    assert.is(summary.frozen, true);
    assert.equal(summary.written, []);
    assert.equal(summary.outputs.find((o: { path: string }) => o.path === 'generated/report.md'), { path: 'generated/report.md', status: 'update' });
    assert.is(await readFile(report, 'utf8'), edited);

    assert.is((await runCli(['build'], p.dir)).code, 0);
    const clean = await runCli(['build', '--frozen'], p.dir);
    assert.is(clean.code, 0, clean.stderr);
    assert.match(clean.stdout, /--frozen: the lock and outputs are up to date/);
    assert.not.match(clean.stdout, /wrote|would change/);
  } finally {
    await p.cleanup();
  }
});

test.run();
