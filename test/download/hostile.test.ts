import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { link, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { LockedModel } from '../../src/core/types.js';
import { renderDownloadScript } from '../../src/render/download-script.js';
import { baseEnv, listTree, lockOf, pin, runScript, serverAndDir, sha256, shellcheck, summary, writeScript } from './harness.js';
import { needing } from '../helpers/tools.js';

const BODY = 'served for any path\n';

const fx = serverAndDir(test, 'comfygen-dl-hostile-', (s) => {
  s.fallback = { body: Buffer.from(BODY) };
});

/** Strings that would run a command, split a word, escape a path or confuse a terminal. */
function payloads(canary: string): string[] {
  const run = `touch ${canary}`;
  return [
    `$(${run})`, `\`${run}\``, `'; ${run}; '`, `"; ${run}; "`, `'$(${run})'`, `"$(${run})"`,
    `\\'; ${run} #`, `$'\\x41'`, `\${IFS}${run}`, `| ${run}`, `& ${run} &`, `; ${run}`, `&& ${run}`,
    `> ${canary}`, `< /etc/passwd`, `$(< /etc/passwd)`, `$HOME`, `\${HOME}`, `~root`, `~`, `*`, `?`, `[a-z]`,
    `{a,b}`, `!!`, `#comment`, `%s%n`, `-rf`, `--help`, `a\\b`, `tab\there`, `new\nline; ${run}`,
    `cr\rreturn`, `esc\x1b[31mred`, `bell\x07`, `del\x7f`, `ünïcødé`, `日本語モデル`, `emoji🎨`,
    `rtl\u202Eexe.safetensors`, '“smart” ‘quotes’', 'a\u00a0nbsp', `zero\u200Bwidth`, `c1\u009b31m`, `bom\uFEFF`, `isolate\u2067x\u2069`, `'`, `"`, `\\`, `$`, `\``, ` leading space`,
    `trailing space `, `x`.repeat(300), `deep/`.repeat(40) + 'x', '.hidden', '..', '.', '../../escape',
    'a/../../escape', '/etc/absolute', 'a//b', 'x.part', 'x.part.lock', 'x.part.map', 'sub/', '',
  ];
}

function hostileLock(canary: string) {
  const models: Record<string, LockedModel> = {};
  const locked = (url: string): LockedModel => ({ source: 'url', url, sha256: sha256(BODY), size: BODY.length });
  const base = fx.server.url;
  // Each payload as a file name, a bare name, a folder, and inside a URL's path and query.
  payloads(canary).forEach((p, i) => {
    models[`loras/${p}.safetensors`] = locked(`${base}/n${i}`);
    models[`checkpoints/${p}`] = locked(`${base}/c${i}`);
    models[`${p}/x${i}.safetensors`] = locked(`${base}/f${i}`);
    models[`vae/u${i}.safetensors`] = locked(`${base}/${p}?${p}=1`);
  });
  models['loras/escape/x.safetensors'] = locked(`${base}/symlink-escape`);
  models['loras/dash.safetensors'] = locked(`-o${canary}`);
  models['loras/config.safetensors'] = locked(`--config=/etc/passwd`);
  models['loras/nul\0name.safetensors'] = locked(`${base}/nul`);
  models['loras/nulurl.safetensors'] = locked(`${base}/nul\0url`);
  models['loras/badhash.safetensors'] = { ...locked(`${base}/bad`), sha256: `$(${`touch ${canary}`})` };
  models['loras/badsize.safetensors'] = { ...locked(`${base}/bad`), size: -1 };
  return lockOf(models);
}

needing(test, 'shellcheck')('the script for hundreds of hostile names and URLs is shellcheck-clean', async () => {
  const dir = join(fx.dir, 'lint');
  const script = await writeScript(dir, hostileLock(join(dir, 'CANARY')), `${dir}/$(touch ${join(dir, 'CANARY')})/models`);
  const check = shellcheck(script);
  assert.ok(check.ok, check.output.slice(0, 3000));
});

test('hundreds of hostile names and URLs: nothing runs, nothing lands outside MODELS_DIR', async () => {
  const dir = join(fx.dir, 'run');
  const models = join(dir, 'models');
  const outside = join(dir, 'outside');
  const canary = join(dir, 'CANARY');
  await mkdir(join(models, 'loras'), { recursive: true });
  await mkdir(outside, { recursive: true });
  await symlink('../../outside', join(models, 'loras/escape'));
  const lock = hostileLock(canary);
  assert.ok(Object.keys(lock.models).length >= 250, `${Object.keys(lock.models).length} entries`);
  const script = await writeScript(dir, lock, `${dir}/$(touch ${canary})/models`);

  const env = { ...baseEnv(dir), MODELS_DIR: models };
  const before = fx.server.requests.length;
  const dry = await runScript(script, ['--dry-run'], { env, cwd: dir });
  assert.is(dry.code, 0, dry.output.slice(-2000));
  assert.is(fx.server.requests.length, before, 'dry run made no request');
  assert.equal(await listTree(dir), ['download.sh', 'models/', 'models/loras/', 'models/loras/escape', 'outside/']);

  const real = await runScript(script, ['--jobs', '8'], { env, cwd: dir, timeoutMs: 60_000 });
  assert.is(real.code, 1, 'the unsafe entries fail the run');
  assert.not.ok(existsSync(canary), 'no command ran');
  assert.equal((await listTree(dir)).filter((p) => !p.startsWith('models/')), ['download.sh', 'outside/'], 'nothing outside MODELS_DIR');
  assert.not.ok(/[\x00-\x08\x0b-\x1f\x7f]/.test(real.output), 'no control character reached the terminal');
  // Labels read as in report.md: bidi, zero-width and C1 characters are shown as marks.
  for (const out of [dry.output, real.output]) {
    assert.not.match(out, /[\x80-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/, 'no bidi, zero-width or C1 character reached the terminal');
  }
  assert.match(dry.stdout, /loras\/rtl\\u\{202e\}exe\.safetensors\.safetensors: would download/);
  assert.match(real.stdout, /loras\/zero\\u\{200b\}width\.safetensors: downloaded/);
  assert.match(real.stdout, /checkpoints\/isolate\\u\{2067\}x\\u\{2069\}: downloaded/);
  const counts = summary(real.output)!;
  assert.is(counts.downloaded + counts.failed, Object.keys(lock.models).length);
  assert.ok(counts.downloaded >= 150, `${counts.downloaded} downloaded`);

  // Spot checks: ordinary-but-odd names installed verbatim, unsafe ones refused with a reason.
  assert.is(await readFile(join(models, 'loras/$(touch ' + canary + ').safetensors'), 'utf8'), BODY);
  assert.is(await readFile(join(models, 'loras/日本語モデル.safetensors'), 'utf8'), BODY);
  assert.is(await readFile(join(models, `'; touch ${canary}; '/x2.safetensors`), 'utf8'), BODY);
  assert.match(real.stderr, /loras\/\.\.\/\.\.\/escape\.safetensors: FAILED: refused: path has a \., \.\. or empty segment/);
  assert.match(real.stderr, /checkpoints\/\/etc\/absolute: FAILED: refused/);
  assert.match(real.stderr, /loras\/new\u240aline; touch [^\n]+: FAILED: refused: control character in the name/);
  assert.match(real.stderr, /checkpoints\/x\.part: FAILED: refused: name ends in \.part/);
  assert.match(real.stderr, /loras\/escape\/x\.safetensors: FAILED: refused: its folder leads outside MODELS_DIR/);
  assert.match(real.stderr, /loras\/nul\\x00name\.safetensors: FAILED: refused: lock key contains a NUL byte/);
  assert.match(real.stderr, /loras\/badhash\.safetensors: FAILED: refused: pinned sha256 is not 64 hex digits/);
  assert.match(real.stderr, /loras\/dash\.safetensors: FAILED: could not download: not an https URL/);
  assert.not.ok(existsSync(join(dir, '..', 'escape.safetensors')));
  assert.not.ok(existsSync('/etc/absolute'));
});

test('a hostile default install root is taken literally, and ~/ and $VAR expand without eval', async () => {
  const dir = join(fx.dir, 'target');
  const canary = join(dir, 'CANARY');
  await mkdir(dir, { recursive: true });
  const lock = lockOf({ 'loras/a.safetensors': { source: 'url', url: `${fx.server.url}/a`, sha256: sha256(BODY), size: BODY.length } });
  const run = async (target: string, env: Record<string, string> = {}) => {
    const script = await writeScript(dir, lock, target);
    return runScript(script, [], { env: { ...baseEnv(dir), ...env }, cwd: dir });
  };
  const literal = await run(`m1/$(touch ${canary})\`touch ${canary}\``);
  assert.is(literal.code, 0, literal.output);
  assert.ok(existsSync(join(dir, `m1/$(touch ${canary})\`touch ${canary}\`/loras/a.safetensors`)));
  assert.not.ok(existsSync(canary));

  assert.is((await run('~/m2')).code, 0);
  assert.ok(existsSync(join(dir, 'm2/loras/a.safetensors')), '~/ is HOME');
  assert.is((await run('$WORK/m3/${WORK_SUB}', { WORK: dir, WORK_SUB: 'x y' })).code, 0);
  assert.ok(existsSync(join(dir, 'm3/x y/loras/a.safetensors')));
  const unset = await run('$NOT_SET_ANYWHERE/m4');
  assert.is(unset.code, 2);
  assert.match(unset.stderr, /uses \$NOT_SET_ANYWHERE, which is not set/);
  // A `$` without a name is kept and later variables still expand; the script's own variables
  // (`s`, `name`) hide nothing from a path.
  assert.is((await run('$WORK/m7/$ and $/${WORK_SUB}', { WORK: dir, WORK_SUB: 'sub' })).code, 0);
  assert.ok(existsSync(join(dir, 'm7/$ and $/sub/loras/a.safetensors')));
  assert.is((await run('$s/m8/$name', { s: dir, name: 'n' })).code, 0);
  assert.ok(existsSync(join(dir, 'm8/n/loras/a.safetensors')));
  const me = userInfo();
  const tilde = await runScript(await writeScript(dir, lock, `~${me.username}/comfygen-never-written`), ['--dry-run'], { env: baseEnv(dir), cwd: dir });
  assert.is(tilde.code, 0, tilde.output);
  assert.match(tilde.stdout, new RegExp(`installing into ${me.homedir}/comfygen-never-written\n`), '~user/ is that user\'s home');
  const nobody = await run('~no_such_user_for_comfygen/m9');
  assert.is(nobody.code, 2);
  assert.match(nobody.stderr, /starts with ~no_such_user_for_comfygen, and this machine has no user no_such_user_for_comfygen/);
  assert.is((await run('m5', { MODELS_DIR: join(dir, 'm6') })).code, 0);
  assert.ok(existsSync(join(dir, 'm6/loras/a.safetensors')), 'MODELS_DIR wins over the default');
  assert.not.ok(existsSync(join(dir, 'm5')));
});

test('a .part that is not a plain file of ours is never written through: other hard links, FIFOs, folders', async () => {
  const dir = join(fx.dir, 'parts');
  const models = join(dir, 'models');
  const outside = join(dir, 'outside');
  await mkdir(join(models, 'loras'), { recursive: true });
  await mkdir(outside, { recursive: true });
  // Shorter than the pin (a resume would append to it) and longer (a restart would empty it).
  await writeFile(join(outside, 'short.bin'), 'hello');
  await writeFile(join(outside, 'long.bin'), 'x'.repeat(100));
  await link(join(outside, 'short.bin'), join(models, 'loras/short.safetensors.part'));
  await link(join(outside, 'long.bin'), join(models, 'loras/long.safetensors.part'));
  assert.is(spawnSync('mkfifo', [join(models, 'loras/fifo.safetensors.part')]).status, 0);
  await mkdir(join(models, 'loras/folder.safetensors.part'));
  const names = ['short', 'long', 'fifo', 'folder'];
  const script = await writeScript(dir, lockOf(Object.fromEntries(names.map((name) => [`loras/${name}.safetensors`, pin(`${fx.server.url}/${name}`, BODY)]))));
  const seen = fx.server.requests.length;
  const r = await runScript(script, [], { env: { ...baseEnv(dir), MODELS_DIR: models }, timeoutMs: 20_000 });
  assert.is(r.code, 1, r.output);
  assert.is(await readFile(join(outside, 'short.bin'), 'utf8'), 'hello', 'nothing appended to a file outside MODELS_DIR');
  assert.is(await readFile(join(outside, 'long.bin'), 'utf8'), 'x'.repeat(100), 'nothing emptied outside MODELS_DIR');
  assert.match(r.stderr, /loras\/short\.safetensors: FAILED: refused: its \.part has 2 hard links, so writing to it would change another file too; left untouched/);
  assert.match(r.stderr, /loras\/long\.safetensors: FAILED: refused: its \.part has 2 hard links/);
  assert.match(r.stderr, /loras\/fifo\.safetensors: FAILED: refused: its \.part is not a regular file/);
  assert.match(r.stderr, /loras\/folder\.safetensors: FAILED: refused: its \.part is not a regular file/);
  assert.is(fx.server.requests.length, seen, 'nothing was fetched for them');
  assert.equal(await listTree(models), [
    'loras/', 'loras/fifo.safetensors.part', 'loras/folder.safetensors.part/', 'loras/long.safetensors.part', 'loras/short.safetensors.part',
  ], 'each left where it was, nothing published');
});

test('a file where a folder should be is named as such, not as a symlink escape', async () => {
  const dir = join(fx.dir, 'file-as-folder');
  const models = join(dir, 'models');
  await mkdir(join(models, 'loras'), { recursive: true });
  await writeFile(join(models, 'loras/sub'), 'a file, not a folder');
  const script = await writeScript(dir, lockOf({ 'loras/sub/deeper/x.safetensors': pin(`${fx.server.url}/x`, BODY) }));
  const env = { ...baseEnv(dir), MODELS_DIR: models };
  const r = await runScript(script, [], { env });
  assert.is(r.code, 1, r.output);
  assert.match(r.stderr, /loras\/sub\/deeper\/x\.safetensors: FAILED: conflict: loras\/sub is a file where a folder should be; left untouched/);
  assert.not.match(r.output, /symlink/);
  assert.is(await readFile(join(models, 'loras/sub'), 'utf8'), 'a file, not a folder');
  const dry = await runScript(script, ['--dry-run'], { env });
  assert.match(dry.stdout, /loras\/sub\/deeper\/x\.safetensors: conflict: loras\/sub is a file where a folder should be/);
});

test('rendering never throws on hostile input', () => {
  const out = renderDownloadScript(hostileLock('/nonexistent/CANARY'), { target: 'a\0b' });
  assert.match(out, /^DEFAULT_MODELS_DIR=''$/m);
});

test.run();
