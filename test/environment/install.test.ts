/**
 * install.sh run for real on an empty "box" folder: git clones ComfyUI from a `file://` mirror,
 * python3 -m venv and pip install from a loopback package index of wheels built in the test,
 * nodes.sh and download.sh against loopback servers. Nothing leaves 127.0.0.1.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { git } from '../helpers/git-fixtures.js';
import { runScript, snapshot } from '../nodes/build.js';
import { buildWheel } from '../helpers/fake-index.js';
import { MODEL, WHEELS, boxState, makeEnvProject, type EnvFixture } from './fixture.js';

const execAsync = promisify(execFile);
let fx: EnvFixture;
let script: string;
let box: string;

function boxEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { ...fx.env, HOME: join(fx.dir, 'home'), ...extra };
}

/** name → version of every distribution in a venv. */
function installed(venv: string): Record<string, string> {
  const out = execFileSync(join(venv, 'bin', 'python'), ['-I', '-c', 'import importlib.metadata as m, json; print(json.dumps({d.metadata["Name"].lower(): d.version for d in m.distributions()}))'], { encoding: 'utf8' });
  return JSON.parse(out) as Record<string, string>;
}

test.before(async () => {
  fx = await makeEnvProject();
  mkdirSync(join(fx.dir, 'home'));
  const built = await runCli(['build'], fx.dir, fx.env);
  assert.is(built.code, 0, built.stderr);
  script = join(fx.dir, 'generated', 'install.sh');
  box = join(fx.dir, 'box');
});

test.after(async () => {
  await fx.cleanup();
});

test('--dry-run on an empty box prints the whole plan and touches nothing', async () => {
  const run = await runScript(script, ['--dry-run'], boxEnv());
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stdout, new RegExp(`would clone https://github.com/comfyanonymous/ComfyUI at ${fx.tags['v0.3.59']} into ${box}/ComfyUI`));
  assert.match(run.stdout, /would create .*\/box\/ComfyUI\/\.venv with python3 -m venv/);
  assert.match(run.stdout, /would install requirements.txt into .*\n {2}alpha==1\.1\n {2}beta==1\.0\n/);
  assert.match(run.stdout, /would install someone\/comfyui-alpha: https:\/\/github.com\/someone\/ComfyUI-Alpha at [0-9a-f]{40} into custom_nodes\/ComfyUI-Alpha/);
  assert.match(run.stdout, /would install comfyui-gamma: version 1.0.0/);
  assert.match(run.stdout, /checkpoints\/base.safetensors/);
  assert.not.ok(existsSync(box), 'nothing was created');
});

test('an empty box: ComfyUI at the tag of the workflows, a venv with exactly the planned versions, packs, models; torch only checked', async () => {
  const first = await runScript(script, [], boxEnv());
  const comfy = join(box, 'ComfyUI');
  const venv = join(comfy, '.venv');
  // ComfyUI at the commit of v0.3.59 (the newest comfy-core of the workflows), clean, from the mirror.
  assert.is(git(['rev-parse', 'HEAD'], comfy), fx.tags['v0.3.59']);
  assert.is(git(['status', '--porcelain', '--untracked-files=no'], comfy), '');
  assert.is(readFileSync(join(comfy, 'comfyui_version.py'), 'utf8'), '__version__ = "0.3.59"\n');
  // The plan, exactly as locked; the torch family untouched: not installed, reported.
  const lock = JSON.parse(readFileSync(join(fx.dir, 'comfy.lock.json'), 'utf8')) as { python: { resolved: { packages: Record<string, { version: string }> } } };
  const planned = Object.fromEntries(Object.entries(lock.python.resolved.packages).map(([k, p]) => [k, p.version]));
  assert.equal(planned, { alpha: '1.1', beta: '1.0', gamma: '1.5', 'needs-torch': '1.0', numpy: '2.0.0' });
  const have = installed(venv);
  for (const [name, version] of Object.entries(planned)) assert.is(have[name], version, name);
  assert.not.ok('torch' in have, 'torch is never installed, even as a dependency');
  assert.not.ok('torchvision' in have);
  assert.is(first.code, 1, 'the box is not complete without torch');
  assert.match(first.stderr, /torch check: torch is not installed \(wanted: torch>=2\.0\), asked by comfyui, someone\/comfyui-alpha/);
  assert.match(first.stdout, /install\.sh: comfyui ok, venv ok, python FAILED, nodes ok, models ok/);
  // Packs beside ComfyUI, models in place.
  assert.is(git(['rev-parse', 'HEAD'], join(comfy, 'custom_nodes', 'ComfyUI-Alpha')), fx.alpha.tip);
  assert.ok(existsSync(join(comfy, 'custom_nodes', 'comfyui-gamma', '__init__.py')));
  assert.equal(readFileSync(join(comfy, 'models', 'checkpoints', 'base.safetensors')), MODEL);

  // The box's owner installs torch for their GPU (here: the index's stand-in); now it is complete.
  // Asynchronously: the index answers from this very process.
  await execAsync(join(venv, "bin", "python"), ['-m', 'pip', 'install', '-q', 'torch==2.3.0', 'torchvision==0.18.0'], { env: { PATH: process.env.PATH, ...boxEnv() } });
  const second = await runScript(script, [], boxEnv());
  assert.is(second.code, 0, second.stderr);
  assert.match(second.stdout, /ok python: every package of requirements.txt is installed/);
  assert.equal(installed(venv).torch, '2.3.0');

  const before = boxState(box);
  const third = await runScript(script, [], boxEnv());
  assert.is(third.code, 0, third.stderr);
  assert.match(third.stdout, /install\.sh: comfyui ok, venv ok, python ok, nodes ok, models ok/);
  assert.equal(boxState(box), before, 'a second run on a complete box changes nothing');
  // (pip keeps its cache where PIP_CACHE_DIR says, whether or not it used it yet.)
  assert.equal(readdirSync(fx.dir).filter((n) => n !== 'pip-cache').sort(), ['.comfygen', 'box', 'comfy.config.json', 'comfy.lock.json', 'generated', 'git-host', 'home', 'workflows'], 'nothing written outside the box');
});

test('hashes are verified: a wheel that is not the locked one is refused and not installed', async () => {
  const venv = join(fx.dir, 'venv-tampered');
  // Every file of alpha 1.1: pip picks the wheel that fits this machine best.
  const files = ['py3-none-any', 'cp311-cp311-manylinux_2_17_x86_64', 'cp312-cp312-macosx_11_0_arm64'].map((tag) => fx.index.fileName('alpha', '1.1', tag));
  for (const file of files) fx.index.tamper(file);
  try {
    const run = await runScript(script, ['--only', 'venv,python'], boxEnv({ COMFY_VENV: venv, PIP_NO_CACHE_DIR: '1' }));
    assert.is(run.code, 1);
    assert.match(run.stderr, /THESE PACKAGES DO NOT MATCH THE HASHES/, run.stdout + run.stderr);
    assert.match(run.stderr, /FAILED python: pip install failed/);
    assert.not.ok('alpha' in installed(venv));
  } finally {
    for (const file of files) fx.index.restore(file);
  }
});

test('a clean checkout of ComfyUI at another commit moves only with --adopt; a dirty one never', async () => {
  const comfy = join(fx.dir, 'other-box', 'ComfyUI');
  git(['clone', '-q', fx.comfy.path, comfy]);
  git(['-c', 'advice.detachedHead=false', 'checkout', '-q', fx.tags['v0.3.58']!], comfy);
  const env = boxEnv({ COMFYUI_DIR: comfy });
  const before = snapshot(comfy);
  const refused = await runScript(script, ['--only', 'comfyui'], env);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, new RegExp(`is at ${fx.tags['v0.3.58']}, not the pinned ${fx.tags['v0.3.59']}; left untouched \\(run with --adopt`), refused.stderr);
  assert.equal(snapshot(comfy), before);

  writeFileSync(join(comfy, 'main.py'), 'print("my change")\n');
  const dirty = await runScript(script, ['--only', 'comfyui', '--adopt'], env);
  assert.is(dirty.code, 1);
  assert.match(dirty.stderr, /has local changes; left untouched/);
  assert.is(readFileSync(join(comfy, 'main.py'), 'utf8'), 'print("my change")\n');
  git(['checkout', '-q', '--', 'main.py'], comfy);

  const adopted = await runScript(script, ['--only', 'comfyui', '--adopt'], env);
  assert.is(adopted.code, 0, adopted.stderr);
  assert.match(adopted.stdout, /moved .* to [0-9a-f]{40} \(--adopt\)/);
  assert.is(git(['rev-parse', 'HEAD'], comfy), fx.tags['v0.3.59']);
  assert.ok(existsSync(join(comfy, '.git', 'refs', 'heads', 'main')), 'the branch the user had is kept');

  const foreign = join(fx.dir, 'foreign', 'ComfyUI');
  mkdirSync(foreign, { recursive: true });
  writeFileSync(join(foreign, 'notes.txt'), 'mine');
  const untouched = await runScript(script, ['--only', 'comfyui', '--adopt'], boxEnv({ COMFYUI_DIR: foreign }));
  assert.is(untouched.code, 1);
  assert.match(untouched.stderr, /is not a git checkout; left untouched/);
  assert.equal(readdirSync(foreign), ['notes.txt']);
});

test('flags pass through to nodes.sh and download.sh; their status 3 (unresolved packs or models) is install.sh\'s 3', async () => {
  const out = join(fx.dir, 'stubbed');
  cpSync(join(fx.dir, 'generated'), out, { recursive: true });
  const log = join(fx.dir, 'stub.log');
  writeFileSync(join(out, 'nodes.sh'), `printf 'nodes.sh %s\\n' "$*" >>'${log}'\nexit 3\n`);
  writeFileSync(join(out, 'download.sh'), `printf 'download.sh %s\\n' "$*" >>'${log}'\nexit 3\n`);
  const comfy = join(fx.dir, 'stub-box');
  mkdirSync(comfy);
  const run = await runScript(join(out, 'install.sh'), ['--only', 'nodes', '--only=models', '--adopt', '--allow-unresolved', '--shared', '/vol/nodes'], boxEnv({ COMFYUI_DIR: comfy }));
  assert.is(run.code, 3, run.stderr);
  assert.match(run.stdout, /install\.sh: nodes incomplete, models incomplete/);
  assert.is(readFileSync(log, 'utf8'), 'nodes.sh --adopt --allow-unresolved --shared /vol/nodes\ndownload.sh --allow-unresolved\n');
  const usage = await runScript(join(out, 'install.sh'), ['--only', 'everything'], boxEnv({ COMFYUI_DIR: comfy }));
  assert.is(usage.code, 2);
  assert.match(usage.stderr, /unknown step: everything/);
});

test('--wheels DIR: the plan installs from a folder of wheels with no index at all, hashes still checked', async () => {
  const wheels = join(fx.dir, 'wheels');
  mkdirSync(wheels);
  for (const w of WHEELS) writeFileSync(join(wheels, fx.index.fileName(w.name, w.version)), buildWheel(w));
  const venv = join(fx.dir, 'venv-wheels');
  const run = await runScript(script, ['--only', 'venv,python', '--wheels', wheels], boxEnv({ COMFY_VENV: venv, PIP_NO_INDEX: '1', PIP_INDEX_URL: 'http://127.0.0.1:9/simple', PIP_NO_CACHE_DIR: '1' }));
  assert.match(run.stdout, /ok venv: created/, run.stderr);
  assert.match(run.stderr, /FAILED python: installed requirements.txt; the torch family does not match/, 'only torch is missing');
  const have = installed(venv);
  assert.equal([have.alpha, have.beta, have.gamma, have['needs-torch'], have.numpy], ['1.1', '1.0', '1.5', '1.0', '2.0.0']);
});

test('with uv on PATH, install.sh creates the venv and installs the plan with uv (pip variables passed on)', async () => {
  const bin = join(fx.dir, 'uv-bin');
  mkdirSync(bin);
  const log = join(fx.dir, 'uv.log');
  // A stand-in for uv that records its arguments and does the work with python3 / pip.
  writeFileSync(join(bin, 'uv'), `#!/usr/bin/env bash
printf '%s\\n' "$*" >>'${log}'
case $1 in
  venv) dir=\${@: -1}; exec python3 -m venv "$dir" ;;
  pip) shift 2; py=$2; shift 2; args=(); while [ $# -gt 0 ]; do case $1 in --index-url) shift ;; *) args+=("$1") ;; esac; shift; done; exec "$py" -m pip install -q "\${args[@]}" ;;
esac
exit 9
`, { mode: 0o755 });
  const venv = join(fx.dir, 'venv-uv');
  const run = await runScript(script, ['--only', 'venv,python'], boxEnv({ COMFY_VENV: venv, PATH: `${bin}:${process.env.PATH}`, PIP_FIND_LINKS: join(fx.dir, 'wheels') }));
  assert.match(run.stdout, /ok venv: created/);
  const calls = readFileSync(log, 'utf8').split('\n');
  assert.match(calls[0]!, /^venv -q --python python3 -- .*venv-uv$/);
  assert.match(calls[1]!, new RegExp(`^pip install --python ${venv}/bin/python -r .*requirements.txt --require-hashes --no-deps --index-url ${fx.index.url.replace(/[.]/g, '\\.')} --find-links ${fx.dir}/wheels$`));
  assert.is(installed(venv).alpha, '1.1');
});

test.run();
