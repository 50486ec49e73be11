import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, open, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { LocalFile } from '../../src/core/types.js';
import { loadRoots, walkInventory } from '../../src/inventory/index.js';
import { createHasher, type HashProgress } from '../../src/io/hash.js';
import { tempDir } from '../helpers/tmp.js';

const MiB = 1024 * 1024;
let tmp: Awaited<ReturnType<typeof tempDir>>;

test.before(async () => {
  tmp = await tempDir('comfygen-hash-');
});
test.after(async () => {
  await tmp.cleanup();
});

/** A file of `size` pseudo-random bytes (written in 8 MiB pieces of one random block). */
async function makeFile(path: string, size: number): Promise<void> {
  const block = randomBytes(Math.min(size, 8 * MiB) || 1);
  const handle = await open(path, 'w');
  try {
    for (let at = 0; at < size; at += block.length) await handle.write(block, 0, Math.min(block.length, size - at));
  } finally {
    await handle.close();
  }
}

async function asHashable(path: string) {
  const s = await stat(path);
  return { absPath: path, size: s.size, mtimeMs: s.mtimeMs, ino: s.ino };
}

function tool(cmd: string, path: string): string {
  const out = spawnSync(cmd, [path], { encoding: 'utf8' });
  assert.is(out.status, 0, `${cmd} failed: ${out.stderr}`);
  return out.stdout.split(/\s/)[0]!;
}

test('sha256 and blake3 equal sha256sum and b3sum at chunk boundaries and beyond', async () => {
  const sizes = [0, 1, 4 * MiB - 1, 4 * MiB, 4 * MiB + 1, 100 * MiB];
  const hasher = createHasher({ cacheFile: null, workers: 2 });
  try {
    const files = await Promise.all(sizes.map(async (size) => {
      const path = join(tmp.dir, `f-${size}.bin`);
      await makeFile(path, size);
      return asHashable(path);
    }));
    const { hashes, diagnostics } = await hasher.hashMany(files);
    assert.equal(diagnostics, []);
    for (const file of files) {
      const got = hashes.get(file.absPath)!;
      assert.is(got.sha256, tool('sha256sum', file.absPath), `sha256 of ${file.size} B`);
      assert.is(got.blake3, tool('b3sum', file.absPath), `blake3 of ${file.size} B`);
    }
    assert.is(hasher.bytesRead, sizes.reduce((a, b) => a + b, 0));
  } finally {
    await hasher.close();
  }
});

test('hashing on the calling thread (workers: 0) gives the same digests', async () => {
  const path = join(tmp.dir, 'inline.bin');
  await makeFile(path, 4 * MiB + 7);
  const hasher = createHasher({ cacheFile: null, workers: 0 });
  const got = await hasher.hash(await asHashable(path));
  assert.is(got.sha256, tool('sha256sum', path));
  assert.is(got.blake3, tool('b3sum', path));
  await hasher.close();
});

async function inventory(root: string): Promise<LocalFile[]> {
  const { roots } = await loadRoots({ roots: [root], extraModelPaths: [], configDir: tmp.dir });
  return (await walkInventory(roots)).files;
}

test('a second run over an unchanged tree reads no model bytes; a touched file is read again', async () => {
  const root = join(tmp.dir, 'models');
  await mkdir(join(root, 'checkpoints', 'SDXL'), { recursive: true });
  await mkdir(join(root, 'loras'), { recursive: true });
  await makeFile(join(root, 'checkpoints', 'SDXL', 'big.safetensors'), 9 * MiB);
  await makeFile(join(root, 'loras', 'a.safetensors'), 3 * MiB);
  await makeFile(join(root, 'loras', 'b.safetensors'), 1234);
  const cacheFile = join(tmp.dir, '.comfygen', 'hashes.json');

  const first = createHasher({ cacheFile });
  const files1 = await inventory(root);
  const run1 = await first.hashMany(files1);
  assert.is(first.bytesRead, 9 * MiB + 3 * MiB + 1234);
  await first.save();
  await first.close();

  const second = createHasher({ cacheFile });
  const run2 = await second.hashMany(await inventory(root));
  assert.is(second.bytesRead, 0, 'unchanged files must come from the cache');
  assert.equal([...run2.hashes], [...run1.hashes]);
  await second.close();

  const touched = join(root, 'loras', 'a.safetensors');
  await utimes(touched, new Date(), new Date(Date.now() + 5000));
  const third = createHasher({ cacheFile });
  const progress: HashProgress[] = [];
  const run3 = await third.hashMany(await inventory(root), (p) => progress.push(p));
  assert.is(third.bytesRead, 3 * MiB, 'only the touched file is read');
  assert.equal(run3.hashes.get(touched), run1.hashes.get(touched));
  assert.equal(progress.at(-1), { files: 3, totalFiles: 3, bytes: 3 * MiB, totalBytes: 3 * MiB });
  await third.save();
  await third.close();
});

test('the cache file is deterministic JSON holding only paths, identities and digests', async () => {
  const path = join(tmp.dir, 'c.bin');
  await writeFile(path, 'abc');
  const cacheFile = join(tmp.dir, 'cache-det.json');
  const hasher = createHasher({ cacheFile, workers: 1 });
  await hasher.hash(await asHashable(path));
  await hasher.save();
  await hasher.close();
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(cacheFile, 'utf8');
  const data = JSON.parse(text);
  assert.equal(Object.keys(data), ['files', 'version']);
  assert.equal(Object.keys(data.files[path]), ['blake3', 'ino', 'mtimeMs', 'sha256', 'size']);
  assert.is(data.files[path].sha256, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('an unreadable or vanished file is a diagnostic, the others still hash', async () => {
  const ok = join(tmp.dir, 'ok.bin');
  await writeFile(ok, 'ok');
  const hasher = createHasher({ cacheFile: null, workers: 2 });
  const gone = { absPath: join(tmp.dir, 'gone.bin'), size: 5, mtimeMs: 1, ino: 1 };
  const { hashes, diagnostics } = await hasher.hashMany([await asHashable(ok), gone]);
  await hasher.close();
  assert.equal([...hashes.keys()], [ok]);
  assert.is(diagnostics.length, 1);
  assert.is(diagnostics[0]!.code, 'unreadable-model-file');
  assert.ok(diagnostics[0]!.message.includes('gone.bin'));
});

test.run();
