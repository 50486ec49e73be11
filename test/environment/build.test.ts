/**
 * comfygen build and check with ComfyUI and the Python plan switched on: ComfyUI pinned from a
 * `file://` mirror by the workflows' comfy-core version, the requirements of ComfyUI and two packs
 * merged and resolved by the real pip against a loopback index, and the lock rules (kept, offline,
 * transient failures) that every lock entry follows.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lockfile } from '../../src/core/types.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { makeEnvProject } from './fixture.js';

const lockOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'comfy.lock.json'), 'utf8')) as Lockfile;
const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');
const setConfig = (dir: string, change: (c: Record<string, unknown>) => void) => {
  const config = JSON.parse(read(dir, 'comfy.config.json')) as Record<string, unknown>;
  change(config);
  writeFileSync(join(dir, 'comfy.config.json'), JSON.stringify(config));
};

test('the lock pins ComfyUI to the tag of the newest comfy-core, merges the plan with its sources, and pip pins it with hashes', async () => {
  const fx = await makeEnvProject();
  try {
    const built = await runCli(['build'], fx.dir, fx.env);
    assert.is(built.code, 0, built.stderr);
    assert.match(built.stdout, /\+ added comfyui\n/);
    assert.match(built.stdout, /\+ added python\n/);
    const lock = lockOf(fx.dir);
    assert.equal(lock.comfyui, { original: { ref: 'v0.3.59' }, locked: { repo: 'https://github.com/comfyanonymous/ComfyUI', commit: fx.tags['v0.3.59']! } });
    assert.match(read(fx.dir, 'generated/report.md'), /ComfyUI `v0\.3\.59` of `https:\/\/github.com\/comfyanonymous\/ComfyUI`, pinned to `[0-9a-f]{40}`: the newest ComfyUI version the workflows were saved with \(comfy-core 0\.3\.59\)/);

    // What each tree asks for, read at its pin (the registry pack from its zip: requirements.txt wins over pyproject.toml).
    assert.equal(lock.python!.comfyui!.requirements, ['torch', 'torchvision', 'numpy>=1.25.0']);
    assert.equal(lock.python!.nodes['comfyui-gamma']!.requirements, ['alpha<2', 'needs-torch', 'numpy']);
    assert.equal(lock.python!.nodes['someone/comfyui-alpha']!.skipped, [{ line: 'git+https://github.com/someone/helper.git', reason: 'a URL or path, not a package name; install it by hand' }]);
    assert.match(built.stderr, /someone\/comfyui-alpha: 1 line\(s\) of requirements.txt are not in the plan: "git\+https:\/\/github.com\/someone\/helper.git".*\[python-requirement-skipped\]/);

    // pip's answer: the highest alpha both packs accept, every hash of it, no torch (only checked).
    const resolved = lock.python!.resolved!;
    assert.equal(Object.keys(resolved.packages), ['alpha', 'beta', 'gamma', 'needs-torch', 'numpy']);
    assert.is(resolved.packages.alpha!.version, '1.1');
    assert.equal(resolved.packages.alpha!.hashes, ['py3-none-any', 'cp311-cp311-manylinux_2_17_x86_64', 'cp312-cp312-macosx_11_0_arm64']
      .map((tag) => `sha256:${fx.index.sha256(fx.index.fileName('alpha', '1.1', tag))}`).sort());
    assert.equal(resolved.packages.gamma!.requiredBy, ['beta']);
    assert.equal(resolved.checked, ['torch']);
    assert.is(resolved.python, '3.11');

    const req = read(fx.dir, 'generated/requirements.txt');
    assert.match(req, /^alpha==1\.1 \\\n {4}--hash=sha256:[0-9a-f]{64} \\\n {4}--hash=sha256:[0-9a-f]{64} \\\n {4}--hash=sha256:[0-9a-f]{64}\n {4}# from comfyui-gamma \(<2\), someone\/comfyui-alpha \(>=1\.0\)$/m);
    assert.match(req, /^numpy==2\.0\.0 \\\n.*\n {4}# from comfyui \(>=1\.25\.0\), comfyui-gamma$/m);
    assert.match(req, /^gamma==1\.5 \\\n.*\n {4}# required by beta$/m);
    assert.match(req, /^# {3}torch>=2\.0 {2}<- comfyui, someone\/comfyui-alpha \(>=2\.0\)$/m);
    assert.not.match(req, /^torch/m, 'the torch family is never a line pip would install');
    assert.match(req, /^# {3}someone\/comfyui-alpha: git\+https:\/\/github.com\/someone\/helper.git/m);

    // A warm build asks neither git nor pip nor the index anything.
    const asked = fx.index.requests.length;
    const again = await runCli(['build'], fx.dir, fx.env);
    assert.is(again.code, 0, again.stderr);
    assert.is(fx.index.requests.length, asked, 'no pip run, no index request');
    const check = await runCli(['check'], fx.dir, {});
    assert.is(check.code, 0, check.stdout + check.stderr);

    // Same inputs, same bytes: the project copied elsewhere builds to identical files.
    const { dir: elsewhere, cleanup } = await tempDir('comfygen-env-copy-');
    try {
      for (const name of ['workflows', 'comfy.config.json', 'comfy.lock.json']) cpSync(join(fx.dir, name), join(elsewhere, name), { recursive: true });
      const copy = await runCli(['build'], elsewhere, fx.env);
      assert.is(copy.code, 0, copy.stderr);
      for (const file of readdirSync(join(fx.dir, 'generated'))) assert.is(read(elsewhere, `generated/${file}`), read(fx.dir, `generated/${file}`), file);
      assert.is(read(elsewhere, 'comfy.lock.json'), read(fx.dir, 'comfy.lock.json'));
    } finally {
      await cleanup();
    }
  } finally {
    await fx.cleanup();
  }
});

test('check covers the new lock entries and outputs', async () => {
  const fx = await makeEnvProject();
  try {
    assert.is((await runCli(['build'], fx.dir, fx.env)).code, 0);
    const files = ['comfy.lock.json', 'generated/requirements.txt', 'generated/install.sh'];
    const saved = new Map(files.map((f) => [f, read(fx.dir, f)]));
    const restore = () => { for (const [f, text] of saved) writeFileSync(join(fx.dir, f), text); };
    const drift = async (what: string) => {
      const run = await runCli(['check'], fx.dir, {});
      assert.is(run.code, 1, `${what}: ${run.stdout}${run.stderr}`);
      restore();
      assert.is((await runCli(['check'], fx.dir, {})).code, 0, `${what}: restored`);
      return run.stdout + run.stderr;
    };
    writeFileSync(join(fx.dir, 'generated/requirements.txt'), saved.get('generated/requirements.txt')!.replace('alpha==1.1', 'alpha==1.0'));
    assert.match(await drift('an edited requirements.txt'), /requirements\.txt/);
    writeFileSync(join(fx.dir, 'generated/install.sh'), `${saved.get('generated/install.sh')}\n# edited\n`);
    assert.match(await drift('an edited install.sh'), /install\.sh/);
    const lock = lockOf(fx.dir);
    delete lock.comfyui;
    writeFileSync(join(fx.dir, 'comfy.lock.json'), JSON.stringify(lock, null, 2));
    assert.match(await drift('a lock without its comfyui entry'), /comfyui/);
    const noPlan = lockOf(fx.dir);
    delete noPlan.python!.resolved;
    writeFileSync(join(fx.dir, 'comfy.lock.json'), JSON.stringify(noPlan, null, 2));
    await drift('a lock without the resolution');
    const staleSource = lockOf(fx.dir);
    staleSource.python!.nodes['comfyui-gamma']!.pin = 'f'.repeat(64);
    writeFileSync(join(fx.dir, 'comfy.lock.json'), JSON.stringify(staleSource, null, 2));
    await drift('a source read at another pin');
  } finally {
    await fx.cleanup();
  }
});

test('a conflict is a diagnostic naming both packs; the plan keeps its ranges and says so', async () => {
  const fx = await makeEnvProject({ gammaRequirements: 'alpha<1.0\nnumpy\n' });
  try {
    const built = await runCli(['build'], fx.dir, fx.env);
    assert.is(built.code, 0, built.stderr);
    assert.match(built.stderr, /warning: alpha: comfyui-gamma asks for alpha<1\.0 and someone\/comfyui-alpha asks for alpha>=1\.0; no version satisfies both \[python-conflict\]/);
    assert.is(fx.index.requests.length, 0, 'pip is not asked to resolve a plan that cannot be satisfied');
    const lock = lockOf(fx.dir);
    assert.is(lock.python!.resolved, undefined);
    assert.match(lock.python!.unresolved!.reason, /conflicting requirements/);
    const req = read(fx.dir, 'generated/requirements.txt');
    assert.match(req, /# Not resolved to exact versions \(the plan has conflicting requirements/);
    assert.match(req, /^alpha<1\.0,>=1\.0\n {4}# from comfyui-gamma \(<1\.0\), someone\/comfyui-alpha \(>=1\.0\)$/m);
    assert.match(req, /^# {3}alpha: comfyui-gamma asks alpha<1\.0, someone\/comfyui-alpha asks alpha>=1\.0$/m);
  } finally {
    await fx.cleanup();
  }
});

test('a configured ref wins; a ref the repository lacks is an error; offline the lock is used and nothing is fetched', async () => {
  const fx = await makeEnvProject({ config: { comfyui: { dir: 'box/ComfyUI', ref: 'v0.3.58' }, python: { plan: false } } });
  try {
    const built = await runCli(['build'], fx.dir, fx.env);
    assert.is(built.code, 0, built.stderr);
    assert.equal(lockOf(fx.dir).comfyui, { original: { ref: 'v0.3.58' }, chosenBy: 'config', locked: { repo: 'https://github.com/comfyanonymous/ComfyUI', commit: fx.tags['v0.3.58']! } });
    assert.not.ok(readdirSync(join(fx.dir, 'generated')).includes('requirements.txt'), 'python.plan: false renders no requirements.txt');
    assert.match(read(fx.dir, 'generated/install.sh'), /^HAVE_PLAN=0$/m);

    // Offline with the mirror gone: the pin is kept from the lock.
    const offline = await runCli(['build', '--offline'], fx.dir, { GITHUB_ENDPOINT: 'file:///nonexistent' });
    assert.is(offline.code, 0, offline.stderr);
    assert.is(lockOf(fx.dir).comfyui!.locked!.commit, fx.tags['v0.3.58']);

    // --update comfyui with the mirror unreachable: a transient failure keeps the pin.
    const down = await runCli(['build', '--update', 'comfyui'], fx.dir, { ...fx.env, GITHUB_ENDPOINT: 'http://127.0.0.1:9' });
    assert.is(down.code, 0, down.stderr);
    assert.match(down.stderr, /\[comfyui-lock-kept\]/);
    assert.is(lockOf(fx.dir).comfyui!.locked!.commit, fx.tags['v0.3.58']);

    setConfig(fx.dir, (c) => { c.comfyui = { dir: 'box/ComfyUI', ref: 'v9.9.9' }; });
    const missing = await runCli(['build'], fx.dir, fx.env);
    assert.is(missing.code, 1);
    assert.match(missing.stderr, /error: comfyui: v9\.9\.9 of https:\/\/github.com\/comfyanonymous\/ComfyUI: the repository has no tag or branch v9\.9\.9 \[comfyui-unresolved\]/);
    assert.equal(lockOf(fx.dir).comfyui!.unresolved, { reason: 'the repository has no tag or branch v9.9.9' });
    assert.match(read(fx.dir, 'generated/install.sh'), /^COMFYUI_COMMIT=''$/m);

    setConfig(fx.dir, (c) => { c.comfyui = { dir: 'box/ComfyUI', ref: 'main' }; });
    assert.is((await runCli(['build'], fx.dir, fx.env)).code, 0);
    assert.is(lockOf(fx.dir).comfyui!.locked!.commit, fx.comfy.tip, 'a branch pins its tip');
  } finally {
    await fx.cleanup();
  }
});

test('a first build offline pins nothing, says so, and reads nothing from the network', async () => {
  const fx = await makeEnvProject();
  try {
    rmSync(join(fx.hosts, 'comfyanonymous'), { recursive: true });
    const built = await runCli(['build', '--offline'], fx.dir, fx.env);
    assert.is(built.code, 0, built.stderr);
    assert.equal(lockOf(fx.dir).comfyui, { original: { ref: 'v0.3.59' }, unresolved: { reason: 'offline: not in the lock yet; run comfygen build without --offline' } });
    assert.is(fx.index.requests.length, 0);
  } finally {
    await fx.cleanup();
  }
});

test('without pip (or with python.resolve off) the plan keeps its ranges and says why; an unreachable index keeps the lock', async () => {
  const fx = await makeEnvProject();
  try {
    const nopip = await runCli(['build'], fx.dir, { ...fx.env, COMFYGEN_PYTHON: join(fx.dir, 'no-such-python') });
    assert.is(nopip.code, 0, nopip.stderr);
    assert.match(nopip.stderr, /requirements\.txt keeps version ranges \(no exact versions, no hashes\): .*no-such-python -m pip does not run \[python-resolver-unavailable\]/);
    assert.match(read(fx.dir, 'generated/requirements.txt'), /# Not resolved to exact versions \(pip 22\.2 or newer was not available to comfygen build\)/);
    assert.match(read(fx.dir, 'generated/requirements.txt'), /^alpha<2,>=1\.0\n {4}# from comfyui-gamma \(<2\), someone\/comfyui-alpha \(>=1\.0\)$/m);
    assert.match(read(fx.dir, 'generated/install.sh'), /^PLAN_PINNED=0$/m);

    const pinned = await runCli(['build'], fx.dir, fx.env);
    assert.is(pinned.code, 0, pinned.stderr);
    assert.match(pinned.stdout, /~ updated python/);
    const before = read(fx.dir, 'comfy.lock.json');

    // The index is down while --update python asks again: the resolution in the lock stays.
    const down = await runCli(['build', '--update', 'python'], fx.dir, { ...fx.env, PIP_INDEX_URL: 'http://127.0.0.1:9/simple', PIP_RETRIES: '1' });
    assert.is(down.code, 0, down.stderr);
    assert.match(down.stderr, /could not re-resolve the Python plan .*; kept the resolution from the lock \[python-lock-kept\]/);
    assert.is(read(fx.dir, 'comfy.lock.json'), before);

    setConfig(fx.dir, (c) => { c.python = { resolve: false }; });
    const ranges = await runCli(['build'], fx.dir, fx.env);
    assert.is(ranges.code, 0, ranges.stderr);
    assert.not.match(ranges.stderr, /python-resolver-unavailable/);
    assert.match(read(fx.dir, 'generated/requirements.txt'), /# Not resolved to exact versions \(python\.resolve is off in comfy\.config\.ts\)/);
  } finally {
    await fx.cleanup();
  }
});

test('comfyui.ref and comfyui.repo are checked before anything runs: an option-like ref never reaches git', async () => {
  const { dir, cleanup } = await tempDir('comfygen-env-config-');
  try {
    for (const [comfyui, message] of [
      [{ ref: '--upload-pack=touch PWNED' }, /comfyui\.ref: expected a tag, a branch or a 40-hex commit/],
      [{ ref: 'v1..2' }, /comfyui\.ref: expected a tag/],
      [{ repo: 'not a repo' }, /comfyui\.repo: expected a GitHub 'owner\/repo' or an https URL/],
      [{ install: 'yes' }, /comfyui\.install: expected boolean/],
    ] as const) {
      writeFileSync(join(dir, 'comfy.config.json'), JSON.stringify({ workflows: ['w/*.json'], comfyui }));
      const run = await runCli(['build'], dir, {});
      assert.is(run.code, 2);
      assert.match(run.stderr, message);
    }
    assert.equal(readdirSync(dir), ['comfy.config.json']);
  } finally {
    await cleanup();
  }
});

test.run();
