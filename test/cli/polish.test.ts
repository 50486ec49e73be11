import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { configPath, initCommand } from '../../src/cli/init-command.js';
import { chooseRenderer } from '../../src/cli/progress.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { makeProject, uiWorkflow } from './project.js';
import { RUN_MAIN } from './spawn.js';

const run = promisify(execFile);
const CURSOR = /\x1b\[\d*[ABGK]|\x1b\[\?25[lh]/;

// ---------- progress on a terminal of no width ----------

test('chooseRenderer: a terminal reporting 0 or no columns gets plain lines, a sized one listr2', () => {
  const opts = (stream: object) => ({ quiet: false, json: false, stream: stream as NodeJS.WriteStream, env: {} });
  assert.is(chooseRenderer(opts({ isTTY: true, columns: 0 })), 'plain');
  assert.is(chooseRenderer(opts({ isTTY: true, columns: undefined })), 'plain');
  assert.is(chooseRenderer(opts({ isTTY: true, columns: 80 })), 'tty');
  assert.is(chooseRenderer({ ...opts({ isTTY: true, columns: 0 }), quiet: true }), 'silent');
});

test('build on a 0-column pseudo-terminal prints plain lines without cursor movement', async () => {
  const p = await makeProject();
  try {
    const cmd = `stty cols 0 rows 0; ${process.execPath} --import ${import.meta.resolve('tsx')} ${RUN_MAIN} build --offline --dry-run`;
    const { stdout } = await run('script', ['-qec', cmd, '/dev/null'], { cwd: p.dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm-256color' }, timeout: 30_000 });
    assert.not.match(stdout, CURSOR);
    assert.match(stdout, /^✔ Load config\r?$/m);
    assert.match(stdout, /^✔ Scan 1 workflow\(s\): 3 model reference\(s\)\r?$/m);
  } finally {
    await p.cleanup();
  }
});

// ---------- init: paths relative to the config when ComfyUI is near ----------

test('configPath: relative inside or near the project, ~ under home when far, absolute otherwise', () => {
  const home = '/home/u';
  assert.is(configPath('/home/u/p/ComfyUI/models', '/home/u/p', home), 'ComfyUI/models');
  assert.is(configPath('/home/u/ComfyUI/models', '/home/u/p', home), '../ComfyUI/models');
  assert.is(configPath('/home/u/ComfyUI/models', '/home/u/a/b/p', home), '../../../ComfyUI/models');
  assert.is(configPath('/home/u/ComfyUI/models', '/home/u/a/b/c/p', home), '~/ComfyUI/models', 'four levels up reads better from home');
  assert.is(configPath('/srv/x/y/ComfyUI/models', '/srv/a/b/c/p', home), '/srv/x/y/ComfyUI/models');
  assert.is(configPath('/mnt/ComfyUI/models', '/home/u/p', home), '/mnt/ComfyUI/models', 'a path through the file-system root stays absolute');
  assert.is(configPath('/home/u/p/..odd/models', '/home/u/p', home), '..odd/models', 'a folder named ..odd is inside');
});

async function comfyInstall(comfy: string): Promise<void> {
  await mkdir(join(comfy, 'models', 'loras'), { recursive: true });
  await mkdir(join(comfy, 'user', 'default', 'workflows'), { recursive: true });
  await writeFile(join(comfy, 'extra_model_paths.yaml'), 'mine:\n  base_path: /nowhere\n  loras: loras\n');
  await writeFile(join(comfy, 'models', 'loras', 'style.safetensors'), 'weights');
  await writeFile(join(comfy, 'user', 'default', 'workflows', 'saved.json'), JSON.stringify(uiWorkflow([{ type: 'LoraLoader', value: 'style.safetensors' }])));
}

test('init beside ../ComfyUI writes ../ComfyUI paths, no absolute ones, and the config works from there', async () => {
  const { dir, cleanup } = await tempDir('comfygen-init-rel-');
  try {
    await comfyInstall(join(dir, 'ComfyUI'));
    const project = join(dir, 'project');
    await mkdir(project);
    const r = await runCli(['init'], project);
    assert.is(r.code, 0, r.stderr);
    const written = await readFile(join(project, 'comfy.config.ts'), 'utf8');
    assert.ok(written.includes(`roots: ['../ComfyUI/models']`), written);
    assert.ok(written.includes(`extraModelPaths: ['../ComfyUI/extra_model_paths.yaml']`), written);
    assert.ok(written.includes(`'../ComfyUI/user/default/workflows/**/*.{json,png,webp,flac,mp4,mov}'`), written);
    assert.not.ok(written.includes(dir), 'the machine-specific temp path is not in the config');

    const scan = await runCli(['scan', '--json'], project);
    assert.is(scan.code, 0, scan.stderr);
    assert.equal(JSON.parse(scan.stdout).workflows.map((w: { path: string }) => w.path), ['../ComfyUI/user/default/workflows/saved.json']);
    const inv = JSON.parse((await runCli(['inventory', '--json'], project)).stdout);
    assert.ok(inv.files.some((f: { folder: string; name: string }) => f.folder === 'loras' && f.name === 'style.safetensors'), JSON.stringify(inv));
  } finally {
    await cleanup();
  }
});

test('init far below home writes ~/ComfyUI; a far --comfy outside home stays absolute', async () => {
  const { dir, cleanup } = await tempDir('comfygen-init-far-');
  const sink = () => ({ isTTY: false, write: () => true }) as unknown as NodeJS.WriteStream;
  try {
    const home = join(dir, 'home');
    await comfyInstall(join(home, 'ComfyUI'));
    const deep = join(home, 'a', 'b', 'c', 'project');
    await mkdir(deep, { recursive: true });
    // No ./ComfyUI or ../ComfyUI here: the install under home is found.
    assert.is(await initCommand(undefined, {}, { cwd: deep, env: {}, stdout: sink(), stderr: sink() }, home), 0);
    assert.match(await readFile(join(deep, 'comfy.config.ts'), 'utf8'), /roots: \['~\/ComfyUI\/models'\]/);

    const far = join(dir, 'srv', 'x', 'y', 'ComfyUI');
    await comfyInstall(far);
    const other = join(dir, 'work', 'p', 'q', 'project');
    await mkdir(other, { recursive: true });
    assert.is(await initCommand(undefined, { comfy: far }, { cwd: other, env: {}, stdout: sink(), stderr: sink() }, home), 0);
    assert.ok((await readFile(join(other, 'comfy.config.ts'), 'utf8')).includes(`roots: ['${far}/models']`));
  } finally {
    await cleanup();
  }
});

test('scan piped into a reader that stops early ends quietly (no EPIPE trace)', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await mkdir(join(dir, 'wf'));
    await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({ workflows: ['wf/*.json'] }));
    for (let i = 0; i < 400; i++) await writeFile(join(dir, 'wf', `w${i}.json`), JSON.stringify({ 1: { class_type: 'LoraLoader', inputs: { lora_name: `lora_${i}.safetensors` } } }));
    const cmd = `${process.execPath} --import ${import.meta.resolve('tsx')} ${RUN_MAIN} scan | head -1; echo "exit=\${PIPESTATUS[0]}" >&2`;
    const { stdout, stderr } = await run('bash', ['-c', cmd], { cwd: dir });
    assert.is(stdout.split('\n').length, 2, 'one line read');
    assert.not.match(stderr, /EPIPE|Error/);
    assert.match(stderr, /exit=0/);
  } finally {
    await cleanup();
  }
});

test.run();
