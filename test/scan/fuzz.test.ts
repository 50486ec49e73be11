/**
 * Seeded, deterministic fuzzing: valid workflows and media, mutated, truncated and made hostile.
 * Every input must scan without throwing, in bounded time, to a well-formed result; a file that
 * yields no graph carries exactly one diagnostic, an error when it is unreadable.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SCAN_CODES, type ScanCode, scanBytes } from '../../src/scan/index.js';
import type { ScannedWorkflow } from '../../src/core/types.js';
import { apiNode, comf, exif, flac, iTXt, mp4, png, prng, tEXt, uiNode, uiWorkflow, webp, zTXt } from './builders.js';

const DEF = '11111111-2222-4333-8444-555555555555';
const enc = new TextEncoder();

function seedWorkflow(): Record<string, unknown> {
  return uiWorkflow([
    uiNode({ id: 1, type: 'CheckpointLoaderSimple', widgets: ['sd.safetensors'], properties: { cnr_id: 'comfy-core', ver: '0.3.50', models: [{ name: 'sd.safetensors', url: 'https://huggingface.co/o/r/blob/main/sd.safetensors', directory: 'checkpoints', hash: 'a'.repeat(64), hash_type: 'SHA256' }] } }),
    uiNode({ id: 2, type: 'PrimitiveNode', widgets: ['p.safetensors'] }),
    uiNode({ id: 3, type: 'LoraLoader', widgets: ['stale.safetensors', 1, 1], inputs: [{ name: 'lora_name', link: 5, widget: { name: 'lora_name' } }], mode: 4 }),
    uiNode({ id: 4, type: DEF, widgets: ['promoted.safetensors'] }),
    uiNode({ id: 6, type: 'workflow>G', widgets: ['g.safetensors'] }),
    uiNode({ id: 7, type: 'CLIPTextEncode', widgets: ['cat, embedding:neg, (embedding:x.pt:1.1)'] }),
    uiNode({ id: 8, type: 'Power Lora Loader (rgthree)', widgets: [{}, { on: true, lora: 'r.safetensors' }] }),
    uiNode({ id: 9, type: 'MysteryNode', widgets: { file: 'm.gguf' }, properties: { aux_id: 'me/pack', ver: 'abcdef1' } }),
  ], {
    links: [[5, 2, 0, 3, 0, 'COMBO']],
    models: [{ name: 'top.safetensors', url: 'https://example.com/top.safetensors?download=true', directory: 'vae' }],
    extra: { groupNodes: { G: { nodes: [{ index: 0, type: 'VAELoader', widgets_values: ['g.safetensors'] }], links: [] } } },
    definitions: { subgraphs: [{
      id: DEF, version: 1, inputs: [{ name: 'vae_name', type: 'COMBO' }], outputs: [],
      nodes: [uiNode({ id: 1, type: 'VAELoader', widgets: ['inner.safetensors'], inputs: [{ name: 'vae_name', link: 1, widget: { name: 'vae_name' } }] }), uiNode({ id: 2, type: DEF })],
      links: [{ id: 1, origin_id: -10, origin_slot: 0, target_id: 1, target_slot: 0 }],
    }] },
  });
}

function seedPrompt(): Record<string, unknown> {
  return {
    '1': apiNode('PrimitiveString', { value: 'linked.safetensors' }),
    '2': apiNode('UNETLoader', { unet_name: ['1', 0], weight_dtype: 'default' }),
    '3': apiNode('Power Lora Loader (rgthree)', { lora_1: { on: false, lora: 'off.safetensors' }, model: ['2', 0] }),
    '4:5': apiNode('CLIPTextEncode', { text: 'embedding:e', clip: ['9', 1] }),
  };
}

const HOSTILE: (() => unknown)[] = [
  () => null, () => 0, () => -1, () => 1e308, () => '', () => 'constructor', () => '__proto__', () => [], () => ({}),
  () => DEF, () => 'workflow>G', () => ['1', 0], () => [999, 0], () => ({ on: 'yes', lora: 7 }),
  () => 'embedding:'.repeat(500), () => 'x'.repeat(100_000) + '.safetensors', () => 'a\\..\\..\\b.ckpt',
  () => { let v: unknown = []; for (let i = 0; i < 2_000; i++) v = [v]; return v; },
  () => Array.from({ length: 2000 }, (_, i) => ({ id: i, type: DEF })),
  () => ({ subgraphs: [{ id: DEF, nodes: [{ id: 1, type: DEF }], links: 'nope' }] }),
  () => ({ __proto__: { polluted: true }, constructor: 'x' }),
  // Objects that cannot be turned into text: String(), template literals and Number() all throw.
  () => ({ toString: 1 }), () => ({ toString: 1, valueOf: 1 }), () => [{ toString: 1 }], () => [[1, { toString: 1 }]],
  () => JSON.parse('{"__proto__": {"toString": 1}, "toString": null}'), () => [{ toString: 1 }, 'w'], () => 2 ** 64, () => -1e300, () => 1.5,
];

/** Replace a random reachable value in the JSON tree by a hostile one. */
function mutateJson(value: unknown, random: () => number): unknown {
  const root = structuredClone(value) as Record<string, unknown>;
  let parent: unknown = root;
  for (let depth = 0; depth < 6; depth++) {
    const keys = parent && typeof parent === 'object' ? Object.keys(parent) : [];
    if (keys.length === 0) break;
    const key = keys[Math.floor(random() * keys.length)]!;
    const child = (parent as Record<string, unknown>)[key];
    if (random() < 0.35 || !child || typeof child !== 'object') {
      (parent as Record<string, unknown>)[key] = HOSTILE[Math.floor(random() * HOSTILE.length)]!();
      return root;
    }
    parent = child;
  }
  return root;
}

function mutateBytes(bytes: Uint8Array, random: () => number): Uint8Array {
  const pick = Math.floor(random() * 5);
  const at = Math.floor(random() * bytes.length);
  if (pick === 0) return bytes.subarray(0, at); // truncate
  const out = Uint8Array.from(bytes);
  if (pick === 1) for (let i = 0; i < 1 + random() * 8; i++) out[Math.floor(random() * out.length)] = Math.floor(random() * 256);
  if (pick === 2) out.set([0xff, 0xff, 0xff, 0xff].map((b) => (random() < 0.5 ? b : 0x7f)).slice(0, out.length - at), at); // huge length fields
  if (pick === 3) return new Uint8Array([...out.subarray(0, at), ...out.subarray(at - Math.min(at, 64), at), ...out.subarray(at)]);
  if (pick === 4) out.fill(0, at, Math.min(out.length, at + 16));
  return out;
}

function wrap(json: string, random: () => number): { path: string; bytes: Uint8Array } {
  const kind = Math.floor(random() * 8);
  const other = JSON.stringify(seedPrompt());
  switch (kind) {
    case 0: return { path: 'f.png', bytes: png([tEXt('prompt', other), tEXt('workflow', json)]) };
    case 1: return { path: 'f.png', bytes: png([iTXt('workflow', json, true), zTXt('prompt', other)]) };
    case 2: return { path: 'f.png', bytes: png([], [comf('workflow', json)]) };
    case 3: return { path: 'f.webp', bytes: webp(exif([[0x0110, `prompt:${other}`], [0x010f, `workflow:${json}`]], { prefix: random() < 0.5, big: random() < 0.5 })) };
    case 4: return { path: 'f.flac', bytes: flac([`prompt=${other}`, `workflow=${json}`]) };
    case 5: return { path: 'f.mp4', bytes: mp4({ prompt: other, workflow: json }, { moovLast: random() < 0.5, quicktime: random() < 0.5 }) };
    default: return { path: 'f.json', bytes: enc.encode(json) };
  }
}

function checkShape(wf: ScannedWorkflow, path: string, label: string): void {
  assert.is(wf.path, path, label);
  for (const d of wf.diagnostics) {
    assert.ok(d.code in SCAN_CODES, `${label}: unknown code ${d.code}`);
    assert.is(d.severity, SCAN_CODES[d.code as ScanCode], `${label}: severity of ${d.code}`);
    assert.ok(d.message.length > 0 && d.message.length <= 1001, `${label}: message length`);
  }
  const errors = wf.diagnostics.filter((d) => d.severity === 'error');
  if (wf.graph === undefined) {
    assert.is(wf.diagnostics.length, 1, `${label}: one clear diagnostic when no graph was read`);
    assert.equal(wf.refs, [], label);
  } else {
    assert.is(errors.length, 0, `${label}: errors only for unreadable files`);
  }
  for (const ref of wf.refs) {
    assert.ok(typeof ref.folder === 'string' && ref.folder !== '' && typeof ref.name === 'string' && typeof ref.active === 'boolean', label);
  }
}

test('1200 mutated, truncated and hostile workflows and media: no crash, bounded time, clear diagnostics', () => {
  const random = prng(20240611);
  const seeds = [seedWorkflow(), seedPrompt()];
  let slowest = 0;
  let unreadable = 0;
  for (let i = 0; i < 1200; i++) {
    const seed = seeds[i % seeds.length]!;
    const json = JSON.stringify(random() < 0.8 ? mutateJson(seed, random) : seed);
    let { path, bytes } = wrap(json, random);
    if (random() < 0.45) bytes = mutateBytes(bytes, random);
    const label = `case ${i} (${path}, ${bytes.length} bytes)`;
    const started = performance.now();
    let wf: ScannedWorkflow;
    try {
      wf = scanBytes(path, bytes);
    } catch (err) {
      assert.unreachable(`${label} threw: ${(err as Error).stack}`);
      return;
    }
    slowest = Math.max(slowest, performance.now() - started);
    checkShape(wf, path, label);
    if (wf.diagnostics.some((d) => d.severity === 'error')) unreadable++;
    if (i % 10 === 0) assert.is(JSON.stringify(scanBytes(path, bytes)), JSON.stringify(wf), `${label}: deterministic`);
  }
  assert.ok(slowest < 1000, `slowest file took ${slowest.toFixed(0)} ms`);
  assert.ok(unreadable > 50, `the mutations produced unreadable files too (${unreadable})`);
});

test('JSON nested far deeper than a recursive walker could follow', () => {
  const deep = (n: number) => '['.repeat(n) + '"x.safetensors"' + ']'.repeat(n);
  const text = `{"nodes":[{"id":1,"type":"VAELoader","widgets_values":${deep(100_000)}},{"id":2,"type":"Mystery","widgets_values":{"a":${deep(100_000)}}}],`
    + `"definitions":{"subgraphs":[{"id":"${DEF}","nodes":[{"id":1,"type":"${DEF}","widgets_values":${deep(50_000)}}]}]}}`;
  const wf = scanBytes('deep.json', enc.encode(text));
  checkShape(wf, 'deep.json', 'deep');
  assert.is(wf.graph, 'ui');
});

test('random bytes and empty or tiny inputs never throw', () => {
  const random = prng(99);
  for (let i = 0; i < 300; i++) {
    const bytes = Uint8Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256));
    if (i % 3 === 0) bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].slice(0, bytes.length));
    if (i % 3 === 1) bytes.set(enc.encode('RIFF\0\0\0\0WEBP').slice(0, bytes.length));
    checkShape(scanBytes('r.bin', bytes), 'r.bin', `random ${i}`);
  }
});

test.run();
