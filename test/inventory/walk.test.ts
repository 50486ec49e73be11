import { spawnSync } from 'node:child_process';
import { chmod, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Diagnostic, LocalFile } from '../../src/core/types.js';
import { loadRoots, walkInventory, type ModelRoot } from '../../src/inventory/index.js';
import { tempDir } from '../helpers/tmp.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
test.before(async () => {
  tmp = await tempDir('comfygen-walk-');
});
test.after(async () => {
  await chmod(join(tmp.dir, 'perm', 'loras', 'locked'), 0o755).catch(() => undefined);
  await tmp.cleanup();
});

async function put(path: string, content = 'x'): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
}

const names = (files: LocalFile[]) => files.map((f) => `${f.folder}/${f.name}`);

test('every folder alias and subfolder lands under its canonical folder', async () => {
  const root = join(tmp.dir, 'aliases');
  await put(join(root, 'clip', 't5xxl.safetensors'));
  await put(join(root, 'text_encoders', 'clip_l.safetensors'));
  await put(join(root, 'unet', 'flux1-dev.safetensors'));
  await put(join(root, 'diffusion_models', 'wan', 'wan2.1.safetensors'));
  await put(join(root, 't2i_adapter', 'depth.pth'));
  await put(join(root, 'controlnet', 'SDXL', 'canny', 'cn.safetensors'));
  await put(join(root, 'ipadapter', 'ip.bin'));
  await put(join(root, 'custom_nodes', 'pack', 'x.py'));
  await put(join(root, 'stray.safetensors'));
  const { roots, diagnostics } = await loadRoots({ roots: [root], extraModelPaths: [], configDir: tmp.dir });
  assert.equal(diagnostics, []);
  assert.equal(roots[0]!.folders.text_encoders, [join(root, 'text_encoders'), join(root, 'clip')]);
  assert.equal(roots[0]!.folders.diffusion_models, [join(root, 'unet'), join(root, 'diffusion_models')]);
  assert.equal(roots[0]!.folders.controlnet, [join(root, 'controlnet'), join(root, 't2i_adapter')]);
  const { files } = await walkInventory(roots);
  assert.equal(names(files), [
    'controlnet/SDXL/canny/cn.safetensors',
    'controlnet/depth.pth',
    'diffusion_models/flux1-dev.safetensors',
    'diffusion_models/wan/wan2.1.safetensors',
    'ipadapter/ip.bin',
    'text_encoders/clip_l.safetensors',
    'text_encoders/t5xxl.safetensors',
  ]);
  const t5 = files.find((f) => f.name === 't5xxl.safetensors')!;
  assert.is(t5.root, root);
  assert.is(t5.absPath, join(root, 'clip', 't5xxl.safetensors'));
  assert.is(t5.size, 1);
});

test('dotfiles, .git, and partial downloads are skipped', async () => {
  const root = join(tmp.dir, 'skips');
  await put(join(root, 'loras', 'keep.safetensors'));
  await put(join(root, 'loras', 'half.safetensors.part'));
  await put(join(root, 'loras', '.DS_Store'));
  await put(join(root, 'loras', '.git', 'objects', 'blob'));
  await put(join(root, 'loras', '.cache', 'huggingface', 'x.metadata'));
  const { roots } = await loadRoots({ roots: [root], extraModelPaths: [], configDir: tmp.dir });
  assert.equal(names((await walkInventory(roots)).files), ['loras/keep.safetensors']);
});

test('symlinks are followed, loops are cut once with a note, and the walk ends', async () => {
  const root = join(tmp.dir, 'links');
  const shared = join(tmp.dir, 'shared-models');
  await put(join(shared, 'style.safetensors'));
  await put(join(root, 'loras', 'a', 'real.safetensors'));
  await symlink(shared, join(root, 'loras', 'shared'));
  await symlink(join(root, 'loras'), join(root, 'loras', 'a', 'up'));
  await symlink('.', join(root, 'loras', 'self'));
  await symlink(join(shared, 'style.safetensors'), join(root, 'loras', 'linked.safetensors'));
  await symlink(join(tmp.dir, 'nowhere'), join(root, 'loras', 'dangling.safetensors'));
  await symlink(join(root, 'loras'), join(root, 'lora_link')); // a folder dir that is itself a link
  const { roots } = await loadRoots({ roots: [root], extraModelPaths: [], configDir: tmp.dir });
  const { files, diagnostics } = await walkInventory(roots);
  assert.equal(names(files).filter((n) => n.startsWith('loras/')), [
    'loras/a/real.safetensors',
    'loras/linked.safetensors',
    'loras/shared/style.safetensors',
  ]);
  assert.equal(names(files).filter((n) => n.startsWith('lora_link/')).length, 3);
  const codes = diagnostics.map((d) => d.code);
  assert.is(codes.filter((c) => c === 'symlink-loop').length, 4, 'a/up and self, in both folders');
  assert.ok(codes.includes('broken-symlink'));
  assert.ok(diagnostics.every((d) => d.severity === 'info'));
});

test('the same directory reached from two roots lists each file once, first root first', async () => {
  const root = join(tmp.dir, 'dupe');
  await put(join(root, 'vae', 'ae.safetensors'));
  const yaml = join(tmp.dir, 'dupe.yaml');
  await writeFile(yaml, `a:\n  base_path: ${root}\n  vae: vae\n`);
  const { roots } = await loadRoots({ roots: [root], extraModelPaths: [yaml], configDir: tmp.dir });
  const { files } = await walkInventory(roots);
  assert.equal(files.map((f) => [f.root, f.name]), [[root, 'ae.safetensors']]);
});

/** Unreadable folders. Tests run as root, where chmod 000 denies nothing (CAP_DAC_OVERRIDE): the
 * walk then runs in a child process as the unprivileged `nobody` (uid/gid 65534). */
async function walkAsUnprivileged(roots: ModelRoot[]): Promise<{ files: LocalFile[]; diagnostics: Diagnostic[] }> {
  if (process.getuid?.() !== 0) return walkInventory(roots);
  const script = join(tmp.dir, 'walk-child.mjs');
  await writeFile(script, `const { walkInventory } = await import(process.argv[2]);\nprocess.stdout.write(JSON.stringify(await walkInventory(JSON.parse(process.argv[3]))));\n`);
  await chmod(tmp.dir, 0o755);
  const walkModule = fileURLToPath(new URL('../../src/inventory/walk.ts', import.meta.url));
  const repo = fileURLToPath(new URL('../..', import.meta.url));
  const out = spawnSync(process.execPath, ['--import', 'tsx', script, walkModule, JSON.stringify(roots)], { uid: 65534, gid: 65534, cwd: repo, encoding: 'utf8' });
  assert.is(out.status, 0, out.stderr);
  return JSON.parse(out.stdout);
}

test('an unreadable folder is a warning and the walk goes on', async () => {
  const root = join(tmp.dir, 'perm');
  await put(join(root, 'loras', 'open.safetensors'));
  await put(join(root, 'loras', 'locked', 'hidden.safetensors'));
  await put(join(root, 'vae', 'ae.safetensors'));
  await chmod(join(root, 'loras', 'locked'), 0o000);
  const { roots } = await loadRoots({ roots: [root], extraModelPaths: [], configDir: tmp.dir });
  const { files, diagnostics } = await walkAsUnprivileged(roots);
  assert.equal(names(files), ['loras/open.safetensors', 'vae/ae.safetensors']);
  assert.is(diagnostics.length, 1);
  assert.is(diagnostics[0]!.code, 'unreadable-folder');
  assert.is(diagnostics[0]!.severity, 'warning');
  assert.ok(diagnostics[0]!.message.includes(join(root, 'loras', 'locked')));
  assert.ok(diagnostics[0]!.message.includes('EACCES'));
});

test('sizes are read when first asked for, from the file as it is then; a file gone by then is never a match', async () => {
  const root = join(tmp.dir, 'lazy');
  await put(join(root, 'loras', 'grows.safetensors'), 'x');
  await put(join(root, 'loras', 'goes.safetensors'), 'xy');
  const { roots } = await loadRoots({ roots: [root], extraModelPaths: [], configDir: tmp.dir });
  const { files } = await walkInventory(roots);
  await writeFile(join(root, 'loras', 'grows.safetensors'), 'xyz');
  await rm(join(root, 'loras', 'goes.safetensors'));
  const byName = new Map(files.map((f) => [f.name, f]));
  assert.is(byName.get('grows.safetensors')!.size, 3, 'stat at first use, not at listing');
  assert.is(byName.get('goes.safetensors')!.size, -1, 'vanished: a size no pin has');
  assert.is(JSON.parse(JSON.stringify(byName.get('grows.safetensors'))).size, 3, 'serialises with its identity');

  const eager = await walkInventory(roots, { statAll: true });
  assert.equal(names(eager.files), ['loras/grows.safetensors'], 'statAll lists only files that exist');
});

test('the listing is identical whatever order the file system returns', async () => {
  const root = join(tmp.dir, 'order');
  for (const n of ['b', 'a', 'C', 'a_', 'a-', 'ä']) await put(join(root, 'loras', `${n}.safetensors`));
  await put(join(root, 'loras', 'sub', 'z.safetensors'));
  const { roots } = await loadRoots({ roots: [root], extraModelPaths: [], configDir: tmp.dir });
  const first = names((await walkInventory(roots)).files);
  const again = names((await walkInventory(roots)).files);
  assert.equal(first, again);
  assert.equal(first, [...first].sort());
});

test.run();
