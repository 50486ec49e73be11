import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deflateSync } from 'node:zlib';
import { scanBytes } from '../../src/scan/index.js';
import { comf, concat, exif, flac, iTXt, latin1, mp4, png, pngChunk, tEXt, webp, zTXt } from './builders.js';

const workflow = (name: string) => JSON.stringify({ nodes: [{ id: 1, type: 'CheckpointLoaderSimple', mode: 0, widgets_values: [name] }], links: [], version: 0.4 });
const prompt = (name: string) => JSON.stringify({ '1': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: name } } });
const summary = (bytes: Uint8Array, path = 'x') => {
  const wf = scanBytes(path, bytes);
  return { format: wf.format, graph: wf.graph ?? null, refs: wf.refs.map((r) => r.name), codes: wf.diagnostics.map((d) => `${d.severity}:${d.code}`) };
};

test('PNG tEXt: the UI workflow wins over the API prompt', () => {
  assert.equal(summary(png([tEXt('prompt', prompt('p.safetensors')), tEXt('workflow', workflow('w.safetensors'))])), { format: 'png', graph: 'ui', refs: ['w.safetensors'], codes: [] });
});

test('PNG with only a prompt falls back to it; a broken workflow entry is a warning when the prompt reads', () => {
  assert.equal(summary(png([tEXt('prompt', prompt('p.safetensors'))])), { format: 'png', graph: 'api', refs: ['p.safetensors'], codes: [] });
  assert.equal(summary(png([tEXt('workflow', '{"nodes": [tru'), tEXt('prompt', prompt('p.safetensors'))])).codes, ['warning:invalid-embedded-graph']);
});

test('a workflow chunk cut short or corrupt is said, when the build falls back to the prompt', () => {
  const whole = png([tEXt('prompt', prompt('p.safetensors')), tEXt('workflow', workflow('w.safetensors'))]);
  const cut = scanBytes('cut.png', whole.subarray(0, whole.length - 40));
  assert.equal(cut.refs.map((r) => r.name), ['p.safetensors']);
  assert.equal(cut.diagnostics.map((d) => d.code), ['invalid-embedded-graph']);
  assert.match(cut.diagnostics[0]!.message, /runs past the end of the file.*"prompt" was read instead/);
  const corrupt = png([tEXt('prompt', prompt('p.safetensors')), pngChunk('zTXt', concat(latin1('workflow'), Uint8Array.of(0, 0), latin1('not deflate')))]);
  assert.equal(summary(corrupt).codes, ['warning:invalid-embedded-graph']);
  assert.equal(summary(png([tEXt('prompt', prompt('p.safetensors'))])).codes, [], 'a file with only a prompt stays quiet');
});

test('PNG iTXt (plain and compressed), zTXt and the APNG comf chunk', () => {
  assert.equal(summary(png([iTXt('workflow', workflow('itxt.safetensors'))])).refs, ['itxt.safetensors']);
  assert.equal(summary(png([iTXt('workflow', workflow('itxt-z.safetensors'), true)])).refs, ['itxt-z.safetensors']);
  assert.equal(summary(png([zTXt('workflow', workflow('ztxt.safetensors'))])).refs, ['ztxt.safetensors']);
  assert.equal(summary(png([], [comf('workflow', workflow('ünïcode.safetensors'))])).refs, ['ünïcode.safetensors']);
});

test('PNG without metadata is a warning; A1111 parameters are named; broken files are one error', () => {
  assert.equal(summary(png([])).codes, ['warning:no-embedded-workflow']);
  const a1111 = scanBytes('a.png', png([tEXt('parameters', 'a cat\nSteps: 20')]));
  assert.match(a1111.diagnostics[0]!.message, /A1111/);
  const truncated = png([tEXt('workflow', workflow('w.safetensors'))]).subarray(0, 60);
  assert.equal(summary(truncated), { format: 'png', graph: null, refs: [], codes: ['error:unparsable-workflow'] });
  assert.equal(summary(png([tEXt('workflow', 'garbage')])).codes, ['error:unparsable-workflow']);
});

test('a compressed chunk that inflates beyond the metadata limit is refused, not inflated', () => {
  const bomb = pngChunk('zTXt', concat(latin1('workflow'), Uint8Array.of(0, 0), deflateSync(new Uint8Array(80 * 1024 * 1024))));
  const started = performance.now();
  assert.equal(summary(png([bomb])).codes, ['error:unparsable-workflow']);
  assert.equal(summary(png([bomb, tEXt('prompt', prompt('p.safetensors'))])), { format: 'png', graph: 'api', refs: ['p.safetensors'], codes: ['warning:invalid-embedded-graph'] }, 'other entries still count, and the loss is said');
  assert.ok(performance.now() - started < 5000);
});

test('WebP EXIF: Make = workflow:…, Model = prompt:…, either byte order, with or without the Exif prefix', () => {
  const tags: [number, string][] = [[0x0110, `prompt:${prompt('p.safetensors')}`], [0x010f, `workflow:${workflow('w.safetensors')}`]];
  assert.equal(summary(webp(exif(tags))), { format: 'webp', graph: 'ui', refs: ['w.safetensors'], codes: [] });
  assert.equal(summary(webp(exif(tags, { prefix: true, big: true }))).refs, ['w.safetensors']);
  assert.equal(summary(webp(exif([[0x0110, `prompt:${prompt('p.safetensors')}`]]))).graph, 'api');
  assert.equal(summary(webp(exif([[0x010f, `Workflow:${workflow('cap.safetensors')}`]]))).refs, ['cap.safetensors']);
  assert.equal(summary(webp(null)).codes, ['warning:no-embedded-workflow']);
});

test('WebP: an EXIF chunk past a RIFF size that was never grown is read; trailing bytes are no fault', () => {
  const whole = webp(exif([[0x010f, `workflow:${workflow('w.safetensors')}`]]));
  const stale = whole.slice();
  new DataView(stale.buffer).setUint32(4, 4 + 18 + 20, true); // WEBP + VP8X + VP8 only
  assert.equal(summary(stale), { format: 'webp', graph: 'ui', refs: ['w.safetensors'], codes: [] });
  assert.equal(summary(concat(whole, latin1('\0\0garbage that is no chunk'))), { format: 'webp', graph: 'ui', refs: ['w.safetensors'], codes: [] });
  const cut = whole.subarray(0, whole.length - 30);
  assert.equal(summary(cut).codes, ['error:unparsable-workflow'], 'a chunk cut short inside the declared size is still a fault');
});

test('FLAC Vorbis comments (keys case-insensitive)', () => {
  assert.equal(summary(flac(['TITLE=song', `PROMPT=${prompt('p.safetensors')}`, `workflow=${workflow('audio.safetensors')}`])), { format: 'flac', graph: 'ui', refs: ['audio.safetensors'], codes: [] });
  assert.equal(summary(flac(['TITLE=song'])).codes, ['warning:no-embedded-workflow']);
});

test('MP4 and MOV: moov/udta/meta keys + ilst, wherever moov sits', () => {
  const meta = { prompt: prompt('p.safetensors'), workflow: workflow('video.safetensors') };
  assert.equal(summary(mp4(meta)), { format: 'mp4', graph: 'ui', refs: ['video.safetensors'], codes: [] });
  assert.equal(summary(mp4(meta, { moovLast: true })).refs, ['video.safetensors']);
  assert.equal(summary(mp4(meta, { quicktime: true })).refs, ['video.safetensors'], 'QuickTime meta is not a full box');
  assert.equal(summary(mp4({ prompt: prompt('only-prompt.safetensors') })).graph, 'api');
  assert.equal(summary(mp4({ title: 'x' })).codes, ['warning:no-embedded-workflow']);
});

test('content decides the format, not the extension', () => {
  assert.equal(summary(png([tEXt('workflow', workflow('w.safetensors'))]), 'renamed.json').format, 'png');
  assert.equal(summary(new TextEncoder().encode(`\ufeff ${workflow('j.safetensors')}`), 'renamed.png'), { format: 'ui', graph: 'ui', refs: ['j.safetensors'], codes: [] });
  const jpeg = scanBytes('photo.png', Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0, 0x10));
  assert.equal(jpeg.diagnostics.map((d) => d.code), ['unparsable-workflow']);
  assert.match(jpeg.diagnostics[0]!.message, /ff d8 ff e0/);
  assert.equal(scanBytes('empty.json', new Uint8Array(0)).diagnostics.map((d) => d.code), ['unparsable-workflow']);
});

test.run();
