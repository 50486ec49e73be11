/** nodes.sh run for real against bare repositories (file://) and the fake registry's zips. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
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
let lock: Record<string, NodeLockEntry>;
let script: string;
let count = 0;

test.before(async () => {
  tmp = await tempDir();
  hosts = join(tmp.dir, 'hosts');
  repo = createBareRepo(hosts, 'o/Pack', [
    { '__init__.py': '', 'requirements.txt': 'numpy>=1.26\ntorch>=2.0\n  TorchVision==0.19 ; python_version>"3"\ntorchaudio\ntorch-directml\n', 'install.py': 'open("ran-install", "w").write("yes")\n' },
    { '__init__.py': '# 2\n' },
  ]);
  registry = await startFakeRegistry([{ id: 'zp', publisher: 'p', versions: [{ version: '1.0.0', files: { '__init__.py': '# zp\n', 'sub/x.py': 'x = 1\n', 'requirements.txt': 'pillow\n' } }] }]);
  lock = {
    'o/pack': { original: { aux_id: 'o/Pack', ver: repo.commits[0]! }, locked: { type: 'git', repo: 'https://github.com/o/Pack', commit: repo.commits[0]! } },
    zp: { original: { cnr_id: 'zp', ver: '1.0.0' }, locked: { type: 'registry', id: 'zp', version: '1.0.0', url: 'https://api.comfy.org/cdn/p/zp/1.0.0/node.zip', sha256: registry.sha256('zp', '1.0.0') } },
  };
  script = writeScript(join(tmp.dir, 'out'), renderNodesScript(lock, { comfyuiDir: '/nonexistent/ComfyUI' }));
});

test.after(async () => {
  await registry.close();
  await tmp.cleanup();
});

function comfy(): string {
  const dir = join(tmp.dir, `comfy-${++count}`);
  mkdirSync(dir);
  return dir;
}

function env(comfyuiDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { COMFYUI_DIR: comfyuiDir, GITHUB_ENDPOINT: `file://${hosts}/`, COMFY_REGISTRY_ENDPOINT: registry.endpoint, ...extra };
}

test('--help, unknown options and a missing ComfyUI folder', async () => {
  const help = await runScript(script, ['--help'], env(comfy()));
  assert.is(help.code, 0);
  assert.match(help.stdout, /--with-deps/);
  assert.is((await runScript(script, ['--frobnicate'], env(comfy()))).code, 2);
  const missing = await runScript(script, [], env(join(tmp.dir, 'no-such-dir')));
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /ComfyUI folder not found/);
  assert.is((await runScript(script, ['--with-deps'], env(comfy()))).code, 2, 'deps need a virtual environment');
});

test('--dry-run says what it would do and touches nothing', async () => {
  const dir = comfy();
  const run = await runScript(script, ['--dry-run'], env(dir));
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stdout, /would install o\/pack: https:\/\/github.com\/o\/Pack at [0-9a-f]{40} into custom_nodes\/Pack/);
  assert.match(run.stdout, /would install zp: version 1.0.0/);
  assert.equal(readdirSync(dir), []);
});

test('--only installs the matching packs only (lock key or folder name)', async () => {
  const dir = comfy();
  const run = await runScript(script, ['--only', 'Pa*'], env(dir));
  assert.is(run.code, 0, run.stderr);
  assert.equal(readdirSync(join(dir, 'custom_nodes')), ['Pack']);
  assert.match(run.stdout, /installed 1, skipped 0, failed 0, unresolved 0/);
});

test('a folder at another commit, or not a checkout, is left untouched and counted failed', async () => {
  const dir = comfy();
  mkdirSync(join(dir, 'custom_nodes'));
  git(['clone', '-q', repo.path, join(dir, 'custom_nodes', 'Pack')]);
  mkdirSync(join(dir, 'custom_nodes', 'zp'));
  writeFileSync(join(dir, 'custom_nodes', 'zp', 'mine.txt'), 'mine');
  const before = snapshot(dir);
  const run = await runScript(script, [], env(dir));
  assert.is(run.code, 1);
  assert.match(run.stderr, new RegExp(`custom_nodes/Pack is at commit ${repo.tip}, not the pinned ${repo.commits[0]}`));
  assert.match(run.stderr, /custom_nodes\/zp was not installed by nodes.sh/);
  assert.equal(snapshot(dir), before);
});

test('a plain folder inside a ComfyUI that is itself a git checkout is not mistaken for the pack', async () => {
  const dir = comfy();
  git(['init', '-q', dir]);
  mkdirSync(join(dir, 'custom_nodes', 'Pack'), { recursive: true });
  const run = await runScript(script, ['--only', 'o/pack'], env(dir));
  assert.is(run.code, 1);
  assert.match(run.stderr, /custom_nodes\/Pack is not a git checkout/);
});

test('a registry pack with a local edit is reported; one whose zip does not match the lock is refused', async () => {
  const dir = comfy();
  assert.is((await runScript(script, ['--only', 'zp'], env(dir))).code, 0);
  writeFileSync(join(dir, 'custom_nodes', 'zp', 'sub', 'x.py'), 'x = 2\n');
  const edited = await runScript(script, ['--only', 'zp'], env(dir));
  assert.is(edited.code, 1);
  assert.match(edited.stderr, /custom_nodes\/zp has local changes/);
  assert.is(read(join(dir, 'custom_nodes', 'zp', 'sub', 'x.py')), 'x = 2\n');

  const wrong = writeScript(join(tmp.dir, 'wrong'), renderNodesScript({ zp: { original: {}, locked: { ...(lock.zp!.locked as object), sha256: 'f'.repeat(64) } as NodeLockEntry['locked'] } }, { comfyuiDir: '/x' }));
  const fresh = comfy();
  const mismatch = await runScript(wrong, [], env(fresh));
  assert.is(mismatch.code, 1);
  assert.match(mismatch.stderr, new RegExp(`specified: f{64}\\n  got:       ${registry.sha256('zp', '1.0.0')}`));
  assert.equal(readdirSync(join(fresh, 'custom_nodes')), []);
  assert.not.ok(existsSync(join(fresh, '.comfygen', 'staging')), 'staging is cleaned up');
});

test('without unzip, python3 extracts the zip', async () => {
  const bin = join(tmp.dir, 'bin-no-unzip');
  mkdirSync(bin);
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || !existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (name === 'unzip' || name === 'zipinfo' || existsSync(join(bin, name))) continue;
      symlinkSync(join(dir, name), join(bin, name));
    }
  }
  const dir = comfy();
  const run = await runScript(script, ['--only', 'zp'], env(dir, { PATH: bin }));
  assert.is(run.code, 0, run.stderr);
  assert.is(read(join(dir, 'custom_nodes', 'zp', 'sub', 'x.py')), 'x = 1\n');
  assert.is((await runScript(script, ['--only', 'zp'], env(dir))).code, 0, 'and unzip agrees it is clean');
});

test('--with-deps: one pip call into the venv, torch lines left out and installed torch held; install.py only on request', async () => {
  const dir = comfy();
  const venv = join(tmp.dir, 'venv');
  const log = join(tmp.dir, 'pip-log');
  mkdirSync(join(venv, 'bin'), { recursive: true });
  mkdirSync(log);
  // A stand-in python: prints a torch version for the constraints probe, records pip calls and the files they name.
  writeFileSync(join(venv, 'bin', 'python'), [
    '#!/usr/bin/env bash',
    `log=${JSON.stringify(log)}`,
    'if [ "$1" = - ]; then cat >/dev/null; echo "torch==2.4.0+cu121"; exit 0; fi',
    'if [ "$1" = install.py ]; then pwd > "$log/install-cwd"; exit 0; fi',
    'printf "%s\\n" "$@" > "$log/args"',
    'n=0; for a in "$@"; do case "$a" in /*) n=$((n+1)); cp "$a" "$log/file$n";; esac; done',
  ].join('\n'));
  chmodSync(join(venv, 'bin', 'python'), 0o755);

  const plain = await runScript(script, ['--with-deps', '--venv', venv], env(dir));
  assert.is(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /custom_nodes\/Pack has install.py; not run/);
  assert.not.ok(existsSync(join(log, 'install-cwd')));
  const args = read(join(log, 'args')).trim().split('\n');
  assert.equal(args.filter((a) => !a.startsWith('/')), ['-m', 'pip', 'install', '-c', '-r', '-r']);
  const files = readdirSync(log).filter((f) => f.startsWith('file')).sort().map((f) => read(join(log, f)));
  assert.is(files[0], 'torch==2.4.0+cu121\n', 'the installed torch is a constraint');
  assert.ok(files.includes('pillow\n'));
  const filtered = files.find((f) => f.includes('numpy'))!;
  assert.equal(filtered.split('\n').filter((l) => l && !l.startsWith('#')), ['numpy>=1.26', 'torch-directml']);

  const withScripts = await runScript(script, ['--run-install-scripts'], env(dir, { VIRTUAL_ENV: venv }));
  assert.is(withScripts.code, 0, withScripts.stderr);
  assert.is(read(join(log, 'install-cwd')).trim(), join(dir, 'custom_nodes', 'Pack'));
});

test.run();
