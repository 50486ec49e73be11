import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { mkdir, open, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { LocalFile } from '../../src/core/types.js';
import { loadRoots, walkInventory } from '../../src/inventory/index.js';
import { createHasher, type HashAlgorithm, type HashProgress } from '../../src/io/hash.js';
import { CHUNK_SIZE, SMALL_FILE_BYTES } from '../../src/io/hash-file.js';
import { tempDir } from '../helpers/tmp.js';
import { referenceBlake3 } from '../helpers/tools.js';

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
  if (cmd === 'b3sum') return referenceBlake3(path);
  const out = spawnSync(cmd, [path], { encoding: 'utf8' });
  assert.is(out.status, 0, `${cmd} failed: ${out.stderr}`);
  return out.stdout.split(/\s/)[0]!;
}

test('each algorithm alone and both together equal sha256sum and b3sum, at the small-file and chunk boundaries and beyond', async () => {
  const above = SMALL_FILE_BYTES + CHUNK_SIZE; // read on the workers, chunk by chunk
  const sizes = [0, 1, SMALL_FILE_BYTES, SMALL_FILE_BYTES + 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE + 3, above - 1, above, above + 1, 100 * MiB];
  const files = await Promise.all(sizes.map(async (size) => {
    const path = join(tmp.dir, `f-${size}.bin`);
    await makeFile(path, size);
    return asHashable(path);
  }));
  const expected = new Map(files.map((f) => [f.absPath, { sha256: tool('sha256sum', f.absPath), blake3: tool('b3sum', f.absPath) }]));
  for (const algorithms of [['sha256'], ['blake3'], ['sha256', 'blake3']] as HashAlgorithm[][]) {
    const hasher = createHasher({ cacheFile: null, workers: 2 });
    try {
      const { hashes, diagnostics } = await hasher.hashMany(files, { algorithms });
      assert.equal(diagnostics, []);
      for (const file of files) {
        const want = Object.fromEntries(algorithms.map((a) => [a, expected.get(file.absPath)![a]]));
        assert.equal(hashes.get(file.absPath), want, `${algorithms.join('+')} of ${file.size} B (and nothing else)`);
      }
      assert.is(hasher.bytesRead, sizes.reduce((a, b) => a + b, 0), 'one read per file');
    } finally {
      await hasher.close();
    }
  }
});

test('hashing on the calling thread (workers: 0) gives the same digests', async () => {
  const path = join(tmp.dir, 'inline.bin');
  await makeFile(path, CHUNK_SIZE + 7);
  const hasher = createHasher({ cacheFile: null, workers: 0 });
  const got = await hasher.hash(await asHashable(path), ['sha256', 'blake3']);
  assert.is(got.sha256, tool('sha256sum', path));
  assert.is(got.blake3, tool('b3sum', path));
  await hasher.close();
});

/** Hashes in a fresh process and reports whether the BLAKE3 addon (@napi-rs/blake-hash) got loaded into it. */
function hashInChild(algorithms: string, paths: string[]): { hashes: Record<string, string>[]; blake3Loaded: boolean } {
  const code = `
    const { statSync } = await import('node:fs');
    const { createHasher } = await import(process.argv[1]);
    const hasher = createHasher({ cacheFile: null, workers: 2 });
    const files = process.argv.slice(3).map((absPath) => { const s = statSync(absPath); return { absPath, size: s.size, mtimeMs: s.mtimeMs, ino: s.ino }; });
    const { hashes } = await hasher.hashMany(files, { algorithms: process.argv[2].split(',') });
    await hasher.close();
    const loaded = process.report.getReport().sharedObjects.some((lib) => /blake/i.test(lib));
    console.log(JSON.stringify({ hashes: [...hashes.values()], blake3Loaded: loaded }));`;
  const hashModule = fileURLToPath(new URL('../../src/io/hash.ts', import.meta.url));
  const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, hashModule, algorithms, ...paths], { encoding: 'utf8' });
  assert.is(out.status, 0, out.stderr);
  return JSON.parse(out.stdout);
}

test('workers started ahead hash the same, load only what was asked, and never keep the process alive', async () => {
  const big = join(tmp.dir, 'ahead-big.bin');
  await makeFile(big, 3 * MiB);
  const code = `
    const { statSync } = await import('node:fs');
    const { createHasher } = await import(process.argv[1]);
    const algorithms = process.argv[2].split(',');
    const idle = createHasher({ cacheFile: null, startWorkers: algorithms }); // never used, never closed
    const hasher = createHasher({ cacheFile: null, startWorkers: algorithms });
    const s = statSync(process.argv[3]);
    const { hashes } = await hasher.hashMany([{ absPath: process.argv[3], size: s.size, mtimeMs: s.mtimeMs, ino: s.ino }], { algorithms });
    // Not closed either: the process must still end once its work is done.
    await new Promise((resolve) => setTimeout(resolve, 200)); // workers of \`idle\` have started by now
    const loaded = process.report.getReport().sharedObjects.some((lib) => /blake/i.test(lib));
    console.log(JSON.stringify({ hashes: [...hashes.values()], blake3Loaded: loaded }));`;
  const hashModule = fileURLToPath(new URL('../../src/io/hash.ts', import.meta.url));
  for (const [algorithms, want, blake3Loaded] of [['sha256', { sha256: tool('sha256sum', big) }, false], ['blake3', { blake3: tool('b3sum', big) }, true]] as const) {
    const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, hashModule, algorithms, big], { encoding: 'utf8', timeout: 60_000 });
    assert.is(out.signal, null, 'the process ended by itself, though no hasher was closed');
    assert.is(out.status, 0, out.stderr);
    assert.equal(JSON.parse(out.stdout), { hashes: [want], blake3Loaded }, algorithms);
  }
});

test('asking for sha256 never loads the BLAKE3 addon, on the workers or on the calling thread', async () => {
  const big = join(tmp.dir, 'child-big.bin');
  const small = join(tmp.dir, 'child-small.bin');
  await makeFile(big, 3 * MiB);
  await makeFile(small, 1000);
  const sha = hashInChild('sha256', [big, small]);
  assert.equal(sha.hashes, [{ sha256: tool('sha256sum', big) }, { sha256: tool('sha256sum', small) }]);
  assert.is(sha.blake3Loaded, false);
  // The same probe does see the addon when BLAKE3 is asked for.
  const b3 = hashInChild('blake3', [big, small]);
  assert.equal(b3.hashes, [{ blake3: tool('b3sum', big) }, { blake3: tool('b3sum', small) }]);
  assert.is(b3.blake3Loaded, true);
});

test('a later blake3 request reads the file once more and joins the cache entry; then neither is read again', async () => {
  const path = join(tmp.dir, 'merge.bin');
  await makeFile(path, 5 * MiB + 11);
  const file = await asHashable(path);
  const cacheFile = join(tmp.dir, 'cache-merge.json');

  const first = createHasher({ cacheFile, workers: 1 });
  assert.equal(await first.hash(file), { sha256: tool('sha256sum', path) });
  assert.is(first.bytesRead, file.size);
  const both = await first.hash(file, ['blake3']);
  assert.is(first.bytesRead, 2 * file.size, 'only blake3 was missing: one more read');
  assert.equal(both, { sha256: tool('sha256sum', path), blake3: tool('b3sum', path) }, 'the known sha256 comes along');
  assert.equal(await first.hash(file, ['sha256', 'blake3']), both);
  assert.is(first.bytesRead, 2 * file.size, 'both known now: no read');
  await first.save();
  await first.close();

  const entry = JSON.parse(await readFile(cacheFile, 'utf8')).files[path];
  assert.equal(entry, { blake3: both.blake3, ino: file.ino, mtimeMs: file.mtimeMs, sha256: both.sha256, size: file.size });
  const second = createHasher({ cacheFile, workers: 1 });
  assert.equal(await second.hash(file, ['sha256', 'blake3']), both);
  assert.equal(await second.cached(file), both);
  assert.is(second.bytesRead, 0);
  await second.close();
});

test('a file rewritten after hashing is read again for every digest asked; the old entry is replaced', async () => {
  const path = join(tmp.dir, 'rewritten.bin');
  await makeFile(path, 2 * MiB);
  const cacheFile = join(tmp.dir, 'cache-rewritten.json');
  const hasher = createHasher({ cacheFile, workers: 1 });
  await hasher.hash(await asHashable(path), ['sha256', 'blake3']);
  await makeFile(path, 2 * MiB);
  await utimes(path, new Date(), new Date(Date.now() + 5000));
  const now = await asHashable(path);
  assert.is(await hasher.cached(now), null, 'the new identity is unknown');
  const before = hasher.bytesRead;
  assert.equal(await hasher.hash(now, ['blake3']), { blake3: tool('b3sum', path) }, 'no stale sha256 kept');
  assert.is(hasher.bytesRead - before, now.size);
  await hasher.close();
});

test('caches written with both digests (before they became optional) still answer; damaged entries are read again', async () => {
  const good = join(tmp.dir, 'old-good.bin');
  const bad = join(tmp.dir, 'old-bad.bin');
  await writeFile(good, 'good');
  await writeFile(bad, 'bad');
  const [g, b] = [await asHashable(good), await asHashable(bad)];
  const cacheFile = join(tmp.dir, 'cache-old.json');
  const id = (f: typeof g) => ({ size: f.size, mtimeMs: f.mtimeMs, ino: f.ino });
  await writeFile(cacheFile, JSON.stringify({ version: 1, files: {
    [good]: { ...id(g), sha256: tool('sha256sum', good), blake3: tool('b3sum', good) },
    [bad]: { ...id(b), sha256: 'not hex', blake3: tool('b3sum', bad) },
  } }));
  const hasher = createHasher({ cacheFile, workers: 0 });
  assert.equal(await hasher.hash(g), { sha256: tool('sha256sum', good), blake3: tool('b3sum', good) });
  assert.is(hasher.bytesRead, 0);
  assert.equal(await hasher.hash(b), { sha256: tool('sha256sum', bad) });
  assert.is(hasher.bytesRead, b.size);
  await hasher.close();
});

test('a file that grows while it is read is a diagnostic, not a digest, and is not cached', async () => {
  const path = join(tmp.dir, 'growing.bin');
  // Above the small-file size (those are read whole, without progress) and several chunks long.
  await makeFile(path, SMALL_FILE_BYTES + 3 * CHUNK_SIZE);
  // workers: 0 reads on this thread, so progress arrives between chunks, mid-read.
  const hasher = createHasher({ cacheFile: null, workers: 0 });
  let grown = false;
  const file = await asHashable(path);
  const { hashes, diagnostics } = await hasher.hashMany([file], {
    onProgress: (p) => {
      if (p.bytes > 0 && !grown) {
        appendFileSync(path, 'more');
        grown = true;
      }
    },
  });
  assert.ok(grown);
  assert.equal([...hashes.keys()], []);
  assert.is(diagnostics.length, 1);
  assert.match(diagnostics[0]!.message, /growing\.bin: it changed while being read/);
  assert.is(await hasher.cached(file), null);
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
  const run3 = await third.hashMany(await inventory(root), { onProgress: (p) => progress.push(p) });
  assert.is(third.bytesRead, 3 * MiB, 'only the touched file is read');
  assert.equal(run3.hashes.get(touched), run1.hashes.get(touched));
  assert.equal(progress.at(-1), { files: 3, totalFiles: 3, bytes: 3 * MiB, totalBytes: 3 * MiB });

  // Asking for blake3 too: every file lacks it, so all are read once and counted in the progress.
  const progress4: HashProgress[] = [];
  const run4 = await third.hashMany(await inventory(root), { algorithms: ['sha256', 'blake3'], onProgress: (p) => progress4.push(p) });
  assert.is(third.bytesRead, 3 * MiB + 9 * MiB + 3 * MiB + 1234);
  assert.equal(progress4.at(-1), { files: 3, totalFiles: 3, bytes: 12 * MiB + 1234, totalBytes: 12 * MiB + 1234 });
  assert.equal(run4.hashes.get(touched)!.sha256, run1.hashes.get(touched)!.sha256);
  await third.save();
  await third.close();
});

test('the cache file is deterministic JSON holding only paths, identities and the digests computed', async () => {
  const path = join(tmp.dir, 'c.bin');
  await writeFile(path, 'abc');
  const cacheFile = join(tmp.dir, 'cache-det.json');
  const hasher = createHasher({ cacheFile, workers: 1 });
  await hasher.hash(await asHashable(path));
  await hasher.save();
  await hasher.close();
  const text = await readFile(cacheFile, 'utf8');
  const data = JSON.parse(text);
  assert.equal(Object.keys(data), ['files', 'version']);
  assert.equal(Object.keys(data.files[path]), ['ino', 'mtimeMs', 'sha256', 'size']);
  assert.is(data.files[path].sha256, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('an unreadable or vanished file is a diagnostic, the others still hash', async () => {
  const ok = join(tmp.dir, 'ok.bin');
  await writeFile(ok, 'ok');
  const hasher = createHasher({ cacheFile: null, workers: 2 });
  const gone = { absPath: join(tmp.dir, 'gone.bin'), size: 5, mtimeMs: 1, ino: 1 };
  const goneBig = { absPath: join(tmp.dir, 'gone-big.bin'), size: 5 * MiB, mtimeMs: 1, ino: 1 };
  const { hashes, diagnostics } = await hasher.hashMany([await asHashable(ok), gone, goneBig], { algorithms: ['blake3'] });
  await hasher.close();
  assert.equal([...hashes.keys()], [ok]);
  assert.equal(diagnostics.map((d) => d.code), ['unreadable-model-file', 'unreadable-model-file']);
  assert.ok(diagnostics[0]!.message.includes('gone-big.bin'), 'on a worker');
  assert.ok(diagnostics[1]!.message.includes('gone.bin'), 'on the calling thread');
});

test('the calling thread hashes beside the workers: the same digests, every byte counted, progress within each file', async () => {
  const paths = [0, 1, 2].map((i) => join(tmp.dir, `caller-${i}.bin`));
  for (const [i, path] of paths.entries()) await makeFile(path, 20 * MiB + i * 1000);
  const files = await Promise.all(paths.map(async (absPath) => {
    const s = await stat(absPath);
    return { absPath, size: s.size, mtimeMs: s.mtimeMs, ino: s.ino };
  }));
  for (const workers of [1, 2]) {
    // workers: 1 is the calling thread alone; 2 is it and one worker thread.
    const hasher = createHasher({ cacheFile: null, workers, callerHashes: true });
    const seen: HashProgress[] = [];
    try {
      const { hashes, diagnostics } = await hasher.hashMany(files, { algorithms: ['sha256', 'blake3'], onProgress: (p) => seen.push(p) });
      assert.equal(diagnostics, []);
      assert.equal([...hashes.values()], paths.map((p) => ({ sha256: tool('sha256sum', p), blake3: tool('b3sum', p) })), `workers: ${workers}`);
    } finally {
      await hasher.close();
    }
    const total = files.reduce((n, f) => n + f.size, 0);
    assert.is(seen.at(-1)!.bytes, total);
    assert.is(seen.at(-1)!.files, files.length);
    // A worker reports a file this size once, at its end; the calling thread every few MiB.
    const steps = seen.filter((p, i) => i > 0 && p.bytes > seen[i - 1]!.bytes).length;
    if (workers === 1) assert.ok(steps >= 2 * files.length, `the bytes moved ${steps} times for ${files.length} files`);
  }
});

test.run();
