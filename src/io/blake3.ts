/**
 * BLAKE3, loaded on first use so a build that only pins SHA-256 never loads it.
 *
 * Two implementations, both installing as published with no native build at the user's end:
 * - `@napi-rs/blake-hash` (optional dependency): the Rust `blake3` crate with SIMD, as prebuilt
 *   N-API binaries for 11 platforms; ≈5.8 GiB/s a core here, the speed of the native addon of
 *   `blake3@3` and of `b3sum --num-threads 1`. Pinned to 1.3.4: 1.3.6 published binaries for
 *   Linux x64 only (its lock entries for the other platforms name versions that do not exist,
 *   which breaks `npm ci` everywhere).
 * - `blake3-wasm@2.1.5` (dependency): the blake3 family's WebAssembly build, ≈0.6 GiB/s, for a
 *   platform without a prebuilt binary. (`blake3@3.0.0`, `blake3-wasm@3.0.0` and
 *   `@c4312/blake3-native@3.0.0` all depend on `@c4312/blake3-internal@2.1.7`, which was never
 *   published: they fail with ETARGET outside a repository whose `overrides` repair them.)
 */
import { createRequire } from 'node:module';

export interface Blake3Hasher {
  update(chunk: Uint8Array): void;
  /** Lower-case hex. */
  digest(): string;
}

export interface Blake3 {
  /** Which package answered (tests hold each to b3sum). */
  implementation: 'napi' | 'wasm';
  createHash(): Blake3Hasher;
}

let loaded: Blake3 | null = null;

export function loadBlake3(): Blake3 {
  return (loaded ??= loadNapi() ?? loadWasm());
}

/** Each implementation on its own, for tests that hold them to `b3sum` (null: not installed). */
export function blake3Implementations(): Blake3[] {
  return [loadNapi(), loadWasm()].filter((b): b is Blake3 => b !== null);
}

const require = createRequire(import.meta.url);

function loadNapi(): Blake3 | null {
  let mod: typeof import('@napi-rs/blake-hash');
  try {
    mod = require('@napi-rs/blake-hash') as typeof import('@napi-rs/blake-hash');
  } catch {
    return null; // not installed for this platform (an optional dependency): use the wasm build
  }
  return {
    implementation: 'napi',
    createHash() {
      const h = new mod.Blake3Hasher();
      // A Buffer view of the same bytes (no copy): 1.3.4's binding is typed for Buffers.
      return { update: (chunk) => void h.update(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)), digest: () => h.digest('hex') };
    },
  };
}

function loadWasm(): Blake3 {
  const mod = require('blake3-wasm') as typeof import('blake3-wasm');
  return {
    implementation: 'wasm',
    createHash() {
      const h = mod.createHash();
      return { update: (chunk) => void h.update(chunk), digest: () => h.digest('hex') };
    },
  };
}
