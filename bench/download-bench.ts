/**
 * download.sh as a user runs it, against the tools a user would otherwise run, over a loopback
 * nginx (127.0.0.1 only, its own config under `dir`, started and stopped here) that serves the
 * same files twice: under `/capped/`, each connection limited to 50 MB/s as many CDNs do, and
 * under `/fast/`, unlimited. Each round runs every command once, one after the other (A B C A B C
 * …), so a machine whose speed drifts moves them alike; ratios are medians of per-round ratios.
 *
 * The lock and download.sh come from `comfygen build` (online, so the url source asks the server
 * for the sizes it records), over a project whose workflow names one 2 GiB and four 512 MiB
 * checkpoints, each pinned by a `url` source entry with its sha256 and no size.
 *
 * - capped: the 2 GiB file into an empty MODELS_DIR (download.sh verifies it) against one curl
 *   (one connection, no hashing) and `aria2c -x8 -s8` checking the same sha256 itself;
 * - uncapped: the four 512 MiB files, `--jobs 1`, against one curl fetching the four in turn with
 *   no hashing at all, and (the floor of any verification on this machine) that curl followed by
 *   `openssl dgst -sha256` of each file it wrote;
 * - rerun: download.sh again over the complete box the last uncapped run left, with the bytes
 *   all its processes read (`rchar` of a parent that reaps them) and, where strace is installed,
 *   how many model files it opened; `--verify` (which reads them all) beside it.
 *
 * Every download lands in a fresh folder; outputs are removed outside the clock.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createRng } from './gen/random.js';
import { measure, median, type Measured } from './measure.js';

export interface DownloadFigures {
  runs: number;
  /** Bytes per second each connection gets under `/capped/`. */
  capBytesPerSecond: number;
  capped: {
    bytes: number;
    /** Medians, seconds. */
    downloadSh: number;
    curl: number;
    aria2c: number | null;
    /** Medians of per-round ratios: how many times faster than one curl; download.sh's time over aria2c's. */
    timesCurl: number;
    vsAria2c: number | null;
  };
  uncapped: {
    files: number;
    bytes: number;
    downloadSh: number;
    curl: number;
    /** curl, then openssl dgst -sha256 of each file: downloading and verifying one after the other. */
    curlThenSha256: number;
    /** Medians of per-round ratios: download.sh's time over curl's, and curl-then-sha256's over curl's. */
    vsCurl: number;
    floorVsCurl: number;
  };
  rerun: {
    files: number;
    seconds: number;
    /** Bytes read by the run and every process it started (pipes and the script included). */
    bytesRead: number;
    /** Model files the rerun opened (strace), or null without strace. */
    modelFilesOpened: number | null;
    verifySeconds: number;
  };
}

const MiB = 1024 * 1024;
const CAP = 50_000_000;
/** Bump when the served files or the project below change. */
const VERSION = 1;

interface Served { name: string; bytes: number; sha256: string }

/** `cli` runs the CLI as `node <cli> <dist> <args…>` (bench/child-cli.mjs). */
export async function downloadBench(cli: string, distDir: string, dir: string, runs: number): Promise<DownloadFigures> {
  for (const tool of ['nginx', 'curl']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is needed for the download figures (or pass --skip-downloads)`);
  }
  const aria2c = spawnSync('sh', ['-c', 'command -v aria2c']).status === 0;
  const strace = spawnSync('sh', ['-c', 'command -v strace']).status === 0;
  const files = await ensureFiles(join(dir, 'srv'));
  const [big, ...small] = files;
  const server = await startNginx(join(dir, 'nginx'), join(dir, 'srv'));
  try {
    const project = await buildProject(cli, distDir, join(dir, 'project'), server.url, files);
    const boxes = join(dir, 'boxes');
    const script = join(project, 'generated', 'download.sh');
    const env = (models: string) => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, MODELS_DIR: models });
    const downloadSh = (models: string, args: string[]) => measure('bash', [script, ...args], { env: env(models) });
    const fresh = async (name: string) => {
      const path = join(boxes, name);
      await rm(path, { recursive: true, force: true });
      await mkdir(path, { recursive: true });
      return path;
    };

    const s = { ds: [] as number[], curl: [] as number[], aria: [] as number[], dsFast: [] as number[], curlFast: [] as number[], floorFast: [] as number[] };
    const r = { timesCurl: [] as number[], vsAria: [] as number[], vsCurlFast: [] as number[], floorVsCurl: [] as number[] };
    let box = '';
    for (let round = 0; round < runs; round++) {
      console.error(`  round ${round + 1}/${runs}: capped (download.sh, curl${aria2c ? ', aria2c' : ''}), uncapped (download.sh --jobs 1, curl, curl then openssl) …`);
      const ds = (await downloadSh(await fresh('capped-ds'), ['--only', `checkpoints/${big!.name}`])).seconds;
      await expectInstalled(join(boxes, 'capped-ds', 'checkpoints'), [big!]);
      const out = await fresh('capped-curl');
      const curl = (await measure('curl', ['-sS', '--fail', '-o', join(out, big!.name), `${server.url}/capped/${big!.name}`])).seconds;
      let aria: number | null = null;
      if (aria2c) {
        const into = await fresh('capped-aria2c');
        aria = (await measure('aria2c', ['-q', '-x8', '-s8', '-d', into, '-o', big!.name, `--checksum=sha-256=${big!.sha256}`, `${server.url}/capped/${big!.name}`])).seconds;
      }
      await rm(boxes, { recursive: true, force: true });
      box = await fresh('fast-ds');
      const dsFast = (await downloadSh(box, ['--jobs', '1', '--only', 'checkpoints/m*'])).seconds;
      await expectInstalled(join(box, 'checkpoints'), small);
      const curlOut = await fresh('fast-curl');
      const curlArgs = ['-sS', '--fail', ...small.flatMap((f) => ['-o', join(curlOut, f.name), `${server.url}/fast/${f.name}`])];
      const curlFast = (await measure('curl', curlArgs)).seconds;
      await rm(curlOut, { recursive: true, force: true });
      await mkdir(curlOut, { recursive: true });
      const hashEach = small.map((f) => `openssl dgst -sha256 -r < '${join(curlOut, f.name)}' >/dev/null`).join(' && ');
      const floorFast = (await measure('sh', ['-c', `curl "$@" && ${hashEach}`, 'curl', ...curlArgs])).seconds;
      await rm(curlOut, { recursive: true, force: true });
      s.ds.push(ds);
      s.curl.push(curl);
      s.dsFast.push(dsFast);
      s.curlFast.push(curlFast);
      s.floorFast.push(floorFast);
      r.floorVsCurl.push(floorFast / curlFast);
      r.timesCurl.push(curl / ds);
      r.vsCurlFast.push(dsFast / curlFast);
      if (aria !== null) {
        s.aria.push(aria);
        r.vsAria.push(ds / aria);
      }
    }

    // The box the last uncapped run completed: a rerun decides by size.
    console.error('  rerun over the complete box, and --verify …');
    const rerunArgs = ['--only', 'checkpoints/m*'];
    const reruns: { seconds: number; bytesRead: number }[] = [];
    const verifies: number[] = [];
    for (let round = 0; round < Math.max(3, runs); round++) {
      reruns.push(await readingRun(script, rerunArgs, env(box)));
      verifies.push((await downloadSh(box, [...rerunArgs, '--verify'])).seconds);
    }
    const opened = strace ? modelFilesOpened(script, rerunArgs, env(box), join(box, 'checkpoints'), small) : null;
    return {
      runs,
      capBytesPerSecond: CAP,
      capped: {
        bytes: big!.bytes,
        downloadSh: median(s.ds),
        curl: median(s.curl),
        aria2c: aria2c ? median(s.aria) : null,
        timesCurl: median(r.timesCurl),
        vsAria2c: aria2c ? median(r.vsAria) : null,
      },
      uncapped: { files: small.length, bytes: small.reduce((n, f) => n + f.bytes, 0), downloadSh: median(s.dsFast), curl: median(s.curlFast),
        curlThenSha256: median(s.floorFast), vsCurl: median(r.vsCurlFast), floorVsCurl: median(r.floorVsCurl) },
      rerun: {
        files: small.length,
        seconds: median(reruns.map((x) => x.seconds)),
        bytesRead: Math.max(...reruns.map((x) => x.bytesRead)),
        modelFilesOpened: opened,
        verifySeconds: median(verifies),
      },
    };
  } finally {
    await server.stop();
  }
}

/** One 2 GiB and four 512 MiB files of seeded random bytes, kept between runs, with their sha256. */
async function ensureFiles(dir: string): Promise<Served[]> {
  const list = join(dir, `files-${VERSION}.json`);
  if (existsSync(list)) return JSON.parse(await readFile(list, 'utf8')) as Served[];
  console.error('  writing 4 GiB of files to serve (once) …');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const specs = [{ name: 'big.safetensors', bytes: 2048 * MiB }, ...[1, 2, 3, 4].map((i) => ({ name: `m${i}.safetensors`, bytes: 512 * MiB }))];
  const served: Served[] = [];
  for (const [i, spec] of specs.entries()) {
    const rng = createRng(100 + i);
    const block = Buffer.alloc(16 * MiB);
    for (let at = 0; at < block.length; at += 4) block.writeUInt32LE(Math.floor(rng.next() * 2 ** 32), at);
    const hash = createHash('sha256');
    const handle = await open(join(dir, spec.name), 'w');
    for (let at = 0; at < spec.bytes; at += block.length) {
      // Each block differs from the last (its first word is its index), so no two files or ranges are alike.
      block.writeUInt32LE(at / block.length, 0);
      await handle.write(block);
      hash.update(block);
    }
    await handle.close();
    served.push({ ...spec, sha256: hash.digest('hex') });
  }
  await writeFile(list, `${JSON.stringify(served, null, 2)}\n`);
  return served;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as { port: number };
  await new Promise((done) => probe.close(done));
  return port;
}

/** nginx in the foreground, one process, with its own config and temp paths under `dir`. */
async function startNginx(dir: string, root: string): Promise<{ url: string; stop: () => Promise<void> }> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  const temp = (name: string) => join(dir, name);
  await writeFile(conf, `# the download figures' loopback server (bench/download-bench.ts)
daemon off;
master_process off;
pid ${temp('nginx.pid')};
error_log ${temp('error.log')} warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${temp('body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
  default_type application/octet-stream;
  sendfile on;
  server {
    listen 127.0.0.1:${port};
    location /capped/ { alias ${root}/; limit_rate ${CAP}; }
    location /fast/ { alias ${root}/; }
  }
}
`);
  const child: ChildProcess = spawn('nginx', ['-c', conf, '-p', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`nginx did not start: ${stderr}${await readFile(temp('error.log'), 'utf8').catch(() => '')}`);
    if (spawnSync('curl', ['-sf', '-o', '/dev/null', '-r', '0-0', `${url}/fast/m1.safetensors`]).status === 0) break;
    if (i > 100) throw new Error('nginx did not answer within 10 s');
    await new Promise((done) => setTimeout(done, 100));
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGQUIT');
      await exited;
    },
  };
}

/** A project whose lock pins every served file through a `url` source (sha256, no size); built online. */
async function buildProject(cli: string, distDir: string, dir: string, base: string, files: Served[]): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'workflows'), { recursive: true });
  const workflow = Object.fromEntries(files.map((f, i) => [String(i + 1), { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: f.name } }]));
  await writeFile(join(dir, 'workflows', 'downloads.json'), `${JSON.stringify(workflow, null, 2)}\n`);
  const config = {
    workflows: ['workflows/*.json'],
    models: { target: 'models' },
    output: { dir: 'generated' },
    sources: [{
      type: 'url',
      files: Object.fromEntries(files.map((f) => [`checkpoints/${f.name}`, { url: `${base}/${f.name === 'big.safetensors' ? 'capped' : 'fast'}/${f.name}`, sha256: f.sha256 }])),
    }],
  };
  await writeFile(join(dir, 'comfy.config.json'), `${JSON.stringify(config, null, 2)}\n`);
  await measure(process.execPath, [cli, distDir, 'build', '--quiet'], { cwd: dir });
  const lock = JSON.parse(await readFile(join(dir, 'comfy.lock.json'), 'utf8')) as { models: Record<string, { locked?: { url: string } }> };
  const pinned = Object.values(lock.models).filter((m) => m.locked).length;
  if (pinned !== files.length) throw new Error(`the bench project's lock pins ${pinned} of ${files.length} files`);
  return dir;
}

async function expectInstalled(folder: string, files: Served[]): Promise<void> {
  for (const f of files) {
    const size = (await open(join(folder, f.name)).then(async (h) => {
      const s = await h.stat();
      await h.close();
      return s.size;
    }).catch(() => -1));
    if (size !== f.bytes) throw new Error(`download.sh did not install ${f.name} (${size} bytes): the figure would measure a failure`);
  }
}

/** A run, timed, with the bytes it and its children read: a parent shell reaps them all, then reads its own counter. */
async function readingRun(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ seconds: number; bytesRead: number }> {
  const wrapper = 'bash "$0" "$@" >/dev/null || exit; while read -r k v; do if [ "$k" = rchar: ]; then echo "$v"; fi; done </proc/$$/io';
  const m: Measured = await measure('bash', ['-c', wrapper, script, ...args], { env });
  const bytesRead = Number(m.stdout.trim());
  if (!Number.isFinite(bytesRead)) throw new Error(`no read counter from the rerun: ${m.stdout}`);
  return { seconds: m.seconds, bytesRead };
}

/** How many of the model files a run opened (any mode), from strace's record of every process. */
function modelFilesOpened(script: string, args: string[], env: NodeJS.ProcessEnv, folder: string, files: Served[]): number {
  const log = join(folder, '..', '..', 'rerun.strace');
  const out = spawnSync('strace', ['-f', '-qq', '-e', 'trace=open,openat,openat2', '-o', log, 'bash', script, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (out.status !== 0) throw new Error(`strace run failed: ${out.stderr}`);
  const text = spawnSync('cat', [log], { encoding: 'utf8' }).stdout;
  return files.filter((f) => text.includes(`${join(folder, f.name)}"`)).length;
}
