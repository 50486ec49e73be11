import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { uiWorkflow } from './project.js';

test('init: finds ../ComfyUI, writes a config using its models, extra_model_paths.yaml and saved workflows; never overwrites', async () => {
  const { dir, cleanup } = await tempDir('comfygen-init-');
  try {
    const comfy = join(dir, 'ComfyUI');
    await mkdir(join(comfy, 'models', 'loras'), { recursive: true });
    await mkdir(join(comfy, 'user', 'default', 'workflows'), { recursive: true });
    await writeFile(join(comfy, 'extra_model_paths.yaml'), 'mine:\n  base_path: /nowhere\n  loras: loras\n');
    await writeFile(join(comfy, 'models', 'loras', 'style.safetensors'), 'weights');
    await writeFile(join(comfy, 'user', 'default', 'workflows', 'saved.json'), JSON.stringify(uiWorkflow([{ type: 'LoraLoader', value: 'style.safetensors' }])));
    const project = join(dir, 'project');
    await mkdir(project);

    const r = await runCli(['init'], project);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /wrote comfy\.config\.ts \(using the ComfyUI install at /);
    const written = await readFile(join(project, 'comfy.config.ts'), 'utf8');
    // A sibling install is written relative to the config, so the project can move as a whole.
    assert.ok(written.includes(`roots: ['../ComfyUI/models']`), written);
    assert.ok(written.includes(`extraModelPaths: ['../ComfyUI/extra_model_paths.yaml']`), written);
    assert.ok(written.includes(`'../ComfyUI/user/default/workflows/**/*.json'`), written);

    // The written config loads, and its saved workflow is scanned.
    const scan = await runCli(['scan', '--json'], project);
    assert.is(scan.code, 0, scan.stderr);
    const wfs = JSON.parse(scan.stdout).workflows;
    assert.equal(wfs.map((w: { path: string }) => w.path), ['../ComfyUI/user/default/workflows/saved.json']);
    const inv = JSON.parse((await runCli(['inventory', '--json'], project)).stdout);
    assert.ok(inv.files.some((f: { folder: string; name: string }) => f.folder === 'loras' && f.name === 'style.safetensors'));

    const again = await runCli(['init'], project);
    assert.is(again.code, 2);
    assert.match(again.stderr, /already exists; comfygen init never overwrites/);
    assert.is(await readFile(join(project, 'comfy.config.ts'), 'utf8'), written);
  } finally {
    await cleanup();
  }
});

test.run();
