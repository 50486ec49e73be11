/**
 * Large sets are scanned on worker threads, the common files with synchronous reads: the
 * results must be exactly what the one-thread async scan gives, whatever the mix of files.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import { spawnModuleWorker } from '../../src/io/spawn-worker.js';
import { decodePacked, digestFiles, scanFile, scanFiles, scanFilesPacked } from '../../src/scan/index.js';
import { scanFileSync } from '../../src/scan/scan-file.js';
import type { ScanWorkerData } from '../../src/scan/scan-worker.js';
import { tempDir } from '../helpers/tmp.js';
import { apiNode, exif, flac, mp4, png, tEXt, uiNode, uiWorkflow, webp } from './builders.js';

const ui = (name: string) => JSON.stringify(uiWorkflow([uiNode({ id: 1, type: 'LoraLoader', widgets: [name, 1, 1] })]));
const api = (name: string) => JSON.stringify({ 1: apiNode('CheckpointLoaderSimple', { ckpt_name: name }) });

/** Every kind of file the scanner meets, good and bad. */
function corpus(i: number): [string, Uint8Array | string] {
  switch (i % 10) {
    case 0: return [`ui/${i}.json`, ui(`lora_${i}.safetensors`)];
    case 1: return [`api/${i}.json`, api(`ckpt_${i}.safetensors`)];
    case 2: return [`png/${i}.png`, png([tEXt('workflow', ui(`png_${i}.safetensors`))])];
    case 3: return [`webp/${i}.webp`, webp(exif([[0x010f, `workflow:${ui(`webp_${i}.safetensors`)}`]]))];
    case 4: return [`flac/${i}.flac`, flac([`prompt=${api(`flac_${i}.safetensors`)}`])];
    case 5: return [`mp4/${i}.mp4`, mp4({ workflow: ui(`mp4_${i}.safetensors`) })];
    case 6: return [`bad/${i}.json`, '{"nodes": [ truncated'];
    case 7: return [`bad/${i}.json`, ''];
    case 8: return [`bad/${i}.json`, 'NaN'];
    default: return [`nan/${i}.json`, `{"1": {"class_type": "VAELoader", "inputs": {"vae_name": "v_${i}.safetensors", "x": NaN}}}`];
  }
}

/** A real scan worker, as scan-files.ts starts one. */
const realWorker = (data: ScanWorkerData) => spawnModuleWorker(new URL('../../src/scan/scan-files.ts', import.meta.url).href, 'scan-worker', { workerData: data });
/** A worker that dies on its first batch, with more batches already sent to it. */
const dyingWorker = () => new Worker("require('node:worker_threads').parentPort.on('message', () => process.exit(3))", { eval: true });

/** The first `count` corpus files, written under `dir`. */
async function writeCorpus(dir: string, count: number): Promise<{ absPath: string; relPath: string }[]> {
  const files: { absPath: string; relPath: string }[] = [];
  for (let i = 0; i < count; i++) {
    const [rel, content] = corpus(i);
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), content);
    files.push({ relPath: rel, absPath: join(dir, rel) });
  }
  return files;
}

test('workers give the same results, in the same order, as the one-thread scan (plus missing files and folders)', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const files = await writeCorpus(dir, 240);
    await mkdir(join(dir, 'a-folder.json'));
    files.push({ relPath: 'a-folder.json', absPath: join(dir, 'a-folder.json') }, { relPath: 'gone.json', absPath: join(dir, 'gone.json') });
    const reversed = [...files].reverse();
    const inline = await scanFiles(files, { workers: 0 });
    const packed = await scanFilesPacked(reversed, { workers: 2 });
    // Only a worker's answer arrives packed: this proves the workers ran rather than the
    // fallback on this thread.
    assert.ok(packed.every((r) => r.kind === 'scanned' && r.packed !== null), 'every result came from a worker');
    const parallel = packed.map((r) => (r.kind === 'scanned' ? r.result! : null));
    assert.is(parallel.length, files.length);
    assert.equal(parallel, inline);
    assert.equal(parallel.map((wf) => wf!.path), [...files.map((f) => f.relPath)].sort());
    const byPath = new Map(parallel.map((wf) => [wf!.path, wf!]));
    const lazy = await scanFilesPacked(reversed, { workers: 2, lazy: true });
    assert.ok(lazy.every((r) => r.kind === 'scanned' && r.result === null), 'lazy: each stays in its compact form');
    assert.equal(lazy.map((r) => (r.kind === 'scanned' ? decodePacked(r.path, r.packed!) : null)), inline, 'and decodes to the same result');
    assert.equal(byPath.get('png/2.png')!.refs.map((r) => r.name), ['png_2.safetensors']);
    assert.equal(byPath.get('nan/9.json')!.refs.map((r) => r.name), ['v_9.safetensors']);
    assert.is(byPath.get('gone.json')!.diagnostics[0]!.code, 'unreadable-file');
    assert.is(byPath.get('a-folder.json')!.diagnostics[0]!.code, 'unreadable-file');
    assert.is(byPath.get('bad/6.json')!.diagnostics[0]!.code, 'unparsable-workflow');
  } finally {
    await cleanup();
  }
});

test('asked for content, each file read whole comes back with the SHA-256 of its bytes, and a known digest is not parsed, under any path', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const files = await writeCorpus(dir, 120);
    // The same bytes as ui/0.json under another name: a renamed or copied workflow.
    await mkdir(join(dir, 'copy'));
    await writeFile(join(dir, 'copy', 'zero.json'), await readFile(join(dir, 'ui/0.json')));
    files.push({ relPath: 'copy/zero.json', absPath: join(dir, 'copy', 'zero.json') }, { relPath: 'gone.json', absPath: join(dir, 'gone.json') });
    const sha = async (abs: string) => createHash('sha256').update(await readFile(abs)).digest('base64url');
    const expected = new Map<string, string | null>();
    for (const f of files) expected.set(f.relPath, f.relPath === 'gone.json' ? null : await sha(f.absPath));
    const plain = await scanFiles(files, { workers: 0 });

    for (const workers of [0, 2]) {
      const scanned = await scanFilesPacked(files, { workers, content: { known: null } });
      assert.equal(scanned.map((r) => (r.kind === 'scanned' ? r.result : null)), plain, `${workers} workers: digesting changes no result`);
      assert.equal(scanned.map((r) => r.digest), plain.map((wf) => expected.get(wf.path)), `${workers} workers: each digest is its file's SHA-256`);

      const known = new Set(files.filter((f) => f.relPath.startsWith('ui/')).map((f) => expected.get(f.relPath)!));
      const skipped = await scanFilesPacked(files, { workers, content: { known } });
      for (const [i, r] of skipped.entries()) {
        const wf = plain[i]!;
        if (known.has(expected.get(wf.path)!)) assert.equal(r, { kind: 'known', path: wf.path, digest: expected.get(wf.path) }, wf.path);
        else assert.equal(r.kind === 'scanned' ? r.result : null, wf, wf.path);
      }
      assert.is(skipped.find((r) => r.digest === expected.get('copy/zero.json'))?.kind, 'known', 'the copy is known by its bytes, not its name');
    }
  } finally {
    await cleanup();
  }
});

test('digestFiles gives each file the digest a scan records, without parsing: null where a scan reads no whole file', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const files = await writeCorpus(dir, 120);
    // Above the whole-read limit: JSON is still digested, media and unknown content are not.
    const big: [string, Uint8Array | string][] = [
      ['big/a.json', JSON.stringify({ pad: 'x'.repeat(300_000), ...JSON.parse(api('big.safetensors')) })],
      ['big/b.png', png([tEXt('workflow', ui('big.safetensors')), tEXt('pad', 'y'.repeat(300_000))])],
      ['big/c.bin', 'z'.repeat(300_000)],
    ];
    await mkdir(join(dir, 'big'));
    for (const [rel, content] of big) {
      await writeFile(join(dir, rel), content);
      files.push({ relPath: rel, absPath: join(dir, rel) });
    }
    files.push({ relPath: 'gone.json', absPath: join(dir, 'gone.json') }, { relPath: 'big', absPath: join(dir, 'big') });
    const recorded = new Map((await scanFilesPacked(files, { workers: 0, content: { known: null } })).map((r) => [r.path, r.digest]));
    const expected = files.map((f) => recorded.get(f.relPath) ?? null);
    assert.is(expected.filter((d) => d !== null).length, 121, 'all but the large media, the large unknown file, the missing file and the folder');
    assert.is(expected[120], createHash('sha256').update(big[0]![1]).digest('base64url'));

    let started = 0;
    for (const [label, opts] of [
      ['this thread', { workers: 0 }],
      ['workers', { workers: 2 }],
      ['a worker that dies', { workers: 2, spawnWorker: (data: ScanWorkerData) => (started++ === 0 ? dyingWorker() : realWorker(data)) }],
    ] as const) {
      assert.equal(await digestFiles(files, opts), expected, label);
    }
  } finally {
    await cleanup();
  }
});

test('a worker that dies leaves its batches to the others or to this thread: same results, no build lost', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const files = await writeCorpus(dir, 200);
    const inline = await scanFiles(files, { workers: 0 });
    let started = 0;
    const oneDies = await scanFilesPacked(files, { workers: 2, spawnWorker: (data) => (started++ === 0 ? dyingWorker() : realWorker(data)) });
    const result = (r: (typeof oneDies)[number]) => (r.kind === 'scanned' ? r.result : null);
    assert.equal(oneDies.map(result), inline, 'one worker died');
    assert.ok(oneDies.some((r) => r.kind === 'scanned' && r.packed === null), 'the dead worker\'s batches were scanned here');
    assert.ok(oneDies.some((r) => r.kind === 'scanned' && r.packed !== null), 'the live worker did the rest');
    const allDie = await scanFilesPacked(files, { workers: 2, spawnWorker: dyingWorker });
    assert.equal(allDie.map(result), inline, 'every worker died');
    // With the content check, this thread's rescan of a dead worker's batches digests and skips alike.
    const known = new Set((await scanFilesPacked(files, { workers: 0, content: { known: null } })).filter((_, i) => i % 3 === 0).map((r) => r.digest!));
    const expected = await scanFilesPacked(files, { workers: 0, content: { known } });
    started = 0;
    const withContent = await scanFilesPacked(files, { workers: 2, content: { known }, spawnWorker: (data) => (started++ === 0 ? dyingWorker() : realWorker(data)) });
    assert.equal(withContent.map((r) => [result(r), r.digest]), expected.map((r) => [result(r), r.digest]), 'one worker died, content checked');
    assert.ok(withContent.some((r) => r.kind === 'known') && withContent.some((r) => r.kind === 'scanned' && r.packed !== null), 'known files skipped, the live worker used');
  } finally {
    await cleanup();
  }
});

test('the synchronous reader agrees with the async one, and hands large media back to it', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    for (let i = 0; i < 10; i++) {
      const [rel, content] = corpus(i);
      const abs = join(dir, rel.replace('/', '_'));
      await writeFile(abs, content);
      assert.equal(scanFileSync(abs, rel), await scanFile(abs, rel), rel);
      // Above the whole-read limit: JSON is still read whole, media goes to the windowed reader.
      const sync = scanFileSync(abs, rel, { wholeReadLimit: 0 });
      if (/\.(png|webp|flac|mp4)$/.test(rel) && content.length > 64) assert.is(sync, null, rel);
      else assert.equal(sync, await scanFile(abs, rel), rel);
    }
  } finally {
    await cleanup();
  }
});

test.run();
