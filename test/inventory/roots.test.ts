import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadRoots } from '../../src/inventory/index.js';
import { tempDir } from '../helpers/tmp.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
test.before(async () => {
  tmp = await tempDir('comfygen-roots-');
  await mkdir(join(tmp.dir, 'home', 'ComfyUI', 'models', 'loras'), { recursive: true });
  await mkdir(join(tmp.dir, 'data', 'models', 'vae'), { recursive: true });
  await mkdir(join(tmp.dir, 'proj', 'local', 'checkpoints'), { recursive: true });
  await mkdir(join(tmp.dir, 'comfy', 'models', 'checkpoints'), { recursive: true });
  await mkdir(join(tmp.dir, 'comfy', 'custom_nodes'), { recursive: true });
  await writeFile(join(tmp.dir, 'file'), '');
});
test.after(async () => {
  await tmp.cleanup();
});

test('roots expand ~, $VAR and ${VAR}, and relative ones are based on the config folder', async () => {
  const { roots, diagnostics } = await loadRoots({
    roots: ['~/ComfyUI/models', '$DATA/models', '${DATA}/models/', 'local'],
    extraModelPaths: [],
    configDir: join(tmp.dir, 'proj'),
    env: { DATA: join(tmp.dir, 'data') },
    home: join(tmp.dir, 'home'),
  });
  assert.equal(diagnostics, []);
  assert.equal(roots.map((r) => r.label), ['~/ComfyUI/models', '$DATA/models', '${DATA}/models/', 'local']);
  assert.equal(roots.map((r) => r.path), [
    join(tmp.dir, 'home', 'ComfyUI', 'models'),
    join(tmp.dir, 'data', 'models'),
    join(tmp.dir, 'data', 'models'),
    join(tmp.dir, 'proj', 'local'),
  ]);
  assert.equal(roots[3]!.folders, { checkpoints: [join(tmp.dir, 'proj', 'local', 'checkpoints')] });
});

test('a missing root, a file as root and an unset variable are warnings, not failures', async () => {
  const { roots, diagnostics } = await loadRoots({ roots: ['nope', 'file', '$UNSET/m'], extraModelPaths: [], configDir: tmp.dir, env: {}, home: '/h' });
  assert.equal(roots.map((r) => r.folders), [{}, {}, {}]);
  assert.equal(diagnostics.map((d) => [d.code, d.severity]), [
    ['missing-model-root', 'warning'],
    ['unreadable-model-root', 'warning'],
    ['undefined-variable', 'warning'],
    ['missing-model-root', 'warning'],
  ]);
  assert.match(diagnostics[1]!.message, /not a directory/);
  assert.match(diagnostics[2]!.message, /\$UNSET is not set/);
});

test('a ComfyUI folder given as a root gets a hint to use its models/ folder', async () => {
  const { diagnostics } = await loadRoots({ roots: ['comfy'], extraModelPaths: [], configDir: tmp.dir, env: {}, home: '/h' });
  assert.equal(diagnostics.map((d) => d.code), ['root-is-comfyui-dir']);
  assert.match(diagnostics[0]!.hint!, /comfy\/models/);
});


test('folders packs register are found where the pack keeps them, nested ones included', async () => {
  const models = join(tmp.dir, 'packs', 'models');
  for (const dir of ['CogVideo/loras', 'MagicAnimate', 'ultralytics/bbox', 'yolo', 'loras']) await mkdir(join(models, dir), { recursive: true });
  const { roots, diagnostics } = await loadRoots({ roots: [models], extraModelPaths: [], configDir: tmp.dir, home: tmp.dir, env: {} });
  assert.equal(diagnostics, []);
  const folders = roots[0]!.folders;
  assert.equal(folders.cogvideox_loras, [join(models, 'CogVideo/loras')]);
  assert.equal(folders.magic_animate, [join(models, 'MagicAnimate')], 'a key whose directory has another name');
  assert.equal(folders.ultralytics, [join(models, 'ultralytics'), join(models, 'yolo')], 'in the order the pack searches them');
  assert.equal(folders.loras, [join(models, 'loras')]);
});

test.run();
