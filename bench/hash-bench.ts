/**
 * Hash throughput over the same big files: comfygen's hasher (SHA-256 + BLAKE3 in one pass on a
 * worker pool) against `sha256sum` and `b3sum`, page cache warm for everyone.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, open, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRng } from './gen/random.js';

export interface HashFigures {
  gib: number;
  comfygenSeconds: number;
  sha256sumSeconds: number;
  b3sumSeconds: number;
}

async function prepare(dir: string, count: number, bytes: number): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const rng = createRng(7);
  const block = Buffer.alloc(16 * 1024 * 1024);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE(Math.floor(rng.next() * 2 ** 32), i);
  const paths = Array.from({ length: count }, (_, i) => join(dir, `model-${i}.safetensors`));
  for (const path of paths) {
    if ((await stat(path).catch(() => null))?.size === bytes) continue;
    const handle = await open(path, 'w');
    for (let at = 0; at < bytes; at += block.length) await handle.write(block, 0, Math.min(block.length, bytes - at));
    await handle.close();
  }
  spawnSync('cat', paths, { stdio: ['ignore', 'ignore', 'inherit'] });
  return paths;
}

function timeCommand(cmd: string, args: string[]): number {
  const start = process.hrtime.bigint();
  const out = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (out.status !== 0) throw new Error(`${cmd} failed (is it installed?)`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export async function hashBench(distDir: string, dir: string, count = 8, mib = 128): Promise<HashFigures> {
  const paths = await prepare(dir, count, mib * 1024 * 1024);
  const { createHasher } = await import(pathToFileURL(join(distDir, 'src/io/hash.js')).href);
  const hasher = createHasher({ cacheFile: null, workers: availableParallelism() });
  const files = await Promise.all(paths.map(async (absPath) => {
    const s = await stat(absPath);
    return { absPath, size: s.size, mtimeMs: s.mtimeMs, ino: s.ino };
  }));
  // Start the workers first so the figure is hashing, not thread start-up.
  const warm = join(dir, 'warmup');
  await (await open(warm, 'w')).close();
  await hasher.hashMany([{ absPath: warm, size: 0, mtimeMs: 0, ino: 0 }]);
  const start = process.hrtime.bigint();
  const { diagnostics } = await hasher.hashMany(files);
  const comfygenSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  await hasher.close();
  if (diagnostics.length > 0) throw new Error(`hasher: ${diagnostics[0].message}`);
  return {
    gib: (count * mib) / 1024,
    comfygenSeconds,
    sha256sumSeconds: timeCommand('sha256sum', paths),
    b3sumSeconds: timeCommand('b3sum', paths),
  };
}
