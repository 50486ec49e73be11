import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { link, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { baseEnv, bytes, listTree, lockOf, pin, runScript, serverAndDir, sha256, summary, writeScript } from './harness.js';

const fx = serverAndDir(test, 'comfygen-dl-basic-');

let n = 0;
async function fresh() {
  const dir = join(fx.dir, `case${++n}`);
  await mkdir(dir, { recursive: true });
  return { dir, models: join(dir, 'models'), env: { ...baseEnv(dir), MODELS_DIR: join(dir, 'models') } };
}

test('installs every file with the pinned sha256; a second run downloads nothing', async () => {
  const { dir, models, env } = await fresh();
  const a = bytes(300_000, 1);
  const b = bytes(70_000, 2);
  const c = bytes(5_000, 3);
  fx.server.file('/basic/a.safetensors', a);
  fx.server.file('/basic/b.safetensors', b);
  fx.server.file('/basic/c.gguf', c);
  const script = await writeScript(dir, lockOf({
    'checkpoints/a.safetensors': pin(`${fx.server.url}/basic/a.safetensors`, a),
    'loras/sub/dir/b.safetensors': pin(`${fx.server.url}/basic/b.safetensors`, b),
    'diffusion_models/c.gguf': pin(`${fx.server.url}/basic/c.gguf`, c),
  }));
  const first = await runScript(script, [], { env });
  assert.is(first.code, 0, first.output);
  assert.equal(summary(first.output), { downloaded: 3, skipped: 0, failed: 0, unresolved: 0 });
  assert.is(sha256(await readFile(join(models, 'checkpoints/a.safetensors'))), sha256(a));
  assert.is(sha256(await readFile(join(models, 'loras/sub/dir/b.safetensors'))), sha256(b));
  assert.is(sha256(await readFile(join(models, 'diffusion_models/c.gguf'))), sha256(c));
  assert.equal(await listTree(models), [
    'checkpoints/', 'checkpoints/a.safetensors', 'diffusion_models/', 'diffusion_models/c.gguf',
    'loras/', 'loras/sub/', 'loras/sub/dir/', 'loras/sub/dir/b.safetensors',
  ], 'no .part, lock or scratch files left behind');

  const before = fx.server.requests.length;
  const second = await runScript(script, [], { env });
  assert.is(second.code, 0, second.output);
  assert.equal(summary(second.output), { downloaded: 0, skipped: 3, failed: 0, unresolved: 0 });
  assert.is(fx.server.requests.length, before, 'the second run made no request');
});

test('a different file in the way is left byte-identical and the run fails', async () => {
  const { dir, models, env } = await fresh();
  const good = bytes(10_000, 4);
  fx.server.file('/conflict/x.safetensors', good);
  const theirs = Buffer.from('my own fine-tune, not the pinned one');
  await mkdir(join(models, 'loras'), { recursive: true });
  await writeFile(join(models, 'loras/x.safetensors'), theirs);
  const script = await writeScript(dir, lockOf({ 'loras/x.safetensors': pin(`${fx.server.url}/conflict/x.safetensors`, good) }));
  const r = await runScript(script, [], { env });
  assert.is(r.code, 1);
  assert.match(r.stderr, /loras\/x\.safetensors: FAILED: conflict/);
  assert.equal(await readFile(join(models, 'loras/x.safetensors')), theirs);
  assert.is(fx.server.requestsFor('/conflict/x.safetensors').length, 0);
  assert.equal(summary(r.output), { downloaded: 0, skipped: 0, failed: 1, unresolved: 0 });
});

test('same size, different content: skipped by size, caught by --verify and left alone', async () => {
  const { dir, models, env } = await fresh();
  const good = bytes(4096, 5);
  const bad = bytes(4096, 6);
  fx.server.file('/verify/v.safetensors', good);
  await mkdir(join(models, 'vae'), { recursive: true });
  await writeFile(join(models, 'vae/v.safetensors'), bad);
  const script = await writeScript(dir, lockOf({ 'vae/v.safetensors': pin(`${fx.server.url}/verify/v.safetensors`, good) }));
  const quick = await runScript(script, [], { env });
  assert.is(quick.code, 0, quick.output);
  assert.equal(summary(quick.output)?.skipped, 1);
  const verify = await runScript(script, ['--verify'], { env });
  assert.is(verify.code, 1, verify.output);
  assert.match(verify.stderr, new RegExp(`sha256 is ${sha256(bad)}, the pin says ${sha256(good)}`));
  assert.equal(await readFile(join(models, 'vae/v.safetensors')), bad);
});

test('a hash mismatch names specified and got, removes only its own .part, publishes nothing', async () => {
  const { dir, models, env } = await fresh();
  const served = bytes(20_000, 7);
  const pinned = bytes(20_000, 8);
  fx.server.file('/mismatch/m.safetensors', served);
  await mkdir(join(models, 'loras'), { recursive: true });
  await writeFile(join(models, 'loras/keep.txt'), 'not ours');
  const script = await writeScript(dir, lockOf({ 'loras/m.safetensors': pin(`${fx.server.url}/mismatch/m.safetensors`, pinned) }));
  const r = await runScript(script, [], { env });
  assert.is(r.code, 1);
  assert.ok(r.stderr.includes(`sha256 mismatch for loras/m.safetensors\n  specified: ${sha256(pinned)}\n  got:       ${sha256(served)}\n`), r.stderr);
  assert.equal((await readdir(join(models, 'loras'))).sort(), ['keep.txt']);
});

test('a file that appears at the destination during the download is never replaced', async () => {
  const { dir, models, env } = await fresh();
  const body = bytes(120_000, 13);
  fx.server.file('/race/r.safetensors', body, { chunkSize: 8000, chunkDelayMs: 20 });
  const script = await writeScript(dir, lockOf({ 'loras/r.safetensors': pin(`${fx.server.url}/race/r.safetensors`, body) }));
  const theirs = Buffer.from('copied in by hand meanwhile');
  const running = runScript(script, [], { env });
  while (!fx.server.requestsFor('/race/r.safetensors').length) await new Promise((r) => setTimeout(r, 10));
  await writeFile(join(models, 'loras/r.safetensors'), theirs);
  const r = await running;
  assert.is(r.code, 1);
  assert.match(r.stderr, /a different file appeared in the way; left untouched, the verified download is kept at \S+r\.safetensors\.part/);
  assert.equal(await readFile(join(models, 'loras/r.safetensors')), theirs);
  assert.is(sha256(await readFile(join(models, 'loras/r.safetensors.part'))), sha256(body));
});

test('long downloads report their progress', async () => {
  const { dir, env } = await fresh();
  const body = bytes(200_000, 14);
  fx.server.file('/progress/p.safetensors', body, { chunkSize: 6_000, chunkDelayMs: 100 });
  const script = await writeScript(dir, lockOf({ 'loras/p.safetensors': pin(`${fx.server.url}/progress/p.safetensors`, body) }));
  const started = Date.now();
  const r = await runScript(script, [], { env: { ...env, COMFYGEN_PROGRESS_SECONDS: '1' } });
  assert.is(r.code, 0, r.output);
  assert.match(r.stdout, /^loras\/p\.safetensors: [\d.]+ KiB of 195\.3 KiB$/m);
  assert.match(r.stdout, /^loras\/p\.safetensors: [\d.]+ KiB of 195\.3 KiB, [\d.]+ KiB\/s$/m);
  assert.ok(Date.now() - started < 5500, 'the reporter does not hold the run open');
});

test('unresolved models are warned about and counted (exit 3); entries without a hash are reported unverified', async () => {
  const { dir, models, env } = await fresh();
  const plain = Buffer.from('a plain config file\n');
  fx.server.file('/plain/config.yaml', plain, { contentType: 'text/plain' });
  const script = await writeScript(dir, lockOf({
    'configs/config.yaml': { source: 'url', url: `${fx.server.url}/plain/config.yaml`, sha256: null, size: null },
    'loras/missing.safetensors': { unresolved: 'no source knows this file' },
  }));
  const text = await readFile(script, 'utf8');
  assert.match(text, /^# unresolved: loras\/missing\.safetensors: no source knows this file$/m);
  const r = await runScript(script, [], { env });
  assert.is(r.code, 3, r.output);
  assert.match(r.stderr, /warning: \[\d\/2\] loras\/missing\.safetensors: unresolved, not downloaded: no source knows this file/);
  assert.match(r.stdout, new RegExp(`configs/config\\.yaml: downloaded, unverified: no pinned sha256 \\(got ${sha256(plain)}\\)`));
  assert.equal(summary(r.output), { downloaded: 1, skipped: 0, failed: 0, unresolved: 1 });
  assert.equal(await readFile(join(models, 'configs/config.yaml')), plain);
});

test('--dry-run lists files and the total size without network or disk writes', async () => {
  const { dir, models, env } = await fresh();
  const a = bytes(2 * 1024 * 1024, 9);
  const script = await writeScript(dir, lockOf({
    'checkpoints/a.safetensors': pin(`${fx.server.url}/dry/a.safetensors`, a),
    'loras/b.safetensors': pin(`${fx.server.url}/dry/b.safetensors`, 'x'.repeat(1024)),
    'vae/u.safetensors': { unresolved: 'gated' },
  }));
  const before = fx.server.requests.length;
  const r = await runScript(script, ['--dry-run'], { env });
  assert.is(r.code, 0, r.output);
  assert.ok(r.stdout.startsWith(`dry run: 3 models, installing into ${models}\n`), r.stdout);
  assert.match(r.stdout, /checkpoints\/a\.safetensors: would download 2\.0 MiB to checkpoints\/a\.safetensors from http:\/\/127\.0\.0\.1:\d+\/dry\/a\.safetensors/);
  assert.match(r.stdout, /vae\/u\.safetensors: unresolved: gated/);
  assert.match(r.stdout, /dry run: would download 2 files, 2\.0 MiB; nothing was written/);
  assert.is(fx.server.requests.length, before);
  assert.not.ok(existsSync(models), 'MODELS_DIR was not even created');
});

test('--only filters by folder or by a glob on the key', async () => {
  const { dir, models, env } = await fresh();
  const x = bytes(1000, 10);
  fx.server.file('/only/x', x);
  const script = await writeScript(dir, lockOf({
    'checkpoints/sdxl_base.safetensors': pin(`${fx.server.url}/only/x`, x),
    'checkpoints/sd15.safetensors': pin(`${fx.server.url}/only/x`, x),
    'loras/style.safetensors': pin(`${fx.server.url}/only/x`, x),
  }));
  const r = await runScript(script, ['--only', 'loras', '--only=checkpoints/sdxl*'], { env });
  assert.is(r.code, 0, r.output);
  assert.equal(await listTree(models), ['checkpoints/', 'checkpoints/sdxl_base.safetensors', 'loras/', 'loras/style.safetensors']);
  const none = await runScript(script, ['--only', 'nothing-matches'], { env });
  assert.is(none.code, 2);
  assert.match(none.stderr, /no model matches --only/);
});

test('a file already in a legacy folder ComfyUI also searches (unet/) counts as present', async () => {
  const { dir, models, env } = await fresh();
  const f = bytes(3000, 11);
  await mkdir(join(models, 'unet'), { recursive: true });
  await writeFile(join(models, 'unet/flux.safetensors'), f);
  const script = await writeScript(dir, lockOf({ 'diffusion_models/flux.safetensors': pin(`${fx.server.url}/legacy/flux`, f) }));
  const r = await runScript(script, [], { env });
  assert.is(r.code, 0, r.output);
  assert.match(r.stdout, /present in unet\/, skipped/);
  assert.not.ok(existsSync(join(models, 'diffusion_models/flux.safetensors')));
});

test('files of folders packs register go where the pack reads them: CogVideo/loras, ultralytics/ (or yolo/)', async () => {
  const { dir, models, env } = await fresh();
  const lora = bytes(2000, 21);
  const yolo = bytes(2500, 22);
  const face = bytes(1500, 23);
  fx.server.file('/cog/orbit', lora);
  fx.server.file('/yolo/hand', yolo);
  await mkdir(join(models, 'yolo'), { recursive: true });
  await writeFile(join(models, 'yolo/face_yolov8m.pt'), face);
  const script = await writeScript(dir, lockOf({
    'cogvideox_loras/orbit_left.safetensors': pin(`${fx.server.url}/cog/orbit`, lora),
    'ultralytics/bbox/hand_yolov8s.pt': pin(`${fx.server.url}/yolo/hand`, yolo),
    'ultralytics/face_yolov8m.pt': pin(`${fx.server.url}/yolo/face`, face),
  }));
  const r = await runScript(script, [], { env });
  assert.is(r.code, 0, r.output);
  assert.equal(await readFile(join(models, 'CogVideo/loras/orbit_left.safetensors')), lora);
  assert.equal(await readFile(join(models, 'ultralytics/bbox/hand_yolov8s.pt')), yolo);
  // The pack also searches models/yolo: a file there is present, not fetched again.
  assert.match(r.stdout, /present in yolo\/, skipped/);
  assert.not.ok(existsSync(join(models, 'cogvideox_loras')));
});

test('a .part hard-linked to the installed file (interrupted publish) is cleaned up', async () => {
  const { dir, models, env } = await fresh();
  const f = bytes(3000, 12);
  await mkdir(join(models, 'vae'), { recursive: true });
  await writeFile(join(models, 'vae/ae.safetensors'), f);
  await link(join(models, 'vae/ae.safetensors'), join(models, 'vae/ae.safetensors.part'));
  const script = await writeScript(dir, lockOf({ 'vae/ae.safetensors': pin(`${fx.server.url}/x`, f) }));
  const r = await runScript(script, [], { env });
  assert.is(r.code, 0, r.output);
  assert.equal(await listTree(models), ['vae/', 'vae/ae.safetensors']);
});

test('stops cleanly when the disk is too small, before any request', async () => {
  const { dir, models, env } = await fresh();
  const huge = { source: 'url', url: `${fx.server.url}/huge`, sha256: 'a'.repeat(64), size: 2 ** 52 };
  const script = await writeScript(dir, lockOf({ 'checkpoints/huge.safetensors': huge, 'checkpoints/next.safetensors': huge }));
  const before = fx.server.requests.length;
  const r = await runScript(script, ['--jobs', '1'], { env });
  assert.is(r.code, 1);
  assert.ok(r.stderr.includes(`download.sh: not enough disk space in ${models}: 2 files still to download need 8388608.0 GiB, and `), r.stderr);
  assert.match(r.stderr, /Nothing was downloaded\./);
  assert.is(summary(r.output), null, 'no file was tried');
  assert.is(fx.server.requests.length, before);
  assert.equal(await listTree(models), []);
});

test('usage errors exit 2; --help documents the options and test knobs', async () => {
  const { dir, env } = await fresh();
  const script = await writeScript(dir, lockOf({}));
  const help = await runScript(script, ['--help'], { env });
  assert.is(help.code, 0);
  for (const word of ['--dry-run', '--only', '--jobs', '--verify', 'MODELS_DIR', 'HF_TOKEN', 'CIVITAI_TOKEN', 'HF_ENDPOINT', 'CIVITAI_ENDPOINT', 'COMFYGEN_RETRY_BASE_SECONDS']) {
    assert.ok(help.stdout.includes(word), word);
  }
  assert.is((await runScript(script, ['--bogus'], { env })).code, 2);
  assert.is((await runScript(script, ['--jobs', '0'], { env })).code, 2);
  const badEnv = await runScript(script, [], { env: { ...env, COMFYGEN_RETRIES: 'a[$(touch pwned)]' } });
  assert.is(badEnv.code, 2);
  assert.not.ok(existsSync(join(dir, 'pwned')));
  const empty = await runScript(script, [], { env });
  assert.is(empty.code, 0);
  assert.match(empty.stdout, /nothing to download/);
});

test.run();
