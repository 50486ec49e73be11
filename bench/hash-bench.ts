/**
 * Hash throughput over the same big files, page cache warm for everyone: comfygen's hasher
 * (one worker per core) asked for SHA-256 alone against `sha256sum`, for BLAKE3 alone against
 * `b3sum`, and for both in one read (informational: what `inventory --hash sha256,blake3` does).
 */
import { spawnSync } from 'node:child_process';
import { mkdir, open, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { createHasher as CreateHasher, HashAlgorithm } from '../src/io/hash.js';
import { createRng } from './gen/random.js';

export interface HashFigures {
  gib: number;
  sha256Seconds: number;
  blake3Seconds: number;
  bothSeconds: number;
  sha256sumSeconds: number;
  b3sumSeconds: number;
}

async function writeFiles(paths: string[], bytes: number, block: Buffer): Promise<void> {
  for (const path of paths) {
    if ((await stat(path).catch(() => null))?.size === bytes) continue;
    const handle = await open(path, 'w');
    for (let at = 0; at < bytes; at += block.length) await handle.write(block, 0, Math.min(block.length, bytes - at));
    await handle.close();
  }
}

/** `count` files of `bytes` in `dir` (kept between runs), plus `warmUps` small ones; all read once. */
export async function prepare(dir: string, count: number, bytes: number, warmUps = availableParallelism()): Promise<{ paths: string[]; warm: string[] }> {
  await mkdir(dir, { recursive: true });
  const rng = createRng(7);
  const block = Buffer.alloc(16 * 1024 * 1024);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE(Math.floor(rng.next() * 2 ** 32), i);
  const paths = Array.from({ length: count }, (_, i) => join(dir, `model-${i}.safetensors`));
  await writeFiles(paths, bytes, block);
  // Above the hasher's small-file size, so that they go to the workers and start every one.
  const warm = Array.from({ length: warmUps }, (_, i) => join(dir, `warmup-${i}.bin`));
  await writeFiles(warm, 2 * 1024 * 1024, block);
  spawnSync('cat', [...paths, ...warm], { stdio: ['ignore', 'ignore', 'inherit'] });
  return { paths, warm };
}

function timeCommand(cmd: string, args: string[]): number {
  const start = process.hrtime.bigint();
  const out = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (out.status !== 0) throw new Error(`${cmd} failed (is it installed?)`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** One pass of a fresh hasher (empty cache) over the files, timed after its workers are up. */
async function timePass(createHasher: typeof CreateHasher, paths: string[], warm: string[], algorithms: HashAlgorithm[]): Promise<number> {
  const identify = (absPath: string) => stat(absPath).then((s) => ({ absPath, size: s.size, mtimeMs: s.mtimeMs, ino: s.ino }));
  const files = await Promise.all(paths.map(identify));
  const hasher = createHasher({ cacheFile: null, workers: availableParallelism() });
  try {
    // Start the workers (and load what the algorithms need) first: the figure is hashing, not start-up.
    await hasher.hashMany(await Promise.all(warm.map(identify)), { algorithms });
    const start = process.hrtime.bigint();
    const { diagnostics } = await hasher.hashMany(files, { algorithms });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (diagnostics.length > 0) throw new Error(`hasher: ${diagnostics[0]!.message}`);
    return seconds;
  } finally {
    await hasher.close();
  }
}

export async function hashBench(distDir: string, dir: string, count = 8, mib = 128): Promise<HashFigures> {
  const { paths, warm } = await prepare(dir, count, mib * 1024 * 1024);
  const { createHasher } = (await import(pathToFileURL(join(distDir, 'src/io/hash.js')).href)) as typeof import('../src/io/hash.js');
  return {
    gib: (count * mib) / 1024,
    sha256Seconds: await timePass(createHasher, paths, warm, ['sha256']),
    sha256sumSeconds: timeCommand('sha256sum', paths),
    blake3Seconds: await timePass(createHasher, paths, warm, ['blake3']),
    b3sumSeconds: timeCommand('b3sum', paths),
    bothSeconds: await timePass(createHasher, paths, warm, ['sha256', 'blake3']),
  };
}
