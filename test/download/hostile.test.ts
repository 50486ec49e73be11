import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { mkdir, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { LockedModel } from '../../src/core/types.js';
import { renderDownloadScript } from '../../src/render/download-script.js';
import { baseEnv, listTree, lockOf, runScript, serverAndDir, sha256, shellcheck, summary, writeScript } from './harness.js';
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
    `rtl\u202Eexe.safetensors`, '“smart” ‘quotes’', 'a\u00a0nbsp', `zero\u200Bwidth`, `'`, `"`, `\\`, `$`, `\``, ` leading space`,
    `trailing space `, `x`.repeat(300), `deep/`.repeat(40) + 'x', '.hidden', '..', '.', '../../escape',
    'a/../../escape', '/etc/absolute', 'a//b', 'x.part', 'x.part.lock', 'sub/', '',
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
  const counts = summary(real.output)!;
  assert.is(counts.downloaded + counts.failed, Object.keys(lock.models).length);
  assert.ok(counts.downloaded >= 150, `${counts.downloaded} downloaded`);

  // Spot checks: ordinary-but-odd names installed verbatim, unsafe ones refused with a reason.
  assert.is(await readFile(join(models, 'loras/$(touch ' + canary + ').safetensors'), 'utf8'), BODY);
  assert.is(await readFile(join(models, 'loras/日本語モデル.safetensors'), 'utf8'), BODY);
  assert.is(await readFile(join(models, `'; touch ${canary}; '/x2.safetensors`), 'utf8'), BODY);
  assert.match(real.stderr, /loras\/\.\.\/\.\.\/escape\.safetensors: FAILED: refused: path has a \., \.\. or empty segment/);
  assert.match(real.stderr, /checkpoints\/\/etc\/absolute: FAILED: refused/);
  assert.match(real.stderr, /loras\/new\?line; touch [^\n]+: FAILED: refused: control character in the name/);
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
  assert.is((await run('m5', { MODELS_DIR: join(dir, 'm6') })).code, 0);
  assert.ok(existsSync(join(dir, 'm6/loras/a.safetensors')), 'MODELS_DIR wins over the default');
  assert.not.ok(existsSync(join(dir, 'm5')));
});

test('rendering never throws on hostile input', () => {
  const out = renderDownloadScript(hostileLock('/nonexistent/CANARY'), { target: 'a\0b' });
  assert.match(out, /^DEFAULT_MODELS_DIR=''$/m);
});

test.run();
