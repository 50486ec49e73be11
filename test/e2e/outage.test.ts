/**
 * Outages and the committed lock (issue 20): with a complete lock (models and node packs, pinned
 * and unresolved), a build while no host can be reached changes no byte of the lock or of any
 * output, asks each host once instead of backing off, exits 0 (1 with --strict, since models
 * stay unresolved) and names the outage in one line.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Agent } from 'undici';
import { runBuild } from '../../src/pipeline/run-build.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { uiNode, uiWorkflow } from '../scan/builders.js';
import { outputsOf, refusedPort, startOutageFakes, writeOutageProject } from './outage-fixture.js';

let project: { dir: string; cleanup: () => Promise<void> };
let before: Record<string, string>;

test.before(async () => {
  project = await tempDir('comfygen-outage-');
  const fakes = await startOutageFakes(project.dir);
  try {
    await writeOutageProject(project.dir, fakes.packCommit);
    const first = await runCli(['build', '--quiet'], project.dir, fakes.env);
    assert.is(first.code, 0, first.stderr);
  } finally {
    await fakes.close();
  }
  before = await outputsOf(project.dir);
  const lock = JSON.parse(before['comfy.lock.json']!);
  // The lock the outage must not touch: pins and reasons, models and packs.
  assert.equal(Object.keys(lock.models).filter((k) => lock.models[k].locked).sort(),
    ['controlnet/cn.safetensors', 'loras/style.safetensors', 'upscale_models/up.pth', 'vae/ae.safetensors']);
  assert.equal(Object.keys(lock.models).filter((k) => lock.models[k].unresolved).sort(), ['checkpoints/gone.safetensors', 'loras/mystery.safetensors']);
  assert.equal(Object.keys(lock.nodes).filter((k) => lock.nodes[k].locked).sort(), ['comfyui-kjnodes', 'someone/comfyui-pack']);
  assert.equal(Object.keys(lock.nodes).filter((k) => lock.nodes[k].unresolved), ['ghost-pack']);
});

test.after(() => project.cleanup());

/** A copy of the built project without its cache (a fresh checkout): every unresolved entry is asked again. */
async function copy(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'comfygen-outage-copy-'));
  cpSync(project.dir, dir, { recursive: true });
  await rm(join(dir, '.comfygen'), { recursive: true, force: true });
  return dir;
}

/** Every endpoint on its own loopback port where nothing listens. */
async function refusedEverywhere(): Promise<Record<string, string>> {
  const [hf, civitai, registry, git] = await Promise.all([refusedPort(), refusedPort(), refusedPort(), refusedPort()]);
  return {
    HF_ENDPOINT: `http://127.0.0.1:${hf}`, CIVITAI_ENDPOINT: `http://127.0.0.1:${civitai}`,
    COMFY_REGISTRY_ENDPOINT: `http://127.0.0.1:${registry}`, GITHUB_ENDPOINT: `http://127.0.0.1:${git}`,
  };
}

const problems = (stderr: string) => stderr.split('\n').filter((l) => /^(warning|error)\b/.test(l));

test('every host refusing: build and build --update leave the lock and every output byte-identical, exit 0, and say so in one line', async () => {
  const dir = await copy();
  try {
    const env = await refusedEverywhere();
    const offlineStarted = Date.now();
    const offline = await runCli(['build', '--offline', '--quiet'], dir, env);
    const offlineMs = Date.now() - offlineStarted;
    assert.is(offline.code, 0, offline.stderr);
    for (const args of [['build', '--quiet'], ['build', '--update', '--quiet'], ['build']]) {
      const started = Date.now();
      const r = await runCli(args, dir, env);
      const ms = Date.now() - started;
      assert.is(r.code, 0, r.stderr);
      assert.equal(await outputsOf(dir), before, `${args.join(' ')} changed nothing`);
      assert.equal(problems(r.stderr).length, 1, r.stderr);
      // --update verifies the git pin again too (no cache to answer for the repository).
      const git = args.includes('--update') ? 'git at 127\\.0\\.0\\.1:\\d+ \\(via GITHUB_ENDPOINT\\), ' : '';
      assert.match(r.stderr, new RegExp(`^warning: the network is unreachable: civitai at 127\\.0\\.0\\.1:\\d+ \\(via CIVITAI_ENDPOINT\\), the Comfy Registry at 127\\.0\\.0\\.1:\\d+ \\(via COMFY_REGISTRY_ENDPOINT\\), ${git}huggingface at 127\\.0\\.0\\.1:\\d+ \\(via HF_ENDPOINT\\): network error \\(ECONNREFUSED\\); \\d+ lock entries kept as they were \\[source-failed\\]$`, 'm'));
      assert.not.match(r.stdout, /updated|added|removed|wrote/);
      // Backoff (1 + 2 + 4 + 8 s per host, as before) would cost 15 s per source; asking once costs nothing.
      assert.ok(ms < offlineMs + 10_000, `${args.join(' ')}: ${ms} ms, offline ${offlineMs} ms`);
    }
    // Two models an active node needs stay unresolved: --strict says so and fails, still writing nothing new.
    const strict = await runCli(['build', '--strict', '--quiet'], dir, env);
    assert.is(strict.code, 1, strict.stderr);
    assert.equal(await outputsOf(dir), before);
    assert.equal(problems(strict.stderr).map((l) => /\[([a-z-]+)\]$/.exec(l)?.[1]), ['source-failed', 'unresolved-active']);
    assert.match(strict.stderr, /^error: --strict: 2 models that active nodes need are unresolved: checkpoints\/gone\.safetensors, loras\/mystery\.safetensors \[unresolved-active\]$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no DNS: each host is looked up once (no retries), and a model first seen in the outage gets the same lock on every rebuild', async () => {
  const dir = await copy();
  const lookups: string[] = [];
  const dispatcher = new Agent({
    connect: {
      lookup: (hostname, _opts, callback) => {
        lookups.push(hostname);
        callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }), '', 4);
      },
    },
  });
  try {
    const env = { HF_ENDPOINT: 'http://hf.example', CIVITAI_ENDPOINT: 'http://civitai.example', COMFY_REGISTRY_ENDPOINT: 'http://registry.example', GITHUB_ENDPOINT: `http://127.0.0.1:${await refusedPort()}` };
    const r = await runBuild({ cwd: dir, mode: 'build', env, dispatcher });
    assert.equal(await outputsOf(dir), before);
    const count = (host: string) => lookups.filter((h) => h === host).length;
    // One request per host was in flight when the first failed (two packs ask the registry at once).
    assert.is(count('hf.example'), 1, lookups.join(' '));
    assert.is(count('civitai.example'), 1, lookups.join(' '));
    assert.ok(count('registry.example') <= 2, lookups.join(' '));
    const outage = r.diagnostics.filter((d) => d.severity !== 'info');
    assert.equal(outage.map((d) => d.code), ['source-failed']);
    assert.match(outage[0]!.message, /^the network is unreachable: .*: network error \(ENOTFOUND\); /);

    // A model nobody has asked about yet: unresolved, in words that name no host, mirror or error.
    const extra = uiWorkflow([uiNode({ id: 1, type: 'VAELoader', widgets: ['new.safetensors'],
      properties: { models: [{ name: 'new.safetensors', directory: 'vae', url: 'https://huggingface.co/org/new/resolve/main/new.safetensors' }] } })]);
    await writeFile(join(dir, 'workflows', 'b.json'), JSON.stringify(extra));
    const first = await runBuild({ cwd: dir, mode: 'build', env, dispatcher });
    const once = await outputsOf(dir);
    const entry = first.lock.models['vae/new.safetensors'];
    assert.equal(entry, { original: { url: 'https://huggingface.co/org/new/resolve/main/new.safetensors' },
      unresolved: { reason: 'huggingface: huggingface.co unavailable; the next build asks again', sha256: null } });
    await runBuild({ cwd: dir, mode: 'build', env, dispatcher });
    assert.equal(await outputsOf(dir), once, 'a rebuild in the same outage writes the same bytes');
    for (const [path, text] of Object.entries(once)) assert.not.match(text, /ENOTFOUND|ECONN|via [A-Z_]+ENDPOINT|\.example|127\.0\.0\.1/, path);
  } finally {
    await dispatcher.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('local sources answer offline: a catalog says which URL it lists and that pinning it needs the network', async () => {
  const { dir, cleanup } = await tempDir('comfygen-outage-offline-');
  try {
    await writeOutageProject(dir, 'a'.repeat(40));
    const r = await runBuild({ cwd: dir, mode: 'build', offline: true, env: {} });
    assert.match(r.lock.models['controlnet/cn.safetensors']?.unresolved?.reason ?? '',
      /; catalog: lists https:\/\/huggingface\.co\/org\/flux\/resolve\/main\/controlnet\/cn\.safetensors; huggingface\.co not asked \(offline\)$/);
    // A url source with a hash needs no network at all.
    assert.ok(r.lock.models['upscale_models/up.pth']?.locked);
  } finally {
    await cleanup();
  }
});

test.run();
