import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { scanBytes, scanFile, scanFiles } from '../../src/scan/index.js';
import { MAX_JSON_BYTES } from '../../src/scan/scan-file.js';
import { tempDir } from '../helpers/tmp.js';
import { be32, concat, exif, flac, latin1, mp4, mp4Parts, png, pngChunk, prng, shuffle, tEXt, uiNode, uiWorkflow, webp } from './builders.js';

const workflow = (name: string) => JSON.stringify(uiWorkflow([uiNode({ id: 1, type: 'CheckpointLoaderSimple', widgets: [name] })]));
let tmp: { dir: string; cleanup: () => Promise<void> };

test.before(async () => {
  tmp = await tempDir('comfygen-scan-');
});
test.after(async () => {
  await tmp.cleanup();
});

test('scanFile reads JSON and media from disk the same way scanBytes does', async () => {
  const bytes = png([tEXt('workflow', workflow('disk.safetensors'))]);
  await writeFile(join(tmp.dir, 'a.png'), bytes);
  const fromDisk = await scanFile(join(tmp.dir, 'a.png'), 'wf/a.png');
  assert.equal(fromDisk, scanBytes('wf/a.png', bytes));
  assert.equal(fromDisk.refs.map((r) => r.name), ['disk.safetensors']);
});

test('large media are parsed by seeking: every container through the streaming reader', async () => {
  const files: [string, Uint8Array][] = [
    ['s.png', png([tEXt('workflow', workflow('png.safetensors'))])],
    ['s.webp', webp(exif([[0x010f, `workflow:${workflow('webp.safetensors')}`]]))],
    ['s.flac', flac([`workflow=${workflow('flac.safetensors')}`])],
    ['s.mp4', mp4({ workflow: workflow('mp4.safetensors') }, { moovLast: true })],
  ];
  for (const [name, bytes] of files) {
    await writeFile(join(tmp.dir, name), bytes);
    const streamed = await scanFile(join(tmp.dir, name), name, { wholeReadLimit: 0 });
    assert.equal(streamed, scanBytes(name, bytes), name);
    assert.is(streamed.refs.length, 1, name);
  }
});

test('a 2 GB video is scanned from its headers in bounded time and memory', async () => {
  // ftyp, a 2 GB mdat (sparse: never written), then moov with the metadata at the very end.
  const path = join(tmp.dir, 'big.mp4');
  const { ftyp, moov } = mp4Parts({ workflow: workflow('video.safetensors') });
  const mdatSize = 2 ** 31 + 8;
  const fh = await open(path, 'w');
  await fh.write(concat(ftyp, be32(mdatSize), latin1('mdat')), 0);
  await fh.write(moov, 0, moov.length, ftyp.length + mdatSize);
  await fh.close();
  const heapBefore = process.memoryUsage().rss;
  const started = performance.now();
  const wf = await scanFile(path, 'big.mp4');
  assert.ok(performance.now() - started < 2000, 'seconds, not minutes');
  assert.ok(process.memoryUsage().rss - heapBefore < 512 * 1024 * 1024, 'did not load the file');
  assert.equal([wf.format, wf.refs.map((r) => r.name), wf.diagnostics], ['mp4', ['video.safetensors'], []]);
});

test('tens of thousands of tiny chunks cost window reads, not one read each', async () => {
  const path = join(tmp.dir, 'chunky.png');
  const filler = Array.from({ length: 50_000 }, () => pngChunk('tIME', new Uint8Array(0)));
  await writeFile(path, png([...filler, tEXt('workflow', workflow('late.safetensors'))]));
  const started = performance.now();
  const wf = await scanFile(path, 'chunky.png');
  assert.ok(performance.now() - started < 3000, `took ${(performance.now() - started).toFixed(0)} ms`);
  assert.equal(wf.refs.map((r) => r.name), ['late.safetensors']);
});

test('a JSON file above the size limit is refused without being read', async () => {
  const path = join(tmp.dir, 'huge.json');
  const fh = await open(path, 'w');
  await fh.write('{"nodes": [');
  await fh.truncate(MAX_JSON_BYTES + 1);
  await fh.close();
  const wf = await scanFile(path, 'huge.json');
  assert.equal(wf.diagnostics.map((d) => [d.code, d.severity]), [['file-too-large', 'error']]);
});

test('unreadable files give one error without absolute paths; scanFile never throws', async () => {
  const missing = await scanFile(join(tmp.dir, 'nope.json'), 'nope.json');
  assert.equal(missing.diagnostics.map((d) => [d.code, d.severity]), [['unreadable-file', 'error']]);
  assert.not.match(JSON.stringify(missing), tmp.dir);
  await mkdir(join(tmp.dir, 'folder.json'));
  assert.equal((await scanFile(join(tmp.dir, 'folder.json'), 'folder.json')).diagnostics.map((d) => d.code), ['unreadable-file']);
});

test('scanFiles: results sorted by path and identical JSON whatever the input order', async () => {
  const make = (i: number): [string, Uint8Array | string] => {
    const w = workflow(`m${i % 3}.safetensors`);
    switch (i % 6) {
      case 0: return [`w${i}.png`, png([tEXt('workflow', w)])];
      case 1: return [`w${i}.webp`, webp(exif([[0x010f, `workflow:${w}`]]))];
      case 2: return [`w${i}.flac`, flac([`workflow=${w}`])];
      case 3: return [`w${i}.mp4`, mp4({ workflow: w })];
      case 4: return [`w${i}.json`, i % 12 === 4 ? '{ broken' : w];
      default: return [`w${i}.json`, w];
    }
  };
  const files = [];
  for (let i = 0; i < 24; i++) {
    const [name, content] = make(i);
    await writeFile(join(tmp.dir, name), content);
    files.push({ absPath: join(tmp.dir, name), relPath: `flows/${name}` });
  }
  const a = await scanFiles(files, { concurrency: 1 });
  const b = await scanFiles(shuffle(files, prng(7)), { concurrency: 5 });
  assert.is(JSON.stringify(b), JSON.stringify(a));
  assert.equal(a.map((w) => w.path), files.map((f) => f.relPath).sort());
  assert.is(a.filter((w) => w.diagnostics.some((d) => d.code === 'unparsable-workflow')).length, 2);
});

test.run();
