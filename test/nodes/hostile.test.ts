/**
 * Hostile values from workflows, from registry answers, inside zips and in a hand-edited lock
 * cannot run a command (a canary file stays absent) or write outside COMFYUI_DIR.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeLockEntry } from '../../src/core/types.js';
import { collectPacks, resolvePacks } from '../../src/nodes/index.js';
import { renderNodesScript } from '../../src/render/nodes-script.js';
import { startFakeRegistry, type FakeRegistry } from '../helpers/fake-registry.js';
import { createBareRepo } from '../helpers/git-fixtures.js';
import { tempDir } from '../helpers/tmp.js';
import { options, ref, runScript, snapshot, workflow, writeScript } from './build.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
let registry: FakeRegistry;
let canary: string;
let outside: string;
let hosts: string;
const COMMIT = 'c'.repeat(40);

test.before(async () => {
  tmp = await tempDir();
  canary = join(tmp.dir, 'CANARY');
  outside = join(tmp.dir, 'outside');
  mkdirSync(outside);
  mkdirSync(join(tmp.dir, 'cwd'));
  hosts = join(tmp.dir, 'hosts');
  createBareRepo(hosts, 'o/r', [{ 'a.py': '1' }]);
  const touch = `$(touch ${canary})`;
  registry = await startFakeRegistry([
    { id: 'evil-repo', repository: `https://github.com/o/r${touch}`, versions: [] },
    { id: 'option-repo', repository: '--upload-pack=touch /tmp/x', versions: [] },
    { id: 'evil-url', versions: [{ version: '1.0.0', files: { a: 'a' }, downloadUrl: `https://cdn.example.org/a.zip;touch ${canary}` }] },
    { id: '../evil', classes: ['EvilNode'], versions: [] },
    { id: 'dotdot', versions: [{ version: '1.0.0', entries: [{ name: 'ok.py', data: '' }, { name: '../../outside/escaped.txt', data: 'x' }] }] },
    { id: 'linky', versions: [{ version: '1.0.0', entries: [{ name: 'link', data: outside, symlink: true }, { name: 'ok.py', data: '' }] }] },
  ]);
});

test.after(async () => {
  await registry.close();
  await tmp.cleanup();
});

function run(script: string, comfyuiDir: string) {
  const cwd = join(tmp.dir, 'cwd');
  return runScript(script, [], { COMFYUI_DIR: comfyuiDir, HOME: cwd, GITHUB_ENDPOINT: `file://${hosts}`, COMFY_REGISTRY_ENDPOINT: registry.endpoint }, cwd);
}

test('hostile ids, versions and repositories in workflows never become pins', async () => {
  const touch = `$(touch ${canary})`;
  const demand = collectPacks([workflow('evil.json', [
    ref(touch, '1.0.0'),
    ref('../../x', '1.0.0'),
    ref(`x;touch ${canary}`, null),
    ref(`o/${touch}`, COMMIT),
    ref('o/r/../../x', COMMIT),
    ref('fine', `1.0.0${touch}`),
    ref('fine', '`touch /tmp/x`'),
    ref('o/r', COMMIT, { repo: '--upload-pack=touch /tmp/x' }),
  ], [touch])]);
  const { nodes, diagnostics } = await resolvePacks(demand, {}, options({ registryEndpoint: registry.endpoint, githubEndpoint: `file://${hosts}` }));
  assert.equal(Object.keys(nodes), ['fine', 'o/r']);
  assert.match(nodes['o/r']!.unresolved?.reason ?? '', /is not in the repository/, 'the URL came from the id, not the hostile repo field');
  assert.is(diagnostics.filter((d) => d.code === 'invalid-pack-ref').length, 7);

  const comfy = join(tmp.dir, 'comfy-1');
  mkdirSync(comfy);
  const result = await run(writeScript(join(tmp.dir, 'out-1'), renderNodesScript(nodes, { comfyuiDir: touch })), comfy);
  assert.not.ok(existsSync(canary));
  assert.is(result.code, 0, result.stderr);
});

test('hostile registry answers (repository, download URL, pack id) are refused at lock time', async () => {
  const { nodes, diagnostics } = await resolvePacks(collectPacks([workflow('w.json', [
    ref('evil-repo', COMMIT),
    ref('option-repo', COMMIT),
    ref('evil-url', '1.0.0'),
  ], ['EvilNode'])]), {}, options({ registryEndpoint: registry.endpoint, githubEndpoint: `file://${hosts}` }));
  assert.match(nodes['evil-repo']!.unresolved?.reason ?? '', /no usable repository/);
  assert.match(nodes['option-repo']!.unresolved?.reason ?? '', /no usable repository/);
  assert.match(nodes['evil-url']!.unresolved?.reason ?? '', /unusable download URL/);
  assert.ok(diagnostics.some((d) => d.code === 'registry-error' && d.message.includes('unusable pack id')));
  assert.equal(Object.keys(nodes), ['evil-repo', 'evil-url', 'option-repo']);
  assert.not.ok(existsSync(canary));
});

test('zips with paths out of their folder or symbolic links are refused; nothing lands outside', async () => {
  const { nodes } = await resolvePacks(collectPacks([workflow('w.json', [ref('dotdot', '1.0.0'), ref('linky', '1.0.0')])]), {}, options({ registryEndpoint: registry.endpoint, githubEndpoint: `file://${hosts}` }));
  assert.ok(nodes.dotdot!.locked && nodes.linky!.locked, 'the lock pins the bytes; the script judges them');
  const comfy = join(tmp.dir, 'comfy-2');
  mkdirSync(comfy);
  const before = snapshot(tmp.dir).filter((l) => !l.startsWith('comfy-2') && !l.startsWith('out-2'));
  const result = await run(writeScript(join(tmp.dir, 'out-2'), renderNodesScript(nodes, { comfyuiDir: '/x' })), comfy);
  assert.is(result.code, 1);
  assert.match(result.stderr, /the zip names a path outside its folder/);
  assert.match(result.stderr, /the zip contains symbolic links/);
  assert.equal(readdirSync(join(comfy, 'custom_nodes')), []);
  assert.equal(readdirSync(outside), []);
  assert.equal(snapshot(tmp.dir).filter((l) => !l.startsWith('comfy-2') && !l.startsWith('out-2')), before, 'nothing changed outside COMFYUI_DIR');
});

test('a hand-edited hostile lock: every entry fails, nothing runs, nothing is written outside', async () => {
  const touch = `$(touch ${canary})`;
  const hostile: Record<string, NodeLockEntry> = {
    [touch]: { original: {}, locked: { type: 'git', repo: 'https://github.com/o/r', commit: COMMIT } },
    a: { original: {}, locked: { type: 'git', repo: `https://github.com/o/r${touch}`, commit: COMMIT } },
    b: { original: {}, locked: { type: 'git', repo: 'https://github.com/o/..', commit: COMMIT } },
    c: { original: {}, locked: { type: 'registry', id: '..', version: '1.0.0', url: 'https://x.org/a.zip', sha256: 'a'.repeat(64) } },
    d: { original: {}, locked: { type: 'registry', id: 'd', version: `1.0.0${touch}`, url: 'https://x.org/a.zip', sha256: 'a'.repeat(64) } },
    e: { original: { cnr_id: `\n${touch}\n` }, unresolved: { reason: `\n${touch}\n` } },
  };
  const comfy = join(tmp.dir, 'comfy-3');
  mkdirSync(comfy);
  const result = await run(writeScript(join(tmp.dir, 'out-3'), renderNodesScript(hostile, { comfyuiDir: '/x' })), comfy);
  assert.not.ok(existsSync(canary));
  assert.is(result.code, 1);
  assert.match(result.stdout, /installed 0, skipped 0, failed 5, unresolved 1/);
  assert.equal(readdirSync(join(comfy, 'custom_nodes')), []);
});

test.run();
