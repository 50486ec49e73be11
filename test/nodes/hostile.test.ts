/**
 * Hostile values from workflows, from registry answers, inside zips and in a hand-edited lock
 * cannot run a command (a canary file stays absent) or write outside COMFYUI_DIR.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { NodeLockEntry } from '../../src/core/types.js';
import { collectPacks, resolvePacks } from '../../src/nodes/index.js';
import { renderNodesScript } from '../../src/render/nodes-script.js';
import { startFakeRegistry, type FakeRegistry } from '../helpers/fake-registry.js';
import { createBareRepo, git, type FixtureRepo } from '../helpers/git-fixtures.js';
import { tempDir } from '../helpers/tmp.js';
import { options, ref, runScript, snapshot, workflow, writeScript } from './build.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
let registry: FakeRegistry;
let canary: string;
let outside: string;
let hosts: string;
let evil: FixtureRepo;
let zipMarker: string;
const COMMIT = 'c'.repeat(40);

/**
 * A checkout of `evil` at `commit` whose .git/config runs `touch marker` from every hook git
 * offers: a clean/smudge filter on every file, fsmonitor, a hooks folder with post-checkout and
 * reference-transaction hooks, an ssh command and a proxy for fetches.
 */
function hostileCheckout(dest: string, commit: string, marker: string): void {
  git(['clone', '-q', evil.path, dest]);
  git(['-c', 'advice.detachedHead=false', 'checkout', '-q', '--detach', commit], dest);
  const touch = `touch ${marker}`;
  writeFileSync(join(dest, '.git', 'info', 'attributes'), '* filter=evil\n');
  mkdirSync(join(dest, '.git', 'evil-hooks'));
  for (const hook of ['post-checkout', 'reference-transaction', 'pre-auto-gc']) {
    writeFileSync(join(dest, '.git', 'evil-hooks', hook), `#!/bin/sh\n${touch}\n`, { mode: 0o755 });
    writeFileSync(join(dest, '.git', 'hooks', hook), `#!/bin/sh\n${touch}\n`, { mode: 0o755 });
  }
  appendFileSync(join(dest, '.git', 'config'), [
    '[filter "evil"]', `\tclean = ${touch}; cat`, `\tsmudge = ${touch}; cat`, '\trequired = true',
    '[core]', `\tfsmonitor = ${join(dest, '.git', 'evil-hooks', 'post-checkout')}`, `\thooksPath = ${join(dest, '.git', 'evil-hooks')}`,
    `\tsshCommand = ${touch}; ssh`, `\tgitProxy = ${touch}`, `\talternateRefsCommand = ${touch}`, '',
  ].join('\n'));
  // Stale stat data, as after unpacking a zip: git status must read (and filter) every file.
  const old = new Date('2001-01-01T00:00:00Z');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name === '.git') continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else utimesSync(path, old, old);
    }
  };
  walk(dest);
}

/** Every file under `dir` as zip entries (a .git folder included). */
function zipEntries(dir: string): { name: string; data: Buffer }[] {
  const out: { name: string; data: Buffer }[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push({ name: relative(dir, path), data: readFileSync(path) });
    }
  };
  walk(dir);
  return out;
}

test.before(async () => {
  tmp = await tempDir();
  canary = join(tmp.dir, 'CANARY');
  outside = join(tmp.dir, 'outside');
  mkdirSync(outside);
  mkdirSync(join(tmp.dir, 'cwd'));
  hosts = join(tmp.dir, 'hosts');
  createBareRepo(hosts, 'o/r', [{ 'a.py': '1' }]);
  zipMarker = join(tmp.dir, 'GIT-RAN-A-COMMAND-FROM-A-ZIP');
  evil = createBareRepo(hosts, 'o/evil', [{ '__init__.py': '# 1\n', 'nodes.py': 'a = 1\n' }, { '__init__.py': '# 2\n' }]);
  // A registry zip made from a checkout, .git and all, whose config runs commands.
  const packed = join(tmp.dir, 'packed');
  hostileCheckout(packed, evil.commits[0]!, zipMarker);
  const withGit = zipEntries(packed);
  const touch = `$(touch ${canary})`;
  registry = await startFakeRegistry([
    { id: 'evil', versions: [{ version: '1.0.0', entries: withGit }] },
    { id: 'nested', versions: [{ version: '1.0.0', entries: [{ name: '__init__.py', data: '' }, { name: 'sub/.GIT/config', data: '[core]\n' }] }] },
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
  assert.is(result.code, 3, result.stderr);
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

test('a registry zip carrying a .git is refused, so a later git pin of its folder runs nothing from it', async () => {
  const comfy = join(tmp.dir, 'comfy-zip-git');
  mkdirSync(comfy);
  const registryLock: Record<string, NodeLockEntry> = {
    evil: { original: {}, locked: { type: 'registry', id: 'evil', version: '1.0.0', url: 'https://api.comfy.org/cdn/pub/evil/1.0.0/node.zip', sha256: registry.sha256('evil', '1.0.0') } },
    nested: { original: {}, locked: { type: 'registry', id: 'nested', version: '1.0.0', url: 'https://api.comfy.org/cdn/pub/nested/1.0.0/node.zip', sha256: registry.sha256('nested', '1.0.0') } },
  };
  const first = await run(writeScript(join(tmp.dir, 'out-zip-git'), renderNodesScript(registryLock, { comfyuiDir: '/x' })), comfy);
  const installed = readdirSync(join(comfy, 'custom_nodes'));
  // Then the same folder pinned to the commit the zip's .git is at (so its check runs git status).
  const gitLock: Record<string, NodeLockEntry> = { 'o/evil': { original: {}, locked: { type: 'git', repo: 'https://github.com/o/evil', commit: evil.commits[0]! } } };
  const second = await run(writeScript(join(tmp.dir, 'out-zip-git-2'), renderNodesScript(gitLock, { comfyuiDir: '/x' })), comfy);
  assert.not.ok(existsSync(zipMarker), 'no command from the zip ran');
  assert.is(first.code, 1, first.stdout + first.stderr);
  assert.is((first.stderr.match(/the zip carries a \.git folder or file/g) ?? []).length, 2, first.stderr);
  assert.equal(installed, []);
  assert.is(second.code, 0, `a fresh, clean install from git: ${second.stderr}`);
  assert.not.match(readFileSync(join(comfy, 'custom_nodes', 'evil', '.git', 'config'), 'utf8'), /filter|fsmonitor/, 'the checkout is nodes.sh\'s own');
});

test('git runs in no pack folder whose git settings could run commands: checked, adopted or not', async () => {
  const comfy = join(tmp.dir, 'comfy-git-config');
  mkdirSync(join(comfy, 'custom_nodes'), { recursive: true });
  const dest = join(comfy, 'custom_nodes', 'evil');
  const gitLock = (commit: string): Record<string, NodeLockEntry> => ({ 'o/evil': { original: {}, locked: { type: 'git', repo: 'https://github.com/o/evil', commit } } });
  const script = (commit: string, name: string) => writeScript(join(tmp.dir, name), renderNodesScript(gitLock(commit), { comfyuiDir: '/x' }));
  const runWith = (path: string, args: string[]) =>
    runScript(path, args, { COMFYUI_DIR: comfy, HOME: join(tmp.dir, 'cwd'), GITHUB_ENDPOINT: `file://${hosts}` }, join(tmp.dir, 'cwd'));

  // At the pinned commit: today's check would run `git status`, and the filter with it.
  const marker = join(tmp.dir, 'GIT-RAN-A-COMMAND-FROM-A-PACK');
  hostileCheckout(dest, evil.commits[0]!, marker);
  const before = snapshot(comfy);
  const atPin = await runWith(script(evil.commits[0]!, 'out-git-config-1'), []);
  assert.not.ok(existsSync(marker), 'checking the folder ran no command from its git settings');
  assert.is(atPin.code, 1, atPin.stdout + atPin.stderr);
  assert.match(atPin.stderr, /custom_nodes\/evil has git settings that could run commands, or that nodes\.sh does not know \(filter\.evil\.clean filter\.evil\.smudge filter\.evil\.required core\.fsmonitor core\.hookspath and 3 more\); left untouched/);
  // At another commit, with --adopt (and its dry run): still nothing runs, nothing moves.
  const elsewhere = script(evil.commits[1]!, 'out-git-config-2');
  for (const args of [['--adopt'], ['--adopt', '--dry-run']]) {
    const r = await runWith(elsewhere, args);
    assert.is(r.code, args.includes('--dry-run') ? 0 : 1, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /custom_nodes\/evil has git settings that could run commands/);
  }
  assert.not.ok(existsSync(marker), 'no command from the pack\'s git settings ran');
  assert.equal(snapshot(comfy), before, 'the folder is untouched');
  assert.is(git(['rev-parse', 'HEAD'], dest), evil.commits[0]);
});

test('a hand-edited hostile lock: every entry fails, nothing runs, nothing is written outside', async () => {
  const touch = `$(touch ${canary})`;
  const hostile: Record<string, NodeLockEntry> = {
    [touch]: { original: {}, locked: { type: 'git', repo: 'https://github.com/o/r', commit: COMMIT } },
    a: { original: {}, locked: { type: 'git', repo: `https://github.com/o/r${touch}`, commit: COMMIT } },
    b: { original: {}, locked: { type: 'git', repo: 'https://github.com/o/..', commit: COMMIT } },
    c: { original: {}, locked: { type: 'registry', id: '..', version: '1.0.0', url: 'https://x.org/a.zip', sha256: 'a'.repeat(64) } },
    d: { original: {}, locked: { type: 'registry', id: 'd', version: `1.0.0${touch}`, url: 'https://x.org/a.zip', sha256: 'a'.repeat(64) } },
    e: { original: { cnr_id: `\n${touch}\n` }, unresolved: { reason: `\n${touch}\n\u202egnp.exe\u200b` } },
  };
  const comfy = join(tmp.dir, 'comfy-3');
  mkdirSync(comfy);
  const result = await run(writeScript(join(tmp.dir, 'out-3'), renderNodesScript(hostile, { comfyuiDir: '/x' })), comfy);
  assert.not.ok(existsSync(canary));
  assert.is(result.code, 1);
  assert.match(result.stdout, /installed 0, skipped 0, failed 5, unresolved 1/);
  assert.not.match(result.stdout + result.stderr, /[\x80-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/, 'no bidi or zero-width character reaches the terminal');
  assert.match(result.stderr, /\\u\{202e\}gnp\.exe\\u\{200b\}/);
  assert.equal(readdirSync(join(comfy, 'custom_nodes')), []);
});

test.run();
