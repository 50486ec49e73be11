import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { blake3Implementations, loadBlake3 } from '../../src/io/blake3.js';

/** b3sum of bytes on stdin, the reference; null when it is not installed. */
function b3sum(bytes: Buffer): string | null {
  const out = spawnSync('b3sum', ['--no-names'], { input: bytes, encoding: 'utf8' });
  return out.status === 0 ? out.stdout.trim() : null;
}

// BLAKE3's structure changes at 1 KiB chunks and at powers of two of them; fed in pieces of
// odd sizes, so a binding that mishandles split input shows too.
const sizes = [0, 1, 1023, 1024, 1025, 2048, 4097, 65_536, 1_048_577];

test('every installed BLAKE3 implementation agrees with the standard digests, fed whole or in pieces', () => {
  const impls = blake3Implementations();
  assert.ok(impls.some((b) => b.implementation === 'wasm'), 'the wasm build is a dependency: always there');
  // The published test vector for the empty input (BLAKE3 spec), which needs no tool.
  for (const b of impls) {
    const h = b.createHash();
    assert.is(h.digest(), 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262', b.implementation);
  }
  for (const size of sizes) {
    const bytes = Buffer.alloc(size);
    for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff;
    const digests = impls.flatMap((b) => {
      const whole = b.createHash();
      whole.update(bytes);
      const pieces = b.createHash();
      for (let at = 0; at < size; at += 777) pieces.update(bytes.subarray(at, at + 777));
      return [`${b.implementation} whole ${whole.digest()}`, `${b.implementation} pieces ${pieces.digest()}`];
    });
    // Without b3sum (not an npm package), the implementations are held to each other.
    const expected = b3sum(bytes) ?? digests[0]!.split(' ')[2];
    assert.equal(digests, digests.map((d) => d.replace(/\S+$/, expected!)), `${size} bytes`);
  }
});

test('the prebuilt binding is preferred where it installed (it is ~10x faster than wasm)', () => {
  const napi = blake3Implementations().find((b) => b.implementation === 'napi');
  assert.is(loadBlake3().implementation, napi ? 'napi' : 'wasm');
});

test.run();
