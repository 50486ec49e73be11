/**
 * nodes.sh --shared: several environments on one volume, each linking custom_nodes/<folder> to
 * the shared entry of its own pin. Run for real, concurrently, against bare repositories
 * (file://) and the fake registry's zips.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeLockEntry } from '../../src/core/types.js';
import { renderNodesScript } from '../../src/render/nodes-script.js';
import { startFakeRegistry, type FakeRegistry } from '../helpers/fake-registry.js';
import { createBareRepo, git, type FixtureRepo } from '../helpers/git-fixtures.js';
import { tempDir } from '../helpers/tmp.js';
import { read, runScript, snapshot, writeScript } from './build.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
let registry: FakeRegistry;
let repo: FixtureRepo;
let hosts: string;
let scriptA: string;
let scriptB: string;

function lock(commit: string, version: string): Record<string, NodeLockEntry> {
  return {
    'o/pack': { original: {}, locked: { type: 'git', repo: 'https://github.com/o/Pack', commit } },
    zp: { original: {}, locked: { type: 'registry', id: 'zp', version, url: `https://api.comfy.org/cdn/p/zp/${version}/node.zip`, sha256: registry.sha256('zp', version) } },
  };
}

test.before(async () => {
  tmp = await tempDir();
  hosts = join(tmp.dir, 'hosts');
  repo = createBareRepo(hosts, 'o/Pack', [{ '__init__.py': '', 'nodes.py': 'v = 1\n' }, { 'nodes.py': 'v = 2\n' }]);
  registry = await startFakeRegistry([{ id: 'zp', publisher: 'p', versions: [
    { version: '1.0.0', files: { '__init__.py': '# zp 1.0\n' } },
    { version: '1.1.0', files: { '__init__.py': '# zp 1.1\n' } },
  ] }]);
  scriptA = writeScript(join(tmp.dir, 'out-a'), renderNodesScript(lock(repo.commits[0]!, '1.0.0'), { comfyuiDir: '/nonexistent' }));
  scriptB = writeScript(join(tmp.dir, 'out-b'), renderNodesScript(lock(repo.commits[1]!, '1.1.0'), { comfyuiDir: '/nonexistent' }));
});

test.after(async () => {
  await registry.close();
  await tmp.cleanup();
});

function env(comfy: string, extra: Record<string, string> = {}): Record<string, string> {
  return { COMFYUI_DIR: comfy, GITHUB_ENDPOINT: `file://${hosts}`, COMFY_REGISTRY_ENDPOINT: registry.endpoint, ...extra };
}

function box(name: string): string {
  const dir = join(tmp.dir, name);
  mkdirSync(dir);
  return dir;
}

test('two environments with different commits of one pack on one volume: both installed, linked and correct after concurrent runs', async () => {
  const volume = join(tmp.dir, 'volume');
  const [a, b, c, d] = ['env-a', 'env-b', 'env-c', 'env-d'].map(box) as [string, string, string, string];
  // a, c and d want the first pins (racing for the same shared entries), b the second ones.
  const runs = await Promise.all([
    runScript(scriptA, ['--shared', volume], env(a)),
    runScript(scriptB, ['--shared', volume], env(b)),
    runScript(scriptA, [], env(c, { COMFY_NODES_SHARED: volume })),
    runScript(scriptA, ['--shared', volume], env(d)),
  ]);
  for (const run of runs) assert.is(run.code, 0, run.stdout + run.stderr);
  const vol = realpathSync(volume);
  const first = `${vol}/Pack@${repo.commits[0]}`;
  const second = `${vol}/Pack@${repo.commits[1]}`;
  const zip1 = `${vol}/zp@1.0.0-${registry.sha256('zp', '1.0.0').slice(0, 16)}`;
  const zip2 = `${vol}/zp@1.1.0-${registry.sha256('zp', '1.1.0').slice(0, 16)}`;
  assert.equal(readdirSync(volume).sort(), ['.comfygen', ...[first, second, zip1, zip2].map((p) => p.slice(vol.length + 1))].sort());
  assert.equal(readdirSync(join(volume, '.comfygen', 'staging')), [], 'no half-fetched entry is left');
  for (const [env, pack, zp] of [[a, first, zip1], [b, second, zip2], [c, first, zip1], [d, first, zip1]] as const) {
    assert.ok(lstatSync(join(env, 'custom_nodes', 'Pack')).isSymbolicLink());
    assert.is(readlinkSync(join(env, 'custom_nodes', 'Pack')), pack);
    assert.is(readlinkSync(join(env, 'custom_nodes', 'zp')), zp);
  }
  assert.is(git(['rev-parse', 'HEAD'], first), repo.commits[0]);
  assert.is(git(['rev-parse', 'HEAD'], second), repo.commits[1]);
  for (const entry of [first, second]) {
    assert.is(git(['status', '--porcelain'], entry), '');
    git(['fsck', '--no-progress'], entry);
  }
  assert.is(read(join(a, 'custom_nodes', 'Pack', 'nodes.py')), 'v = 1\n');
  assert.is(read(join(b, 'custom_nodes', 'Pack', 'nodes.py')), 'v = 2\n');
  assert.is(read(join(a, 'custom_nodes', 'zp', '__init__.py')), '# zp 1.0\n');
  assert.is(read(join(b, 'custom_nodes', 'zp', '__init__.py')), '# zp 1.1\n');
  // Each entry was fetched once: the racers for one pin found it published.
  const fetched = runs.map((r) => (r.stdout.match(/fetching o\/pack/g) ?? []).length).reduce((x, y) => x + y, 0);
  assert.is(fetched, 2);

  // A second run links nothing new and changes nothing.
  const before = [snapshot(volume), snapshot(a)];
  const again = await runScript(scriptA, ['--shared', volume], env(a));
  assert.is(again.code, 0, again.stderr);
  assert.match(again.stdout, /installed 0, skipped 2, failed 0, unresolved 0/);
  assert.equal([snapshot(volume), snapshot(a)], before);

  // An environment moving to the other pins re-points its links; the first entries stay for the others.
  const moved = await runScript(scriptB, ['--shared', volume], env(a));
  assert.is(moved.code, 0, moved.stderr);
  assert.match(moved.stdout, /linked custom_nodes\/Pack to .*Pack@[0-9a-f]{40} \(it linked to another pin\)/);
  assert.is(readlinkSync(join(a, 'custom_nodes', 'Pack')), second);
  assert.is(readlinkSync(join(c, 'custom_nodes', 'Pack')), first);
  assert.ok(existsSync(join(first, 'nodes.py')));
});

test('--shared leaves alone what is not its own: a real folder in custom_nodes, an edited shared checkout', async () => {
  const volume = join(tmp.dir, 'volume-2');
  const mine = box('env-mine');
  mkdirSync(join(mine, 'custom_nodes', 'Pack'), { recursive: true });
  writeFileSync(join(mine, 'custom_nodes', 'Pack', 'mine.py'), 'mine\n');
  const refused = await runScript(scriptA, ['--shared', volume, '--only', 'o/pack'], env(mine));
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /custom_nodes\/Pack is not a link into .*; left untouched/);
  assert.equal(readdirSync(join(mine, 'custom_nodes', 'Pack')), ['mine.py']);

  const fresh = box('env-fresh');
  assert.is((await runScript(scriptA, ['--shared', volume], env(fresh))).code, 0);
  const entry = readlinkSync(join(fresh, 'custom_nodes', 'Pack'));
  writeFileSync(join(entry, 'nodes.py'), 'v = "edited on the volume"\n');
  const other = box('env-other');
  const dirty = await runScript(scriptA, ['--shared', volume], env(other));
  assert.is(dirty.code, 1);
  assert.match(dirty.stderr, /Pack@[0-9a-f]{40} has local changes; left untouched \(other boxes may use it/);
  assert.is(read(join(entry, 'nodes.py')), 'v = "edited on the volume"\n');
  assert.not.ok(existsSync(join(other, 'custom_nodes', 'Pack')), 'not linked to a changed checkout');

  const dry = await runScript(scriptB, ['--shared', volume, '--dry-run'], env(box('env-dry')));
  assert.is(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /would fetch o\/pack: https:\/\/github.com\/o\/Pack at [0-9a-f]{40} into .*Pack@/);
  const usage = await runScript(scriptA, ['--shared', volume, '--run-install-scripts'], env(fresh));
  assert.is(usage.code, 2);
});

test.run();
