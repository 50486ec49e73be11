/**
 * install.sh and requirements.txt as pure renders of the lock: shellcheck-clean, and a lock edited
 * to carry hostile values can neither run a command nor add a line pip would read.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import type { Lockfile, PythonLock } from '../../src/core/types.js';
import { renderInstallScript } from '../../src/render/install-script.js';
import { renderRequirements } from '../../src/render/requirements-txt.js';
import { needing } from '../helpers/tools.js';

const COMMIT = 'a'.repeat(40);
const SHA = `sha256:${'b'.repeat(64)}`;

const PLAN: PythonLock = {
  comfyui: { pin: COMMIT, file: 'requirements.txt', requirements: ['torch', 'numpy>=1.25'] },
  nodes: {
    'o/pack': { pin: COMMIT, file: 'requirements.txt', requirements: ['numpy<2', 'xformers ; sys_platform == "linux"'], skipped: [{ line: '-e git+https://x/y', reason: 'editable' }] },
  },
  resolved: { inputs: 'x', python: '3.11', packages: { numpy: { version: '1.26.4', hashes: [SHA] } }, checked: ['triton'] },
};

const lock = (over: Partial<Lockfile> = {}): Lockfile => ({
  version: 1, models: {},
  comfyui: { original: { ref: 'v0.3.59' }, locked: { repo: 'https://github.com/comfyanonymous/ComfyUI', commit: COMMIT } },
  python: PLAN,
  ...over,
});

const opts = { comfyuiDir: "/it's $HOME/ComfyUI", because: 'a reason', havePlan: true, haveNodes: true };

function shellcheck(script: string): void {
  const run = spawnSync('shellcheck', ['-s', 'bash', '-'], { input: script, encoding: 'utf8' });
  assert.is(run.status, 0, run.stdout);
  assert.is(run.stdout, '');
}

const HOSTILE = lock({
  comfyui: { original: { ref: "v1'; touch /tmp/PWNED; '" }, locked: { repo: 'https://github.com/o/r`id`', commit: COMMIT } },
  python: { nodes: { "x'$(id)": { pin: COMMIT, file: 'requirements.txt', requirements: ["torch ; sys_platform == \"$(touch PWNED)'\""] } } },
});

needing(test, 'shellcheck')('shellcheck accepts install.sh: pinned, unresolved, without a plan, with hostile lock values', () => {
  shellcheck(renderInstallScript(lock(), opts));
  shellcheck(renderInstallScript(lock({ comfyui: { original: {}, unresolved: { reason: 'offline' } }, python: undefined }), { ...opts, havePlan: false, haveNodes: false }));
  shellcheck(renderInstallScript(HOSTILE, opts));
});

test('install.sh does not pin ComfyUI from a repository that is not canonical', () => {
  assert.match(renderInstallScript(HOSTILE, opts), /^COMFYUI_COMMIT=''$/m);
});

test('install.sh carries the torch checks, never as something to install', () => {
  const script = renderInstallScript(lock(), opts);
  assert.match(script, /^ {2}torch_requirement 'torch' 'comfyui'$/m);
  assert.match(script, /^ {2}torch_requirement 'xformers ; sys_platform == "linux"' 'o\/pack'$/m);
  assert.match(script, /^ {2}torch_requirement 'triton' 'a dependency of the plan'$/m);
  assert.match(script, /^PLAN_PINNED=1$/m);
  assert.match(script, /^PLAN_PYTHON='3\.11'$/m);
  assert.match(script, /^# ComfyUI: https:\/\/github.com\/comfyanonymous\/ComfyUI at a{40} \(v0\.3\.59: a reason\)$/m);
});

test('requirements.txt: exact pins with hashes, sources as comments; an edited lock cannot add a line', () => {
  const text = renderRequirements(PLAN);
  assert.match(text, /^numpy==1\.26\.4 \\\n {4}--hash=sha256:b{64}\n {4}# from comfyui \(>=1\.25\), o\/pack \(<2\)$/m);
  assert.match(text, /^# {3}torch {2}<- comfyui$/m);
  assert.match(text, /^# {3}o\/pack: -e git\+https:\/\/x\/y \(editable\)$/m);

  const hostile = renderRequirements({
    nodes: { "evil\n--index-url http://evil": { pin: COMMIT, file: 'requirements.txt', requirements: ['ok>=1', 'bad\n--extra-index-url http://evil'], skipped: [{ line: 'x\n-r /etc/passwd', reason: 'r\ny' }] } },
    resolved: { inputs: 'x', python: '3.11\n-e .', packages: { 'ok\n-e .': { version: '1', hashes: [SHA] }, ok: { version: '1\n-r x', hashes: [SHA] }, good: { version: '2', hashes: ['md5:abc'] } } },
  });
  const lines = hostile.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  assert.equal(lines, [], `only comments: ${hostile}`);
  assert.match(hostile, /Left out: entries of comfy\.lock\.json that fail a check/);
});

test.run();
