import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { aggregateDemand, unsafeName } from '../../src/build/demand.js';
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

test.run();
