import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli.js';
import { MINE, makeProject, sha } from './project.js';

test('inventory --json: { roots, files } sorted by folder and name, root precedence kept, hashes only from the cache', async () => {
  const p = await makeProject();
  try {
    // A second root that also has the LoRA (shadowed: ComfyUI loads the first root's copy) and a VAE.
    await mkdir(join(p.dir, 'more', 'loras', 'sub'), { recursive: true });
    await mkdir(join(p.dir, 'more', 'vae'), { recursive: true });
    await writeFile(join(p.dir, 'more', 'loras', 'sub', 'mine.safetensors'), 'copy');
    await writeFile(join(p.dir, 'more', 'vae', 'ae.safetensors'), 'vae');
    await writeFile(join(p.dir, 'more', 'loras', 'a.safetensors'), 'a');
    const config = JSON.parse(await readFile(join(p.dir, 'comfy.config.json'), 'utf8'));
    config.models.roots = ['models', 'more'];
    await writeFile(join(p.dir, 'comfy.config.json'), JSON.stringify(config));

    const before = await runCli(['inventory', '--json'], p.dir);
    assert.is(before.code, 0, before.stderr);
    const inv = JSON.parse(before.stdout);
    assert.equal(Object.keys(inv), ['roots', 'files', 'diagnostics']);
    assert.equal(inv.roots.map((r: { label: string; kind: string }) => [r.label, r.kind]), [['models', 'root'], ['more', 'root']]);
    assert.equal(inv.files.map((f: { folder: string; name: string; root: string; shadowed: boolean }) => [f.folder, f.name, f.root, f.shadowed]), [
      ['loras', 'a.safetensors', 'more', false],
      ['loras', 'sub/mine.safetensors', 'models', false],
      ['loras', 'sub/mine.safetensors', 'more', true],
      ['vae', 'ae.safetensors', 'more', false],
    ]);
    const mine = inv.files[1];
    assert.is(mine.size, MINE.length);
    assert.match(mine.mtime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.is(mine.sha256, null, 'inventory never hashes a file itself');

    // `why` hashes the local-only LoRA; the cache then answers for inventory.
    assert.is((await runCli(['why', 'mine.safetensors', '--json'], p.dir)).code, 0);
    const after = JSON.parse((await runCli(['inventory', '--json'], p.dir)).stdout);
    assert.is(after.files[1].sha256, sha(MINE));
    assert.is(after.files[2].sha256, null);

    const human = await runCli(['inventory'], p.dir);
    assert.match(human.stdout, /^loras \(3\)$/m);
    assert.match(human.stdout, /^vae \(1\)$/m);
    assert.match(human.stdout, new RegExp(`${sha(MINE).slice(0, 12)}  sub/mine\\.safetensors  \\[models\\]`));
    assert.match(human.stdout, /sub\/mine\.safetensors  \[more\] \(shadowed\)/);
    assert.match(human.stdout, /4 file\(s\), .*, 1 with a known hash/);
  } finally {
    await p.cleanup();
  }
});

test.run();
