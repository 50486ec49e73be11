/**
 * Services that fail as a whole are said on the terminal, once per service and cause, with the
 * host and what to do (the lock and report.md keep each model's reason); tokens never appear.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { node, smallProject } from '../e2e/resolvers-fixture.js';
import { runCli } from '../helpers/cli.js';
import { startFakeCivitai } from '../helpers/fake-civitai.js';
import { startFakeServer } from '../helpers/fake-server.js';
import { tempDir } from '../helpers/tmp.js';

const BAD_TOKEN = 'civ_SENTINEL_refused_7f3a';

test('civitai refusing the token and huggingface unreachable: one warning each, naming host, cause, count and what to do', async () => {
  const civitai = await startFakeCivitai({
    tokens: ['civ_good'],
    versions: [1, 2].map((i) => ({ id: i * 100, modelId: i, modelName: `M${i}`, files: [{ id: i * 1000, name: `s${i}.safetensors`, content: `style ${i}` }] })),
  });
  const gone = await startFakeServer(() => {});
  await gone.close();
  const { dir, cleanup } = await tempDir('comfygen-fail-');
  try {
    await smallProject(dir, [
      node(1, 'VAELoader', 'ae.safetensors', [{ name: 'ae.safetensors', directory: 'vae', url: 'https://huggingface.co/org/flux/resolve/main/ae.safetensors' }]),
      ...[1, 2].map((i) => node(1 + i, 'LoraLoaderModelOnly', `s${i}.safetensors`, [{ name: `s${i}.safetensors`, directory: 'loras', url: `https://civitai.com/api/download/models/${i * 100}` }])),
    ], [{ type: 'huggingface', repos: [] }, { type: 'civitai' }]);
    const env = { HF_ENDPOINT: gone.url, CIVITAI_ENDPOINT: civitai.url, CIVITAI_API_TOKEN: BAD_TOKEN, COMFYGEN_API_RETRIES: '0' };
    const r = await runCli(['build'], dir, env);
    assert.is(r.code, 0, r.stderr);
    const civitaiHost = new URL(civitai.url).host.replace(/\./g, '\\.');
    const hfHost = new URL(gone.url).host.replace(/\./g, '\\.');
    assert.match(r.stderr, new RegExp(`^warning: civitai refused CIVITAI_API_TOKEN \\(HTTP 401\\) at ${civitaiHost} \\(via CIVITAI_ENDPOINT\\); 2 models unresolved \\[source-failed\\]\\n  → check the token \\(civitai\\.com > Account settings > API Keys\\)$`, 'm'));
    assert.match(r.stderr, new RegExp(`^warning: huggingface is unreachable at ${hfHost} \\(via HF_ENDPOINT\\): network error \\(ECONNREFUSED\\); 1 model unresolved \\[source-failed\\]\\n  → check the network and HF_ENDPOINT; \`comfygen build --offline\` builds from the lock and the cache meanwhile$`, 'm'));
    assert.match(r.stdout, /unresolved 3 \(3 needed by active nodes\)$/m);
    for (const text of [r.stdout, r.stderr]) assert.not.match(text, 'SENTINEL');

    const json = await runCli(['build', '--json'], dir, env);
    const failures = JSON.parse(json.stdout).diagnostics.filter((d: { code: string }) => d.code === 'source-failed');
    assert.is(failures.length, 2);
    assert.not.match(json.stdout + json.stderr, 'SENTINEL');
  } finally {
    await civitai.close();
    await cleanup();
  }
});

test.run();
