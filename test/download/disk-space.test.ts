/**
 * download.sh and free disk space: one check before anything starts, for all files of the run
 * together, and a clear message naming the file, the folder and the space when a disk fills up
 * anyway. `df` is replaced on PATH where a test needs a given answer; the last test fills a real
 * (small tmpfs) file system, in a private mount namespace where the machine allows one.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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

test('of a .part fetched over several connections, only the chunks its .part.map records count, and only those are not fetched again', async () => {
  const { dir, models, env } = await fresh(300, 10_000);
  const chunk = 65536;
  const b = bytes(10 * chunk, 6);
  fx.server.file('/chunked/b', b);
  await mkdir(join(models, 'loras'), { recursive: true });
  // As a run stopped after the last chunk came: a .part as long as the file, one chunk of it in.
  const part = Buffer.alloc(b.length);
  b.copy(part, 9 * chunk, 9 * chunk);
  await writeFile(join(models, 'loras', 'b.safetensors.part'), part);
  await writeFile(join(models, 'loras', 'b.safetensors.part.map'), `comfygen-chunks 1 ${b.length} 0 ${chunk}\n9\n`);
  const script = await writeScript(dir, lockOf({ 'loras/b.safetensors': pin(`${fx.server.url}/chunked/b`, b) }));
  const refused = await runScript(script, [], { env });
  assert.is(refused.code, 1, refused.output);
  assert.match(refused.stderr, /not enough disk space in .*: 1 file still to download needs 6\d\d\.\d KiB, and 300\.0 KiB is free/);
  const before = fx.server.requests.length;
  const r = await runScript(script, ['--connections', '3'], { env: { ...env, COMFYGEN_CHUNK_KIB: '64' } });
  assert.is(r.code, 0, r.output);
  assert.equal(readFileSync(join(models, 'loras', 'b.safetensors')), b);
  const ranges = fx.server.requests.slice(before).map((q) => q.range).sort();
  assert.equal(ranges, Array.from({ length: 9 }, (_, k) => `bytes=${k * chunk}-${(k + 1) * chunk - 1}`).sort(), 'the nine chunks it lacked, each once');
  assert.equal(await listTree(models), ['loras/', 'loras/b.safetensors']);
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

test('a disk that fills up during a download: which file, where, how much, and nothing else starts', async () => {
  // df says there is room when the run starts, and none once the transfer has broken off.
  const { dir, models, env } = await fresh(100_000, 0);
  const a = bytes(300_000, 6);
  const b = bytes(1_000, 7);
  fx.server.file('/fills/a', a);
  fx.server.file('/fills/b', b);
  fx.server.fail('/fills/a', { kind: 'reset', afterBytes: 100_000 });
  const script = await writeScript(dir, lockOf({
    'loras/a.safetensors': pin(`${fx.server.url}/fills/a`, a),
    'loras/b.safetensors': pin(`${fx.server.url}/fills/b`, b),
  }));
  const r = await runScript(script, ['--jobs', '1'], { env });
  assert.is(r.code, 1, r.output);
  assert.ok(r.stderr.includes(`[1/2] loras/a.safetensors: FAILED: disk full in ${join(models, 'loras')}: this file needs`), r.stderr);
  assert.match(r.stderr, /this file needs [\d.]+ KiB more, 0 B is free; the [\d.]+ KiB already downloaded is kept as \.part and resumes; free up space there, then run download\.sh again/);
  assert.match(r.stderr, /\[2\/2\] loras\/b\.safetensors: FAILED: not started \(stopped early\)/);
  assert.equal(summary(r.output), { downloaded: 0, skipped: 0, failed: 2, unresolved: 0 });
  assert.is(fx.server.requestsFor('/fills/a').length, 1, 'no retry against a full disk');
  assert.is(fx.server.requestsFor('/fills/b').length, 0);
  assert.ok(existsSync(join(models, 'loras', 'a.safetensors.part')), 'the partial download is kept');
});

test('a publish that fails for lack of space says so, and keeps the verified download for the next run', async () => {
  const { dir, models, env } = await fresh(1_000_000);
  // ln and mv as a full directory answers them: no new name fits.
  for (const tool of ['ln', 'mv']) {
    await writeFile(join(dir, 'bin', tool), `#!/bin/sh\necho "${tool}: cannot create '$2': No space left on device" >&2\nexit 1\n`, { mode: 0o755 });
  }
  const a = bytes(50_000, 11);
  fx.server.file('/publish/a', a);
  const script = await writeScript(dir, lockOf({ 'loras/a.safetensors': pin(`${fx.server.url}/publish/a`, a) }));
  const r = await runScript(script, [], { env });
  assert.is(r.code, 1, r.output);
  assert.match(r.stderr, /loras\/a\.safetensors: FAILED: could not publish the verified download \(mv: cannot create '[^']+': No space left on device\); it is kept at \S+a\.safetensors\.part and the next run publishes it/);
  assert.not.match(r.stderr, /different file/);
  const again = await runScript(script, [], { env: { ...env, PATH: baseEnv(dir).PATH! } });
  assert.is(again.code, 0, again.output);
  assert.equal(await listTree(models), ['loras/', 'loras/a.safetensors']);
});

/**
 * Runs `command` as root of a fresh user and mount namespace (asynchronously: the file server
 * answers from this process), or returns null where the machine does not allow one.
 */
async function inMountNamespace(command: string, args: string[], env: Record<string, string>): Promise<{ status: number | null; output: string } | null> {
  const ns = ['--user', '--map-root-user', '--mount', 'sh', '-c'];
  const probe = spawnSync('unshare', [...ns, 'mount -t tmpfs -o size=64k tmpfs "$1"', 'sh', fx.dir], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return null;
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', [...ns, command, 'sh', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status) => { clearTimeout(timer); resolve({ status, output }); });
  });
}

test('a real full disk (tmpfs): the file, the folder and the reason are shown, the run fails, and it resumes once there is room', async () => {
  const dir = join(fx.dir, 'tmpfs');
  const mnt = join(dir, 'mnt');
  await mkdir(mnt, { recursive: true });
  // No size in the pin, so only the full disk can stop it; the second file waits its turn.
  const big = bytes(600_000, 8);
  const small = bytes(5_000, 9);
  fx.server.file('/real/big', big);
  fx.server.file('/real/small', small);
  const script = await writeScript(dir, lockOf({
    'loras/a-big.safetensors': pin(`${fx.server.url}/real/big`, big, { size: null }),
    'loras/b-small.safetensors': pin(`${fx.server.url}/real/small`, small),
  }));
  const env = { ...baseEnv(dir), MODELS_DIR: join(mnt, 'models'), COMFYGEN_PROGRESS_SECONDS: '0' };
  const r = await inMountNamespace([
    'mount -t tmpfs -o size=256k tmpfs "$1" || exit 99',
    'bash "$2" --jobs 1; echo "first exit $?"',
    'echo "part $(wc -c <"$1/models/loras/a-big.safetensors.part")"',
    'mount -o remount,size=2m "$1" || exit 99',
    'bash "$2"; echo "second exit $?"',
    'cat "$1/models/loras/a-big.safetensors" "$1/models/loras/b-small.safetensors" | sha256sum',
  ].join('\n'), [mnt, script], env);
  if (r === null) {
    console.log('  (skipped: no unprivileged mount namespaces here; the df-based tests above still ran)');
    return;
  }
  assert.is.not(r.status, 99, r.output);
  const [first, second] = r.output.split(/^first exit \d+$/m);
  assert.match(r.output, /^first exit 1$/m);
  assert.ok(first!.includes(`[1/2] loras/a-big.safetensors: FAILED: disk full in ${join(mnt, 'models', 'loras')}: 0 B is free (its size is unknown)`), r.output);
  assert.match(first!, /\[2\/2\] loras\/b-small\.safetensors: FAILED: not started \(stopped early\)/);
  assert.not.match(first!, /a-big\.safetensors: FAILED: (not started|stopped)/, 'its outcome, unwritable on the full disk, still reaches the summary');
  assert.match(first!, /downloaded 0, skipped 0, failed 2, unresolved 0/);
  assert.not.match(r.output, /write error/);
  const part = Number(/^part (\d+)$/m.exec(second!)?.[1]);
  assert.ok(part > 100_000, `the .part keeps what fitted (${part} bytes)`);
  assert.match(second!, /resuming at byte \d+/);
  assert.match(second!, /^second exit 0$/m);
  const { createHash } = await import('node:crypto');
  assert.ok(second!.includes(createHash('sha256').update(Buffer.concat([big, small])).digest('hex')), 'both files complete and intact');
});

test.run();
