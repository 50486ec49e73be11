/**
 * A relative models.target is relative to the config file, for every output: download.sh installs
 * there from any working directory (also through a symlink to it), and extra_model_paths.yaml
 * names the same folder for ComfyUI. A relative comfyui.dir is read the same way by nodes.sh.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli.js';
import { type FileServer, startFileServer } from '../helpers/file-server.js';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

let tmp: { dir: string; cleanup: () => Promise<void> };
let server: FileServer;
let project: string;
const body = Buffer.from('lora weights '.repeat(300));

test.before(async () => {
  tmp = await tempDir('comfygen-e2e-target-');
  server = await startFileServer();
  server.file('/files/style.safetensors', body);
  project = join(tmp.dir, 'project');
  await mkdir(join(project, 'workflows'), { recursive: true });
  await writeFile(join(project, 'workflows', 'api.json'), JSON.stringify({
    1: { class_type: 'LoraLoader', inputs: { lora_name: 'style.safetensors', strength_model: 1, strength_clip: 1 } },
  }));
  await writeFile(join(project, 'comfy.config.json'), JSON.stringify({
    workflows: ['workflows/*.json'],
    models: { target: 'models' },
    output: { dir: 'deploy/gen' },
    sources: [{ type: 'url', files: { 'loras/style.safetensors': { url: `${server.url}/files/style.safetensors`, sha256: sha(body) } } }],
  }));
  const build = await runCli(['build'], project);
  assert.is(build.code, 0, build.stderr + build.stdout);
});

test.after(async () => {
  await server.close();
  await tmp.cleanup();
});

async function runGenerated(script: string, cwd: string) {
  // No MODELS_DIR or COMFYUI_DIR: the configured defaults decide.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp.dir };
  try {
    const r = await run('bash', [script], { cwd, env, timeout: 60_000 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

test('download.sh run from another folder installs under the config folder, where extra_model_paths.yaml points', async () => {
  const elsewhere = join(tmp.dir, 'elsewhere');
  await mkdir(elsewhere);
  const r = await runGenerated(join(project, 'deploy', 'gen', 'download.sh'), elsewhere);
  assert.is(r.code, 0, r.out);
  assert.equal(await readFile(join(project, 'models', 'loras', 'style.safetensors')), body);
  assert.equal(await readdir(elsewhere), [], 'nothing in the working directory');
  assert.ok(r.out.includes(`into ${join(project, 'models')}`), r.out);

  const yaml = await readFile(join(project, 'deploy', 'gen', 'extra_model_paths.yaml'), 'utf8');
  const base = /^comfygen_target:\n(?:\s*#.*\n)*\s+base_path: (.+)$/m.exec(yaml)?.[1];
  assert.ok(base, yaml);
  assert.is(resolve(project, 'deploy', 'gen', base!), join(project, 'models'), 'ComfyUI looks where download.sh installed');
});

test('through a symlink to the script, the install root is still the one beside the config', async () => {
  const bin = join(tmp.dir, 'bin');
  await mkdir(bin);
  await symlink(join(project, 'deploy', 'gen', 'download.sh'), join(bin, 'get-models'));
  const r = await runGenerated(join(bin, 'get-models'), tmp.dir);
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /skipped 1/);
  assert.not.ok(existsSync(join(tmp.dir, 'models')) || existsSync(join(bin, 'models')));
});

test('nodes.sh run from another folder finds a relative comfyui.dir beside the config too', async () => {
  // The defaults, models.target ComfyUI/models and comfyui.dir ComfyUI, must mean one ComfyUI.
  await mkdir(join(project, 'ComfyUI'));
  const elsewhere = join(tmp.dir, 'elsewhere-nodes');
  await mkdir(elsewhere);
  const r = await runGenerated(join(project, 'deploy', 'gen', 'nodes.sh'), elsewhere);
  assert.is(r.code, 0, r.out);
  assert.ok(existsSync(join(project, 'ComfyUI', 'custom_nodes')), r.out);
  assert.equal(await readdir(elsewhere), []);
});

test('read from stdin, the script cannot know its folder: it asks for MODELS_DIR instead of guessing', async () => {
  const script = await readFile(join(project, 'deploy', 'gen', 'download.sh'));
  const r = spawnSync('bash', ['-s'], { input: script, cwd: tmp.dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp.dir }, encoding: 'utf8' });
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /relative to the folder of download\.sh.*set MODELS_DIR/);
});

test.run();
