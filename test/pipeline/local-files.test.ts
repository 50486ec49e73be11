/**
 * Local model files that cannot be read when the build needs their hash: the build goes on,
 * says which file and why, and the lock names no hash for it.
 */
import { unlinkSync } from 'node:fs';
import { mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runBuild } from '../../src/pipeline/run-build.js';
import { createHasher } from '../../src/io/hash.js';
import type { ProgressEvent } from '../../src/pipeline/progress.js';
import { tempDir } from '../helpers/tmp.js';

const lora = (name: string) => JSON.stringify({ 1: { class_type: 'LoraLoader', inputs: { lora_name: name, strength_model: 1 } } });

test('a local model that vanishes after the inventory and before hashing is a warning, not a failed build', async () => {
  const { dir, cleanup } = await tempDir('comfygen-local-');
  try {
    await mkdir(join(dir, 'wf'));
    await mkdir(join(dir, 'models', 'loras'), { recursive: true });
    const gone = join(dir, 'models', 'loras', 'gone.safetensors');
    await writeFile(gone, 'bytes that will not be there');
    await writeFile(join(dir, 'models', 'loras', 'kept.safetensors'), 'kept bytes');
    await writeFile(join(dir, 'wf', 'a.json'), lora('gone.safetensors'));
    await writeFile(join(dir, 'wf', 'b.json'), lora('kept.safetensors'));
    // Default sources: Civitai asks for local hashes too (offline, from the cache only).
    await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({ workflows: ['wf/*.json'], models: { roots: ['models'] } }));

    // The inventory listed both files; the one is removed before anything hashes it.
    const progress = (e: ProgressEvent) => {
      if (e.step === 'inventory' && e.kind === 'done') unlinkSync(gone);
    };
    const result = await runBuild({ cwd: dir, mode: 'build', offline: true, env: {}, progress });

    assert.is(result.exitCode, 0, 'warnings only');
    const about = result.diagnostics.filter((d) => d.message.includes('gone.safetensors'));
    assert.ok(about.length > 0, 'the vanished file is named');
    assert.ok(about.every((d) => d.severity === 'warning'), JSON.stringify(about));
    assert.ok(about.some((d) => d.code === 'unreadable-model-file'), JSON.stringify(about));
    assert.is(result.lock.models['loras/gone.safetensors']!.unresolved!.sha256, null, 'no hash recorded for bytes never read');
    assert.match(result.lock.models['loras/kept.safetensors']!.unresolved!.sha256 ?? '', /^[0-9a-f]{64}$/, 'the other file is still hashed');
  } finally {
    await cleanup();
  }
});

test('a local file with the name of a pin but another size or hash is not "present": it is named, and a right copy elsewhere counts', async () => {
  const { dir, cleanup } = await tempDir('comfygen-local-');
  try {
    const pinned = Buffer.from('the pinned bytes '.repeat(10));
    await mkdir(join(dir, 'wf'));
    await mkdir(join(dir, 'models', 'loras'), { recursive: true });
    await mkdir(join(dir, 'models', 'checkpoints'), { recursive: true });
    await writeFile(join(dir, 'models', 'loras', 'x.safetensors'), 'other bytes');
    await writeFile(join(dir, 'models', 'loras', 'renamed.safetensors'), pinned);
    const ok = Buffer.from('a checkpoint');
    await writeFile(join(dir, 'models', 'checkpoints', 'ok.safetensors'), ok);
    await writeFile(join(dir, 'wf', 'a.json'), lora('x.safetensors'));
    await writeFile(join(dir, 'wf', 'b.json'), JSON.stringify({ 1: { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'ok.safetensors' } } }));
    const anHourAgo = new Date(Date.now() - 3_600_000); // older than the racy window, so the build is stamped
    for (const wf of ['a.json', 'b.json']) await utimes(join(dir, 'wf', wf), anHourAgo, anHourAgo);
    const url = (name: string, bytes: Buffer) => ({ url: `https://example.com/${name}`, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length });
    await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({ workflows: ['wf/*.json'], models: { roots: ['models'] },
      sources: [{ type: 'url', files: { 'loras/x.safetensors': url('x', pinned), 'checkpoints/ok.safetensors': url('ok', ok) } }] }));

    const first = await runBuild({ cwd: dir, mode: 'build', offline: true, env: {} });
    assert.is(first.exitCode, 0);
    assert.is(first.local!.matches.get('checkpoints/ok.safetensors')!.how, 'exact', 'the right file stays present');
    assert.is(first.local!.matches.get('loras/x.safetensors')!.file.name, 'renamed.safetensors', 'found by content instead');
    const differs = first.diagnostics.filter((d) => d.code === 'local-differs-from-pin');
    assert.is(differs.length, 1);
    assert.match(differs[0]!.message, /loras\/x\.safetensors has the name of loras\/x\.safetensors but not its pinned content \(11 bytes, pinned 170\)/);

    await writeFile(join(dir, 'models', 'loras', 'renamed.safetensors'), 'gone now');
    const again = await runBuild({ cwd: dir, mode: 'build', offline: true, env: {} });
    assert.is(again.unchanged, true, 'replayed from the stamp');
    assert.not.ok(again.local!.matches.has('loras/x.safetensors'), 'not present: download.sh must fetch it');
    assert.match(again.diagnostics.find((d) => d.code === 'local-differs-from-pin')!.message, /download\.sh will leave it untouched/);
    assert.match(await readFile(join(dir, 'generated', 'download.sh'), 'utf8'), /example\.com\/x/);

    // Same size, other bytes: caught only once the hash is known (here from the hash cache), never by reading.
    const same = join(dir, 'models', 'loras', 'x.safetensors');
    await writeFile(same, Buffer.alloc(pinned.length, 'z'));
    const st = await stat(same);
    const hasher = createHasher({ cacheFile: join(dir, '.comfygen', 'hashes.json'), workers: 0 });
    await hasher.hash({ absPath: same, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino });
    await hasher.save();
    await hasher.close();
    const hashed = await runBuild({ cwd: dir, mode: 'build', offline: true, env: {} });
    assert.not.ok(hashed.local!.matches.has('loras/x.safetensors'));
    assert.match(hashed.diagnostics.find((d) => d.code === 'local-differs-from-pin')!.message, /not its pinned content \(sha256 [0-9a-f]{12}…, pinned [0-9a-f]{12}…\)/);
    assert.is(hashed.local!.hasher.bytesRead, 0, 'no model file read to tell');
  } finally {
    await cleanup();
  }
});

test.run();
