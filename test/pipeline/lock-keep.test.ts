/**
 * A workflow that cannot be read says nothing about what it needs: its pins stay in the lock
 * (and in download.sh) until it reads again or is removed, so a truncated file or a permissions
 * slip never throws away pins that would resolve differently next time.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runBuild } from '../../src/pipeline/run-build.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);
const loader = (name: string) => JSON.stringify({ 1: { class_type: 'LoraLoader', inputs: { lora_name: name, strength_model: 1 } } });

async function project() {
  const t = await tempDir('comfygen-keep-');
  await mkdir(join(t.dir, 'wf'));
  await writeFile(join(t.dir, 'comfy.config.json'), JSON.stringify({
    workflows: ['wf/*.json'],
    sources: [{ type: 'url', files: {
      'loras/a.safetensors': { url: 'https://example.com/a.safetensors', sha256: SHA_A },
      'loras/b.safetensors': { url: 'https://example.com/b.safetensors', sha256: SHA_B },
    } }],
  }));
  await writeFile(join(t.dir, 'wf', 'a.json'), loader('a.safetensors'));
  await writeFile(join(t.dir, 'wf', 'b.json'), loader('b.safetensors'));
  return t;
}

const build = (dir: string) => runBuild({ cwd: dir, mode: 'build', offline: true, env: {} });

test('an unparsable workflow keeps its pins in the lock and download.sh, with a warning; removing it drops them', async () => {
  const p = await project();
  try {
    const first = await build(p.dir);
    assert.is(first.exitCode, 0);
    assert.equal(Object.keys(first.lock.models), ['loras/a.safetensors', 'loras/b.safetensors']);

    await writeFile(join(p.dir, 'wf', 'b.json'), loader('b.safetensors').slice(0, 30)); // truncated
    const broken = await build(p.dir);
    assert.is(broken.exitCode, 1, 'the unreadable workflow is an error');
    assert.equal(broken.lock, first.lock, 'the lock is unchanged');
    assert.equal(broken.changes, []);
    assert.match(await readFile(join(p.dir, 'generated', 'download.sh'), 'utf8'), SHA_B);
    const kept = broken.diagnostics.find((d) => d.code === 'lock-kept-unread');
    assert.ok(kept, broken.diagnostics.map((d) => d.code).join(', '));
    assert.is(kept!.severity, 'warning');
    assert.match(kept!.message, '1 lock entry that no readable workflow names was kept, because 1 workflow(s) could not be read: wf/b.json');

    // Still broken: not replayed from a stamp, the warning is said again.
    const again = await build(p.dir);
    assert.not.ok(again.unchanged);
    assert.ok(again.diagnostics.some((d) => d.code === 'lock-kept-unread'));

    await rm(join(p.dir, 'wf', 'b.json'));
    const removed = await build(p.dir);
    assert.is(removed.exitCode, 0);
    assert.equal(Object.keys(removed.lock.models), ['loras/a.safetensors']);
    assert.equal(removed.changes.map((c) => `${c.kind} ${c.key}`), ['removed loras/b.safetensors']);
  } finally {
    await p.cleanup();
  }
});

test('a readable workflow that no longer names a model still lets the lock drop it', async () => {
  const p = await project();
  try {
    await build(p.dir);
    await writeFile(join(p.dir, 'wf', 'b.json'), loader('a.safetensors'));
    const next = await build(p.dir);
    assert.equal(next.changes.map((c) => `${c.kind} ${c.key}`), ['removed loras/b.safetensors']);
    assert.not.ok(next.diagnostics.some((d) => d.code === 'lock-kept-unread'));
  } finally {
    await p.cleanup();
  }
});

test('while a workflow is unreadable, kept lock keys are checked as workflow names are: one no workflow could produce is dropped, never installed', async () => {
  const p = await project();
  try {
    await build(p.dir);
    const lock = JSON.parse(await readFile(join(p.dir, 'comfy.lock.json'), 'utf8'));
    const pin = (n: number) => ({ original: {}, locked: { source: 'url', url: `https://example.com/${n}`, sha256: String(n).repeat(64), size: 1 } });
    const hostile = ['custom_nodes/evil.py', '__proto__/x.safetensors', '.comfygen-download.abc/x.safetensors', 'loras/.comfygen-download.abc',
      'loras/x.safetensors.part', 'loras/x.safetensors.part.lock', 'loras/../../escape.safetensors', 'download_model_base/x.safetensors'];
    hostile.forEach((key, i) => (lock.models[key] = pin(i + 1)));
    lock.models['upscale_models/fine.pth'] = pin(9);
    await writeFile(join(p.dir, 'comfy.lock.json'), JSON.stringify(lock, null, 2));
    await writeFile(join(p.dir, 'wf', 'b.json'), '{"truncated": ');

    const r = await build(p.dir);
    assert.equal(Object.keys(r.lock.models).sort(), ['loras/a.safetensors', 'loras/b.safetensors', 'upscale_models/fine.pth'], 'a plausible entry is kept');
    const refused = r.diagnostics.filter((d) => d.code === 'lock-key-refused');
    assert.is(refused.length, hostile.length);
    assert.ok(refused.every((d) => d.severity === 'warning'));
    const script = await readFile(join(p.dir, 'generated', 'download.sh'), 'utf8');
    for (const key of hostile) assert.not.ok(script.includes(key), key);
    assert.ok(script.includes("key='upscale_models/fine.pth'"));
  } finally {
    await p.cleanup();
  }
});

test('a hand-edited lock with a field of the wrong type: exit 2 naming the key path, no stack, nothing rendered', async () => {
  const p = await project();
  try {
    await build(p.dir);
    const lock = JSON.parse(await readFile(join(p.dir, 'comfy.lock.json'), 'utf8'));
    for (const [edit, path] of [
      [(l: typeof lock) => (l.models['loras/a.safetensors'].locked.mirrors = 5), 'models["loras/a.safetensors"].locked.mirrors'],
      [(l: typeof lock) => (l.nodes = { kj: { original: {}, locked: { type: 'registry', id: 'kj', version: 1, url: 'https://x/z.zip', sha256: 'a'.repeat(64) } } }), 'nodes.kj.locked.version'],
    ] as const) {
      const edited = structuredClone(lock);
      edit(edited);
      await writeFile(join(p.dir, 'comfy.lock.json'), JSON.stringify(edited, null, 2));
      const before = await readFile(join(p.dir, 'generated', 'download.sh'), 'utf8');
      for (const args of [['build', '--offline'], ['check'], ['why', 'a.safetensors']]) {
        const r = await runCli(args, p.dir);
        assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.ok(r.stderr.split('\n').some((l) => l.startsWith(`comfygen: comfy.lock.json has an unexpected shape at ${path}: `)), r.stderr);
        assert.not.match(r.stderr, /^\s+at /m, 'no stack trace');
      }
      assert.is(await readFile(join(p.dir, 'generated', 'download.sh'), 'utf8'), before, 'nothing rendered');
    }
  } finally {
    await p.cleanup();
  }
});

test.run();
