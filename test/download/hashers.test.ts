import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { hash as blake3 } from 'blake3-wasm';
import { baseEnv, bytes, lockOf, pathWithout, pin, runScript, serverAndDir, sha256, summary, writeScript } from './harness.js';
import { needing } from '../helpers/tools.js';

const body = bytes(50_000, 77);
const fx = serverAndDir(test, 'comfygen-dl-hashers-', (s) => {
  s.file('/h', body);
});

let n = 0;
async function run(missing: string[], pins: Parameters<typeof pin>[2]) {
  const dir = join(fx.dir, `case${++n}`);
  const script = await writeScript(dir, lockOf({ 'loras/h.safetensors': pin(`${fx.server.url}/h`, body, pins) }));
  const PATH = missing.length ? await pathWithout(dir, missing) : process.env.PATH!;
  const r = await runScript(script, [], { env: { ...baseEnv(dir), PATH, MODELS_DIR: join(dir, 'models') } });
  return { ...r, installed: existsSync(join(dir, 'models/loras/h.safetensors')) };
}

for (const missing of [[], ['openssl'], ['openssl', 'sha256sum']]) {
  test(`verifies with ${missing.length ? `no ${missing.join(' or ')}` : 'openssl'}: right pin installs, wrong pin is refused`, async () => {
    const ok = await run([...missing, 'b3sum'], {});
    assert.is(ok.code, 0, ok.output);
    assert.ok(ok.installed);
    const wrong = await run([...missing, 'b3sum'], { sha256: 'f'.repeat(64) });
    assert.is(wrong.code, 1);
    assert.ok(wrong.stderr.includes(`specified: ${'f'.repeat(64)}\n  got:       ${sha256(body)}`), wrong.stderr);
    assert.not.ok(wrong.installed);
  });
}

test('with no sha256 tool at all, the script stops before downloading', async () => {
  const before = fx.server.requests.length;
  const r = await run(['openssl', 'sha256sum', 'shasum'], {});
  assert.is(r.code, 2);
  assert.match(r.stderr, /need openssl, sha256sum or shasum/);
  assert.is(fx.server.requests.length, before);
});

needing(test, 'b3sum')('b3sum decides when a BLAKE3 pin exists; a disagreeing BLAKE3 pin falls back to sha256', async () => {
  const b3 = Buffer.from(blake3(body) as Uint8Array).toString('hex');
  // The sha256 pin is wrong on purpose: only b3sum's verdict can let this file through.
  const fast = await run([], { sha256: '0'.repeat(64), blake3: b3 });
  assert.is(fast.code, 0, fast.output);
  const without = await run(['b3sum'], { sha256: '0'.repeat(64), blake3: b3 });
  assert.is(without.code, 1, 'without b3sum the sha256 pin decides');
  const stale = await run([], { blake3: '1'.repeat(64) });
  assert.is(stale.code, 0, stale.output);
  assert.match(stale.stderr, /the BLAKE3 pin disagrees, the sha256 pin matches/);
  assert.equal(summary(stale.output)?.downloaded, 1);
});

test.run();
