import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeProject, uiWorkflow } from './project.js';
import { spawnCli } from './spawn.js';

async function until(what: string, ok: () => Promise<boolean>, ms: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await ok()) return Date.now() - started;
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const report = (dir: string) => readFile(join(dir, 'generated', 'report.md'), 'utf8').catch(() => '');

test('build --watch: a new workflow is built; a bad config edit is reported and survived; SIGINT stops cleanly', async () => {
  const p = await makeProject();
  const cli = spawnCli(['build', '--watch', '--offline', '--quiet'], p.dir);
  try {
    await cli.waitFor(/watching for changes/, 60_000);
    assert.ok(existsSync(join(p.dir, 'comfy.lock.json')));
    assert.not.match(await report(p.dir), /fresh_lora/);

    await writeFile(join(p.dir, 'workflows', 'b.json'), JSON.stringify(uiWorkflow([{ type: 'LoraLoader', value: 'fresh_lora.safetensors' }])));
    // Bounds here are generous (a loaded machine); how fast a rebuild is belongs to the bench.
    // The outputs are written one after the other, the lock last: wait for the lock as well.
    const lock = () => readFile(join(p.dir, 'comfy.lock.json'), 'utf8').catch(() => '');
    await until('report and lock name the new workflow\'s model',
      async () => /fresh_lora/.test(await report(p.dir)) && /loras\/fresh_lora\.safetensors/.test(await lock()), 60_000);

    const configPath = join(p.dir, 'comfy.config.json');
    const good = await readFile(configPath, 'utf8');
    const mark = cli.err().length;
    await writeFile(configPath, '{ "workflows": [');
    await cli.waitFor(/comfygen: comfy\.config\.json:1:17: invalid JSON/, 60_000, mark);
    assert.is(cli.child.exitCode, null, 'still watching after a bad edit');

    // Fixed config with a new output dir: the next build writes there.
    await writeFile(configPath, JSON.stringify({ ...JSON.parse(good), output: { dir: 'out' } }));
    await until('the fixed config is built', async () => existsSync(join(p.dir, 'out', 'report.md')), 60_000);
    assert.match(await readFile(join(p.dir, 'out', 'report.md'), 'utf8'), /fresh_lora/);

    cli.child.kill('SIGINT');
    assert.is(await cli.exited, 0);
    assert.match(cli.err(), /stopped watching/);
  } finally {
    if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    await p.cleanup();
  }
});

test.run();
