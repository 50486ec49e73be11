/**
 * download.sh and free disk space: one check before anything starts, for all files of the run
 * together. `df` is replaced on PATH where a test needs a given answer.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { baseEnv, bytes, listTree, lockOf, pin, runScript, serverAndDir, summary, writeScript } from './harness.js';

const fx = serverAndDir(test, 'comfygen-dl-space-');

let n = 0;
/**
 * A case dir whose PATH starts with a fake `df` reporting `freeKiB` available: one value per
 * call, the last one repeating.
 */
async function fresh(...freeKiB: number[]) {
  const dir = join(fx.dir, `case${++n}`);
  const bin = join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, 'df'), [
    '#!/bin/sh',
    `calls=${JSON.stringify(join(dir, 'df-calls'))}`,
    'n=0; [ -f "$calls" ] && n=$(cat "$calls"); echo $((n + 1)) >"$calls"',
    `set -- ${freeKiB.join(' ')}`,
    'v=$1; i=0; for x in "$@"; do [ "$i" -le "$n" ] && v=$x; i=$((i + 1)); done',
    "printf 'Filesystem 1024-blocks Used Available Capacity Mounted on\\n'",
    "printf 'fake %s 0 %s 0%% /\\n' \"$v\" \"$v\"",
    '',
  ].join('\n'), { mode: 0o755 });
  const models = join(dir, 'models');
  const env = { ...baseEnv(dir), PATH: `${bin}:${baseEnv(dir).PATH}`, MODELS_DIR: models, COMFYGEN_PROGRESS_SECONDS: '0' };
  return { dir, models, env };
}

test('the files of one run are counted together, however many download at once: nothing starts when they do not fit', async () => {
  const { dir, models, env } = await fresh(300);
  const a = bytes(200_000, 1);
  const b = bytes(200_000, 2);
  fx.server.file('/together/a', a);
  fx.server.file('/together/b', b);
  const script = await writeScript(dir, lockOf({
    'loras/a.safetensors': pin(`${fx.server.url}/together/a`, a),
    'loras/b.safetensors': pin(`${fx.server.url}/together/b`, b),
  }));
  const before = fx.server.requests.length;
  const r = await runScript(script, ['--jobs', '2'], { env });
  assert.is(r.code, 1, r.output);
  assert.ok(r.stderr.includes(`not enough disk space in ${models}: 2 files still to download need`), r.stderr);
  assert.match(r.stderr, /and 300\.0 KiB is free\.\n {2}Free up at least [\d.]+ KiB there, set MODELS_DIR to a disk with more room, or download part of the models with --only PATTERN\.\nNothing was downloaded\./);
  assert.is(fx.server.requests.length, before, 'no request was made');
  assert.equal(await listTree(models), [], 'nothing written, not even a scratch folder');

  // Each file alone fits: --only picks one, as the message suggests.
  const one = await runScript(script, ['--only', 'loras/a.safetensors'], { env });
  assert.is(one.code, 0, one.output);
  assert.equal(summary(one.output), { downloaded: 1, skipped: 0, failed: 0, unresolved: 0 });
});

test('files already in place need no space, and the bytes of a .part count as downloaded', async () => {
  const { dir, models, env } = await fresh(300);
  const a = bytes(200_000, 3);
  const b = bytes(200_000, 4);
  fx.server.file('/counted/a', a);
  fx.server.file('/counted/b', b);
  await mkdir(join(models, 'loras'), { recursive: true });
  await writeFile(join(models, 'loras', 'a.safetensors'), a);
  await writeFile(join(models, 'loras', 'b.safetensors.part'), b.subarray(0, 150_000));
  const script = await writeScript(dir, lockOf({
    'loras/a.safetensors': pin(`${fx.server.url}/counted/a`, a),
    'loras/b.safetensors': pin(`${fx.server.url}/counted/b`, b),
  }));
  const r = await runScript(script, [], { env });
  assert.is(r.code, 0, r.output);
  assert.equal(summary(r.output), { downloaded: 1, skipped: 1, failed: 0, unresolved: 0 });
  assert.equal(readFileSync(join(models, 'loras', 'b.safetensors')), b);
});

test('a size Civitai only gives approximately counts; a pin without any size is named in a warning, not skipped silently', async () => {
  const { dir, env } = await fresh(300);
  const body = bytes(250_000, 5);
  fx.server.file('/approx', body);
  const approx = await writeScript(join(dir, 'approx'), lockOf({
    'loras/approx.safetensors': pin(`${fx.server.url}/approx`, body, { size: null, approxSize: 400_000 }),
  }));
  const refused = await runScript(approx, [], { env });
  assert.is(refused.code, 1, refused.output);
  assert.match(refused.stderr, /1 file still to download needs 4\d\d\.\d KiB, and 300\.0 KiB is free/);

  const unknown = await writeScript(join(dir, 'unknown'), lockOf({
    'loras/unknown.safetensors': pin(`${fx.server.url}/approx`, body, { size: null }),
  }));
  const warned = await runScript(unknown, [], { env });
  assert.is(warned.code, 0, warned.output);
  assert.match(warned.stderr, /warning: 1 file has no pinned size, so the free-space check cannot count it \(300\.0 KiB is free\)/);
  const dry = await runScript(approx, ['--dry-run'], { env });
  assert.is(dry.code, 0, dry.output);
  assert.match(dry.stderr, /warning: not enough disk space in .*: 1 file still to download needs 4\d\d\.\d KiB/);
});

test.run();
