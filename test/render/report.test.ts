/** report.md: what a reviewer reads in a pull request, so it must stay readable at any scale. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { aggregateDemand } from '../../src/pipeline/demand.js';
import type { Lockfile, ScannedWorkflow } from '../../src/core/types.js';
import { renderReport } from '../../src/render/report.js';

const sha = 'ab'.repeat(32);

function workflows(count: number): ScannedWorkflow[] {
  return Array.from({ length: count }, (_, i) => ({
    path: `wf/${String(i).padStart(3, '0')}.json`,
    format: 'ui' as const,
    refs: [
      { folder: 'checkpoints', name: 'popular.safetensors', active: true, nodes: [{ id: '1', type: 'CheckpointLoaderSimple', input: 'ckpt_name' }], embedded: null },
      { folder: 'loras', name: `own_${i}.safetensors`, active: i % 2 === 0, nodes: [{ id: '2', type: 'LoraLoader', input: 'lora_name' }], embedded: null },
    ],
    customNodes: [],
    diagnostics: i === 1 ? [{ code: 'unknown-folder', severity: 'warning' as const, message: 'x.safetensors: folder unknown' }] : [],
  }));
}

function lockFor(wfs: ScannedWorkflow[]): Lockfile {
  const lock: Lockfile = { version: 1, models: {} };
  for (const d of aggregateDemand(wfs).demands) {
    lock.models[d.key] = d.key === 'checkpoints/popular.safetensors'
      ? { original: {}, locked: { source: 'huggingface', url: 'https://huggingface.co/o/r/resolve/0123456789abcdef0123456789abcdef01234567/popular.safetensors', sha256: sha, size: 6_938_078_334, hashOrigin: 'api' } }
      : { original: {}, unresolved: { reason: 'no source knows this file', sha256: null } };
  }
  return lock;
}

test('a model needed by thousands of workflows stays one line: the first three, then a count', () => {
  const wfs = workflows(2000);
  const report = renderReport(wfs, aggregateDemand(wfs).demands, lockFor(wfs));
  const row = report.split('\n').find((l) => l.startsWith('| `checkpoints/popular.safetensors`'))!;
  assert.ok(row.endsWith('| `wf/000.json`, `wf/001.json`, `wf/002.json` and 1997 more workflows |'), row);
  assert.match(row, /\| 6\.[0-9]+ GiB \| huggingface \| `abababababab…` \| api \|/);
  assert.ok(report.length < 400 * 2000, `report of ${report.length} bytes for 2000 workflows`);
});

test('each workflow gets one line naming its models (optional ones marked) and its problems', () => {
  const wfs = workflows(3);
  const report = renderReport(wfs, aggregateDemand(wfs).demands, lockFor(wfs));
  assert.ok(report.includes('- `wf/000.json` (ui): `checkpoints/popular.safetensors`, `loras/own_0.safetensors`\n'));
  assert.ok(report.includes('- `wf/001.json` (ui): `checkpoints/popular.safetensors`, `loras/own_1.safetensors` (optional)\n'));
  assert.ok(report.includes('  - warning `unknown-folder`: x.safetensors: folder unknown\n'));
  assert.match(report, /- `loras\/own_2\.safetensors`: no source knows this file\. Needed by `wf\/002\.json`\./);
  assert.match(report, /3 workflow\(s\) need 4 model file\(s\): 1 pinned, 3 unresolved/);
});

test('a Civitai size is an estimate: shown with ≈ and the total says "about"', () => {
  const wfs = workflows(1);
  const lock = lockFor(wfs);
  lock.models['loras/own_0.safetensors'] = { original: {}, locked: { source: 'civitai', url: 'https://civitai.com/api/download/models/1?type=Model&format=SafeTensor', sha256: sha, size: null, approxSize: 151_111_000 } };
  const report = renderReport(wfs, aggregateDemand(wfs).demands, lock);
  assert.match(report, /\| `loras\/own_0\.safetensors` \| ≈ 144\.[0-9] MiB \| civitai \|/);
  assert.match(report, /Total download size: about 6\.[0-9]+ GiB\.\n/);
});

test('what pinning the packs found (conflicts, who chose a pin, the ComfyUI version) is listed under the packs, even when no pack is pinned', () => {
  const wfs = workflows(1);
  const notes = [
    { pack: 'comfy-core', kind: 'comfyui-version' as const, message: 'workflows were saved with ComfyUI 0.3.40 to 0.3.44; ComfyUI itself is not installed by nodes.sh' },
    { pack: 'kj', kind: 'version-conflict' as const, message: 'workflows record 2 versions: 1.1.5 (a.json); 1.1.6 (b.json); locked kj 1.1.6 from the Comfy Registry' },
  ];
  const alone = renderReport(wfs, aggregateDemand(wfs).demands, lockFor(wfs), notes);
  assert.ok(alone.includes('## Custom node packs\n\n- `comfy-core`: workflows were saved with ComfyUI 0.3.40 to 0.3.44; ComfyUI itself is not installed by nodes.sh\n- `kj`: workflows record 2 versions'), alone);
  const lock = { ...lockFor(wfs), nodes: { kj: { original: { cnr_id: 'kj', ver: '1.1.6' }, locked: { type: 'registry' as const, id: 'kj', version: '1.1.6', url: 'https://api.comfy.org/x.zip', sha256: sha } } } };
  const withPacks = renderReport(wfs, aggregateDemand(wfs).demands, lock, notes);
  assert.is(withPacks.split('## Custom node packs').length, 2, 'one heading');
  assert.match(withPacks, /\| `kj` \| `1\.1\.6` \| registry kj \| [^\n]*\|\n\n- `comfy-core`: /);
  assert.not.ok(renderReport(wfs, aggregateDemand(wfs).demands, lockFor(wfs)).includes('Custom node packs'), 'no packs, no notes: no section');
});

test('a pipe in a name is escaped in table cells only: inside a code span elsewhere a backslash shows', () => {
  const wfs: ScannedWorkflow[] = [{
    path: 'wf/a|b.json',
    format: 'ui',
    refs: [
      { folder: 'loras', name: 'x|y.safetensors', active: true, nodes: [{ id: '1', type: 'LoraLoader', input: 'lora_name' }], embedded: null },
      { folder: 'loras', name: 'u|v.safetensors', active: true, nodes: [{ id: '2', type: 'LoraLoader', input: 'lora_name' }], embedded: null },
    ],
    customNodes: [],
    diagnostics: [],
  }];
  const lock: Lockfile = { version: 1, models: {
    'loras/x|y.safetensors': { original: {}, locked: { source: 'url', url: 'https://example.com/x|y.safetensors', sha256: sha, size: 1, hashOrigin: 'declared' } },
    'loras/u|v.safetensors': { original: {}, unresolved: { reason: 'no source knows this file', sha256: null } },
  } };
  const report = renderReport(wfs, aggregateDemand(wfs).demands, lock);
  assert.match(report, '| `loras/x\\|y.safetensors` | 1 B |');
  assert.match(report, '| `wf/a\\|b.json` |');
  assert.match(report, '- `loras/x|y.safetensors`: `https://example.com/x|y.safetensors`');
  assert.match(report, '- `loras/u|v.safetensors`: no source knows this file. Needed by `wf/a|b.json`.');
  assert.match(report, '- `wf/a|b.json` (ui): `loras/x|y.safetensors`, `loras/u|v.safetensors`');
});

test.run();
