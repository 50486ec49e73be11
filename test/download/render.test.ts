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

needing(test, 'shellcheck')('a script with files under COMFYUI_DIR and in the Hugging Face cache passes shellcheck too', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const path = join(dir, 'download.sh');
    const C = '1'.repeat(40);
    await writeFile(path, renderDownloadScript(lockOf({
      ...lock.models['vae/ae.safetensors']!.locked ? { 'vae/ae.safetensors': lock.models['vae/ae.safetensors']!.locked! } : {},
      'comfyui:custom_nodes/P/ckpts/a.pth': { source: 'pack', url: 'https://github.com/o/r/releases/download/v/a.pth', sha256: 'a'.repeat(64), size: 1 },
      'hf-cache:models/o/r@main/c.json': { source: 'pack', url: `https://huggingface.co/o/r/resolve/${C}/c.json`, sha256: 'b'.repeat(64), size: 1, etag: 'c'.repeat(40) },
    }), { target: '~/ComfyUI/models', comfyuiDir: '$HOME/ComfyUI' }));
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

test('files outside MODELS_DIR: a row per file under its root, and only pins the script can lay out safely', () => {
  const C = 'c'.repeat(40);
  const sha = (n: number) => String(n).repeat(64).slice(0, 64);
  const rows = downloadRows(lockOf({
    'comfyui:custom_nodes/ComfyUI-Frame-Interpolation/ckpts/rife/rife47.pth': { source: 'pack', url: 'https://github.com/o/r/releases/download/m/rife47.pth', sha256: sha(1), size: 5 },
    'comfyui:models/sam2/x.safetensors': { source: 'pack', url: `https://huggingface.co/o/r/resolve/${C}/x.safetensors`, sha256: sha(2), size: 5 },
    'comfyui:models/unverified.pth': { source: 'pack', url: 'https://example.com/u.pth', sha256: null, size: 5 },
    'hf-cache:models/o/r@main/sub/x.bin': { source: 'pack', url: `https://huggingface.co/o/r/resolve/${C}/sub/x.bin`, sha256: sha(3), size: 5, etag: sha(3) },
    'hf-cache:models/o/r@main/other.bin': { source: 'pack', url: `https://huggingface.co/o/r/resolve/${C}/sub/x.bin`, sha256: sha(4), size: 5, etag: sha(4) },
    'hf-cache:models/o/r@main/noetag.json': { source: 'pack', url: `https://huggingface.co/o/r/resolve/${C}/noetag.json`, sha256: sha(5), size: 5 },
    'hf-cache:models/o/s@main/': {
      source: 'pack', url: `https://huggingface.co/o/s/tree/${C}`, sha256: null, size: 10,
      files: {
        'config.json': { url: `https://huggingface.co/o/s/resolve/${C}/config.json`, sha256: sha(6), size: 5, etag: 'e'.repeat(40) },
        '../escape.json': { url: `https://huggingface.co/o/s/resolve/${C}/escape.json`, sha256: sha(7), size: 5, etag: 'e'.repeat(40) },
      },
    },
    'comfyui:custom_nodes/P/ckpts/snap/': {
      source: 'pack', url: `https://huggingface.co/o/p/tree/${C}`, sha256: null, size: 10,
      files: { 'w.pth': { url: `https://huggingface.co/o/p/resolve/${C}/w.pth`, sha256: sha(8), size: 5 }, 'hook.py': { url: `https://huggingface.co/o/p/resolve/${C}/hook.py`, sha256: sha(9), size: 5 } },
    },
    'comfyui:main.py': { source: 'pack', url: 'https://example.com/main.py', sha256: sha(1), size: 1 },
  }));
  assert.equal(rows.models.map((m) => [m.key, m.root, m.bases, m.dir, m.name, m.hf?.etag ?? null]), [
    ['comfyui:custom_nodes/ComfyUI-Frame-Interpolation/ckpts/rife/rife47.pth', 'comfyui', ['custom_nodes/ComfyUI-Frame-Interpolation', 'custom_nodes/comfyui-frame-interpolation'], 'ckpts/rife', 'rife47.pth', null],
    ['comfyui:custom_nodes/P/ckpts/snap/w.pth', 'comfyui', ['custom_nodes/P'], 'ckpts/snap', 'w.pth', null],
    ['comfyui:models/sam2/x.safetensors', 'comfyui', ['models'], 'sam2', 'x.safetensors', null],
    ['hf-cache:models/o/r@main/sub/x.bin', 'hf-cache', ['models--o--r'], 'sub', 'x.bin', sha(3)],
    ['hf-cache:models/o/s@main/config.json', 'hf-cache', ['models--o--s'], '', 'config.json', 'e'.repeat(40)],
  ]);
  assert.equal(rows.models[3]!.hf, { commit: C, revision: 'main', etag: sha(3) });
  assert.equal(rows.refused.map((r) => `${r.key}: ${r.reason}`), [
    'comfyui:custom_nodes/P/ckpts/snap/hook.py: code (a .py, .pyc or native library, .git, __pycache__) is never installed into a pack folder',
    'comfyui:main.py: lock key is not <folder>/<name>',
    'comfyui:models/unverified.pth: a file outside MODELS_DIR is installed only with a pinned sha256',
    'hf-cache:models/o/r@main/noetag.json: a file in the Hugging Face cache needs the ETag its blob is named by',
    'hf-cache:models/o/r@main/other.bin: the pin is not this file of this repository at a commit',
    "hf-cache:models/o/s@main/../escape.json: '..', '.' or empty path segment",
  ]);
});

test('sizes read the same in the script header as at run time', () => {
  assert.is(humanSize(0), '0 B');
  assert.is(humanSize(1023), '1023 B');
  assert.is(humanSize(1536), '1.5 KiB');
  assert.is(humanSize(6938078334), '6.4 GiB');
});

test.run();
