/**
 * The persistent scan cache (.comfygen/scans.cache): a later run rereads only changed workflows,
 * gives exactly a fresh scan's results, and never trusts a damaged or foreign cache.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createScanMemo } from '../../src/pipeline/scan-memo.js';
import type { ScannedWorkflow } from '../../src/core/types.js';
import { stampFiles } from '../../src/pipeline/file-stamp.js';
import { digestFiles, scanFiles, scanFilesPacked } from '../../src/scan/index.js';
import { tempDir } from '../helpers/tmp.js';

const wf = (name: string) => JSON.stringify({ 1: { class_type: 'LoraLoader', inputs: { lora_name: name } } });
const anHourAgo = new Date(Date.now() - 3600_000);

async function project(count: number) {
  const { dir, cleanup } = await tempDir();
  const files = Array.from({ length: count }, (_, i) => ({ relPath: `wf/${i}.json`, absPath: join(dir, `wf_${i}.json`) }));
  for (const [i, f] of files.entries()) {
    await writeFile(f.absPath, wf(`l${i}.safetensors`));
    await utimes(f.absPath, anHourAgo, anHourAgo);
  }
  return { dir, cleanup, files, cacheFile: join(dir, '.comfygen', 'scans.cache') };
}

/** The cache file's parts: a header line, a line per file (head, tab, result), the tables line. */
interface CacheParts { header: Record<string, unknown>; lines: { head: unknown[]; result: string }[]; tables: unknown[] }
function readCache(text: string): CacheParts {
  const lines = text.split('\n');
  assert.is(lines.pop(), '', 'the file ends with a newline');
  const header = JSON.parse(lines.shift()!) as Record<string, unknown>;
  const { tables } = JSON.parse(lines.pop()!) as { tables: unknown[] };
  return { header, tables, lines: lines.map((l) => ({ head: JSON.parse(l.slice(0, l.indexOf('\t'))) as unknown[], result: l.slice(l.indexOf('\t') + 1) })) };
}
function writeCache(c: CacheParts): string {
  return [JSON.stringify(c.header), ...c.lines.map((l) => `${JSON.stringify(l.head)}\t${l.result}`), JSON.stringify({ tables: c.tables }), ''].join('\n');
}
const readCacheFile = async (file: string) => readCache(await readFile(file, 'utf8'));

test('a new process rereads nothing that is unchanged, and only what changed', async () => {
  const p = await project(6);
  try {
    const first = createScanMemo();
    assert.equal(await first.scan(p.files, { cacheFile: p.cacheFile }), await scanFiles(p.files));
    assert.is(first.misses(), 6);
    const cached = await readFile(p.cacheFile, 'utf8');
    assert.not.ok(cached.includes(p.dir), 'the cache holds paths relative to the project only');

    const second = createScanMemo();
    assert.equal(await second.scan(p.files, { cacheFile: p.cacheFile }), await scanFiles(p.files));
    assert.is(second.misses(), 0, 'nothing reread');

    await writeFile(p.files[2]!.absPath, wf('changed.safetensors'));
    await utimes(p.files[2]!.absPath, anHourAgo, new Date(Date.now() - 1800_000));
    const third = createScanMemo();
    const again = await third.scan(p.files, { cacheFile: p.cacheFile });
    assert.is(third.misses(), 1, 'only the changed file reread');
    assert.is(again[2]!.refs[0]!.name, 'changed.safetensors');
    assert.equal(again, await scanFiles(p.files));
  } finally {
    await p.cleanup();
  }
});

test('a file written just now is not trusted to the cache (its stamp could repeat), but is scanned right', async () => {
  const p = await project(2);
  try {
    await writeFile(p.files[0]!.absPath, wf('fresh.safetensors'));
    await createScanMemo().scan(p.files, { cacheFile: p.cacheFile });
    const next = createScanMemo();
    const results = await next.scan(p.files, { cacheFile: p.cacheFile });
    assert.is(next.misses(), 1);
    assert.is(results[0]!.refs[0]!.name, 'fresh.safetensors');
  } finally {
    await p.cleanup();
  }
});

test('a damaged, foreign or outdated cache means a full scan, never wrong results or a crash', async () => {
  const p = await project(3);
  try {
    await createScanMemo().scan(p.files, { cacheFile: p.cacheFile });
    const good = await readCacheFile(p.cacheFile);
    assert.is(writeCache(good), await readFile(p.cacheFile, 'utf8'), 'the test reads the format right');
    const poisoned = structuredClone(good);
    poisoned.tables = (poisoned.tables as string[][]).map((t) => t.map((x) => (x.endsWith('.safetensors') ? 'poison.safetensors' : x)));
    assert.ok(writeCache(poisoned) !== writeCache(good), 'the poisoned cache differs');
    const heads = (change: (head: unknown[]) => unknown[]) => ({ ...good, lines: good.lines.map((l) => ({ ...l, head: change(l.head) })) });
    const cases: [string, string][] = [
      ['truncated', writeCache(good).slice(0, 50)],
      ['truncated before the tables', writeCache(good).split('\n').slice(0, -2).join('\n')],
      ['another scanner', writeCache({ ...poisoned, header: { ...good.header, fingerprint: 'an older comfygen' } })],
      ['another format', writeCache({ ...poisoned, header: { ...good.header, version: 99 } })],
      ['format 4 (one JSON object)', JSON.stringify({ version: 4, fingerprint: good.header.fingerprint, files: {}, tables: [] })],
      ['not the format', '[1,2,3]\n[4]\n'],
      ['string index out of range', writeCache({ ...good, tables: [[]] })],
      ['table index out of range', writeCache(heads((h) => [h[0], h[1], h[2], 7, h[4]]))],
      ['tables missing', writeCache({ ...good, tables: undefined as unknown as unknown[] })],
      ['digest of another type', writeCache({ ...poisoned, ...heads((h) => [h[0], h[1], h[2], h[3], 7]) })],
      ['heads without a tab', writeCache(poisoned).replaceAll('\t', ' ')],
      ['results cut short', writeCache({ ...poisoned, lines: poisoned.lines.map((l) => ({ ...l, result: l.result.slice(0, -3) })) })],
    ];
    for (const [label, content] of cases) {
      await writeFile(p.cacheFile, content);
      const memo = createScanMemo();
      const results = await memo.scan(p.files, { cacheFile: p.cacheFile });
      assert.is(memo.misses(), 3, label);
      assert.equal(results, await scanFiles(p.files), label);
    }

    // One damaged line costs a rescan of that file only.
    const oneBad = structuredClone(good);
    oneBad.lines[1]!.result = '[';
    await writeFile(p.cacheFile, writeCache(oneBad));
    const memo = createScanMemo();
    assert.equal(await memo.scan(p.files, { cacheFile: p.cacheFile }), await scanFiles(p.files));
    assert.is(memo.misses(), 1, 'only the file behind the damaged line');
  } finally {
    await p.cleanup();
  }
});

test('the cache is a line per file, odd paths read back, and the format 4 file it replaces is removed', async () => {
  const p = await project(2);
  try {
    const legacy = join(p.dir, '.comfygen', 'scans.json');
    await mkdir(join(p.dir, '.comfygen'));
    await writeFile(legacy, '{"version":4,"files":{}}');
    await createScanMemo().scan(p.files, { cacheFile: p.cacheFile });
    assert.not.ok(existsSync(legacy), 'the outdated scans.json is gone');
    const cache = await readCacheFile(p.cacheFile);
    assert.equal(cache.lines.map((l) => l.head[0]), ['wf/0.json', 'wf/1.json']);
    // A path that needs escaping (tab, newline, quote) stays on its line.
    const odd = [{ relPath: 'wf/a\tb\n"c".json', absPath: p.files[0]!.absPath }];
    await createScanMemo().scan(odd, { cacheFile: p.cacheFile });
    const memo = createScanMemo();
    assert.equal(await memo.scan(odd, { cacheFile: p.cacheFile }), await scanFiles(odd));
    assert.is(memo.misses(), 0, 'read back under its odd path');
  } finally {
    await p.cleanup();
  }
});

test('a workflow whose identity changed but not its bytes is read and digested, not parsed: touched, checked out afresh with .comfygen restored, renamed', async () => {
  const p = await project(6);
  const fresh = await tempDir();
  try {
    // A result with a diagnostic, whose `file` must follow the path the bytes are found under.
    await writeFile(p.files[5]!.absPath, '{"not": "a workflow"}');
    await utimes(p.files[5]!.absPath, anHourAgo, anHourAgo);
    const first = createScanMemo();
    await first.scan(p.files, { cacheFile: p.cacheFile });
    assert.is(first.misses(), 6);
    assert.is(first.contentHits(), 0, 'nothing to match on a first scan');
    const stored = () => readCacheFile(p.cacheFile).then((c) => c.lines.map((l) => l.head[4]));
    assert.equal(await stored(), [null, null, null, null, null, null], 'a first scan takes no digests (they would cost a cold build ~6%)');

    // The first build after the identities changed parses again, and records the digests.
    const recording = createScanMemo();
    for (const f of p.files) await utimes(f.absPath, new Date(Date.now() - 5400_000), new Date(Date.now() - 5400_000));
    assert.equal(await recording.scan(p.files, { cacheFile: p.cacheFile }), await scanFiles(p.files));
    assert.is(recording.misses(), 6);
    assert.ok((await stored()).every((d) => typeof d === 'string' && d.length === 43), 'every entry has its SHA-256 now');

    const twoHoursAgo = new Date(Date.now() - 7200_000);
    for (const f of p.files) await utimes(f.absPath, twoHoursAgo, twoHoursAgo);
    const touched = createScanMemo();
    assert.equal(await touched.scan(p.files, { cacheFile: p.cacheFile }), await scanFiles(p.files));
    assert.is(touched.misses(), 0, 'touched: nothing parsed');
    assert.is(touched.contentHits(), 6);

    // A fresh checkout elsewhere (new inodes, new times), with the cache restored beside it; one
    // workflow renamed, one edited.
    const moved = p.files.map((f, i) => (i === 5 ? { relPath: 'moved/five.json', absPath: join(fresh.dir, 'moved-five.json') } : { relPath: f.relPath, absPath: join(fresh.dir, `copy_${i}.json`) }));
    for (const [i, f] of moved.entries()) await copyFile(p.files[i]!.absPath, f.absPath);
    await writeFile(moved[1]!.absPath, wf('edited.safetensors'));
    for (const f of moved) await utimes(f.absPath, anHourAgo, anHourAgo);
    const cacheFile = join(fresh.dir, '.comfygen', 'scans.cache');
    await mkdir(join(fresh.dir, '.comfygen'));
    await copyFile(p.cacheFile, cacheFile);
    const checkout = createScanMemo();
    const results = await checkout.scan(moved, { cacheFile });
    // The memo answers in the caller's order, scanFiles by path.
    assert.equal([...results].sort((a, b) => (a.path < b.path ? -1 : 1)), await scanFiles(moved), 'exactly a fresh scan, renamed file and all');
    assert.is(checkout.misses(), 1, 'only the edited workflow parsed');
    assert.is(checkout.contentHits(), 5);
    assert.is(results[5]!.path, 'moved/five.json');
    assert.equal(results[5]!.diagnostics.map((d) => [d.code, d.file]), [['not-a-workflow', 'moved/five.json']]);

    const after = createScanMemo();
    assert.equal(await after.scan(moved, { cacheFile }), results, 'the cache now knows the new paths');
    assert.is(after.misses() + after.contentHits(), 0, 'nothing read');
  } finally {
    await p.cleanup();
    await fresh.cleanup();
  }
});

test('digests (for the build stamp\'s content key) parse nothing, and the scan after them reads no file twice', async () => {
  const p = await project(5);
  try {
    const spy = () => {
      const seen = { scanned: [] as string[], digested: [] as string[] };
      const memo = createScanMemo(
        async (files, opts) => { seen.scanned.push(...files.map((f) => f.relPath)); return scanFilesPacked(files, opts); },
        async (files, opts) => { seen.digested.push(...files.map((f) => f.relPath)); return digestFiles(files, opts); },
      );
      return { memo, seen };
    };
    const stamps = () => stampFiles(p.files);
    const sha = async (abs: string) => createHash('sha256').update(await readFile(abs)).digest('base64url');
    const expected = async () => Promise.all(p.files.map((f) => sha(f.absPath)));
    const retime = async (at: Date) => { for (const f of p.files) await utimes(f.absPath, at, at); };

    // Cold, then once more under new identities: now every entry has its digest.
    await createScanMemo().scan(p.files, { cacheFile: p.cacheFile });
    await retime(new Date(Date.now() - 7200_000));
    await createScanMemo().scan(p.files, { cacheFile: p.cacheFile });

    const known = spy();
    assert.equal(await known.memo.digests(p.files, { cacheFile: p.cacheFile, stamps: stamps() }), await expected());
    assert.equal(known.seen.digested, [], 'unchanged identities: digests from the cache, nothing read');

    // New identities, one file edited: all are digested, none parsed; the scan then parses only the edit.
    await retime(new Date(Date.now() - 5400_000));
    await writeFile(p.files[2]!.absPath, wf('edited.safetensors'));
    await utimes(p.files[2]!.absPath, anHourAgo, anHourAgo);
    const fresh = spy();
    const now = stamps();
    assert.equal(await fresh.memo.digests(p.files, { cacheFile: p.cacheFile, stamps: now }), await expected());
    assert.equal(fresh.seen.digested, p.files.map((f) => f.relPath));
    assert.equal(fresh.seen.scanned, []);
    assert.equal(await fresh.memo.scan(p.files, { cacheFile: p.cacheFile, stamps: now }), await scanFiles(p.files));
    assert.equal(fresh.seen.scanned, ['wf/2.json'], 'only the edited file read again');
    assert.is(fresh.memo.contentHits(), 4);
    assert.equal(fresh.memo.digestsOf(p.files), await expected());

    // restamp: new identities recorded without parsing; the next scan reads nothing.
    await retime(new Date(Date.now() - 3600_000 * 3));
    const replay = spy();
    const later = stamps();
    const digests = await replay.memo.digests(p.files, { cacheFile: p.cacheFile, stamps: later });
    replay.memo.restamp(p.files, { cacheFile: p.cacheFile, stamps: later, digests });
    assert.equal(replay.seen.scanned, []);
    const next = spy();
    assert.equal(await next.memo.scan(p.files, { cacheFile: p.cacheFile, stamps: stamps() }), await scanFiles(p.files));
    assert.equal([...next.seen.scanned, ...next.seen.digested], [], 'known by identity again');
  } finally {
    await p.cleanup();
  }
});

test('results packed by scan workers are stored as they came, and read back exactly, alone or mixed with rescans', async () => {
  const p = await project(120); // enough files for two workers
  // The memo answers in the caller's order, scanFiles by path.
  const byPath = (r: ScannedWorkflow[]) => [...r].sort((a, b) => (a.path < b.path ? -1 : 1));
  try {
    const first = createScanMemo();
    assert.equal(byPath(await first.scan(p.files, { cacheFile: p.cacheFile })), await scanFiles(p.files, { workers: 0 }));
    const stored = await readCacheFile(p.cacheFile);
    assert.ok(stored.tables.length >= 3, 'the workers\' own tables are kept (plus the shared one)');

    const second = createScanMemo();
    assert.equal(byPath(await second.scan(p.files, { cacheFile: p.cacheFile })), await scanFiles(p.files, { workers: 0 }));
    assert.is(second.misses(), 0);

    await writeFile(p.files[7]!.absPath, wf('edited.safetensors'));
    await utimes(p.files[7]!.absPath, anHourAgo, new Date(Date.now() - 1800_000));
    const third = createScanMemo();
    const mixed = await third.scan(p.files, { cacheFile: p.cacheFile });
    assert.is(third.misses(), 1);
    assert.is(mixed[7]!.refs[0]!.name, 'edited.safetensors');

    const fourth = createScanMemo();
    assert.equal(await fourth.scan(p.files, { cacheFile: p.cacheFile }), mixed, 'entries from the old cache and the rescan both read back');
    assert.is(fourth.misses(), 0);
  } finally {
    await p.cleanup();
  }
});

test('partial rescans on workers pile up string tables only so far: past eight, the cache is packed into one again', async () => {
  const p = await project(300);
  const byPath = (r: ScannedWorkflow[]) => [...r].sort((a, b) => (a.path < b.path ? -1 : 1));
  try {
    await createScanMemo().scan(p.files, { cacheFile: p.cacheFile });
    const counts: number[] = [];
    // Each round rewrites 96 files (enough for two workers) from a moving window, so entries
    // from several earlier rounds survive, each over its own workers' tables.
    for (let round = 1; round <= 6; round++) {
      for (let k = 0; k < 96; k++) {
        const f = p.files[(round * 29 + k) % p.files.length]!;
        await writeFile(f.absPath, wf(`r${round}_${k}.safetensors`));
        await utimes(f.absPath, anHourAgo, new Date(Date.now() - 60_000 + round));
      }
      const memo = createScanMemo();
      const results = await memo.scan(p.files, { cacheFile: p.cacheFile });
      assert.is(memo.misses(), 96, `round ${round}: only the rewritten files`);
      assert.equal(byPath(results), await scanFiles(p.files, { workers: 0 }), `round ${round}`);
      counts.push((await readCacheFile(p.cacheFile)).tables.length);
    }
    assert.ok(counts.every((n) => n <= 9), `never more than eight kept plus the shared one: ${counts.join(', ')}`);
    assert.ok(counts.includes(1), `once past eight, everything was packed into the shared table: ${counts.join(', ')}`);
    const last = createScanMemo();
    assert.equal(byPath(await last.scan(p.files, { cacheFile: p.cacheFile })), await scanFiles(p.files, { workers: 0 }), 'the repacked cache reads back exactly');
    assert.is(last.misses(), 0);
  } finally {
    await p.cleanup();
  }
});

test.run();
