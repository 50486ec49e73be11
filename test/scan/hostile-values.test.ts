/**
 * Values of hostile shapes where ids are expected (issue 20, class 2): an object whose
 * `toString` is not callable, an array, a huge string, where a node id, a link id or a
 * proxy-widget entry belongs. Each is named precisely, the rest of the workflow still counts,
 * and nothing is reported as a file that cannot be read.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ScannedWorkflow } from '../../src/core/types.js';
import { scanBytes, scanFile } from '../../src/scan/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { uiNode, uiWorkflow } from './builders.js';

const DEF = '11111111-2222-4333-8444-555555555555';
const enc = new TextEncoder();
const UNCALLABLE = () => JSON.parse('{"toString": 1, "valueOf": 1}') as unknown;
const checkpoint = uiNode({ id: 1, type: 'CheckpointLoaderSimple', widgets: ['sd15.safetensors'] });

let tmp: { dir: string; cleanup: () => Promise<void> };
test.before(async () => {
  tmp = await tempDir('comfygen-hostile-');
});
test.after(async () => {
  await tmp.cleanup();
});

/** Scanned from disk, the way a build reads it: a thrown error there became "cannot read the file". */
async function scanned(name: string, value: unknown): Promise<ScannedWorkflow> {
  const path = join(tmp.dir, name);
  await writeFile(path, JSON.stringify(value));
  const wf = await scanFile(path, name);
  assert.equal(wf, scanBytes(name, enc.encode(JSON.stringify(value))), 'the same from bytes');
  assert.not.ok(wf.diagnostics.some((d) => d.severity === 'error'), `no error: ${JSON.stringify(wf.diagnostics)}`);
  return wf;
}

const lines = (wf: ScannedWorkflow) => wf.diagnostics.map((d) => `${d.code}: ${d.message}`);

test('a node id that is an object, an array or a huge string: the node is scanned under its position, the others as usual', async () => {
  for (const [label, id] of [['object', UNCALLABLE()], ['array', [UNCALLABLE()]], ['huge string', 'x'.repeat(100_000)]] as const) {
    const wf = await scanned(`node-${label}.json`, uiWorkflow([checkpoint, uiNode({ id: id as number, type: 'LoraLoader', widgets: ['style.safetensors', 1, 1] })]));
    assert.equal(wf.refs.map((r) => `${r.folder}/${r.name} @${r.nodes.map((n) => n.id)}`), ['checkpoints/sd15.safetensors @1', 'loras/style.safetensors @nodes[1]'], label);
    const shownAs = label === 'object' ? 'an object' : label === 'array' ? 'an array' : '"xxxx';
    assert.ok(lines(wf).some((l) => l.startsWith(`invalid-graph-id: nodes[1] ("LoraLoader") has an id that is ${shownAs}`) && l.endsWith('it was scanned as node nodes[1], and no link reaches it')), `${label}: ${lines(wf).join('\n')}`);
  }
});

test('a link whose id, origin or slot is an object is ignored and named; the widget keeps its stored value', async () => {
  const lora = uiNode({ id: 2, type: 'LoraLoader', widgets: ['stored.safetensors', 1, 1], inputs: [{ name: 'lora_name', link: 5, widget: { name: 'lora_name' } }] });
  const tuple = await scanned('link-tuple.json', uiWorkflow([checkpoint, lora], { links: [[5, UNCALLABLE(), 0, 2, 0, 'COMBO']] }));
  assert.equal(tuple.refs.map((r) => r.name), ['sd15.safetensors', 'stored.safetensors']);
  assert.ok(lines(tuple).includes('invalid-graph-id: links[0]: its origin node ([1]) is an object, not a number or a string of up to 256 characters; the link was ignored'), lines(tuple).join('\n'));
  const object = await scanned('link-object.json', uiWorkflow([checkpoint, lora, uiNode({ id: 3, type: 'Note', widgets: ['x'] })], { links: [{ id: 5, origin_id: 3, origin_slot: UNCALLABLE(), target_id: 2, target_slot: 0 }] }));
  assert.equal(object.refs.map((r) => r.name), ['sd15.safetensors', 'stored.safetensors']);
  assert.ok(lines(object).includes('invalid-graph-id: links[0]: its origin_slot is an object, not a slot number; the link was ignored'), lines(object).join('\n'));
});

test('an input whose link id is an object: the stored value is used, and the link named', async () => {
  const lora = uiNode({ id: 2, type: 'LoraLoader', widgets: ['stored.safetensors', 1, 1], inputs: [{ name: 'lora_name', link: UNCALLABLE() as number, widget: { name: 'lora_name' } }] });
  const wf = await scanned('input-link.json', uiWorkflow([checkpoint, lora]));
  assert.equal(wf.refs.map((r) => r.name), ['sd15.safetensors', 'stored.safetensors']);
  assert.ok(lines(wf).includes('linked-widget: LoraLoader node 2: lora_name is fed by a link whose id is an object, not a number, not by a literal value; the value stored on the node was used'), lines(wf).join('\n'));
});

test('a primitive whose value is an object feeds nothing, and costs nothing else', async () => {
  const lora = uiNode({ id: 2, type: 'LoraLoader', widgets: ['stored.safetensors', 1, 1], inputs: [{ name: 'lora_name', link: 5, widget: { name: 'lora_name' } }] });
  const primitive = uiNode({ id: 3, type: 'PrimitiveNode', widgets: [UNCALLABLE()] });
  const wf = await scanned('primitive.json', uiWorkflow([checkpoint, lora, primitive], { links: [[5, 3, 0, 2, 0, 'COMBO']] }));
  assert.equal(wf.refs.map((r) => r.name), ['sd15.safetensors']);
  assert.ok(lines(wf).includes('unknown-loader-value: LoraLoader node 2: lora_name is an object, not a file name'), lines(wf).join('\n'));
});

test('proxy-widget entries of the wrong shape are named and skipped; the well-formed ones still apply', async () => {
  const definition = {
    id: DEF, version: 1, inputs: [], outputs: [], links: [],
    nodes: [uiNode({ id: 1, type: 'VAELoader', widgets: ['inner.safetensors'] }), uiNode({ id: 2, type: 'LoraLoader', widgets: ['inner-lora.safetensors', 1, 1] })],
  };
  const instance = uiNode({ id: 7, type: DEF, widgets: ['outer-vae.safetensors', 'outer-lora.safetensors', 'x'], properties: { proxyWidgets: [['1', 'vae_name'], [UNCALLABLE(), 'lora_name'], UNCALLABLE()] } });
  const wf = await scanned('proxy.json', uiWorkflow([checkpoint, instance], { definitions: { subgraphs: [definition] } }));
  assert.equal(wf.refs.map((r) => `${r.folder}/${r.name}`), ['checkpoints/sd15.safetensors', 'loras/inner-lora.safetensors', 'vae/outer-vae.safetensors']);
  assert.ok(lines(wf).includes('invalid-graph-id: subgraph instance 7: properties.proxyWidgets[1] is [an object, "lora_name"], not [node id, widget name]; it was ignored'), lines(wf).join('\n'));
  assert.ok(lines(wf).includes('invalid-graph-id: subgraph instance 7: properties.proxyWidgets[2] is an object, not [node id, widget name]; it was ignored'), lines(wf).join('\n'));
});

test('an API prompt is read up to 50,000 nodes, like a UI graph, and says where it stopped', () => {
  const prompt: Record<string, unknown> = {};
  for (let i = 1; i <= 60_000; i++) prompt[String(i)] = { class_type: 'LoraLoader', inputs: { lora_name: `l${i}.safetensors` } };
  const wf = scanBytes('huge.json', enc.encode(JSON.stringify(prompt)));
  assert.is(wf.graph, 'api');
  assert.is(wf.refs.length, 50_000);
  assert.ok(wf.refs.some((r) => r.name === 'l50000.safetensors') && !wf.refs.some((r) => r.name === 'l50001.safetensors'));
  assert.equal(lines(wf), ['graph-too-large: API prompt has more than 50000 nodes; the rest was not scanned']);
});

test('a failure of the scanner itself is its own error, never "cannot read the file"', async () => {
  const path = join(tmp.dir, 'fine.json');
  await writeFile(path, JSON.stringify(uiWorkflow([checkpoint])));
  const parse = JSON.parse;
  // A parsed value that throws when the scanner looks at it stands for any bug in the scanner.
  JSON.parse = () => ({
    get nodes() {
      throw new TypeError('injected');
    },
  });
  let wf: ScannedWorkflow;
  try {
    wf = await scanFile(path, 'fine.json');
  } finally {
    JSON.parse = parse;
  }
  assert.equal(wf.diagnostics.map((d) => [d.code, d.severity, d.message]), [['scan-failed', 'error', 'comfygen failed while scanning this file (TypeError: injected); what it needs is unknown']]);
  assert.match(wf.diagnostics[0]!.hint!, /a bug in comfygen/);
});

test('build: a workflow with hostile ids locks its other models and warns; exit 0', async () => {
  const { dir, cleanup } = await tempDir('comfygen-hostile-build-');
  try {
    await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({ workflows: ['*.json'], sources: [] }));
    const lora = uiNode({ id: 2, type: 'LoraLoader', widgets: ['style.safetensors', 1, 1], inputs: [{ name: 'lora_name', link: UNCALLABLE() as number, widget: { name: 'lora_name' } }] });
    await writeFile(join(dir, 'wf.json'), JSON.stringify(uiWorkflow([checkpoint, lora, uiNode({ id: UNCALLABLE() as number, type: 'VAELoader', widgets: ['ae.safetensors'] })], { links: [[UNCALLABLE(), 1, 0, 2, 0, 'x']] })));
    const r = await runCli(['build', '--offline'], dir);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning wf\.json node nodes\[2\]: nodes\[2\] \("VAELoader"\) has an id that is an object.*\[invalid-graph-id\]/);
    assert.not.match(r.stderr, /cannot read the file|unreadable-file/);
    const { readFile } = await import('node:fs/promises');
    const lock = JSON.parse(await readFile(join(dir, 'comfy.lock.json'), 'utf8'));
    assert.equal(Object.keys(lock.models).sort(), ['checkpoints/sd15.safetensors', 'loras/style.safetensors', 'vae/ae.safetensors']);
  } finally {
    await cleanup();
  }
});

test.run();
