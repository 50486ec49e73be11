/**
 * Local model files that cannot be read when the build needs their hash: the build goes on,
 * says which file and why, and the lock names no hash for it.
 */
import { unlinkSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runBuild } from '../../src/build/run-build.js';
import type { ProgressEvent } from '../../src/build/progress.js';
import { tempDir } from '../helpers/tmp.js';

const lora = (name: string) => JSON.stringify({ 1: { class_type: 'LoraLoader', inputs: { lora_name: name, strength_model: 1 } } });

test('a local model that vanishes after the inventory and before hashing is a warning, not a failed build', async () => {
  const { dir, cleanup } = await tempDir('comfygen-local-');
  try {
    await mkdir(join(dir, 'wf'));
    await mkdir(join(dir, 'models', 'loras'), { recursive: true });
    const gone = join(dir, 'models', 'loras', 'gone.safetensors');
    await writeFile(gone, 'bytes that will not be there');
    await writeFile(join(dir, 'models', 'loras', 'kept.safetensors'), 'kept bytes');
    await writeFile(join(dir, 'wf', 'a.json'), lora('gone.safetensors'));
    await writeFile(join(dir, 'wf', 'b.json'), lora('kept.safetensors'));
    // Default sources: Civitai asks for local hashes too (offline, from the cache only).
    await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({ workflows: ['wf/*.json'], models: { roots: ['models'] } }));

    // The inventory listed both files; the one is removed before anything hashes it.
    const progress = (e: ProgressEvent) => {
      if (e.step === 'inventory' && e.kind === 'done') unlinkSync(gone);
    };
    const result = await runBuild({ cwd: dir, mode: 'build', offline: true, env: {}, progress });

    assert.is(result.exitCode, 0, 'warnings only');
    const about = result.diagnostics.filter((d) => d.message.includes('gone.safetensors'));
    assert.ok(about.length > 0, 'the vanished file is named');
    assert.ok(about.every((d) => d.severity === 'warning'), JSON.stringify(about));
    assert.ok(about.some((d) => d.code === 'unreadable-model-file'), JSON.stringify(about));
    assert.is(result.lock.models['loras/gone.safetensors']!.unresolved!.sha256, null, 'no hash recorded for bytes never read');
    assert.match(result.lock.models['loras/kept.safetensors']!.unresolved!.sha256 ?? '', /^[0-9a-f]{64}$/, 'the other file is still hashed');
  } finally {
    await cleanup();
  }
});

test.run();
