import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runBuild } from '../../src/pipeline/run-build.js';
import { tempDir } from '../helpers/tmp.js';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';

test('a config pin enters the lock even when no workflow names a pack', async () => {
  const { dir, cleanup } = await tempDir('comfygen-pins-');
  try {
    await mkdir(join(dir, 'wf'));
    // API format, core loaders only: the workflows name no pack at all.
    await writeFile(join(dir, 'wf', 'a.json'), JSON.stringify({ 1: { class_type: 'VAELoader', inputs: { vae_name: 'ae.safetensors' } } }));
    await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({
      workflows: ['wf/*.json'],
      nodes: { pins: { 'comfyui-foo': { repo: 'https://github.com/o/ComfyUI-Foo', commit: COMMIT } } },
    }));
    const result = await runBuild({ cwd: dir, mode: 'build', offline: true, env: {} });
    assert.equal(Object.keys(result.lock.nodes ?? {}), ['comfyui-foo']);
    assert.ok(result.changes.some((c) => c.kind === 'added' && c.key === 'node:comfyui-foo'));
    // Offline the commit cannot be checked against its repository: the entry says so.
    assert.match(JSON.stringify(result.lock.nodes!['comfyui-foo']), 'offline');
  } finally {
    await cleanup();
  }
});

test.run();
