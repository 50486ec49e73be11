import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runBuild } from '../../src/pipeline/run-build.js';
import { tempDir } from '../helpers/tmp.js';

test('build --update never trades a pin for "unresolved": when no source pins the model now, the old pin stays', async () => {
  const { dir, cleanup } = await tempDir('comfygen-update-');
  try {
    await mkdir(join(dir, 'wf'));
    await writeFile(join(dir, 'wf', 'a.json'), JSON.stringify({ 1: { class_type: 'LoraLoader', inputs: { lora_name: 'a.safetensors' } } }));
    const config = (files: Record<string, unknown>) => writeFile(join(dir, 'comfy.config.json'), JSON.stringify({ workflows: ['wf/*.json'], sources: [{ type: 'url', files }] }));
    await config({ 'loras/a.safetensors': { url: 'https://example.com/a.safetensors', sha256: 'a'.repeat(64) } });
    const first = await runBuild({ cwd: dir, mode: 'build', offline: true, env: {} });
    assert.ok(first.lock.models['loras/a.safetensors']!.locked);

    await config({}); // the source that pinned it knows it no more
    const updated = await runBuild({ cwd: dir, mode: 'build', offline: true, env: {}, update: ['loras/a.safetensors'] });
    assert.equal(updated.lock.models['loras/a.safetensors'], first.lock.models['loras/a.safetensors']);
    assert.equal(updated.changes, []);
    const kept = updated.diagnostics.find((d) => d.code === 'update-kept-pin');
    assert.ok(kept, updated.diagnostics.map((d) => d.code).join(', '));
    assert.match(kept!.message, 'loras/a.safetensors could not be pinned again');
  } finally {
    await cleanup();
  }
});

test.run();
