import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runBuild } from '../../src/pipeline/run-build.js';
import { tempDir } from '../helpers/tmp.js';

test('a cache that cannot be written (here .comfygen is a file) costs speed, never the build', async () => {
  const { dir, cleanup } = await tempDir('comfygen-nocache-');
  try {
    await mkdir(join(dir, 'wf'));
    await mkdir(join(dir, 'models', 'loras'), { recursive: true });
    await writeFile(join(dir, 'wf', 'a.json'), JSON.stringify({ 1: { class_type: 'LoraLoader', inputs: { lora_name: 'a.safetensors' } } }));
    await writeFile(join(dir, 'models', 'loras', 'a.safetensors'), 'local lora bytes');
    await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({ workflows: ['wf/*.json'], models: { roots: ['models'] } }));
    await writeFile(join(dir, '.comfygen'), 'in the way');
    const result = await runBuild({ cwd: dir, mode: 'build', offline: true, env: {} });
    assert.is(result.exitCode, 0);
    assert.ok(result.local!.matches.has('loras/a.safetensors'), 'the local file was found and hashed');
    assert.equal(result.diagnostics.filter((d) => d.severity === 'error'), []);
  } finally {
    await cleanup();
  }
});

test.run();
