/**
 * A large collection can raise the same warning thousands of times, and its first build adds
 * thousands of lock entries: the terminal gets a few of each and a count.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

test('30 workflows with the same warning: five lines, then one line counting the other 25; errors and --json keep every one', async () => {
  const { dir, cleanup } = await tempDir('comfygen-many-');
  try {
    await mkdir(join(dir, 'wf'));
    await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({ workflows: ['wf/*.json'], sources: [] }));
    for (let i = 0; i < 30; i++) await writeFile(join(dir, 'wf', `w${String(i).padStart(2, '0')}.json`), '{"not": "a workflow"}');
    await writeFile(join(dir, 'wf', 'broken.json'), '{"nodes": [');

    const human = await runCli(['build', '--offline', '--quiet'], dir);
    const lines = human.stderr.trim().split('\n');
    const warnings = lines.filter((l) => l.startsWith('warning wf/'));
    assert.equal(warnings.map((l) => l.split(':')[0]), ['warning wf/w00.json', 'warning wf/w01.json', 'warning wf/w02.json', 'warning wf/w03.json', 'warning wf/w04.json']);
    assert.ok(lines.includes('warning: … and 25 more [not-a-workflow] warnings (`comfygen build --json` lists every one)'), human.stderr);
    assert.ok(lines.some((l) => l.startsWith('error wf/broken.json: not valid JSON')), 'errors are printed');
    assert.is(human.code, 1);

    const json = await runCli(['build', '--offline', '--json'], dir);
    const summary = JSON.parse(json.stdout) as { diagnostics: { code: string }[] };
    assert.is(summary.diagnostics.filter((d) => d.code === 'not-a-workflow').length, 30);
  } finally {
    await cleanup();
  }
});

test('a first build adding 130 models prints 100 `+ added` lines and counts the rest; --json has every change', async () => {
  const { dir, cleanup } = await tempDir('comfygen-many-');
  try {
    await mkdir(join(dir, 'wf'));
    await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({ workflows: ['wf/*.json'], sources: [] }));
    const prompt = Object.fromEntries(Array.from({ length: 130 }, (_, i) => [String(i + 1), { class_type: 'LoraLoader', inputs: { lora_name: `l${String(i).padStart(3, '0')}.safetensors` } }]));
    await writeFile(join(dir, 'wf', 'many.json'), JSON.stringify(prompt));
    const human = await runCli(['build', '--offline'], dir);
    const added = human.stdout.split('\n').filter((l) => l.startsWith('+ added '));
    assert.is(added.length, 100);
    assert.is(added[0], '+ added loras/l000.safetensors');
    assert.ok(human.stdout.includes('\n… and 30 more lock changes (30 added; `comfygen build --json` lists every one)\n'), human.stdout);
    await runCli(['build', '--offline'], dir).then((r) => assert.not.ok(r.stdout.includes('+ added'), 'a rebuild changes nothing'));
    await writeFile(join(dir, 'comfy.lock.json'), '{"version": 1, "models": {}}\n');
    const json = JSON.parse((await runCli(['build', '--offline', '--json'], dir)).stdout) as { changes: unknown[] };
    assert.is(json.changes.length, 130);
  } finally {
    await cleanup();
  }
});

test.run();
