/**
 * `comfygen inventory --hash` as a user runs it, a whole process (start-up, config, walk, worker
 * start, hashing, saving the cache) over a few large page-cached model files, each run beside
 * the tools a user would otherwise run over the same files (A B C A B C …):
 *
 * - `--hash blake3` against `b3sum` (multithreaded, mmap);
 * - `--hash` (SHA-256) against `openssl dgst -sha256` and `sha256sum` (one thread each).
 *
 * `.comfygen/` is removed before each comfygen run (outside the clock), so every file is read.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { prepare } from './hash-bench.js';
import { measure, median } from './measure.js';

export interface HashCliFigures {
  files: number;
  gib: number;
  runs: number;
  /** Medians, seconds. */
  blake3Seconds: number;
  b3sumSeconds: number;
  sha256Seconds: number;
  opensslSeconds: number;
  sha256sumSeconds: number;
  /** Medians of the per-round throughput ratios, comfygen over the tool (> 1: comfygen is faster). */
  blake3VsB3sum: number;
  sha256VsOpenssl: number;
  sha256VsSha256sum: number;
}

export async function hashCliBench(cli: string, distDir: string, dir: string, runs: number, count = 4, mib = 1024): Promise<HashCliFigures> {
  const folder = join(dir, 'models', 'checkpoints');
  const { paths } = await prepare(folder, count, mib * 1024 * 1024, 0);
  await writeFile(join(dir, 'comfy.config.json'), `${JSON.stringify({ workflows: ['workflows/*.json'], models: { roots: ['models'] } })}\n`);
  await mkdir(join(dir, 'workflows'), { recursive: true });
  const inventory = async (algorithm: string) => {
    await rm(join(dir, '.comfygen'), { recursive: true, force: true });
    const m = await measure(process.execPath, [cli, distDir, 'inventory', '--json', '--hash', algorithm], { cwd: dir });
    const files = (JSON.parse(m.stdout) as { files: { blake3: string | null; sha256: string | null; path: string }[] }).files;
    const hashed = files.filter((f) => paths.includes(f.path) && f[algorithm as 'sha256' | 'blake3'] !== null).length;
    if (hashed !== count) throw new Error(`inventory --hash ${algorithm} hashed ${hashed} of the ${count} files`);
    return m.seconds;
  };
  const tool = async (cmd: string, args: string[]) => (await measure(cmd, [...args, ...paths])).seconds;
  if (spawnSync('openssl', ['version']).status !== 0) throw new Error('openssl is needed for the hash figures');
  const s = { blake3: [] as number[], b3sum: [] as number[], sha256: [] as number[], openssl: [] as number[], sha256sum: [] as number[] };
  const r = { blake3VsB3sum: [] as number[], sha256VsOpenssl: [] as number[], sha256VsSha256sum: [] as number[] };
  for (let round = 0; round < runs; round++) {
    const blake3 = await inventory('blake3');
    const b3sum = await tool('b3sum', []);
    const sha256 = await inventory('sha256');
    const openssl = await tool('openssl', ['dgst', '-sha256']);
    const sha256sum = await tool('sha256sum', []);
    s.blake3.push(blake3);
    s.b3sum.push(b3sum);
    s.sha256.push(sha256);
    s.openssl.push(openssl);
    s.sha256sum.push(sha256sum);
    r.blake3VsB3sum.push(b3sum / blake3);
    r.sha256VsOpenssl.push(openssl / sha256);
    r.sha256VsSha256sum.push(sha256sum / sha256);
  }
  return {
    files: count,
    gib: (count * mib) / 1024,
    runs,
    blake3Seconds: median(s.blake3),
    b3sumSeconds: median(s.b3sum),
    sha256Seconds: median(s.sha256),
    opensslSeconds: median(s.openssl),
    sha256sumSeconds: median(s.sha256sum),
    blake3VsB3sum: median(r.blake3VsB3sum),
    sha256VsOpenssl: median(r.sha256VsOpenssl),
    sha256VsSha256sum: median(r.sha256VsSha256sum),
  };
}
