/**
 * On the GPU box, download.sh says whether the box is complete (exit status), and a host that
 * cannot be reached costs seconds, not minutes of backoff.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { baseEnv, bytes, lockOf, pin, runScript, serverAndDir, sha256, summary, writeScript } from './harness.js';

const fx = serverAndDir(test, 'comfygen-dl-box-');

let n = 0;
async function fresh() {
  const dir = join(fx.dir, `case${++n}`);
  await mkdir(dir, { recursive: true });
  return { dir, models: join(dir, 'models'), env: { ...baseEnv(dir), MODELS_DIR: join(dir, 'models') } };
}

/** The retry settings a user gets: the backoff these tests must not sit through. */
const REAL_BACKOFF = { COMFYGEN_RETRIES: '6', COMFYGEN_RETRY_BASE_SECONDS: '2', COMFYGEN_RETRY_MAX_SECONDS: '60' };

/** A 127.0.0.1 port nobody listens on (bound once, then closed). */
async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A host that is down: a listener whose accept queue is full and which never accepts, so the
 * kernel drops new connection attempts and they time out, as with a machine that is off.
 */
async function silentHost(): Promise<{ port: number; proc: ChildProcess }> {
  const code = [
    'import socket, sys, time',
    's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)',
    'port = s.getsockname()[1]; fill = []',
    'for _ in range(4):',
    '    c = socket.socket(); c.setblocking(False)',
    '    try: c.connect(("127.0.0.1", port))',
    '    except BlockingIOError: pass',
    '    fill.append(c)',
    'time.sleep(0.2); print(port, flush=True); time.sleep(600)',
  ].join('\n');
  const proc = spawn('python3', ['-c', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    proc.stdout!.once('data', (d) => resolve(Number(String(d).trim())));
    proc.once('error', reject);
  });
  return { port, proc };
}

test('one unresolved model: the others are installed and the run exits 3; --allow-unresolved accepts it', async () => {
  const { dir, models, env } = await fresh();
  const a = bytes(40_000, 1);
  const b = bytes(30_000, 2);
  fx.server.file('/unres/a', a);
  fx.server.file('/unres/b', b);
  const script = await writeScript(dir, lockOf({
    'checkpoints/a.safetensors': pin(`${fx.server.url}/unres/a`, a),
    'loras/b.safetensors': pin(`${fx.server.url}/unres/b`, b),
    'loras/missing.safetensors': { unresolved: 'no source knows this file' },
  }));
  const first = await runScript(script, [], { env });
  assert.is(first.code, 3, first.output);
  assert.equal(summary(first.output), { downloaded: 2, skipped: 0, failed: 0, unresolved: 1 });
  assert.is(sha256(await readFile(join(models, 'checkpoints/a.safetensors'))), sha256(a));
  assert.is(sha256(await readFile(join(models, 'loras/b.safetensors'))), sha256(b));
  assert.match(first.stderr, /1 model is unresolved in the lock, so this box is incomplete \(exit status 3\)/);

  const again = await runScript(script, [], { env });
  assert.is(again.code, 3, 'still incomplete on the next run');
  const allowed = await runScript(script, ['--allow-unresolved'], { env });
  assert.is(allowed.code, 0, allowed.output);
  assert.equal(summary(allowed.output), { downloaded: 0, skipped: 2, failed: 0, unresolved: 1 });
  assert.match(allowed.stderr, /loras\/missing\.safetensors: unresolved, not downloaded/, 'still listed');

  const only = await runScript(script, ['--only', 'checkpoints'], { env });
  assert.is(only.code, 0, '--only leaves the unresolved model out of the question');

  const dry = await runScript(script, ['--dry-run'], { env });
  assert.is(dry.code, 0, 'a dry run reports, it does not judge');
});

test('a failure wins over unresolved models: exit 1, as --help documents', async () => {
  const { dir, env } = await fresh();
  const script = await writeScript(dir, lockOf({
    'checkpoints/gone.safetensors': pin(`${fx.server.url}/unres/gone-for-good`, 'x'),
    'loras/missing.safetensors': { unresolved: 'no source knows this file' },
  }));
  const r = await runScript(script, [], { env });
  assert.is(r.code, 1, r.output);
  const allowed = await runScript(script, ['--allow-unresolved'], { env });
  assert.is(allowed.code, 1, 'accepting unresolved models does not hide a failure');
  const help = await runScript(script, ['--help'], { env });
  assert.match(help.stdout, /--allow-unresolved/);
  assert.match(help.stdout, /Exit status \(the first that applies\):\n  2 [^\n]+\n  1 [^\n]+\n(?: {5}[^\n]+\n)*  3 /);
});

test('a refused connection fails its file at once, not after minutes of backoff; a mirror still serves it', async () => {
  const { dir, models, env } = await fresh();
  const port = await refusedPort();
  const body = bytes(20_000, 3);
  fx.server.file('/refused/mirror', body);
  const script = await writeScript(dir, lockOf({
    'checkpoints/a.safetensors': pin(`http://127.0.0.1:${port}/a`, 'a'),
    'loras/b.safetensors': pin(`http://127.0.0.1:${port}/b`, body, { mirrors: [`${fx.server.url}/refused/mirror`] }),
    'vae/c.safetensors': pin(`http://127.0.0.1:${port}/c`, 'c'),
  }));
  const started = Date.now();
  // One at a time, so the later files meet a host already known to be down.
  const r = await runScript(script, ['--jobs', '1'], { env: { ...env, ...REAL_BACKOFF, COMFYGEN_PROGRESS_SECONDS: '1' } });
  const seconds = (Date.now() - started) / 1000;
  assert.is(r.code, 1, r.output);
  // Retried with that backoff, this took 2+4+8+16+32+60 s per URL.
  assert.ok(seconds < 10, `took ${seconds} s`);
  assert.not.match(r.output, /retrying/);
  assert.match(r.stderr, /checkpoints\/a\.safetensors: FAILED: could not download: (?:\(\d+\) )?Failed to connect to 127\.0\.0\.1 port \d+[^\n]*\(not retried: no connection to the host/);
  assert.match(r.stderr, /vae\/c\.safetensors: FAILED: could not download: its host could not be reached earlier in this run/);
  assert.is(sha256(await readFile(join(models, 'loras/b.safetensors'))), sha256(body), 'the mirror was used');
  assert.equal(summary(r.output), { downloaded: 1, skipped: 0, failed: 2, unresolved: 0 });
  assert.not.match(r.stdout, /: 0 B/, 'no progress line for a file that gets nothing');
});

test('a host that does not answer costs one connect timeout, not a retry loop', async () => {
  const { dir, env } = await fresh();
  const down = await silentHost();
  try {
    const script = await writeScript(dir, lockOf({
      'checkpoints/a.safetensors': pin(`http://127.0.0.1:${down.port}/a`, 'a'),
      'checkpoints/b.safetensors': pin(`http://127.0.0.1:${down.port}/b`, 'b'),
      'checkpoints/c.safetensors': pin(`http://127.0.0.1:${down.port}/c`, 'c'),
    }));
    const started = Date.now();
    const r = await runScript(script, ['--jobs', '1'], { env: { ...env, ...REAL_BACKOFF, COMFYGEN_CONNECT_SECONDS: '2' }, timeoutMs: 120_000 });
    const seconds = (Date.now() - started) / 1000;
    assert.is(r.code, 1, r.output);
    // Retried, each file took 7 attempts of 2 s plus 122 s of backoff.
    assert.ok(seconds < 30, `took ${seconds} s`);
    assert.not.match(r.output, /retrying/);
    assert.match(r.stderr, /a\.safetensors: FAILED: could not download: (?:\(\d+\) )?Failed to connect[^\n]*\(not retried/);
    assert.is((r.stderr.match(/its host could not be reached earlier in this run/g) ?? []).length, 2, r.stderr);
  } finally {
    down.proc.kill('SIGKILL');
  }
});

test('no progress line while nothing arrives', async () => {
  const { dir, models, env } = await fresh();
  const body = bytes(200_000, 4);
  fx.server.file('/stall/s', body, { chunkSize: 20_000 });
  fx.server.fail('/stall/s', { kind: 'stall', afterBytes: 60_000, ms: 60_000 });
  const script = await writeScript(dir, lockOf({ 'loras/s.safetensors': pin(`${fx.server.url}/stall/s`, body) }));
  // The stall lasts until the speed limit cuts it (3 s of nothing): three progress ticks.
  const r = await runScript(script, [], { env: { ...env, COMFYGEN_PROGRESS_SECONDS: '1', COMFYGEN_SPEED_LIMIT: '1000', COMFYGEN_SPEED_TIME: '3' } });
  assert.is(r.code, 0, r.output);
  assert.is(sha256(await readFile(join(models, 'loras/s.safetensors'))), sha256(body));
  assert.match(r.stdout, /retrying/, 'the stall did happen');
  assert.not.match(r.stdout, / 0 B\/s/);
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('loras/s.safetensors: 58.5 KiB'));
  assert.ok(lines.length <= 1, `the stalled size is reported once at most:\n${lines.join('\n')}`);
});

/** Processes running `sleep <seconds>` (the progress reporter's, with an unusual period). */
function sleepers(seconds: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8') === `sleep\0${seconds}\0`) found.push(Number(pid));
    } catch { /* gone */ }
  }
  return found;
}

test('nothing the script starts outlives it: the progress reporter and its sleep end with it', async () => {
  const { dir, env } = await fresh();
  const body = bytes(100_000, 5);
  fx.server.file('/outlive/a', body);
  fx.server.file('/outlive/slow', body, { chunkSize: 2_000, chunkDelayMs: 50 });
  const script = await writeScript(dir, lockOf({ 'loras/a.safetensors': pin(`${fx.server.url}/outlive/a`, body) }));
  const period = '587';
  const quick = await runScript(script, [], { env: { ...env, COMFYGEN_PROGRESS_SECONDS: period } });
  assert.is(quick.code, 0, quick.output);
  assert.equal(sleepers(period), [], 'no reporter sleep after a normal end');

  const slow = await writeScript(join(dir, 'slow'), lockOf({ 'loras/slow.safetensors': pin(`${fx.server.url}/outlive/slow`, body) }));
  const seen = fx.server.requests.length;
  const stopped = await runScript(slow, [], {
    env: { ...env, COMFYGEN_PROGRESS_SECONDS: period },
    onSpawn: async (child) => {
      while (fx.server.requests.length === seen) await new Promise((res) => setTimeout(res, 10));
      process.kill(child.pid!, 'SIGTERM');
    },
  });
  assert.is(stopped.code, 143, stopped.output);
  assert.equal(sleepers(period), [], 'no reporter sleep after a SIGTERM');
  assert.not.ok(existsSync(join(dir, 'models/loras/slow.safetensors')));
});

test.run();
