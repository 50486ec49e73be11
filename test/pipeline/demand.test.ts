import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { aggregateDemand, unsafeName } from '../../src/pipeline/demand.js';
import type { ModelRef, ScannedWorkflow } from '../../src/core/types.js';

const ref = (folder: string, name: string, extra: Partial<ModelRef> = {}): ModelRef => ({
  folder, name, active: true, nodes: [{ id: '1', type: 'X', input: 'y' }], embedded: null, ...extra,
});
const wf = (path: string, refs: ModelRef[]): ScannedWorkflow => ({ path, format: 'ui', refs, customNodes: [], diagnostics: [] });

test('one demand per model across workflows: optional only if every use is muted, URLs merged in order', () => {
  const { demands, diagnostics } = aggregateDemand([
    wf('b.json', [ref('vae', 'ae.safetensors', { active: false, embedded: { url: 'https://b/ae', sha256: null } })]),
    wf('a.json', [ref('vae', 'ae.safetensors', { active: false, embedded: { url: 'https://a/ae', sha256: 'f'.repeat(64) } }), ref('loras', 'x.safetensors')]),
  ]);
  assert.equal(diagnostics, []);
  assert.equal(demands.map((d) => d.key), ['loras/x.safetensors', 'vae/ae.safetensors']);
  const ae = demands[1]!;
  assert.is(ae.active, false);
  assert.equal(ae.urls, ['https://a/ae', 'https://b/ae']);
  assert.is(ae.declaredSha256, 'f'.repeat(64));
  assert.equal(ae.usedBy.map((u) => u.workflow), ['a.json', 'b.json']);
});

test('names that differ only in case or Unicode form are two demands and one warning', () => {
  const nfd = 'Cafe\u0301.safetensors';
  const { demands, diagnostics } = aggregateDemand([
    wf('a.json', [ref('loras', 'SDXL.safetensors'), ref('loras', 'Caf\u00e9.safetensors')]),
    wf('b.json', [ref('loras', 'sdxl.safetensors'), ref('loras', nfd), ref('vae', 'sdxl.safetensors')]),
  ]);
  assert.is(demands.length, 5, 'each spelling is still its own file on Linux');
  assert.equal(diagnostics.map((d) => [d.code, d.file]), [['name-spelling-clash', 'a.json'], ['name-spelling-clash', 'b.json']]);
  assert.match(diagnostics.find((d) => d.message.includes('SDXL'))!.message, /"loras\/sdxl\.safetensors" and "loras\/SDXL\.safetensors" \(needed by a\.json\) differ only in letter case/);
});

test('names that would leave the model folder are refused with an error diagnostic', () => {
  for (const bad of ['new\nline.pt', 'tab\there.pt', '../../etc/passwd', '/abs.safetensors', 'a/../b.safetensors', 'C:evil.ckpt', 'a//b.pt']) assert.ok(unsafeName(bad), bad);
  for (const ok of ['sub/dir/x.safetensors', "it's $(x) `y`.pt", 'ünïcødé.safetensors']) assert.is(unsafeName(ok), null, ok);
  const { demands, diagnostics } = aggregateDemand([wf('w.json', [ref('loras', '../../.bashrc')])]);
  assert.equal(demands, []);
  assert.is(diagnostics[0]!.code, 'unsafe-model-name');
  assert.is(diagnostics[0]!.severity, 'error');
});

test('refs whose folder is unknown are reported, not locked', () => {
  const { demands, diagnostics } = aggregateDemand([wf('w.json', [ref('unknown', 'mystery.safetensors', { guessed: true })])]);
  assert.equal(demands, []);
  assert.is(diagnostics[0]!.code, 'unknown-folder');
});

test('names download.sh would refuse are refused at build time, and unsafe folders too, with short messages', () => {
  assert.match(unsafeName('https://civitai.com/api/download/models/1')!, 'it is a URL');
  assert.match(unsafeName('loras/x.part')!, '.part');
  assert.match(unsafeName('x.safetensors.part.lock')!, '.part');
  assert.match(unsafeName('x.safetensors.part.map')!, '.part.map');
  assert.match(unsafeName(`${'n'.repeat(240)}.safetensors`)!, 'longer than 245 bytes');
  assert.match(unsafeName(`${'d'.repeat(256)}/x.pt`)!, 'longer than 255 bytes');
  assert.is(unsafeName(`${'é'.repeat(100)}.pt`), null, '203 bytes is fine');
  const long = `${'z'.repeat(5000)}/../x.pt`;
  const { demands, diagnostics } = aggregateDemand([wf('w.json', [ref('..', 'a.safetensors'), ref('custom_nodes', 'b.pt'), ref('loras', long)])]);
  assert.equal(demands, []);
  assert.equal(diagnostics.map((d) => d.code), ['unsafe-model-name', 'unsafe-model-name', 'unsafe-model-name']);
  assert.match(diagnostics[0]!.message, 'folder ".." of "a.safetensors" is refused');
  assert.match(diagnostics[1]!.message, 'not a model folder');
  assert.ok(diagnostics[2]!.message.length < 400, 'the 5,000-character name is cut');
});

test.run();
