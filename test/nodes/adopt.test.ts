/**
 * nodes.sh --adopt: a clean checkout of the pinned repository at another commit is moved to the
 * pin in place; a dirty one, another repository or anything else is left untouched and reported.
 * Run for real with git against bare repositories over file://.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeLockEntry } from '../../src/core/types.js';
import { renderNodesScript } from '../../src/render/nodes-script.js';
import { createBareRepo, git, type FixtureRepo } from '../helpers/git-fixtures.js';
import { tempDir } from '../helpers/tmp.js';
import { runScript, snapshot, writeScript } from './build.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
let hosts: string;
let pack: FixtureRepo;
let other: FixtureRepo;
let script: string;
let count = 0;

test.before(async () => {
  tmp = await tempDir('comfygen-adopt-');
  hosts = join(tmp.dir, 'hosts');
  pack = createBareRepo(hosts, 'o/Pack', [
    { '__init__.py': '# 1\n' },
    { '__init__.py': '# 2\n' },
    { '__init__.py': '# 3\n', 'settings.json': '{"shipped": true}\n' },
  ]);
  other = createBareRepo(hosts, 'someone-else/Pack', [{ '__init__.py': '# fork\n' }]);
  // The pin is the middle commit: checkouts sit before it or after it.
  const lock: Record<string, NodeLockEntry> = { 'o/pack': { original: {}, locked: { type: 'git', repo: 'https://github.com/o/Pack', commit: pack.commits[1]! } } };
  script = writeScript(join(tmp.dir, 'out'), renderNodesScript(lock, { comfyuiDir: '/workspace/ComfyUI' }));
});

test.after(async () => {
  await tmp.cleanup();
});

/** A ComfyUI folder whose custom_nodes/Pack is a clone of `from` (a path or URL) at `commit`. */
function comfyWithCheckout(from: string, commit: string | null, cloneArgs: string[] = []): { comfy: string; dest: string } {
  const comfy = join(tmp.dir, `comfy-${++count}`);
  mkdirSync(join(comfy, 'custom_nodes'), { recursive: true });
  const dest = join(comfy, 'custom_nodes', 'Pack');
  git(['clone', '-q', ...cloneArgs, from, dest]);
  if (commit) git(['-c', 'advice.detachedHead=false', 'checkout', '-q', commit], dest);
  return { comfy, dest };
}

const run = (comfy: string, args: string[]) => runScript(script, args, { COMFYUI_DIR: comfy, GITHUB_ENDPOINT: `file://${hosts}/` }, tmp.dir);

test('without --adopt, a checkout at another commit is reported with the way to move it', async () => {
  const { comfy, dest } = comfyWithCheckout(pack.path, pack.commits[0]!);
  const before = snapshot(comfy);
  const r = await run(comfy, []);
  assert.is(r.code, 1);
  assert.match(r.stderr, new RegExp(`custom_nodes/Pack is at commit ${pack.commits[0]}, not the pinned ${pack.commits[1]}; left untouched \\(move it away to install the pin, or run nodes\\.sh --adopt to move it there\\)`));
  assert.equal(snapshot(comfy), before);
  assert.is(git(['rev-parse', 'HEAD'], dest), pack.commits[0]);
});

test('--adopt moves a clean checkout of the same repository to the pin (forward and back), verified', async () => {
  // An older commit, cloned from the mirror by path; the pin is already in its history.
  const older = comfyWithCheckout(pack.path, pack.commits[0]!);
  const r1 = await run(older.comfy, ['--adopt']);
  assert.is(r1.code, 0, r1.stderr);
  assert.match(r1.stdout, new RegExp(`moved o/pack: custom_nodes/Pack from ${pack.commits[0]} to the pinned ${pack.commits[1]}`));
  assert.match(r1.stdout, /installed 1, skipped 0, failed 0, unresolved 0/);
  assert.is(git(['rev-parse', 'HEAD'], older.dest), pack.commits[1]);
  assert.is(git(['status', '--porcelain'], older.dest), '');
  assert.is(readFileSync(join(older.dest, '__init__.py'), 'utf8'), '# 2\n');
  const again = await run(older.comfy, []);
  assert.is(again.code, 0, 'and the next run finds it pinned');
  assert.match(again.stdout, /ok o\/pack: custom_nodes\/Pack is at /);

  // A shallow clone of the newest commit, from a file:// URL: the pin has to be fetched.
  const shallow = comfyWithCheckout(`file://${pack.path}`, null, ['--depth', '1']);
  assert.is(git(['rev-parse', 'HEAD'], shallow.dest), pack.tip);
  const r2 = await run(shallow.comfy, ['--adopt']);
  assert.is(r2.code, 0, r2.stderr);
  assert.is(git(['rev-parse', 'HEAD'], shallow.dest), pack.commits[1]);
  assert.is(git(['status', '--porcelain'], shallow.dest), '');
});

test('--adopt leaves a dirty checkout, another repository and an ignored file in the way untouched', async () => {
  const dirty = comfyWithCheckout(pack.path, pack.commits[0]!);
  writeFileSync(join(dirty.dest, '__init__.py'), '# my edit\n');
  const fork = comfyWithCheckout(other.path, null);
  // The newest commit adds settings.json; here it is the user's own, ignored by git (which would
  // replace an ignored file on checkout).
  const ignored = comfyWithCheckout(pack.path, pack.commits[0]!);
  writeFileSync(join(ignored.dest, 'settings.json'), '{"mine": true}\n');
  writeFileSync(join(ignored.dest, '.git', 'info', 'exclude'), 'settings.json\n');
  const lockTip: Record<string, NodeLockEntry> = { 'o/pack': { original: {}, locked: { type: 'git', repo: 'https://github.com/o/Pack', commit: pack.tip } } };
  const tipScript = writeScript(join(tmp.dir, 'out-tip'), renderNodesScript(lockTip, { comfyuiDir: '/x' }));

  const cases = [
    { comfy: dirty.comfy, script, why: `is at commit ${pack.commits[0]}, not the pinned ${pack.commits[1]}, and has local changes; left untouched` },
    { comfy: fork.comfy, script, why: `is a checkout of ${other.path}, not of https://github.com/o/Pack; left untouched` },
    { comfy: ignored.comfy, script: tipScript, why: 'has a file settings.json that the pinned commit would replace; left untouched' },
  ];
  for (const c of cases) {
    const before = snapshot(c.comfy);
    const r = await runScript(c.script, ['--adopt'], { COMFYUI_DIR: c.comfy, GITHUB_ENDPOINT: `file://${hosts}/` }, tmp.dir);
    assert.is(r.code, 1, r.stdout + r.stderr);
    assert.ok(r.stderr.includes(`FAILED o/pack: custom_nodes/Pack ${c.why}`), r.stderr);
    assert.equal(snapshot(c.comfy), before, c.why);
  }
  assert.is(readFileSync(join(ignored.dest, 'settings.json'), 'utf8'), '{"mine": true}\n');
});

test('--dry-run says what --adopt would move and what would fail, changes nothing, exits 0', async () => {
  const clean = comfyWithCheckout(pack.path, pack.commits[0]!);
  const before = snapshot(clean.comfy);
  const dry = await run(clean.comfy, ['--adopt', '--dry-run']);
  assert.is(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, new RegExp(`would move o/pack: custom_nodes/Pack from ${pack.commits[0]} to the pinned ${pack.commits[1]}`));
  assert.match(dry.stdout, /dry run: would install 1, skip 0, fail 0; unresolved 0; nothing was changed/);
  assert.equal(snapshot(clean.comfy), before);

  writeFileSync(join(clean.dest, '__init__.py'), '# my edit\n');
  const dirtyBefore = snapshot(clean.comfy);
  const wouldFail = await run(clean.comfy, ['--adopt', '--dry-run']);
  assert.is(wouldFail.code, 0, 'a dry run reports, it does not judge');
  assert.match(wouldFail.stdout, /would fail o\/pack: custom_nodes\/Pack is at commit [0-9a-f]{40}, not the pinned [0-9a-f]{40}, and has local changes/);
  assert.match(wouldFail.stdout, /dry run: would install 0, skip 0, fail 1; unresolved 0; nothing was changed/);
  assert.equal(snapshot(clean.comfy), dirtyBefore);
});

test.run();
