/**
 * Hash throughput of comfygen's hasher (SHA-256 + BLAKE3 in one pass, worker pool) against
 * `sha256sum` and `b3sum` on the same files, all read from a warm page cache.
 *
 *   node --import tsx scripts/hash-throughput.ts [--files 8] [--mib 256] [--dir /tmp/comfygen-hash-bench] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createHasher } from '../src/io/hash.js';

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '8' },
    mib: { type: 'string', default: '256' },
    dir: { type: 'string', default: '/tmp/comfygen-hash-bench' },
    keep: { type: 'boolean', default: false },
  },
});
const count = Number(values.files);
const size = Number(values.mib) * 1024 * 1024;
const paths = Array.from({ length: count }, (_, i) => join(values.dir!, `model-${i}.bin`));

async function prepare(): Promise<void> {
  await mkdir(values.dir!, { recursive: true });
  const block = randomBytes(16 * 1024 * 1024);
  for (const path of paths) {
    if ((await stat(path).catch(() => null))?.size === size) continue;
    const handle = await open(path, 'w');
    for (let at = 0; at < size; at += block.length) await handle.write(block, 0, Math.min(block.length, size - at));
    await handle.close();
  }
  for (const w of warmups) await (await open(w.absPath, 'w')).close();
  spawnSync('cat', paths, { stdio: ['ignore', 'ignore', 'inherit'] }); // warm the page cache
}

function timeCommand(cmd: string, args: string[]): number {
  const start = process.hrtime.bigint();
  const out = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (out.status !== 0) throw new Error(`${cmd} failed`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const warmups = Array.from({ length: availableParallelism() }, (_, i) => ({ absPath: join(values.dir!, `warmup-${i}`), size: 0, mtimeMs: 0, ino: 0 }));

async function timeHasher(workers: number): Promise<number> {
  const hasher = createHasher({ cacheFile: null, workers });
  const files = await Promise.all(paths.map(async (absPath) => {
    const s = await stat(absPath);
    return { absPath, size: s.size, mtimeMs: s.mtimeMs, ino: s.ino };
  }));
  // Start every worker first (under tsx each one compiles its modules): measure hashing only.
  await hasher.hashMany(warmups.slice(0, workers));
  const start = process.hrtime.bigint();
  await hasher.hashMany(files);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await hasher.close();
  return seconds;
}

await prepare();
const total = count * size;
const gib = total / 1024 ** 3;
const cores = availableParallelism();
const rows: Array<[string, number]> = [
  [`comfygen hasher, sha256+blake3, ${cores} workers`, await timeHasher(cores)],
  ['comfygen hasher, sha256+blake3, 1 worker', await timeHasher(1)],
  ['sha256sum (one process)', timeCommand('sha256sum', paths)],
  [`sha256sum, ${cores} in parallel (xargs -P)`, timeCommand('sh', ['-c', `printf '%s\\n' "$@" | xargs -P ${cores} -n 1 sha256sum`, 'sh', ...paths])],
  ['b3sum (default: multithreaded, mmap)', timeCommand('b3sum', paths)],
];
console.log(`${count} × ${values.mib} MiB = ${gib.toFixed(2)} GiB, page cache warm; ${cpus()[0]?.model ?? 'cpu'}, ${cores} cores, Node ${process.version}`);
for (const [name, seconds] of rows) console.log(`${(gib / seconds).toFixed(2).padStart(6)} GiB/s  ${seconds.toFixed(2).padStart(6)} s  ${name}`);
if (!values.keep) await rm(values.dir!, { recursive: true, force: true });
