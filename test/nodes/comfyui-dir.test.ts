/**
 * nodes.sh finds the configured ComfyUI folder (comfyui.dir) the way download.sh finds its install
 * root: ~/, $VAR and ${VAR} expand at run time, without eval, and COMFYUI_DIR still wins.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeLockEntry } from '../../src/core/types.js';
import { renderNodesScript } from '../../src/render/nodes-script.js';
import { createBareRepo } from '../helpers/git-fixtures.js';
import { tempDir } from '../helpers/tmp.js';
import { runScript, writeScript } from './build.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
let hosts: string;
let lock: Record<string, NodeLockEntry>;
let count = 0;

test.before(async () => {
  tmp = await tempDir('comfygen-nodes-dir-');
  hosts = join(tmp.dir, 'hosts');
  const repo = createBareRepo(hosts, 'o/Pack', [{ '__init__.py': '' }]);
  lock = { 'o/pack': { original: { aux_id: 'o/Pack' }, locked: { type: 'git', repo: 'https://github.com/o/Pack', commit: repo.commits[0]! } } };
});

test.after(async () => {
  await tmp.cleanup();
});

/** nodes.sh rendered for `comfyuiDir`, run from a working directory of its own with `env`. */
async function run(comfyuiDir: string, env: Record<string, string> = {}) {
  const dir = join(tmp.dir, `case-${++count}`);
  mkdirSync(join(dir, 'cwd'), { recursive: true });
  const script = writeScript(join(dir, 'out'), renderNodesScript(lock, { comfyuiDir }));
  const result = await runScript(script, [], { GITHUB_ENDPOINT: `file://${hosts}`, HOME: join(dir, 'home'), ...env }, join(dir, 'cwd'));
  return { dir, ...result };
}

const installed = (comfy: string) => existsSync(join(comfy, 'custom_nodes', 'Pack', '__init__.py'));

test('$VAR and ${VAR} in comfyui.dir expand from the environment', async () => {
  const root = join(tmp.dir, 'gpu box');
  mkdirSync(join(root, 'apps', 'ComfyUI'), { recursive: true });
  const r = await run('$COMFY_ROOT/apps/${COMFY_NAME}', { COMFY_ROOT: root, COMFY_NAME: 'ComfyUI' });
  assert.is(r.code, 0, r.stderr);
  assert.ok(installed(join(root, 'apps', 'ComfyUI')), r.stdout + r.stderr);
});

test('~/ in comfyui.dir is HOME', async () => {
  const home = join(tmp.dir, 'home-tilde');
  mkdirSync(join(home, 'ComfyUI'), { recursive: true });
  const r = await run('~/ComfyUI', { HOME: home });
  assert.is(r.code, 0, r.stderr);
  assert.ok(installed(join(home, 'ComfyUI')));
});

test('an unset variable is a clear error, not an empty path; COMFYUI_DIR still wins', async () => {
  const unset = await run('$NOT_SET_ANYWHERE/ComfyUI');
  assert.is(unset.code, 2);
  assert.match(unset.stderr, /uses \$NOT_SET_ANYWHERE, which is not set; set it or COMFYUI_DIR/);
  const comfy = join(tmp.dir, 'override');
  mkdirSync(comfy);
  const over = await run('$NOT_SET_ANYWHERE/ComfyUI', { COMFYUI_DIR: comfy });
  assert.is(over.code, 0, over.stderr);
  assert.ok(installed(comfy));
});

test('anything else in comfyui.dir is data: command substitutions and backquotes never run', async () => {
  const canary = join(tmp.dir, 'CANARY');
  const r = await run(`/nonexistent/$HOME/$(touch ${canary})\`touch ${canary}\``);
  assert.is(r.code, 2);
  assert.ok(r.stderr.includes(`ComfyUI folder not found: /nonexistent/${join(r.dir, 'home')}/$(touch ${canary})\`touch ${canary}\``), r.stderr);
  assert.not.ok(existsSync(canary));
  assert.equal(readdirSync(join(r.dir, 'cwd')), []);
});

test.run();
