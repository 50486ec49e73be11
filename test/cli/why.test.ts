import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli.js';
import { BASE, MINE, makeProject, type Project, sha } from './project.js';

let p: Project;
test.before.each(async () => {
  p = await makeProject();
});
test.after.each(async () => {
  await p.cleanup();
});

const why = async (...args: string[]) => {
  const r = await runCli(['why', ...args, '--json'], p.dir);
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
};

test('why: a model pinned by a url source shows who needs it, what the source said and the pin, offline and without writing', async () => {
  const r = await why('base.safetensors');
  assert.is(r.key, 'checkpoints/base.safetensors');
  assert.is(r.status, 'pinned');
  assert.equal(r.neededBy, [{ workflow: 'workflows/a.json', active: true, nodes: [{ id: '1', type: 'CheckpointLoaderSimple', input: 'ckpt_name' }] }]);
  assert.ok(r.tried.some((t: { source: string; answer: string }) => t.source === 'url' && t.answer.startsWith('pinned')));
  assert.is(r.pin.sha256, sha(BASE));
  assert.is(r.pin.url, `${p.server.url}/files/base.safetensors`);
  assert.is(r.local, null);
  assert.is(p.server.requests.length, 0, 'why never touches the network');
  assert.not.ok(existsSync(join(p.dir, 'comfy.lock.json')), 'why never writes the lock');
  assert.not.ok(existsSync(join(p.dir, 'generated')), 'why never writes outputs');
});

test('why: a model no source knows is unresolved, with the reason', async () => {
  const r = await why('loras/mystery.safetensors');
  assert.is(r.status, 'unresolved');
  assert.is(r.pin, null);
  assert.is(r.local, null);
  assert.match(r.lock.unresolved.reason, /no source knows this file/);
  const human = await runCli(['why', 'mystery.safetensors'], p.dir);
  assert.match(human.stdout, /unresolved: no source knows this file/);
  assert.match(human.stdout, /url: does not know it/);
});

test('why: a local-only model shows the file, how it matched, its hash, and that it is optional', async () => {
  const r = await why('mine.safetensors');
  assert.is(r.active, false);
  assert.is(r.local.how, 'basename');
  assert.is(r.local.name, 'sub/mine.safetensors');
  assert.is(r.local.root, 'models');
  assert.is(r.local.sha256, sha(MINE));
  assert.match(r.lock.unresolved.reason, /only on this machine/);
  const human = await runCli(['why', 'mine.safetensors'], p.dir);
  assert.match(human.stdout, /optional: only muted or bypassed nodes/);
  assert.match(human.stdout, /basename match, loras\/sub\/mine.safetensors in root models/);
});

test('why: after a build the answer comes from the lock, and sources are not asked again', async () => {
  assert.is((await runCli(['build', '--offline', '--quiet'], p.dir)).code, 0);
  const r = await why('checkpoints/base.safetensors');
  assert.is(r.tried, null);
  assert.is(r.pin.hashOrigin, 'declared');
  const human = await runCli(['why', 'base.safetensors'], p.dir);
  assert.match(human.stdout, /from comfy\.lock\.json/);
  assert.match(human.stdout, new RegExp(`sha256 ${sha(BASE)} \\(declared\\)`));
});

test('why: an ambiguous name lists the candidates and exits 2; an unknown one exits 2', async () => {
  await mkdir(join(p.dir, 'models', 'checkpoints'), { recursive: true });
  await writeFile(join(p.dir, 'models', 'checkpoints', 'mine.safetensors'), 'other');
  const r = await runCli(['why', 'mine.safetensors'], p.dir);
  assert.is(r.code, 2);
  assert.match(r.stderr, /ambiguous/);
  assert.match(r.stderr, /checkpoints\/mine\.safetensors/);
  assert.match(r.stderr, /loras\/mine\.safetensors/);
  const unknown = await runCli(['why', 'nothing.safetensors'], p.dir);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /no model or node pack matches "nothing.safetensors"/);
});

test('why: a name without its extension picks the model; an unknown name suggests near ones; a local file of another extension is named', async () => {
  assert.is((await why('mystery')).key, 'loras/mystery.safetensors');
  assert.is((await why('loras/mystery')).key, 'loras/mystery.safetensors');
  const typo = await runCli(['why', 'mystry.safetensors'], p.dir);
  assert.is(typo.code, 2);
  assert.match(typo.stderr, /did you mean loras\/mystery\.safetensors\?/);
  // The workflow wants mystery.safetensors; this machine has mystery.pth.
  await writeFile(join(p.dir, 'models', 'loras', 'Mystery.pth'), 'another format');
  const r = await why('mystery.safetensors');
  assert.is(r.local, null);
  assert.equal(r.similarLocal, ['loras/Mystery.pth']);
  const human = await runCli(['why', 'mystery.safetensors'], p.dir);
  assert.match(human.stdout, /similar local files \(another extension or spelling\): loras\/Mystery\.pth/);
});

test('why and --update accept node packs, as node:<id> or by id; a word matching nothing is a usage error', async () => {
  await writeFile(join(p.dir, 'workflows', 'b.json'), JSON.stringify({
    last_node_id: 1, last_link_id: 0, links: [], groups: [], config: {}, extra: {}, version: 0.4,
    nodes: [{ id: 1, type: 'PointsEditor', mode: 0, inputs: [], outputs: [], widgets_values: [], properties: { cnr_id: 'comfyui-kjnodes', ver: '1.1.0' } }],
  }));
  for (const name of ['node:comfyui-kjnodes', 'comfyui-kjnodes', 'node:ComfyUI-KJNodes']) {
    const r = await why(name);
    assert.is(r.kind, 'pack');
    assert.is(r.key, 'node:comfyui-kjnodes');
    assert.equal(r.neededBy, [{ workflow: 'workflows/b.json', versions: ['1.1.0'] }]);
    assert.is(r.status, 'unresolved');
  }
  const human = await runCli(['why', 'node:comfyui-kjnodes'], p.dir);
  assert.match(human.stdout, /^node:comfyui-kjnodes\n {2}needed by:\n {4}workflows\/b\.json {2}ver 1\.1\.0\n {2}unresolved: offline: not in the lock yet/);

  for (const word of ['node:comfyui-kjnodes', 'comfyui-kjnodes', 'loras']) {
    const r = await runCli(['build', '--offline', '--quiet', '--update', word], p.dir);
    assert.is(r.code, 0, `${word}: ${r.stderr}`);
  }
  const none = await runCli(['build', '--offline', '--update', 'node:nothing'], p.dir);
  assert.is(none.code, 2);
  assert.match(none.stderr, /--update: no model or node pack matches node:nothing/);
});

test.run();
