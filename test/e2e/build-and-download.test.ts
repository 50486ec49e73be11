/**
 * End to end, as a user runs it: a fixture project is built with the CLI, the generated
 * download.sh is run with real curl against a loopback file server, `check` is asked about drift.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli.js';
import { type FileServer, startFileServer } from '../helpers/file-server.js';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

// Names a workflow may carry; none of them may run a command anywhere.
const HOSTILE = [
  'spaces in name.safetensors',
  `it's "quoted" $(touch PWNED_1).safetensors`,
  'back`touch PWNED_2`tick.safetensors',
  'semi;colon && touch PWNED_3 | pipe.safetensors',
  'dollar $IFS ${HOME} %s [a] *.safetensors',
];

interface Fixture { dir: string; server: FileServer; bodies: Map<string, Buffer>; cleanup: () => Promise<void> }

async function makeProject(): Promise<Fixture> {
  const { dir, cleanup } = await tempDir('comfygen-e2e-');
  const server = await startFileServer();
  const bodies = new Map<string, Buffer>();
  const files: Record<string, { url: string; sha256: string }> = {};
  HOSTILE.forEach((name, i) => {
    const body = Buffer.from(`weights of ${name} `.repeat(200 + i));
    server.file(`/files/${i}.safetensors`, body);
    bodies.set(`loras/${name}`, body);
    files[`loras/${name}`] = { url: `${server.url}/files/${i}.safetensors`, sha256: sha(body) };
  });
  const base = Buffer.from('base checkpoint '.repeat(5000));
  server.file('/hub/base.safetensors', base);
  bodies.set('checkpoints/base.safetensors', base);

  await mkdir(join(dir, 'workflows'), { recursive: true });
  const ui = {
    last_node_id: 2, last_link_id: 0, links: [], groups: [], config: {}, extra: {}, version: 0.4,
    nodes: [
      { id: 1, type: 'CheckpointLoaderSimple', mode: 0, inputs: [], outputs: [], widgets_values: ['base.safetensors'],
        properties: { models: [{ name: 'base.safetensors', directory: 'checkpoints', url: `${server.url}/hub/base.safetensors`, hash: sha(base), hash_type: 'SHA256' }] } },
      { id: 2, type: 'LoraLoader', mode: 0, inputs: [], outputs: [], widgets_values: [HOSTILE[0], 1, 1], properties: {} },
    ],
  };
  const api = Object.fromEntries(HOSTILE.slice(1).map((name, i) => [String(10 + i), { class_type: 'LoraLoader', inputs: { lora_name: name, strength_model: 1, strength_clip: 1 } }]));
  await writeFile(join(dir, 'workflows', 'ui.json'), JSON.stringify(ui));
  await writeFile(join(dir, 'workflows', 'api.json'), JSON.stringify(api));
  await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({
    workflows: ['workflows/**/*.json'],
    models: { target: 'models' },
    sources: [{ type: 'url', files }, { type: 'embedded' }],
  }, null, 2));
  return { dir, server, bodies, cleanup: async () => { await server.close(); await cleanup(); } };
}

async function outputs(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = { 'comfy.lock.json': await readFile(join(dir, 'comfy.lock.json'), 'utf8') };
  for (const f of (await readdir(join(dir, 'generated'))).sort()) out[f] = await readFile(join(dir, 'generated', f), 'utf8');
  return out;
}

async function download(dir: string, modelsDir: string, ...args: string[]) {
  try {
    const r = await run('bash', [join(dir, 'generated', 'download.sh'), ...args], { cwd: dir, env: { PATH: process.env.PATH, MODELS_DIR: modelsDir }, timeout: 60_000 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

test('build pins every model, and the same project built elsewhere gives identical bytes', async () => {
  const fx = await makeProject();
  const copy = await tempDir('comfygen-e2e-other-');
  try {
    const first = await runCli(['build'], fx.dir);
    assert.is(first.code, 0, first.stderr + first.stdout);
    assert.match(first.stdout, '+ added checkpoints/base.safetensors');
    const lock = JSON.parse(await readFile(join(fx.dir, 'comfy.lock.json'), 'utf8'));
    for (const [key, body] of fx.bodies) assert.is(lock.models[key]?.locked?.sha256, sha(body), key);

    // Another absolute path, invoked from a subfolder, another time zone and locale.
    await cp(fx.dir, join(copy.dir, 'p'), { recursive: true });
    await import('node:fs/promises').then((fs) => fs.rm(join(copy.dir, 'p', 'generated'), { recursive: true }));
    await import('node:fs/promises').then((fs) => fs.rm(join(copy.dir, 'p', 'comfy.lock.json')));
    await mkdir(join(copy.dir, 'p', 'workflows', 'deeper'), { recursive: true });
    const second = await runCli(['build'], join(copy.dir, 'p', 'workflows', 'deeper'), { TZ: 'Pacific/Kiritimati', LANG: 'tr_TR.UTF-8', LC_ALL: 'tr_TR.UTF-8' });
    assert.is(second.code, 0, second.stderr);
    assert.equal(await outputs(join(copy.dir, 'p')), await outputs(fx.dir));
    for (const text of Object.values(await outputs(fx.dir))) assert.not.match(text, fx.dir, 'no absolute checkout path in outputs');
  } finally {
    await copy.cleanup();
    await fx.cleanup();
  }
});

test('download.sh installs verified files, downloads nothing the second time, never clobbers, runs no names', async () => {
  const fx = await makeProject();
  try {
    assert.is((await runCli(['build'], fx.dir)).code, 0);
    const models = join(fx.dir, 'models');
    const first = await download(fx.dir, models);
    assert.is(first.code, 0, first.out);
    for (const [key, body] of fx.bodies) {
      const [folder, ...rest] = key.split('/');
      assert.is(sha(await readFile(join(models, folder!, rest.join('/')))), sha(body), key);
    }
    const served = fx.server.requests.length;
    const again = await download(fx.dir, models);
    assert.is(again.code, 0, again.out);
    assert.is(fx.server.requests.length, served, 'second run made no request');

    // A different file already at a target: left untouched, the run fails.
    const victim = join(models, 'checkpoints', 'base.safetensors');
    await writeFile(victim, 'my own different checkpoint');
    const conflict = await download(fx.dir, models, '--verify');
    assert.is.not(conflict.code, 0);
    assert.is(await readFile(victim, 'utf8'), 'my own different checkpoint');

    for (const where of [fx.dir, models, join(models, 'loras'), process.cwd()]) {
      for (let i = 1; i <= 4; i++) assert.not.ok(existsSync(join(where, `PWNED_${i}`)), `injection ran in ${where}`);
    }
  } finally {
    await fx.cleanup();
  }
});

test('a name with a newline is refused at build time with an error, and everything else still builds', async () => {
  const fx = await makeProject();
  try {
    await writeFile(join(fx.dir, 'workflows', 'newline.json'), JSON.stringify({ 1: { class_type: 'LoraLoader', inputs: { lora_name: 'new\nline $(touch PWNED_4).safetensors' } } }));
    const built = await runCli(['build'], fx.dir);
    assert.is(built.code, 1, 'error-level diagnostic → exit 1');
    assert.match(built.stderr, 'unsafe-model-name');
    const script = await readFile(join(fx.dir, 'generated', 'download.sh'), 'utf8');
    assert.not.match(script, 'PWNED_4');
    assert.match(script, 'base.safetensors');
    const dl = await download(fx.dir, join(fx.dir, 'models'), '--dry-run');
    assert.is(dl.code, 0, dl.out);
    assert.not.ok(existsSync(join(fx.dir, 'PWNED_4')));
  } finally {
    await fx.cleanup();
  }
});

test('check is clean right after a build and fails once a workflow gains a model', async () => {
  const fx = await makeProject();
  try {
    assert.is((await runCli(['build'], fx.dir)).code, 0);
    const clean = await runCli(['check'], fx.dir);
    assert.is(clean.code, 0, clean.stdout + clean.stderr);
    const ui = JSON.parse(await readFile(join(fx.dir, 'workflows', 'ui.json'), 'utf8'));
    ui.nodes.push({ id: 3, type: 'VAELoader', mode: 0, inputs: [], outputs: [], widgets_values: ['new_vae.safetensors'], properties: {} });
    await writeFile(join(fx.dir, 'workflows', 'ui.json'), JSON.stringify(ui));
    const drift = await runCli(['check'], fx.dir);
    assert.is(drift.code, 1);
    assert.match(drift.stdout, 'comfy.lock.json');
    const frozen = await runCli(['build', '--frozen'], fx.dir);
    assert.is(frozen.code, 1);
    assert.not.match(await readFile(join(fx.dir, 'comfy.lock.json'), 'utf8'), 'new_vae', '--frozen changed nothing');
  } finally {
    await fx.cleanup();
  }
});

test.run();
