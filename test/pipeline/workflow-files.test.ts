import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runBuild } from '../../src/pipeline/run-build.js';
import { tempDir } from '../helpers/tmp.js';

test('a glob matching every file skips what comfygen reads and writes: a second build changes nothing', async () => {
  const { dir, cleanup } = await tempDir('comfygen-glob-');
  try {
    await mkdir(join(dir, 'wf'));
    await mkdir(join(dir, 'models', 'loras'), { recursive: true });
    await writeFile(join(dir, 'wf', 'a.json'), JSON.stringify({ 1: { class_type: 'LoraLoader', inputs: { lora_name: 'a.safetensors' } } }));
    await writeFile(join(dir, 'models', 'loras', 'a.safetensors'), 'lora bytes');
    await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({ workflows: ['**/*'], models: { roots: ['models'] } }));
    const first = await runBuild({ cwd: dir, mode: 'build', offline: true, env: {} });
    assert.equal(first.workflows.map((w) => w.path), ['wf/a.json']);
    assert.equal(first.diagnostics.filter((d) => d.severity !== 'info'), []);
    const second = await runBuild({ cwd: dir, mode: 'build', offline: true, env: {} });
    assert.is(second.workflowCount, 1, 'the lock written by the first build is no workflow');
    assert.equal(second.writes.filter((w) => w.status !== 'unchanged'), []);
  } finally {
    await cleanup();
  }
});

test('a workflow reached twice through symlinks (a link to it, a link to a folder above) is scanned once, and named', async () => {
  const { dir, cleanup } = await tempDir('comfygen-glob-');
  try {
    await mkdir(join(dir, 'wf', 'sub'), { recursive: true });
    await writeFile(join(dir, 'wf', 'a.json'), JSON.stringify({ 1: { class_type: 'LoraLoader', inputs: { lora_name: 'a.safetensors' } } }));
    await writeFile(join(dir, 'wf', 'sub', 'b.json'), JSON.stringify({ 1: { class_type: 'LoraLoader', inputs: { lora_name: 'b.safetensors' } } }));
    await symlink('a.json', join(dir, 'wf', 'alias.json'));
    await symlink('..', join(dir, 'wf', 'sub', 'up'));
    await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({ workflows: ['wf/**/*.json'] }));
    const result = await runBuild({ cwd: dir, mode: 'build', offline: true, env: {} });
    assert.equal(result.workflows.map((w) => w.path), ['wf/a.json', 'wf/sub/b.json']);
    const twice = result.diagnostics.filter((d) => d.code === 'same-workflow-twice');
    assert.equal(twice.map((d) => d.file), ['wf/alias.json', 'wf/sub/up/a.json', 'wf/sub/up/alias.json', 'wf/sub/up/sub/b.json']);
    assert.match(twice[1]!.message, /is the same file as wf\/a\.json/);
    assert.equal(result.demands.map((d) => [d.key, d.usedBy.map((u) => u.workflow)]), [['loras/a.safetensors', ['wf/a.json']], ['loras/b.safetensors', ['wf/sub/b.json']]]);
    assert.not.match(await readFile(join(dir, 'generated', 'report.md'), 'utf8'), 'wf/sub/up');
  } finally {
    await cleanup();
  }
});

test('a workflow whose file name is not UTF-8 is one error that says so, and the build goes on', async () => {
  const { dir, cleanup } = await tempDir('comfygen-glob-');
  try {
    await mkdir(join(dir, 'wf'));
    await writeFile(join(dir, 'wf', 'a.json'), JSON.stringify({ 1: { class_type: 'LoraLoader', inputs: { lora_name: 'a.safetensors' } } }));
    await writeFile(Buffer.concat([Buffer.from(join(dir, 'wf', 'caf')), Buffer.from([0xe9]), Buffer.from('.json')]), '{}');
    await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({ workflows: ['wf/*.json'] }));
    const result = await runBuild({ cwd: dir, mode: 'build', offline: true, env: {} });
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    assert.equal(errors.map((d) => [d.code, d.file]), [['unreadable-file', 'wf/caf\uFFFD.json']]);
    assert.match(errors[0]!.message, /its name is not valid UTF-8.*rename it/);
    assert.ok(result.demands.some((d) => d.key === 'loras/a.safetensors'), 'the other workflow is still read');
  } finally {
    await cleanup();
  }
});

test.run();
