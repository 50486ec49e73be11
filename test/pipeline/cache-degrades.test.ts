/**
 * `.comfygen/` is a cache: when it cannot be used (a file named `.comfygen`) or holds damaged
 * files (`null`, JSON of another shape), a build still succeeds, prints no stack or library
 * noise, says so at most once, and a damaged file is rewritten.
 */
import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli, type CliRun } from '../helpers/cli.js';
import { startFakeHf, type FakeHf } from '../helpers/fake-hf.js';
import { createBareRepo, type FixtureRepo } from '../helpers/git-fixtures.js';
import { tempDir } from '../helpers/tmp.js';

let hf: FakeHf;
let tmp: { dir: string; cleanup: () => Promise<void> };
let pack: FixtureRepo;

test.before(async () => {
  hf = await startFakeHf({ repos: [{ id: 'org/flux', files: { 'vae/ae.safetensors': 'ae weights' } }] });
  tmp = await tempDir('comfygen-cache-');
  pack = createBareRepo(join(tmp.dir, 'hosts'), 'someone/Pack', [{ 'a.py': '1' }]);
});
test.after(async () => {
  await hf.close();
  await tmp.cleanup();
});

async function project(name: string): Promise<string> {
  const dir = join(tmp.dir, name);
  await mkdir(join(dir, 'workflows'), { recursive: true });
  await writeFile(join(dir, 'workflows', 'a.json'), JSON.stringify({
    last_node_id: 1, last_link_id: 0, links: [], groups: [], config: {}, extra: {}, version: 0.4,
    nodes: [{ id: 1, type: 'VAELoader', mode: 0, inputs: [], outputs: [], widgets_values: ['ae.safetensors'],
      properties: { models: [{ name: 'ae.safetensors', directory: 'vae', url: 'https://huggingface.co/org/flux/resolve/main/vae/ae.safetensors' }] } }],
  }));
  // Old enough for the scan cache to keep it (and so to try writing .comfygen/scans.cache).
  const past = new Date(Date.now() - 3_600_000);
  await utimes(join(dir, 'workflows', 'a.json'), past, past);
  await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({
    workflows: ['workflows/*.json'], models: { target: 'models' },
    nodes: { pins: { pack: { repo: 'https://github.com/someone/Pack', commit: pack.tip } } },
  }));
  return dir;
}

/** The CLI in-process, with what libraries print to console.error captured too. */
async function build(dir: string, args: string[] = []): Promise<CliRun & { noise: string }> {
  const original = console.error;
  let noise = '';
  console.error = (...parts: unknown[]) => void (noise += `${parts.map(String).join(' ')}\n`);
  try {
    const r = await runCli(['build', ...args], dir, {
      HF_ENDPOINT: hf.url, CIVITAI_ENDPOINT: 'http://127.0.0.1:9', COMFY_REGISTRY_ENDPOINT: 'http://127.0.0.1:9',
      GITHUB_ENDPOINT: `file://${join(tmp.dir, 'hosts')}`, COMFYGEN_API_RETRIES: '0',
    });
    return { ...r, noise };
  } finally {
    console.error = original;
  }
}

const lockOf = async (dir: string) => JSON.parse(await readFile(join(dir, 'comfy.lock.json'), 'utf8'));

test('a file named .comfygen: the build pins everything without a cache, one warning at most, no stack, the file untouched', async () => {
  const dir = await project('dotfile');
  await writeFile(join(dir, '.comfygen'), 'not a folder');
  const r = await build(dir);
  assert.is(r.code, 0, r.stderr + r.noise);
  assert.is(r.noise, '', 'nothing printed behind the CLI\'s back');
  assert.not.match(r.stderr, /\n\s+at |ENOTDIR: not a directory, (open|lstat)/);
  assert.ok((r.stderr.match(/cache-error/g) ?? []).length <= 1, r.stderr);
  const lock = await lockOf(dir);
  assert.ok(lock.models['vae/ae.safetensors'].locked, 'pinned without a cache');
  assert.is(lock.nodes.pack.locked.commit, pack.tip, 'the pack pinned without a cache');
  assert.is(await readFile(join(dir, '.comfygen'), 'utf8'), 'not a folder');
});

test('a source cache file holding null or JSON of another shape is treated as empty and rewritten', async () => {
  const dir = await project('corrupt');
  assert.is((await build(dir)).code, 0);
  const cacheFile = join(dir, '.comfygen', 'sources', 'huggingface.json');
  for (const bad of ['null', '{"cache":[1,2],"lastExpire":1}', '[]', '{"cache":"x"}']) {
    await writeFile(cacheFile, bad);
    const r = await build(dir, ['--update']);
    assert.is(r.code, 0, `${bad}: ${r.stderr}${r.noise}`);
    assert.is(r.noise, '', `${bad}: nothing printed behind the CLI's back`);
    assert.not.match(r.stderr, /TypeError|\n\s+at /, bad);
    assert.match(r.stderr, /discarded the unreadable cache file/, bad);
    assert.ok((await lockOf(dir)).models['vae/ae.safetensors'].locked, bad);
    const rewritten = JSON.parse(await readFile(cacheFile, 'utf8'));
    assert.ok(Array.isArray(rewritten.cache) && rewritten.cache.length > 0, `${bad}: the cache was written anew`);
  }
});

test.run();
