/**
 * `node --import tsx bench/extraction-bound.ts [--size L] [--repeat 3]`: how fast would a cold
 * build be if extracting refs from each parsed workflow cost nothing? (bench/README.md, "What
 * stands between".)
 *
 * It runs the real cold build three ways, in turn, over the project `npm run bench` generated:
 *   as built    bench/work/dist, unchanged;
 *   extract     a copy of it whose scanner first loads a table of every workflow's extraction
 *               (precomputed here with the same code), then extracts as usual;
 *   lookup      the same copy, taking each workflow's extraction from that table after parsing
 *               it, so reading, parsing, encoding, the model walk and everything after the scan
 *               still run, and extraction (and compiling it) does not.
 * extract − lookup is what extraction costs the build; as built minus that is the bound. All
 * three must write the same lock and outputs, byte for byte, or the figures mean nothing.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { measure, median } from './measure.js';

const here = dirname(fileURLToPath(import.meta.url));
const work = join(here, 'work');
const dist = join(work, 'dist');
const boundDist = join(work, 'dist-bound');

const { values } = parseArgs({ options: { size: { type: 'string', default: 'L' }, repeat: { type: 'string', default: '3' } } });
const projectDir = join(work, values.size!.toUpperCase());
const configFile = join(projectDir, 'comfy.config.json');
if (!existsSync(configFile) || !existsSync(join(dist, 'src/scan/scan-bytes.js'))) {
  throw new Error(`run \`npm run bench -- --size ${values.size}\` first: it compiles bench/work/dist and generates ${projectDir}`);
}

// 1. Every workflow's extraction, keyed by the path the scanner passes (relative to the config, with /).
const { extractRefs } = await import(pathToFileURL(join(dist, 'src/scan/extract.js')).href);
const { parseJsonLenient } = await import(pathToFileURL(join(dist, 'src/scan/json.js')).href);
const table: Record<string, unknown> = {};
for (const entry of readdirSync(join(projectDir, 'workflows'), { recursive: true, withFileTypes: true })) {
  if (!entry.isFile()) continue;
  const relPath = relative(projectDir, join(entry.parentPath, entry.name)).split(sep).join('/');
  const parsed = parseJsonLenient(readFileSync(join(projectDir, relPath), 'utf8'));
  if (!parsed.ok) throw new Error(`${relPath}: the bench project holds only valid JSON workflows`);
  table[relPath] = extractRefs(parsed.value, relPath);
}
const tableFile = join(work, `extractions-${values.size!.toUpperCase()}.json`);
writeFileSync(tableFile, JSON.stringify(table));

// 2. The copy of dist whose JSON path can take its extraction from the table.
rmSync(boundDist, { recursive: true, force: true });
cpSync(dist, boundDist, { recursive: true });
const scanBytes = join(boundDist, 'src/scan/scan-bytes.js');
const source = readFileSync(scanBytes, 'utf8');
const anchor = '    const extraction = extractRefs(parsed.value, relPath);\n    return result(relPath, extraction.graph, extraction);';
const at = source.indexOf(anchor);
if (at < 0 || !source.slice(0, at).includes('export function fromJsonText')) throw new Error('scan-bytes.js changed: update the anchor in bench/extraction-bound.ts');
const patched = `    globalThis.__boundTable ??= JSON.parse(__readFileSync(process.env.COMFYGEN_BOUND_TABLE, 'utf8'));
    const extraction = process.env.COMFYGEN_BOUND_MODE === 'lookup' ? globalThis.__boundTable[relPath] : extractRefs(parsed.value, relPath);
    if (!extraction) throw new Error('no precomputed extraction for ' + relPath);
    return result(relPath, extraction.graph, extraction);`;
writeFileSync(scanBytes, `import { readFileSync as __readFileSync } from 'node:fs';\n${source.slice(0, at)}${patched}${source.slice(at + anchor.length)}`);

// 3. Cold builds, the three variants in turn.
interface Phases { scan_start: number; scan_done: number; end: number }
const variants = [
  { name: 'as built', dist, env: {} },
  { name: 'extract', dist: boundDist, env: { COMFYGEN_BOUND_TABLE: tableFile, COMFYGEN_BOUND_MODE: 'extract' } },
  { name: 'lookup', dist: boundDist, env: { COMFYGEN_BOUND_TABLE: tableFile, COMFYGEN_BOUND_MODE: 'lookup' } },
];
const runs = new Map(variants.map((v) => [v.name, [] as { seconds: number; scan: number; after: number }[]]));
let expected: string | null = null;
for (let i = 0; i < Number(values.repeat); i++) {
  for (const v of variants) {
    for (const p of ['.comfygen', 'comfy.lock.json', 'generated']) rmSync(join(projectDir, p), { recursive: true, force: true });
    const m = await measure(process.execPath, [join(here, 'child-build.mjs'), v.dist, configFile, '--phases'], { env: { ...process.env, ...v.env } });
    const out = JSON.parse(m.stdout.trim().split('\n').pop()!) as { errors: number; phases: Phases };
    if (out.errors !== 0) throw new Error(`${v.name}: the build reported ${out.errors} error(s)`);
    const written = digestOutputs();
    if (expected !== null && written !== expected) throw new Error(`${v.name}: the lock or outputs differ from the build as built; the bound would measure another build`);
    expected = written;
    runs.get(v.name)!.push({ seconds: m.seconds, scan: out.phases.scan_done - out.phases.scan_start, after: out.phases.end - out.phases.scan_done });
  }
}

const med = (name: string, key: 'seconds' | 'scan' | 'after') => median(runs.get(name)!.map((r) => r[key]));
const fmt = (s: number) => `${s.toFixed(2)} s`;
console.log('| variant | cold build | scan | after the scan |\n|---|---|---|---|');
for (const v of variants) console.log(`| ${v.name} | ${fmt(med(v.name, 'seconds'))} | ${fmt(med(v.name, 'scan'))} | ${fmt(med(v.name, 'after'))} |`);
const cost = med('extract', 'seconds') - med('lookup', 'seconds');
const bound = med('as built', 'seconds') - cost;
const naiveTimes: number[] = [];
for (let i = 0; i < Number(values.repeat); i++) naiveTimes.push((await measure('python3', [join(here, 'naive.py'), projectDir])).seconds);
const naive = median(naiveTimes);
console.log(`\nextraction costs the cold build ${fmt(cost)}; without it the build would take ~${fmt(bound)}`);
console.log(`naive.py ${fmt(naive)}: as built ${(med('as built', 'seconds') / naive).toFixed(2)}×, the bound ${(bound / naive).toFixed(2)}× (target ≤ 0.80×)`);

/** SHA-256 over the lock and every generated file, in path order. */
function digestOutputs(): string {
  const h = createHash('sha256');
  const files = [join(projectDir, 'comfy.lock.json'), ...readdirSync(join(projectDir, 'generated'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort()];
  for (const f of files) h.update(relative(projectDir, f)).update('\0').update(readFileSync(f)).update('\0');
  return h.digest('hex');
}
