/**
 * Media metadata costs at most MAX_METADATA_BYTES of text per file, however it is packed: many
 * compressed chunks that each inflate within the limit, EXIF tags sharing one value, millions of
 * tiny comments. What fits is still read; what does not is said, never a crash.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deflateSync } from 'node:zlib';
import { scanBytes } from '../../src/scan/index.js';
import { concat, exifShared, latin1, png, pngChunk, tEXt, webp, zTXt } from './builders.js';

const le32 = (n: number) => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
/** fLaC, STREAMINFO, then one VORBIS_COMMENT block holding `vorbis` (an empty vendor string and the comments). */
const flacWith = (vorbis: Uint8Array) => concat(latin1('fLaC'), Uint8Array.of(0, 0, 0, 34), new Uint8Array(34),
  Uint8Array.of(0x84, (vorbis.length >> 16) & 0xff, (vorbis.length >> 8) & 0xff, vorbis.length & 0xff), vorbis, new Uint8Array(16));

const MB = 1024 * 1024;
const workflow = (name: string) => JSON.stringify({ nodes: [{ id: 1, type: 'CheckpointLoaderSimple', mode: 0, widgets_values: [name] }], links: [], version: 0.4 });
const prompt = (name: string) => JSON.stringify({ '1': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: name } } });
/** A zTXt chunk whose few KB inflate to `mb` MiB of spaces. */
const bomb = (key: string, mb: number) => pngChunk('zTXt', concat(latin1(key), Uint8Array.of(0, 0), deflateSync(new Uint8Array(mb * MB).fill(0x20))));

test('compressed chunks that together inflate past the budget: the rest is not inflated, the loss is said, the prompt still counts', () => {
  const chunk = bomb('workflow', 40);
  const wf = scanBytes('bomb.png', png([chunk, chunk, chunk, tEXt('prompt', prompt('p.safetensors'))]));
  assert.equal(wf.refs.map((r) => r.name), ['p.safetensors']);
  assert.is(wf.graph, 'api');
  const notes = wf.diagnostics.map((d) => `${d.severity}:${d.code}: ${d.message}`);
  assert.ok(notes.every((n) => n.startsWith('warning:invalid-embedded-graph')), notes.join('\n'));
  assert.ok(notes.some((n) => /text chunk "workflow" at byte \d+ was not read: .*would exceed 64 MiB \(the limit per file, across its chunks, after inflating\)/.test(n)), notes.join('\n'));
});

test('with nothing else to read, the budget is named in the one error', () => {
  const chunk = bomb('workflow', 40);
  const wf = scanBytes('bomb.png', png([chunk, chunk]));
  assert.equal(wf.diagnostics.map((d) => `${d.severity}:${d.code}`), ['error:unparsable-workflow']);
  assert.match(wf.diagnostics[0]!.message, /not valid JSON.*metadata could not be read in full.*would exceed 64 MiB/);
});

test('chunks under other keys are neither inflated nor counted: a workflow after them is read', () => {
  const junk = bomb('Comment', 60);
  const wf = scanBytes('junk.png', png([junk, junk, junk, zTXt('workflow', workflow('w.safetensors'))]));
  assert.equal(wf.refs.map((r) => r.name), ['w.safetensors']);
  assert.equal(wf.diagnostics, []);
});

test('EXIF tags that all point at one value are counted each time: the budget holds', () => {
  // 1,000 tags × 1 MiB named: 1 GiB of strings if each were decoded.
  const value = `workflow:{${' '.repeat(MB)}`;
  const wf = scanBytes('tags.webp', webp(exifShared(0x010f, 1000, value)));
  assert.equal(wf.diagnostics.map((d) => `${d.severity}:${d.code}`), ['error:unparsable-workflow']);
  assert.match(wf.diagnostics[0]!.message, /EXIF tag \d+ \("workflow"\) was not read: .*would exceed 64 MiB/);
});

test('a FLAC block of two million tiny comments: the workflow among them is read, not "cannot read the file"', () => {
  const tiny = Uint8Array.of(3, 0, 0, 0, 0x61, 0x3d, 0x62); // length 3, "a=b"
  const many = new Uint8Array(tiny.length * 2_000_000);
  for (let at = 0; at < many.length; at += tiny.length) many.set(tiny, at);
  const last = new TextEncoder().encode(`workflow=${workflow('audio.safetensors')}`);
  const comments = concat(le32(0), le32(2_000_001), many, le32(last.length), last);
  const wf = scanBytes('many.flac', flacWith(comments));
  assert.equal(wf.diagnostics, []);
  assert.equal(wf.refs.map((r) => r.name), ['audio.safetensors']);
});

test.run();
