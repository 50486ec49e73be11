/**
 * The unchanged-build short cut: a build of exactly the state a settled build left replays it
 * (same report, same exit code, outputs untouched), and any change to what the lock or the
 * outputs depend on, or a flag asking for work, means a full build.
 */
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runBuild } from '../../src/pipeline/run-build.js';
import { createScanMemo } from '../../src/pipeline/scan-memo.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const anHourAgo = new Date(Date.now() - 3600_000);
const lora = (name: string) => JSON.stringify({ 1: { class_type: 'LoraLoader', inputs: { lora_name: name, strength_model: 1 } }, 2: { class_type: 'UpscaleModelLoader', inputs: { model_name: '../escape.pth' } } });

async function project() {
  const { dir, cleanup } = await tempDir('comfygen-stamp-');
  await mkdir(join(dir, 'wf'));
  await mkdir(join(dir, 'models', 'loras'), { recursive: true });
  await writeFile(join(dir, 'models', 'loras', 'here.safetensors'), 'local lora bytes');
  await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({ workflows: ['wf/*.json'], models: { roots: ['models'] }, sources: [{ type: 'embedded' }] }));
  await writeWorkflow(dir, 'a.json', lora('here.safetensors'));
  await writeWorkflow(dir, 'b.json', lora('elsewhere.safetensors'));
  return { dir, cleanup };
}

async function writeWorkflow(dir: string, name: string, content: string): Promise<void> {
  await writeFile(join(dir, 'wf', name), content);
  await utimes(join(dir, 'wf', name), anHourAgo, anHourAgo); // older than the racy window
}

const build = (dir: string, extra: Record<string, unknown> = {}) => runBuild({ cwd: dir, mode: 'build', offline: true, env: {}, ...extra });
const mtimeOf = async (p: string) => (await stat(p)).mtimeMs;

test('a rebuild of an unchanged project replays the last build: same lock, report, summary and exit code, nothing rewritten', async () => {
  const p = await project();
  try {
    const first = await build(p.dir);
    assert.not.ok(first.unchanged);
    assert.is(first.exitCode, 1, 'the unsafe ../escape.pth is an error');
    assert.ok(existsSync(join(p.dir, '.comfygen', 'build.json')));
    const written = await mtimeOf(join(p.dir, 'generated', 'report.md'));

    const again = await build(p.dir);
    assert.ok(again.unchanged, 'replayed');
    assert.is(again.exitCode, first.exitCode);
    assert.equal(again.diagnostics, first.diagnostics);
    assert.equal(again.lock, first.lock);
    assert.is(again.workflowCount, 2);
    assert.equal(again.demands.map((d) => d.key), first.demands.map((d) => d.key));
    assert.equal([...again.local!.matches.keys()], [...first.local!.matches.keys()]);
    assert.equal(again.writes.map((w) => [w.path, w.status]), first.writes.map((w) => [w.path, 'unchanged']));
    assert.is(await mtimeOf(join(p.dir, 'generated', 'report.md')), written, 'outputs untouched');

    // What the user sees is the same summary, with the skipped steps said as such.
    const full = await runCli(['build', '--offline', '--json'], p.dir);
    await rm(join(p.dir, '.comfygen', 'build.json'));
    const fresh = await runCli(['build', '--offline', '--json'], p.dir);
    assert.equal(JSON.parse(full.stdout), JSON.parse(fresh.stdout));
    const plain = await runCli(['build', '--offline'], p.dir);
    assert.match(plain.stdout + plain.stderr, /scan: skipped \(2 workflow\(s\) unchanged since the last build\)/);
    assert.match(plain.stdout, /^referenced 2, present locally 0, to download 0, unresolved 2 \(2 needed by active nodes, 1 only on this machine\)$/m);
  } finally {
    await p.cleanup();
  }
});

test('any change to what the lock or outputs depend on means a full build that sees it', async () => {
  const p = await project();
  try {
    await build(p.dir);
    const changes: [string, () => Promise<void>, (r: Awaited<ReturnType<typeof build>>) => void][] = [
      ['a workflow edited', () => writeWorkflow(p.dir, 'b.json', lora('renamed.safetensors')), (r) => assert.ok(r.lock.models['loras/renamed.safetensors'])],
      ['a workflow added', () => writeWorkflow(p.dir, 'c.json', lora('third.safetensors')), (r) => assert.ok(r.lock.models['loras/third.safetensors'])],
      ['an output edited', () => appendFile(join(p.dir, 'generated', 'report.md'), 'a hand edit\n'), () => undefined],
      ['an output deleted', () => rm(join(p.dir, 'generated', 'download.sh')), () => undefined],
      ['the lock edited', () => writeFile(join(p.dir, 'comfy.lock.json'), '{"version":1,"models":{}}\n'), () => undefined],
      ['the config changed', () => writeFile(join(p.dir, 'comfy.config.json'), JSON.stringify({ workflows: ['wf/*.json'], models: { roots: ['models'], target: '/srv/models' }, sources: [{ type: 'embedded' }] })),
        (r) => assert.is(r.config.models.target, '/srv/models')],
      ['a damaged stamp', () => writeFile(join(p.dir, '.comfygen', 'build.json'), '{"version":1,'), () => undefined],
    ];
    for (const [label, change, check] of changes) {
      await change();
      const r = await build(p.dir);
      assert.not.ok(r.unchanged, label);
      check(r);
      const report = await readFile(join(p.dir, 'generated', 'report.md'), 'utf8');
      assert.ok(report.startsWith('<!--') && !report.includes('a hand edit'), `${label}: report regenerated`);
      assert.ok(existsSync(join(p.dir, 'generated', 'download.sh')), `${label}: download.sh regenerated`);
      assert.ok((await build(p.dir)).unchanged, `${label}: the next build is a replay again`);
    }
  } finally {
    await p.cleanup();
  }
});

test('flags that ask for work never replay, nor do workflows written just now, nor an online build with unresolved models', async () => {
  const p = await project();
  try {
    await build(p.dir);
    for (const flags of [{ update: true }, { force: true }, { dryRun: true }, { frozen: true }, { mode: 'check' }]) {
      assert.not.ok((await build(p.dir, flags)).unchanged, JSON.stringify(flags));
    }
    // Online, unresolved entries are asked again on every build: no stamp to replay.
    await rm(join(p.dir, '.comfygen', 'build.json'));
    await build(p.dir, { offline: false });
    assert.not.ok((await build(p.dir, { offline: false })).unchanged);
    // A workflow modified within the racy window is not trusted to its stamp.
    await build(p.dir);
    await writeFile(join(p.dir, 'wf', 'a.json'), lora('here.safetensors'));
    await build(p.dir);
    assert.not.ok((await build(p.dir)).unchanged);
  } finally {
    await p.cleanup();
  }
});

test('the local summary stays live: a model that arrives is seen by a replayed build', async () => {
  const p = await project();
  try {
    await build(p.dir);
    await writeFile(join(p.dir, 'models', 'loras', 'elsewhere.safetensors'), 'arrived');
    const r = await build(p.dir);
    assert.ok(r.unchanged);
    assert.ok(r.local!.matches.has('loras/elsewhere.safetensors'));
  } finally {
    await p.cleanup();
  }
});

test('online, only a build that went nowhere is stamped: the one after pinning, then replays', async () => {
  const p = await project();
  try {
    const sha = 'ab'.repeat(32);
    await writeFile(join(p.dir, 'comfy.config.json'), JSON.stringify({ workflows: ['wf/*.json'], models: { roots: ['models'] }, sources: [{ type: 'url', files: {
      'loras/here.safetensors': { url: 'https://example.invalid/here.safetensors', sha256: sha },
      'loras/elsewhere.safetensors': { url: 'https://example.invalid/elsewhere.safetensors', sha256: sha },
    } }] }));
    const online = { offline: false };
    const first = await build(p.dir, online);
    assert.ok(Object.values(first.lock.models).every((e) => e.locked), 'everything pinned');
    assert.not.ok(existsSync(join(p.dir, '.comfygen', 'build.json')), 'the build that resolved is not stamped');
    assert.not.ok((await build(p.dir, online)).unchanged, 'the next one runs, resolves nothing, and stamps');
    const third = await build(p.dir, online);
    assert.ok(third.unchanged);
    assert.equal(third.diagnostics, first.diagnostics);
    assert.not.ok((await build(p.dir)).unchanged, 'an offline build does not take an online stamp');
  } finally {
    await p.cleanup();
  }
});

const readStampFile = async (dir: string) => JSON.parse(await readFile(join(dir, '.comfygen', 'build.json'), 'utf8')) as { key: string | null; content: string | null };
/** What a fresh checkout does to every workflow: new times (so a new identity), the same bytes. */
async function checkOutAfresh(dir: string, at: Date): Promise<void> {
  for (const name of ['a.json', 'b.json']) {
    await writeFile(join(dir, 'wf', name), await readFile(join(dir, 'wf', name)));
    await utimes(join(dir, 'wf', name), at, at);
  }
}

test('workflows with new identities but the same bytes (a fresh checkout, .comfygen restored) replay by content, and are known by identity again after', async () => {
  const p = await project();
  try {
    const first = await build(p.dir);
    assert.is((await readStampFile(p.dir)).content, null, 'a first scan records no digests, so no content key');
    await checkOutAfresh(p.dir, new Date(Date.now() - 7200_000));
    assert.not.ok((await build(p.dir)).unchanged, 'without a content key, a full build (which digests)');
    const stamped = await readStampFile(p.dir);
    assert.ok(stamped.content, 'now the stamp has one');

    await checkOutAfresh(p.dir, new Date(Date.now() - 5400_000));
    const written = await mtimeOf(join(p.dir, 'generated', 'report.md'));
    const replayed = await build(p.dir);
    assert.ok(replayed.unchanged, 'replayed by content');
    assert.equal(replayed.diagnostics, first.diagnostics);
    assert.equal(replayed.lock, first.lock);
    assert.is(await mtimeOf(join(p.dir, 'generated', 'report.md')), written, 'outputs untouched');
    const restamped = await readStampFile(p.dir);
    assert.is(restamped.content, stamped.content);
    assert.ok(restamped.key && restamped.key !== stamped.key, 'the new identities are stamped');
    const cache = await readFile(join(p.dir, '.comfygen', 'scans.cache'), 'utf8');
    for (const name of ['a.json', 'b.json']) {
      const st = await stat(join(p.dir, 'wf', name));
      assert.ok(cache.includes(JSON.stringify([`wf/${name}`, `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`]).slice(0, -1)), `${name}: the scan cache knows its new identity`);
    }
    assert.ok((await build(p.dir)).unchanged, 'and the next build replays by identity');
    assert.equal(await readStampFile(p.dir), restamped);
  } finally {
    await p.cleanup();
  }
});

test('new identities with changed bytes mean a full build that sees the change, and the one after replays', async () => {
  const p = await project();
  try {
    await build(p.dir);
    await checkOutAfresh(p.dir, new Date(Date.now() - 7200_000));
    await build(p.dir); // records the digests
    await checkOutAfresh(p.dir, new Date(Date.now() - 5400_000));
    await writeWorkflow(p.dir, 'b.json', lora('changed.safetensors'));
    const r = await build(p.dir);
    assert.not.ok(r.unchanged);
    assert.ok(r.lock.models['loras/changed.safetensors'], 'the edit is seen');
    assert.not.ok(r.lock.models['loras/elsewhere.safetensors'], 'and what it replaced is gone');
    assert.ok((await build(p.dir)).unchanged);
    // An output edited by hand is part of the content key too.
    await checkOutAfresh(p.dir, new Date(Date.now() - 3600_000 * 3));
    await appendFile(join(p.dir, 'generated', 'report.md'), 'a hand edit\n');
    assert.not.ok((await build(p.dir)).unchanged, 'an edited output is regenerated, whatever the workflows');
    assert.not.ok((await readFile(join(p.dir, 'generated', 'report.md'), 'utf8')).includes('a hand edit'));
  } finally {
    await p.cleanup();
  }
});

test('check keeps its scan results: a repeated check, or one on a fresh checkout with .comfygen restored, parses no unchanged workflow, and answers the same', async () => {
  const p = await project();
  try {
    await build(p.dir);
    await rm(join(p.dir, '.comfygen'), { recursive: true });
    const outputs = ['comfy.lock.json', 'generated/report.md', 'generated/download.sh'].map((f) => join(p.dir, f));
    const times = await Promise.all(outputs.map(mtimeOf));
    const check = async () => {
      const memo = createScanMemo();
      const r = await build(p.dir, { mode: 'check', scanMemo: memo });
      return { memo, answer: { exitCode: r.exitCode, diagnostics: r.diagnostics, writes: r.writes.map((w) => [w.path, w.status]) } };
    };
    const first = await check();
    assert.is(first.memo.misses(), 2);
    assert.is(first.answer.exitCode, 1, 'the unsafe ../escape.pth is an error');
    assert.ok(first.answer.writes.every(([, status]) => status === 'unchanged'), 'no drift');
    assert.ok(existsSync(join(p.dir, '.comfygen', 'scans.cache')), 'the scan results are kept');

    const again = await check();
    assert.is(again.memo.misses(), 0, 'a repeated check parses nothing');
    assert.equal(again.answer, first.answer);

    await checkOutAfresh(p.dir, new Date(Date.now() - 7200_000));
    const fresh = await check();
    assert.is(fresh.memo.misses(), 2, 'a first scan recorded no digests: parsed again, digests kept this time');
    await checkOutAfresh(p.dir, new Date(Date.now() - 5400_000));
    const restored = await check();
    assert.is(restored.memo.misses(), 0, 'same bytes under new identities: digested, not parsed');
    assert.is(restored.memo.contentHits(), 2);
    assert.equal(restored.answer, first.answer);

    assert.equal(await Promise.all(outputs.map(mtimeOf)), times, 'no lock or output written');
    assert.not.ok(existsSync(join(p.dir, '.comfygen', 'build.json')), 'a check stamps no build');
  } finally {
    await p.cleanup();
  }
});

test.run();
