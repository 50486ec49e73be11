/**
 * The scan cache's compact form must give back exactly what the scanner returned, for every
 * workflow the scanner can produce: the examples and synthetic files here; `npm run corpus`
 * holds the real-world corpus (../shared/corpus) to the same two checks.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StringTable, decodeWorkflow, encodeWorkflow } from '../../src/scan/codec.js';
import type { ScannedWorkflow } from '../../src/core/types.js';
import { scanFiles } from '../../src/scan/index.js';
import { apiNode, png, tEXt, uiNode, uiWorkflow } from './builders.js';

function filesUnder(dir: string): { absPath: string; relPath: string }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(json|png|webp|flac|mp4)$/i.test(e.name) && e.name !== 'expected.json')
    .map((e) => join(e.parentPath, e.name))
    .map((absPath) => ({ absPath, relPath: absPath.slice(dir.length + 1) }));
}

/** Files whose scans carry diagnostics, of several formats. */
const dir = mkdtempSync(join(tmpdir(), 'comfygen-codec-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function syntheticFiles(): { absPath: string; relPath: string }[] {
  const files: [string, string | Uint8Array][] = [
    ['bad/truncated.json', '{"nodes": [ truncated'],
    ['bad/not-a-workflow.json', '{"hello": 1}'],
    ['api/linked.json', JSON.stringify({ 1: apiNode('CheckpointLoaderSimple', { ckpt_name: ['2', 0] }), 2: apiNode('PrimitiveNode', { value: 7 }) })],
    ['png/linked.png', png([tEXt('workflow', JSON.stringify(uiWorkflow([uiNode({ id: 1, type: 'LoraLoader', widgets: [3, 1, 1] })])))])],
  ];
  for (const [rel, content] of files) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return filesUnder(dir);
}

function workflows(): { absPath: string; relPath: string }[] {
  return [...filesUnder(join(process.cwd(), 'examples')), ...syntheticFiles()];
}

function roundTrip(workflows: ScannedWorkflow[]): ScannedWorkflow[] {
  const table = new StringTable();
  const encoded = workflows.map((wf) => encodeWorkflow(wf, table));
  const strings = JSON.parse(JSON.stringify(table.strings)) as string[];
  return workflows.map((wf, i) => (encoded[i] ? decodeWorkflow(wf.path, JSON.parse(JSON.stringify(encoded[i])), strings) : wf));
}

test('every example and synthetic workflow survives the compact form byte for byte', async () => {
  const files = workflows();
  assert.ok(files.length >= 3, 'some workflows to check');
  const scanned = await scanFiles(files, { workers: 0 });
  assert.ok(scanned.some((wf) => wf.refs.some((r) => r.embedded)), 'embedded hints are covered');
  assert.ok(scanned.some((wf) => wf.refs.some((r) => !r.active)), 'inactive refs are covered');
  const table = new StringTable();
  assert.ok(scanned.every((wf) => encodeWorkflow(wf, table) !== null), 'the codec covers every real result');
  assert.is(JSON.stringify(roundTrip(scanned)), JSON.stringify(scanned));
});

test('the compact form does not depend on the path: every example and synthetic workflow, scanned under another name, decodes to its own result', async () => {
  const files = workflows();
  const here = await scanFiles(files, { workers: 0 });
  const elsewhere = await scanFiles(files.map((f) => ({ ...f, relPath: `elsewhere/${f.relPath}` })), { workers: 0 });
  assert.ok(here.some((wf) => wf.diagnostics.length > 0), 'diagnostics (which name their file) are covered');
  // The scan cache reuses a result for the same bytes under another path (scan-memo.ts).
  for (const [i, moved] of elsewhere.entries()) {
    const table = new StringTable();
    const encoded = encodeWorkflow(moved, table);
    assert.ok(encoded, moved.path);
    assert.equal(decodeWorkflow(here[i]!.path, encoded!, table.strings), here[i], here[i]!.path);
  }
});

test('every optional field, and a shape the codec does not know, come back unchanged', () => {
  const wf: ScannedWorkflow = {
    path: 'a.json', format: 'png', graph: 'ui',
    refs: [
      { folder: 'embeddings', name: 'neg.safetensors', active: false, nodes: [{ id: '3:1', type: 'CLIPTextEncode', input: 'text' }], embedded: { url: null, sha256: 'ab'.repeat(32) }, mirrors: ['https://m/1', 'https://m/2'], guessed: true, alternatives: ['neg', 'neg.pt'] },
      { folder: 'loras', name: 'x.safetensors', active: true, nodes: [], embedded: { url: 'https://h/x', sha256: null } },
    ],
    customNodes: [{ id: 'pack', version: null, repo: null, nodeTypes: ['A'] }, { id: 'o/r', version: '1.2.3', repo: 'https://github.com/o/r' }],
    untaggedNodeTypes: ['Odd'],
    diagnostics: [
      { code: 'unknown-folder', severity: 'warning', message: 'm', file: 'a.json' },
      { code: 'invalid-pack-metadata', severity: 'info', message: 'n', file: 'elsewhere.json', node: '7', hint: 'h' },
      { code: 'x', severity: 'error', message: 'no file', hint: 'only a hint' },
    ],
  };
  const unreadable: ScannedWorkflow = { path: 'b.json', format: null, refs: [], customNodes: [], diagnostics: [{ code: 'unreadable-file', severity: 'error', message: 'x' }] };
  const future = { ...unreadable, path: 'c.json', refs: [{ ...wf.refs[1]!, weight: 2 } as never] };
  assert.is(encodeWorkflow(future, new StringTable()), null, 'an unknown field is not silently dropped');
  const futurePack = { ...unreadable, customNodes: [{ id: 'p', version: null, repo: null, pinned: true } as never] };
  const reordered = { ...unreadable, diagnostics: [{ severity: 'error', code: 'x', message: 'y' } as never] };
  assert.is(encodeWorkflow(futurePack, new StringTable()), null, 'an unknown pack field is kept, not dropped');
  assert.is(encodeWorkflow(reordered, new StringTable()), null, 'key order reaches scan --json, so another order is kept as is');
  assert.is(JSON.stringify(roundTrip([wf, unreadable, future])), JSON.stringify([wf, unreadable, future]));
});

test.run();
