/**
 * `npm run bench -- [--size S|M|L] [--repeat N] [--skip-hash] [--skip-requests] [--skip-startup]
 * [--skip-downloads] [--only build|hash|startup|downloads|requests]… [--startup-runs N] [--hash-cli-runs N]
 * [--download-runs N]`: see bench/README.md.
 * Prints a table with each figure beside its comparator and writes bench/results.json.
 */
import { spawnSync } from 'node:child_process';
import { readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureProject, SIZES, type Size } from './generate.js';
import { hashBench, type HashFigures } from './hash-bench.js';
import { downloadBench, type DownloadFigures } from './download-bench.js';
import { hashCliBench, type HashCliFigures } from './hash-cli-bench.js';
import { measure, median, type Measured } from './measure.js';
import { requestBench, type RequestFigures } from './requests.js';
import { startupBench, type StartupFigures } from './startup-bench.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = dirname(here);
const work = join(here, 'work');
const dist = join(work, 'dist');

const { values } = parseArgs({ options: {
  size: { type: 'string', default: 'M' },
  repeat: { type: 'string' },
  'skip-hash': { type: 'boolean', default: false },
  'skip-requests': { type: 'boolean', default: false },
  'skip-startup': { type: 'boolean', default: false },
  'skip-downloads': { type: 'boolean', default: false },
  'startup-runs': { type: 'string', default: '7' },
  'hash-cli-runs': { type: 'string', default: '3' },
  'download-runs': { type: 'string', default: '3' },
  only: { type: 'string', multiple: true },
} });
const MODULES = ['build', 'hash', 'startup', 'downloads', 'requests'] as const;
for (const name of values.only ?? []) {
  if (!(MODULES as readonly string[]).includes(name)) throw new Error(`--only takes ${MODULES.join(', ')}, not ${name}`);
}
/** Whether a group of figures runs: every one not skipped, or with --only (repeatable) just those named. */
const wanted = (name: (typeof MODULES)[number]) =>
  values.only ? values.only.includes(name) : name === 'build' || !values[`skip-${name}` as 'skip-hash'];
const size = values.size!.toUpperCase() as Size;
if (!(size in SIZES)) throw new Error(`--size must be S, M, L or XL, not ${values.size}`);
const repeat = Number(values.repeat ?? (size === 'L' || size === 'XL' ? 1 : 3));

// dist/ may be stale while people work; compile the current sources into bench/work/dist instead.
console.error('compiling src/ → bench/work/dist …');
const tsc = spawnSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', join(repo, 'tsconfig.json'), '--outDir', dist], { stdio: 'inherit' });
if (tsc.status !== 0) console.error('tsc reported errors (output emitted anyway); figures use what compiled');

const builds = wanted('build');
if (builds) console.error(`generating/reusing project ${size} …`);
const project = builds ? await ensureProject(work, size) : null!;

interface BuildOut { exitCode: number; bytesRead: number | null; demands: number; present: number | null; workflows: number }
const comfygen = () => measure(process.execPath, [join(here, 'child-build.mjs'), dist, project.configFile]);
const naive = () => measure('python3', [join(here, 'naive.py'), project.dir]);
const parseFloor = () => measure(process.execPath, [join(here, 'parse-floor.mjs'), join(project.dir, 'workflows')]);
const parse = (m: Measured): BuildOut => JSON.parse(m.stdout.trim().split('\n').pop()!);
const clean = async () => {
  for (const p of ['.comfygen', 'comfy.lock.json', 'generated']) await rm(join(project.dir, p), { recursive: true, force: true });
};

/** Every workflow file of the project (for the edit and the fresh-checkout figures). */
const workflowFiles = !builds ? [] : (await readdir(join(project.dir, 'workflows'), { recursive: true, withFileTypes: true }))
  .filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort();

/** Rebuild after one workflow was edited (a byte appended), then put it back as it was. */
async function editedOne(): Promise<Measured> {
  const file = workflowFiles[Math.floor(workflowFiles.length / 2)]!;
  const [before, times] = [await readFile(file), await stat(file)];
  await writeFile(file, Buffer.concat([before, Buffer.from('\n')]));
  try {
    return await comfygen();
  } finally {
    await writeFile(file, before);
    await utimes(file, times.atime, times.mtime);
  }
}

/**
 * What CI sees with `.comfygen/` restored onto a fresh checkout: every workflow has a new
 * identity (here: new times), its bytes are the same. The first such build after a cold one
 * parses everything and records the digests a cold build skips; from the next one on, bytes
 * that did not change are digested, not parsed.
 */
async function freshCheckout(): Promise<Measured> {
  await newIdentities();
  return comfygen();
}

async function newIdentities(): Promise<void> {
  const when = new Date(Date.now() - 3600_000 * (1 + Math.random()));
  for (const f of workflowFiles) await utimes(f, when, when);
}

/**
 * `comfygen check` as a CI job runs it, over the lock and outputs the builds above left (so no
 * drift): with no `.comfygen/`, again with the one it kept, then twice on a fresh checkout with
 * that `.comfygen/` restored (the 1st records the digests a first scan skips).
 */
async function checks(): Promise<{ cold: Measured; repeated: Measured; checkout: Measured; checkoutAgain: Measured }> {
  const check = async () => {
    const m = await measure(process.execPath, [join(here, 'child-build.mjs'), dist, project.configFile, '--check']);
    const drift = (JSON.parse(m.stdout.trim().split('\n').pop()!) as { drift: number }).drift;
    if (drift !== 0) throw new Error(`check found ${drift} file(s) of drift after a build: it would measure something else`);
    return m;
  };
  await rm(join(project.dir, '.comfygen'), { recursive: true, force: true });
  const cold = await check();
  const repeated = await check();
  await newIdentities();
  const checkout = await check();
  await newIdentities();
  return { cold, repeated, checkout, checkoutAgain: await check() };
}

if (builds) await naive(); // warm the page cache for both sides
const cold: Measured[] = [];
const warm: Measured[] = [];
const edited: Measured[] = [];
const checkout: Measured[] = [];
const checkoutAgain: Measured[] = [];
const naiveRuns: Measured[] = [];
const checkRuns: Awaited<ReturnType<typeof checks>>[] = [];
const floorRuns: Measured[] = [];
let coldOut: BuildOut | null = null;
let warmOut: BuildOut | null = null;
for (let i = 0; i < (builds ? repeat : 0); i++) {
  console.error(`run ${i + 1}/${repeat}: naive, cold build, warm build, one workflow edited, fresh checkout twice, checks …`);
  naiveRuns.push(await naive());
  floorRuns.push(await parseFloor());
  await clean();
  const c = await comfygen();
  cold.push(c);
  coldOut = parse(c);
  const w = await comfygen();
  warm.push(w);
  warmOut = parse(w);
  edited.push(await editedOne());
  checkout.push(await freshCheckout());
  checkoutAgain.push(await freshCheckout());
  checkRuns.push(await checks());
}
const naiveS = median(naiveRuns.map((m) => m.seconds));
const coldS = median(cold.map((m) => m.seconds));
const warmS = median(warm.map((m) => m.seconds));
const editedS = median(edited.map((m) => m.seconds));
const checkoutS = median(checkout.map((m) => m.seconds));
const checkoutAgainS = median(checkoutAgain.map((m) => m.seconds));
const floorS = median(floorRuns.map((m) => m.seconds));
const checkS = Object.fromEntries((['cold', 'repeated', 'checkout', 'checkoutAgain'] as const).map((k) => [k, median(checkRuns.map((r) => r[k].seconds))])) as Record<keyof (typeof checkRuns)[number], number>;
const peakOf = (runs: Measured[]) => `peak ${Math.max(...runs.map((m) => m.peakRssMb ?? 0)).toFixed(0)} MB`;
const peakRss = Math.max(...[...cold, ...warm].map((m) => m.peakRssMb ?? 0));

let hash: HashFigures | null = null;
if (wanted('hash')) {
  console.error('hashing 8 × 128 MiB …');
  hash = await hashBench(dist, join(work, 'hash'));
}
// Whole processes through the CLI, as users run it, each beside its comparator in the same run.
const cli = join(here, 'child-cli.mjs');
let startup: StartupFigures | null = null;
if (wanted('startup')) {
  console.error('first and warm builds of a 30-workflow project (comfy.config.ts, JSON, node -e 0) …');
  startup = await startupBench(cli, dist, join(work, 'startup'), Number(values['startup-runs']));
}
let hashCli: HashCliFigures | null = null;
if (wanted('hash')) {
  console.error('inventory --hash over 4 × 1 GiB (b3sum, openssl dgst -sha256, sha256sum) …');
  hashCli = await hashCliBench(cli, dist, join(work, 'hash-cli'), Number(values['hash-cli-runs']));
}
let downloads: DownloadFigures | null = null;
if (wanted('downloads')) {
  console.error('downloads from a loopback nginx: 2 GiB capped per connection (curl, aria2c), 4 × 512 MiB uncapped (curl), a rerun …');
  downloads = await downloadBench(cli, dist, join(work, 'downloads'), Number(values['download-runs']));
}
let requests: RequestFigures | null = null;
if (wanted('requests')) {
  console.error('requests against the fake Hugging Face / Civitai …');
  requests = await requestBench(dist, join(work, 'requests'));
}

type Row = { figure: string; comfygen: string; comparator: string; ratio: string; target: string; pass: boolean | null };
const rows: Row[] = [];
const fmt = (s: number) => `${s.toFixed(3)} s`;
// Each ratio divides by the comparator its row names (a time: below 1 means comfygen is faster).
const ratio = (ours: number, theirs: number) => `${(ours / theirs).toFixed(2)}×`;
if (builds) {
  rows.push({ figure: 'cold build --offline', comfygen: fmt(coldS), comparator: `naive.py ${fmt(naiveS)}`, ratio: ratio(coldS, naiveS), target: '≤ 1.00×', pass: coldS / naiveS <= 1.0 });
  rows.push({ figure: 'floor: read + JSON.parse only', comfygen: fmt(floorS), comparator: `cold build ${fmt(coldS)}`, ratio: ratio(floorS, coldS), target: '', pass: null });
  rows.push({ figure: 'warm rebuild', comfygen: fmt(warmS), comparator: `naive.py ${fmt(naiveS)}`, ratio: ratio(warmS, naiveS), target: '≤ 0.35×', pass: warmS / naiveS <= 0.35 });
  rows.push({ figure: 'rebuild, one workflow edited', comfygen: `${fmt(editedS)}; ${peakOf(edited)}`, comparator: `cold ${fmt(coldS)}`, ratio: ratio(editedS, coldS), target: '', pass: null });
  rows.push({ figure: 'fresh checkout, .comfygen kept: 1st', comfygen: `${fmt(checkoutS)}; ${peakOf(checkout)}`, comparator: `cold ${fmt(coldS)}`, ratio: ratio(checkoutS, coldS), target: '', pass: null });
  rows.push({ figure: 'fresh checkout, .comfygen kept: later', comfygen: `${fmt(checkoutAgainS)}; ${peakOf(checkoutAgain)}`, comparator: `cold ${fmt(coldS)}`, ratio: ratio(checkoutAgainS, coldS), target: '', pass: null });
  rows.push({ figure: 'check, no .comfygen', comfygen: fmt(checkS.cold), comparator: `naive.py ${fmt(naiveS)}`, ratio: ratio(checkS.cold, naiveS), target: '', pass: null });
  rows.push({ figure: 'check, repeated', comfygen: fmt(checkS.repeated), comparator: `check, no .comfygen ${fmt(checkS.cold)}`, ratio: ratio(checkS.repeated, checkS.cold), target: '', pass: null });
  rows.push({ figure: 'check, fresh checkout, .comfygen kept: later', comfygen: fmt(checkS.checkoutAgain), comparator: `1st ${fmt(checkS.checkout)}`, ratio: ratio(checkS.checkoutAgain, checkS.checkout), target: '', pass: null });
  rows.push({ figure: 'model bytes read, warm', comfygen: String(warmOut?.bytesRead), comparator: `cold: ${coldOut?.bytesRead}`, ratio: '', target: '= 0', pass: warmOut?.bytesRead === 0 });
}
if (hash) {
  const gibs = (s: number) => `${(hash!.gib / s).toFixed(2)} GiB/s`;
  const vs = (ours: number, theirs: number, target: number): Pick<Row, 'ratio' | 'target' | 'pass'> =>
    ({ ratio: `${(theirs / ours).toFixed(2)}×`, target: `≥ ${target}×`, pass: theirs / ours >= target });
  rows.push({ figure: 'sha256, many files', comfygen: gibs(hash.sha256Seconds), comparator: `sha256sum ${gibs(hash.sha256sumSeconds)}`, ...vs(hash.sha256Seconds, hash.sha256sumSeconds, 3) });
  rows.push({ figure: 'blake3, many files', comfygen: gibs(hash.blake3Seconds), comparator: `b3sum ${gibs(hash.b3sumSeconds)}`, ...vs(hash.blake3Seconds, hash.b3sumSeconds, 0.8) });
  rows.push({ figure: 'sha256 + blake3, one pass', comfygen: gibs(hash.bothSeconds), comparator: `sha256sum then b3sum ${gibs(hash.sha256sumSeconds + hash.b3sumSeconds)}`, ratio: `${((hash.sha256sumSeconds + hash.b3sumSeconds) / hash.bothSeconds).toFixed(2)}×`, target: '', pass: null });
}
if (builds) rows.push({ figure: 'peak RSS (build)', comfygen: `${peakRss.toFixed(0)} MB`, comparator: `naive.py ${Math.max(...naiveRuns.map((m) => m.peakRssMb ?? 0)).toFixed(0)} MB`, ratio: '', target: '≤ 300 MB', pass: peakRss <= 300 });
if (requests) {
  rows.push({ figure: `requests, cold cache (${requests.models} models)`, comfygen: String(requests.cold), comparator: `warm lock: ${requests.warm}`, ratio: '', target: '', pass: null });
  rows.push({ figure: 'requests, cache but no lock', comfygen: String(requests.cacheOnly), comparator: `cold: ${requests.cold}`, ratio: '', target: '', pass: null });
}

// Figures of issue 23. Times: comfygen's over the comparator's (< 1: comfygen is faster);
// throughput: comfygen's over the comparator's (> 1: comfygen is faster). Ratios are medians of
// per-round ratios, each round running every command once, side by side.
if (startup) {
  const x = (r: number) => `${r.toFixed(2)}×`;
  const what = `build --offline, ${startup.workflows} workflows, comfy.config.ts`;
  rows.push({ figure: `${what}, cold`, comfygen: fmt(startup.coldTsSeconds), comparator: `node -e 0 ${fmt(startup.nodeSeconds)}`, ratio: x(startup.coldTsVsNode), target: '≤ 5× (time)', pass: startup.coldTsVsNode <= 5 });
  rows.push({ figure: `${what}, cold`, comfygen: fmt(startup.coldTsSeconds), comparator: `same, comfy.config.json ${fmt(startup.coldJsonSeconds)}`, ratio: x(startup.coldTsVsJson), target: '≤ 1.15× (time)', pass: startup.coldTsVsJson <= 1.15 });
  rows.push({ figure: `${what}, warm`, comfygen: fmt(startup.warmTsSeconds), comparator: `node -e 0 ${fmt(startup.nodeSeconds)}`, ratio: x(startup.warmTsVsNode), target: '≤ 2.5× (time)', pass: startup.warmTsVsNode <= 2.5 });
}
if (hashCli) {
  const gibs = (s: number) => `${(hashCli!.gib / s).toFixed(2)} GiB/s`;
  const what = `inventory --hash, ${hashCli.files} × ${hashCli.gib / hashCli.files} GiB`;
  rows.push({ figure: `${what}: blake3`, comfygen: gibs(hashCli.blake3Seconds), comparator: `b3sum ${gibs(hashCli.b3sumSeconds)}`, ratio: `${hashCli.blake3VsB3sum.toFixed(2)}×`, target: '≥ 0.8× (throughput)', pass: hashCli.blake3VsB3sum >= 0.8 });
  rows.push({ figure: `${what}: sha256`, comfygen: gibs(hashCli.sha256Seconds), comparator: `openssl dgst -sha256 ${gibs(hashCli.opensslSeconds)}`, ratio: `${hashCli.sha256VsOpenssl.toFixed(2)}×`, target: '≥ 1.3× (throughput)', pass: hashCli.sha256VsOpenssl >= 1.3 });
  rows.push({ figure: `${what}: sha256`, comfygen: gibs(hashCli.sha256Seconds), comparator: `sha256sum ${gibs(hashCli.sha256sumSeconds)}`, ratio: `${hashCli.sha256VsSha256sum.toFixed(2)}×`, target: '(throughput)', pass: null });
}

if (downloads) {
  const d = downloads;
  const speed = (bytes: number, s: number) => `${(bytes / s / 1e6).toFixed(0)} MB/s`;
  const what = `download ${d.capped.bytes / 2 ** 30} GiB, ${d.capBytesPerSecond / 1e6} MB/s per connection`;
  rows.push({ figure: what, comfygen: `${fmt(d.capped.downloadSh)} (${speed(d.capped.bytes, d.capped.downloadSh)})`, comparator: `one curl ${fmt(d.capped.curl)}`, ratio: `${d.capped.timesCurl.toFixed(2)}×`, target: '≥ 6× (speed)', pass: d.capped.timesCurl >= 6 });
  if (d.capped.aria2c !== null && d.capped.vsAria2c !== null) {
    rows.push({ figure: what, comfygen: fmt(d.capped.downloadSh), comparator: `aria2c -x8 -s8 --checksum ${fmt(d.capped.aria2c)}`, ratio: `${d.capped.vsAria2c.toFixed(2)}×`, target: '≤ 1.3× (time)', pass: d.capped.vsAria2c <= 1.3 });
  }
  const fast = `download ${d.uncapped.files} × ${d.uncapped.bytes / d.uncapped.files / 2 ** 20} MiB, uncapped, --jobs 1`;
  rows.push({ figure: fast, comfygen: `${fmt(d.uncapped.downloadSh)} (${speed(d.uncapped.bytes, d.uncapped.downloadSh)})`, comparator: `curl, no hashing ${fmt(d.uncapped.curl)}`, ratio: `${d.uncapped.vsCurl.toFixed(2)}×`, target: '≤ 1.25× (time)', pass: d.uncapped.vsCurl <= 1.25 });
  rows.push({ figure: `${fast}: floor`, comfygen: `curl, then openssl dgst -sha256 ${fmt(d.uncapped.curlThenSha256)}`, comparator: `curl, no hashing ${fmt(d.uncapped.curl)}`, ratio: `${d.uncapped.floorVsCurl.toFixed(2)}×`, target: '(any verification)', pass: null });
  const opened = d.rerun.modelFilesOpened;
  const noModelBytes = opened === null ? d.rerun.bytesRead < d.uncapped.bytes / d.uncapped.files : opened === 0;
  rows.push({
    figure: `rerun, complete box of ${d.rerun.files} × ${d.uncapped.bytes / d.uncapped.files / 2 ** 20} MiB url pins`,
    comfygen: `${fmt(d.rerun.seconds)}; read ${(d.rerun.bytesRead / 2 ** 20).toFixed(1)} MiB${opened === null ? '' : `, ${opened} model files opened`}`,
    comparator: `--verify ${fmt(d.rerun.verifySeconds)}`, ratio: '', target: '< 1 s, no model byte', pass: d.rerun.seconds < 1 && noModelBytes,
  });
}

const spec = SIZES[size];
if (builds) console.log(`\nsize ${size}: ${spec.workflows} workflows, ${spec.models} model files; ${coldOut?.demands} models referenced, ${coldOut?.present} present; ${cpus()[0]?.model ?? 'cpu'}, ${availableParallelism()} cores, Node ${process.version}; median of ${repeat}`);
const cols: Array<keyof Row> = ['figure', 'comfygen', 'comparator', 'ratio', 'target', 'pass'];
const cell = (r: Row, c: keyof Row) => (c === 'pass' ? (r.pass === null ? '' : r.pass ? 'PASS' : 'MISS') : String(r[c]));
const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r, c).length)));
console.log(cols.map((c, i) => c.padEnd(widths[i]!)).join('  '));
for (const r of rows) console.log(cols.map((c, i) => cell(r, c).padEnd(widths[i]!)).join('  '));
if (size !== 'L' && size !== 'XL') console.log('(targets are defined for size L, peak RSS for XL, on a 2-core machine)');

await writeFile(join(here, 'results.json'), `${JSON.stringify({
  size, ...spec, cores: availableParallelism(), node: process.version, repeat,
  build: builds ? { coldSeconds: coldS, warmSeconds: warmS, editedSeconds: editedS, checkoutSeconds: checkoutS, checkoutAgainSeconds: checkoutAgainS, naiveSeconds: naiveS, parseFloorSeconds: floorS, peakRssMb: peakRss, cold: coldOut, warm: warmOut } : null,
  check: builds ? { coldSeconds: checkS.cold, repeatedSeconds: checkS.repeated, checkoutSeconds: checkS.checkout, checkoutAgainSeconds: checkS.checkoutAgain } : null,
  hash, hashCli, startup, downloads, requests, rows,
}, null, 2)}\n`);
