import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeLockEntry } from '../../src/core/types.js';
import { markerLine } from '../../src/render/marker.js';
import { renderNodesScript } from '../../src/render/nodes-script.js';
import { needing } from '../helpers/tools.js';

const SHA = 'a'.repeat(64);
const COMMIT = 'b'.repeat(40);

const LOCK: Record<string, NodeLockEntry> = {
  'comfyui-kjnodes': { original: { cnr_id: 'comfyui-kjnodes', ver: '1.1.6' }, locked: { type: 'registry', id: 'comfyui-kjnodes', version: '1.1.6', url: 'https://cdn.comfy.org/kijai/comfyui-kjnodes/1.1.6/node.zip', sha256: SHA } },
  'someone/pack': { original: { aux_id: 'someone/Pack', ver: COMMIT }, locked: { type: 'git', repo: 'https://github.com/someone/Pack', commit: COMMIT } },
  'by-type': { original: { nodeTypes: ['A\nB'] }, chosenBy: 'comfygen', locked: { type: 'registry', id: 'by-type', version: '3.0.0', url: 'https://api.comfy.org/t.zip', sha256: SHA } },
  missing: { original: { cnr_id: 'missing', ver: '1.0.0' }, unresolved: { reason: "registry said 'no' $(touch /tmp/x) `id`\nnext line" } },
};

/** Runs the script's `plan` with every pack_* function replaced by one that prints its arguments. */
function planCalls(script: string): string[] {
  const harness = [
    'source <(sed "\\$d" "$1")',
    'for f in pack_git pack_registry pack_unresolved pack_invalid; do eval "$f() { printf \'%s\' $f; printf \' <%s>\' \\"\\$@\\"; printf \'\\\\n\'; }"; done',
    'plan',
  ].join('\n');
  const dir = mkdtempSync(join(tmpdir(), 'comfygen-plan-'));
  try {
    writeFileSync(join(dir, 'nodes.sh'), script);
    const run = spawnSync('bash', ['-c', harness, '_', join(dir, 'nodes.sh')], { encoding: 'utf8' });
    assert.is(run.status, 0, run.stderr);
    return run.stdout.trim().split('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('line 1 is the shebang, line 2 the generated-file marker', () => {
  const lines = renderNodesScript(LOCK, { comfyuiDir: '/workspace/ComfyUI' }).split('\n');
  assert.is(lines[0], '#!/usr/bin/env bash');
  assert.is(lines[1], markerLine());
});

test('same lock, same bytes, whatever the working directory', () => {
  const a = renderNodesScript(LOCK, { comfyuiDir: '/workspace/ComfyUI' });
  const cwd = process.cwd();
  process.chdir(tmpdir());
  try {
    assert.is(renderNodesScript({ ...LOCK }, { comfyuiDir: '/workspace/ComfyUI' }), a);
  } finally {
    process.chdir(cwd);
  }
});

test('every lock value reaches the script as exactly one argument, in key order', () => {
  const calls = planCalls(renderNodesScript(LOCK, { comfyuiDir: '/workspace/ComfyUI' }));
  assert.equal(calls, [
    `pack_registry <by-type> <by-type> <3.0.0> <https://api.comfy.org/t.zip> <${SHA}>`,
    `pack_registry <comfyui-kjnodes> <comfyui-kjnodes> <1.1.6> <https://cdn.comfy.org/kijai/comfyui-kjnodes/1.1.6/node.zip> <${SHA}>`,
    "pack_unresolved <missing> <registry said 'no' $(touch /tmp/x) `id`\\x0anext line>",
    `pack_git <someone/pack> <Pack> <https://github.com/someone/Pack> <${COMMIT}>`,
  ]);
});

test('entries that fail a check become pack_invalid lines (counted as failed), never commands', () => {
  const hostile: Record<string, NodeLockEntry> = {
    a: { original: {}, locked: { type: 'git', repo: 'https://github.com/o/r;touch x', commit: COMMIT } },
    b: { original: {}, locked: { type: 'git', repo: 'https://github.com/o/..', commit: COMMIT } },
    c: { original: {}, locked: { type: 'git', repo: 'https://github.com/o/r', commit: 'HEAD' } },
    d: { original: {}, locked: { type: 'registry', id: '../../etc', version: '1.0.0', url: 'https://x.org/a.zip', sha256: SHA } },
    e: { original: {}, locked: { type: 'registry', id: 'e', version: '1.0.0', url: 'https://x.org/a.zip $(id)', sha256: SHA } },
    f: { original: {}, locked: { type: 'registry', id: 'f', version: '1.0.0', url: 'https://x.org/a.zip', sha256: 'nope' } },
    'g$(touch x)': { original: {}, locked: { type: 'git', repo: 'https://github.com/o/g', commit: COMMIT } },
    h: { original: {}, locked: { type: 'registry', id: 'h', version: '1.0.0;id', url: 'https://x.org/a.zip', sha256: SHA } },
  };
  const calls = planCalls(renderNodesScript(hostile, { comfyuiDir: '/c' }));
  assert.is(calls.length, 8);
  for (const call of calls) assert.match(call, /^pack_invalid </, call);
  assert.ok(calls.includes('pack_invalid <g$(touch x)> <the lock key is not a pack id>'));
});

test('two packs in one folder (even differing in case): the second is refused', () => {
  const calls = planCalls(renderNodesScript({
    'a/pack': { original: {}, locked: { type: 'git', repo: 'https://github.com/a/Pack', commit: COMMIT } },
    pack: { original: {}, locked: { type: 'registry', id: 'pack', version: '1.0.0', url: 'https://x.org/p.zip', sha256: SHA } },
  }, { comfyuiDir: '/c' }));
  assert.equal(calls, [`pack_git <a/pack> <Pack> <https://github.com/a/Pack> <${COMMIT}>`, 'pack_invalid <pack> <custom_nodes/pack is already the folder of a/pack>']);
});

needing(test, 'shellcheck')('shellcheck accepts nodes.sh, hostile values and an empty lock included', () => {
  const hostile: Record<string, NodeLockEntry> = {
    ...LOCK,
    x: { original: { cnr_id: "x'$(id)" }, locked: { type: 'git', repo: 'https://github.com/o/r`id`', commit: COMMIT } },
  };
  for (const lock of [LOCK, hostile, {}]) {
    const run = spawnSync('shellcheck', ['-s', 'bash', '-'], { input: renderNodesScript(lock, { comfyuiDir: "/it's here" }), encoding: 'utf8' });
    assert.is(run.status, 0, run.stdout);
    assert.is(run.stdout, '');
  }
});

test.run();
