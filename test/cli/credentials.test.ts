/**
 * Tokens pasted into workflow URLs must never land in a file, a cache or a log: a full offline
 * build of a project whose workflows carry them, then every file it wrote and everything it printed
 * is searched for the secret values.
 */
import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const SECRETS = ['civ-secret-1111', 'hf_secret2222', 'pass-secret-3333', 'api-secret-4444'];
const ENV_TOKENS = { CIVITAI_TOKEN: 'env-civitai-5555', HF_TOKEN: 'hf_env6666' };
const CIVITAI = 'https://civitai.com/api/download/models/4242?type=Model&format=SafeTensor';
const HF = 'https://huggingface.co/o/r/resolve/main/vae.safetensors';

async function filesUnder(dir: string, skip: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const path = join(e.parentPath ?? e.path, e.name);
    if (e.isFile() && !relative(skip, path).match(/^[^.]/)) out.push(path);
  }
  return out.sort();
}

test('build --offline: workflow tokens appear in no file, cache or output; the URLs without them are recorded', async () => {
  const { dir, cleanup } = await tempDir('comfygen-secrets-');
  try {
    await mkdir(join(dir, 'workflows'), { recursive: true });
    const ui = {
      last_node_id: 3, last_link_id: 0, links: [], groups: [], config: {}, extra: {}, version: 0.4,
      nodes: [
        { id: 1, type: 'CheckpointLoaderSimple', mode: 0, inputs: [], outputs: [], widgets_values: ['dream.safetensors'],
          properties: { models: [{ name: 'dream.safetensors', directory: 'checkpoints', url: `${CIVITAI}&token=${SECRETS[0]}` }] } },
        { id: 2, type: 'VAELoader', mode: 0, inputs: [], outputs: [], widgets_values: ['vae.safetensors'],
          properties: { models: [{ name: 'vae.safetensors', directory: 'vae', url: `${HF}?hf_token=${SECRETS[1]}` }] } },
      ],
      models: [{ name: 'extra.safetensors', directory: 'loras', url: `https://me:${SECRETS[2]}@example.com/extra.safetensors` }],
    };
    const api = {
      10: { class_type: 'LoraLoader', inputs: { lora_name: `https://example.com/l.safetensors?api_key=${SECRETS[3]}`, strength_model: 1, strength_clip: 1 } },
    };
    await writeFile(join(dir, 'workflows', 'ui.json'), JSON.stringify(ui));
    await writeFile(join(dir, 'workflows', 'api.json'), JSON.stringify(api));
    // Older than the scan cache's racy window, so the results are persisted to .comfygen/.
    const past = new Date(Date.now() - 3_600_000);
    for (const f of ['ui.json', 'api.json']) await utimes(join(dir, 'workflows', f), past, past);
    await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({ workflows: ['workflows/**/*.json'], models: { target: 'models' } }, null, 2));

    const build = await runCli(['build', '--offline'], dir, ENV_TOKENS);
    const scan = await runCli(['scan', '--json'], dir, ENV_TOKENS);
    const again = await runCli(['build', '--offline', '--json'], dir, ENV_TOKENS);
    assert.is(again.code, build.code, 'the second build reads the scan cache and agrees');

    const written = await filesUnder(dir, join(dir, 'workflows'));
    assert.ok(written.some((f) => f.startsWith(join(dir, '.comfygen', 'scans'))), `the scan cache was written: ${written.join(', ')}`);
    assert.ok(written.includes(join(dir, 'generated', 'download.sh')));
    const texts: Record<string, string> = {
      'build stdout': build.stdout, 'build stderr': build.stderr, 'scan stdout': scan.stdout, 'scan stderr': scan.stderr,
      'json build': again.stdout + again.stderr,
    };
    for (const f of written) texts[relative(dir, f)] = (await readFile(f)).toString('latin1');
    for (const [where, text] of Object.entries(texts)) {
      for (const secret of [...SECRETS, ...Object.values(ENV_TOKENS)]) assert.not.ok(text.includes(secret), `${secret} leaked into ${where}`);
    }

    const lock = JSON.parse(texts['comfy.lock.json']!);
    assert.is(lock.models['checkpoints/dream.safetensors'].original.url, CIVITAI);
    assert.is(lock.models['vae/vae.safetensors'].original.url, HF);
    assert.is(lock.models['loras/extra.safetensors'].original.url, 'https://example.com/extra.safetensors');
    assert.match(build.stderr, /warning workflows\/ui\.json: a model URL carries credentials \(query parameter token\)[^\n]*\[credential-in-url\]/);
    assert.match(build.stderr, /query parameter api_key/);
    assert.match(build.stderr, /user name and password/);
  } finally {
    await cleanup();
  }
});

test.run();
