/**
 * Conformance check against the real-world corpus (DESIGN §8):
 *   node --import tsx scripts/corpus-check.ts [CORPUS_DIR]     (default ../shared/corpus)
 * Scans every file under templates/ and examples/, compares with expected.json and prints, per
 * subset, active-ref recall, all-ref recall, embedded-URL recall and the refs found beyond it.
 * Exits 1 on a crash, a file not reported, an error diagnostic on a listed file, active-ref
 * recall below 0.99, embedded-URL recall below 1, or a scan result the scan cache's compact
 * form (src/scan/codec.ts) does not give back exactly, under its own path or another.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelRef, ScannedWorkflow } from '../src/core/types.js';
import { normalizeModelUrl, scanFiles } from '../src/scan/index.js';
import { StringTable, decodeWorkflow, encodeWorkflow } from '../src/scan/codec.js';

interface ExpectedFile {
  path: string;
  corpus: string;
  refs: { folder: string; name: string; active: boolean }[];
  embedded: { folder: string; name: string; url: string; sha256: string | null; active: boolean }[];
}

const SUBSETS = ['templates', 'examples'] as const;
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const corpus = resolve(repoRoot, process.argv[2] ?? '../shared/corpus');

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...listFiles(path));
    else out.push(path);
  }
  return out;
}

class Ratio {
  hit = 0;
  total = 0;
  add(ok: boolean): void {
    this.total++;
    if (ok) this.hit++;
  }
  get value(): number {
    return this.total === 0 ? 1 : this.hit / this.total;
  }
  toString(): string {
    return `${this.value.toFixed(4)} (${this.hit}/${this.total})`;
  }
}

async function main(): Promise<number> {
  if (!existsSync(join(corpus, 'expected.json'))) {
    console.error(`corpus check: no corpus at ${corpus} (expected.json is missing), so nothing was checked.\n` +
      'It is the real-world workflow set that sits beside a checkout as ../shared/corpus; give another folder as the argument: npm run corpus -- DIR');
    return 2;
  }
  const expected = (JSON.parse(readFileSync(join(corpus, 'expected.json'), 'utf8')) as { files: ExpectedFile[] }).files;
  const files = SUBSETS.flatMap((s) => listFiles(join(corpus, s))).map((absPath) => ({ absPath, relPath: relative(corpus, absPath).split('\\').join('/') }));
  const started = performance.now();
  const scanned = await scanFiles(files);
  const ms = performance.now() - started;
  const byPath = new Map(scanned.map((wf) => [wf.path, wf]));
  const failures: string[] = [];

  for (const subset of SUBSETS) {
    const active = new Ratio();
    const all = new Ratio();
    const urls = new Ratio();
    const extras: string[] = [];
    const misses: string[] = [];
    const activity: string[] = [];
    for (const exp of expected.filter((e) => e.corpus === subset)) {
      const wf = byPath.get(exp.path);
      if (!wf) {
        failures.push(`${exp.path}: not reported`);
        continue;
      }
      for (const d of wf.diagnostics.filter((d) => d.severity === 'error')) failures.push(`${exp.path}: error diagnostic ${d.code}: ${d.message}`);
      const refs = new Map(wf.refs.map((r) => [`${r.folder}/${r.name}`, r]));
      const wantActive = new Map<string, boolean>();
      for (const r of exp.refs) wantActive.set(`${r.folder}/${r.name}`, (wantActive.get(`${r.folder}/${r.name}`) ?? false) || r.active);
      for (const [key, isActive] of wantActive) {
        const got = refs.get(key);
        all.add(got !== undefined);
        if (isActive) active.add(got?.active === true);
        if (!got) misses.push(`${exp.path}: ${key}${isActive ? '' : ' (inactive)'}`);
        else if (got.active !== isActive) activity.push(`${exp.path}: ${key} expected ${isActive ? 'active' : 'inactive'}, scanned ${got.active ? 'active' : 'inactive'}`);
      }
      const wantUrls = new Set(exp.embedded.map((e) => `${e.folder}/${e.name}\0${normalizeModelUrl(e.url) ?? e.url}`));
      for (const entry of wantUrls) {
        const [key, url] = entry.split('\0') as [string, string];
        const ok = urlsOf(refs.get(key)).includes(url);
        urls.add(ok);
        if (!ok) misses.push(`${exp.path}: ${key} url ${url}`);
      }
      const known = new Set([...wantActive.keys(), ...exp.embedded.map((e) => `${e.folder}/${e.name}`)]);
      for (const [key, ref] of refs) if (!known.has(key)) extras.push(`${exp.path}: ${key}${describe(ref)}`);
    }
    console.log(`\n== ${subset} ==`);
    console.log(`active-ref recall   ${active}`);
    console.log(`all-ref recall      ${all}`);
    console.log(`embedded-URL recall ${urls}`);
    console.log(`extras beyond expected.json: ${extras.length}`);
    for (const line of extras) console.log(`  + ${line}`);
    for (const line of misses) console.log(`  - missed ${line}`);
    for (const line of activity) console.log(`  ~ ${line}`);
    if (active.value < 0.99) failures.push(`${subset}: active-ref recall ${active.value.toFixed(4)} < 0.99`);
    if (urls.value < 1) failures.push(`${subset}: embedded-URL recall ${urls.value.toFixed(4)} < 1`);
  }

  failures.push(...await codecFailures(files, scanned));

  const listed = new Set(expected.map((e) => e.path));
  const unlisted = scanned.filter((wf) => !listed.has(wf.path));
  if (unlisted.length > 0) console.log(`\n${unlisted.length} file(s) not in expected.json were scanned: ${unlisted.map((wf) => wf.path).join(', ')}`);
  console.log(`\nscanned ${scanned.length} files in ${ms.toFixed(0)} ms; ${countDiagnostics(scanned)}`);
  if (failures.length > 0) {
    console.log(`\nFAILED:\n${failures.map((f) => `  ${f}`).join('\n')}`);
    return 1;
  }
  console.log('\ncorpus check passed');
  return 0;
}

/**
 * The scan cache keeps results in a compact form, reused for the same bytes under another path:
 * every real result must come back exactly, from its own encoding and from one made elsewhere.
 */
async function codecFailures(files: { absPath: string; relPath: string }[], scanned: ScannedWorkflow[]): Promise<string[]> {
  const failures: string[] = [];
  const byPath = new Map(scanned.map((wf) => [wf.path, wf]));
  const elsewhere = await scanFiles(files.map((f) => ({ ...f, relPath: `elsewhere/${f.relPath}` })));
  for (const moved of elsewhere) {
    const own = byPath.get(moved.path.slice('elsewhere/'.length))!;
    for (const [from, label] of [[own, 'its own'], [moved, 'another path\'s']] as const) {
      const table = new StringTable();
      const encoded = encodeWorkflow(from, table);
      const back = encoded && decodeWorkflow(own.path, JSON.parse(JSON.stringify(encoded)), JSON.parse(JSON.stringify(table.strings)));
      if (!back) failures.push(`${own.path}: the scan cache's compact form cannot hold this result`);
      else if (JSON.stringify(back) !== JSON.stringify(own)) failures.push(`${own.path}: the compact form from ${label} result decodes to something else`);
    }
  }
  console.log(`\ncompact form (scan cache): ${scanned.length} results round-tripped, ${failures.length} differ`);
  return failures;
}

function urlsOf(ref: ModelRef | undefined): string[] {
  return ref ? [ref.embedded?.url, ...(ref.mirrors ?? [])].filter((u): u is string => typeof u === 'string') : [];
}

function describe(ref: ModelRef): string {
  const flags = [ref.active ? 'active' : 'inactive', ref.guessed ? 'guessed' : '', ref.embedded?.url ? 'has url' : ''].filter(Boolean);
  return ` (${flags.join(', ')}; ${ref.nodes.map((n) => `${n.type}#${n.id}.${n.input}`).join(', ') || 'workflow-level metadata'})`;
}

function countDiagnostics(scanned: ScannedWorkflow[]): string {
  const counts = new Map<string, number>();
  for (const wf of scanned) for (const d of wf.diagnostics) counts.set(`${d.severity}:${d.code}`, (counts.get(`${d.severity}:${d.code}`) ?? 0) + 1);
  return `diagnostics: ${[...counts].sort().map(([k, v]) => `${k}×${v}`).join(', ') || 'none'}`;
}

main().then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    console.error('corpus check crashed:', err);
    process.exitCode = 1;
  },
);
