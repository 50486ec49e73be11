import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MARKER } from '../../src/render/marker.js';
import { downloadRows } from '../../src/render/download-rows.js';
import { humanSize, renderDownloadScript } from '../../src/render/download-script.js';
import { tempDir } from '../helpers/tmp.js';
import { lockOf, shellcheck } from './harness.js';
import { needing } from '../helpers/tools.js';

const HASH = 'AbCd'.repeat(16);
const lock = lockOf({
  'vae/ae.safetensors': { source: 'huggingface', url: 'https://huggingface.co/o/r/resolve/' + '1'.repeat(40) + '/ae.safetensors', sha256: HASH, size: 335304388, auth: 'huggingface' },
  'diffusion_models/flux.safetensors': {
    source: 'civitai', url: 'https://civitai.com/api/download/models/1?type=Model', sha256: 'a'.repeat(64), size: 23802932552,
    blake3: 'B'.repeat(64), auth: 'civitai', mirrors: ['https://civitai.com/api/download/models/1?type=Model', 'https://mirror.example/flux'],
  },
  'text_encoders/t5.safetensors': { source: 'url', url: 'https://example.com/t5', sha256: null, size: null },
  'checkpoints/weird-auth.safetensors': { source: 'url', url: 'https://example.com/w', sha256: null, size: 1, auth: 'github' as never },
  'loras/gone\nline.safetensors': { unresolved: 'no source knows\x1b[31m this file' },
  'noslash': { source: 'url', url: 'https://example.com/n', sha256: null, size: null },
  'loras/short-hash.safetensors': { source: 'url', url: 'https://example.com/s', sha256: 'abc', size: 1 },
  'loras/neg.safetensors': { source: 'url', url: 'https://example.com/s', sha256: null, size: 1.5 },
});

test('starts with the shebang and the generated-file marker', () => {
  const lines = renderDownloadScript(lock, { target: '/workspace/ComfyUI/models' }).split('\n');
  assert.is(lines[0], '#!/usr/bin/env bash');
  assert.is(lines[1], `# ${MARKER}`);
});

test('identical bytes for identical input, whatever the working directory', async () => {
  const { dir, cleanup } = await tempDir();
  const cwd = process.cwd();
  try {
    const a = renderDownloadScript(lock, { target: 'ComfyUI/models' });
    process.chdir(dir);
    const b = renderDownloadScript(structuredClone(lock), { target: 'ComfyUI/models' });
    assert.is(a, b);
    assert.not.ok(a.includes(cwd) || a.includes(dir), 'no absolute checkout path inside');
  } finally {
    process.chdir(cwd);
    await cleanup();
  }
});

test('rows are sorted by key, hashes lower-cased, mirrors de-duplicated, legacy dirs listed', () => {
  const rows = downloadRows(lock);
  assert.equal(rows.models.map((m) => m.key), [
    'checkpoints/weird-auth.safetensors', 'diffusion_models/flux.safetensors', 'text_encoders/t5.safetensors', 'vae/ae.safetensors',
  ]);
  const flux = rows.models[1]!;
  assert.is(flux.dir, 'diffusion_models');
  assert.equal(flux.also, ['unet']);
  assert.is(flux.blake3, 'b'.repeat(64));
  assert.equal(flux.urls, ['https://civitai.com/api/download/models/1?type=Model', 'https://mirror.example/flux']);
  assert.equal(rows.models[2]!.also, ['clip']);
  assert.is(rows.models[3]!.sha256, HASH.toLowerCase());
  assert.is(rows.models[0]!.auth, 'none', 'an unknown auth value sends no token');
  assert.equal(rows.unresolved, [{ key: 'loras/gone\\x0aline.safetensors', reason: 'no source knows\\x1b[31m this file' }]);
  assert.equal(rows.refused.map((r) => `${r.key}: ${r.reason}`), [
    'loras/neg.safetensors: pinned size is not a whole number of bytes',
    'loras/short-hash.safetensors: pinned sha256 is not 64 hex digits',
    'noslash: lock key is not <folder>/<name>',
  ]);
});

test('comments carry keys with control characters made visible, and a summary', () => {
  const out = renderDownloadScript(lock, { target: 'models' });
  assert.match(out, /^# 4 models pinned \(22\.4 GiB \+ 1 of unknown size\), 2 without a pinned sha256, 1 unresolved, 3 refused\.$/m);
  assert.match(out, /^# unresolved: loras\/gone\\x0aline\.safetensors: no source knows\\x1b\[31m this file$/m);
  assert.match(out, /^# refused: noslash: lock key is not <folder>\/<name>$/m);
  assert.not.ok(/[\x00-\x09\x0b-\x1f]/.test(out), 'no raw control character anywhere in the script');
});

needing(test, 'shellcheck')('a typical script passes shellcheck', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const path = join(dir, 'download.sh');
    await writeFile(path, renderDownloadScript(lock, { target: '~/ComfyUI/models' }));
    const check = shellcheck(path);
    assert.ok(check.ok, check.output);
  } finally {
    await cleanup();
  }
});

test('a typical script parses, and a POSIX sh stops at once', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const path = join(dir, 'download.sh');
    await writeFile(path, renderDownloadScript(lock, { target: '~/ComfyUI/models' }));
    assert.is(spawnSync('bash', ['-n', path]).status, 0);
    const dash = spawnSync('sh', [path, '--help'], { encoding: 'utf8' });
    assert.is(dash.status, 2, 'a POSIX sh stops at once');
    assert.match(dash.stderr, /needs bash 4 or newer/);
  } finally {
    await cleanup();
  }
});

test('sizes read the same in the script header as at run time', () => {
  assert.is(humanSize(0), '0 B');
  assert.is(humanSize(1023), '1023 B');
  assert.is(humanSize(1536), '1.5 KiB');
  assert.is(humanSize(6938078334), '6.4 GiB');
});

test.run();
