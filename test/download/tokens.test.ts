import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startFileServer, type FileServer } from '../helpers/file-server.js';
import { tempDir } from '../helpers/tmp.js';
import { baseEnv, bytes, lockOf, pin, runScript, sha256, summary, writeScript } from './harness.js';

const HF_TOKEN = 'hf_SENTINELhftoken0123456789';
const CIVITAI_TOKEN = 'civSENTINELcivitaitoken9876';
const REV = 'a'.repeat(40);

let hf: FileServer;
let civitai: FileServer;
let storage: FileServer;
let tmp: { dir: string; cleanup: () => Promise<void> };
test.before(async () => {
  // Two API hosts on 127.0.0.1 and a storage host on 127.0.0.2: a different host, as a CDN is.
  hf = await startFileServer();
  civitai = await startFileServer();
  storage = await startFileServer({ host: '127.0.0.2' });
  tmp = await tempDir('comfygen-dl-tokens-');
});
test.after(async () => {
  await Promise.all([hf.close(), civitai.close(), storage.close()]);
  await tmp.cleanup();
});

/** Every process's argv, and the environment of curl processes, as seen by any local user. */
function sentinelInProcessTable(found: Set<string>, seenCurl: { count: number }) {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let cmdline = '';
    try { cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1'); } catch { continue; }
    for (const token of [HF_TOKEN, CIVITAI_TOKEN]) if (cmdline.includes(token)) found.add(`argv of ${pid}: ${token}`);
    if (cmdline.startsWith('curl\0')) {
      seenCurl.count++;
      try {
        const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
        for (const token of [HF_TOKEN, CIVITAI_TOKEN]) if (environ.includes(token)) found.add(`environment of curl ${pid}`);
      } catch { /* exited meanwhile */ }
    }
  }
}

/** Polls the process table while a run lasts: tokens in any argv or in a curl's environment. */
function watchProcessTable(): { stop(): Promise<{ found: Set<string>; seenCurl: { count: number } }> } {
  const found = new Set<string>();
  const seenCurl = { count: 0 };
  let polling = true;
  const poller = (async () => {
    while (polling) {
      sentinelInProcessTable(found, seenCurl);
      await new Promise((r) => setTimeout(r, 15));
    }
  })();
  return {
    async stop() {
      polling = false;
      await poller;
      return { found, seenCurl };
    },
  };
}

test('each token goes to its own host only, never across a redirect, never into argv or output', async () => {
  const hfBody = bytes(120_000, 1);
  const civBody = bytes(120_000, 2);
  const otherBody = bytes(20_000, 3);
  const crossBody = bytes(20_000, 4);
  const hfPath = `/org/gated/resolve/${REV}/flux.safetensors`;
  hf.file(hfPath, '', { requireAuth: `Bearer ${HF_TOKEN}` });
  hf.redirect(hfPath, `${storage.url}/xet/flux?X-Amz-Signature=abc`, 302);
  storage.file('/xet/flux', hfBody, { chunkSize: 8192, chunkDelayMs: 25 });
  const civPath = '/api/download/models/123';
  civitai.file(civPath, '', { requireAuth: `Bearer ${CIVITAI_TOKEN}` });
  civitai.redirect(civPath, `${storage.url}/civ/lora?sig=1`, 307);
  storage.file('/civ/lora', civBody, { chunkSize: 8192, chunkDelayMs: 25 });
  storage.file('/plain/other.safetensors', otherBody);
  // Pinned with auth 'civitai' yet hosted on Hugging Face: no token may go there.
  hf.file(`/org/public/resolve/${REV}/cross.safetensors`, crossBody);

  const dir = join(tmp.dir, 'hosts');
  const script = await writeScript(dir, lockOf({
    'diffusion_models/flux.safetensors': pin(`https://huggingface.co${hfPath}`, hfBody, { source: 'huggingface', auth: 'huggingface' }),
    'loras/lora.safetensors': pin(`https://civitai.com${civPath}?type=Model&format=SafeTensor`, civBody, { source: 'civitai', auth: 'civitai' }),
    'loras/other.safetensors': pin(`${storage.url}/plain/other.safetensors`, otherBody),
    'vae/cross.safetensors': pin(`https://huggingface.co/org/public/resolve/${REV}/cross.safetensors`, crossBody, { auth: 'civitai' }),
  }));
  const env = {
    ...baseEnv(dir),
    MODELS_DIR: join(dir, 'models'),
    HF_ENDPOINT: hf.url,
    CIVITAI_ENDPOINT: `${civitai.url}/`,
    HF_TOKEN,
    CIVITAI_TOKEN,
  };

  const watch = watchProcessTable();
  const r = await runScript(script, ['--jobs', '4'], { env });
  const { found, seenCurl } = await watch.stop();

  assert.is(r.code, 0, r.output);
  assert.equal(summary(r.output), { downloaded: 4, skipped: 0, failed: 0, unresolved: 0 });
  assert.is(sha256(await readFile(join(dir, 'models/diffusion_models/flux.safetensors'))), sha256(hfBody));
  assert.is(sha256(await readFile(join(dir, 'models/loras/lora.safetensors'))), sha256(civBody));
  assert.ok(seenCurl.count > 0, 'the poller saw curl running');
  assert.equal([...found], []);
  assert.not.ok(r.output.includes(HF_TOKEN) || r.output.includes(CIVITAI_TOKEN));
  assert.not.ok(r.output.includes('X-Amz-Signature'), 'signed query strings stay out of the log');

  const hfAuth = hf.requests.map((q) => `${q.url.split('/').pop()} ${q.authorization}`).sort();
  assert.equal(hfAuth, ['cross.safetensors null', `flux.safetensors Bearer ${HF_TOKEN}`]);
  assert.equal(civitai.requests.map((q) => q.authorization), [`Bearer ${CIVITAI_TOKEN}`]);
  assert.is(civitai.requests[0]!.url, `${civPath}?type=Model&format=SafeTensor`, 'endpoint rewrite keeps path and query');
  assert.ok(storage.requests.length >= 3);
  assert.equal(storage.requests.filter((q) => q.authorization !== null), [], 'no token crossed a redirect');
});

test('over several connections too: every chunk request carries the token to its own host only, none crosses a redirect or lands in argv', async () => {
  const body = bytes(1_500_000, 5);
  const path = `/org/big/resolve/${REV}/big.safetensors`;
  hf.redirect(path, `${storage.url}/xet/big?X-Amz-Signature=def`, 302);
  storage.file('/xet/big', body, { chunkSize: 8192, chunkDelayMs: 10 });
  const dir = join(tmp.dir, 'split');
  const script = await writeScript(dir, lockOf({
    'diffusion_models/big.safetensors': pin(`https://huggingface.co${path}`, body, { source: 'huggingface', auth: 'huggingface' }),
  }));
  const env = { ...baseEnv(dir), MODELS_DIR: join(dir, 'models'), HF_ENDPOINT: hf.url, HF_TOKEN, COMFYGEN_CHUNK_KIB: '128' };
  const watch = watchProcessTable();
  const r = await runScript(script, ['--connections', '4'], { env });
  const { found, seenCurl } = await watch.stop();
  assert.is(r.code, 0, r.output);
  assert.is(sha256(await readFile(join(dir, 'models/diffusion_models/big.safetensors'))), sha256(body));
  assert.ok(seenCurl.count > 0, 'the poller saw curl running');
  assert.equal([...found], []);
  assert.not.ok(r.output.includes(HF_TOKEN) || r.output.includes('X-Amz-Signature'));
  const chunks = storage.requestsFor('/xet/big').filter((q) => /^bytes=\d+-\d+$/.test(q.range ?? ''));
  assert.ok(chunks.length >= 5, `chunks came over several requests (${chunks.length})`);
  assert.equal(hf.requestsFor(path).map((q) => q.authorization), Array(hf.requestsFor(path).length).fill(`Bearer ${HF_TOKEN}`));
  assert.equal(storage.requestsFor('/xet/big').filter((q) => q.authorization !== null), [], 'no token crossed a redirect');
});

test('a refused request names the token to set and the page to visit, without the token', async () => {
  const path = `/org/gated2/resolve/${REV}/m.safetensors`;
  hf.file(path, 'x', { requireAuth: 'Bearer something-else' });
  const civPath = '/api/download/models/456';
  civitai.file(civPath, 'x', { requireAuth: 'Bearer something-else' });
  const dir = join(tmp.dir, 'refused');
  const script = await writeScript(dir, lockOf({
    'checkpoints/m.safetensors': pin(`https://huggingface.co${path}`, 'x', { auth: 'huggingface' }),
    'loras/c.safetensors': pin(`https://civitai.com${civPath}`, 'x', { auth: 'civitai' }),
  }));
  const env = { ...baseEnv(dir), MODELS_DIR: join(dir, 'models'), HF_ENDPOINT: hf.url, CIVITAI_ENDPOINT: civitai.url };
  const anonymous = await runScript(script, [], { env });
  assert.is(anonymous.code, 1);
  assert.match(anonymous.stderr, /HTTP 401 \(set HF_TOKEN to a Hugging Face token that can read https:\/\/huggingface\.co\/org\/gated2 /);
  assert.match(anonymous.stderr, /HTTP 401 \(set CIVITAI_TOKEN to a Civitai API key/);
  const before = hf.requestsFor(path).length;
  const withToken = await runScript(script, [], { env: { ...env, HF_TOKEN, CIVITAI_API_TOKEN: CIVITAI_TOKEN } });
  assert.match(withToken.stderr, /HF_TOKEN was refused: check that it can read https:\/\/huggingface\.co\/org\/gated2/);
  assert.match(withToken.stderr, /CIVITAI_TOKEN was refused/);
  assert.is(hf.requestsFor(path).length, before + 1, 'auth errors are not retried');
  assert.is(hf.requestsFor(path).at(-1)!.authorization, `Bearer ${HF_TOKEN}`);
  assert.is(civitai.requestsFor(civPath).at(-1)!.authorization, `Bearer ${CIVITAI_TOKEN}`, 'CIVITAI_API_TOKEN is accepted too');
  assert.not.ok(withToken.output.includes(HF_TOKEN) || withToken.output.includes(CIVITAI_TOKEN));
});

test('a token that could break out of the curl config line is not sent at all', async () => {
  const path = `/org/inject/resolve/${REV}/i.safetensors`;
  hf.file(path, 'data');
  const dir = join(tmp.dir, 'inject');
  const script = await writeScript(dir, lockOf({ 'loras/i.safetensors': pin(`https://huggingface.co${path}`, 'data') }));
  const evil = `abc"\nurl = "${storage.url}/stolen`;
  const r = await runScript(script, [], { env: { ...baseEnv(dir), MODELS_DIR: join(dir, 'models'), HF_ENDPOINT: hf.url, HF_TOKEN: evil } });
  assert.is(r.code, 0, r.output);
  assert.match(r.stderr, /warning: HF_TOKEN contains spaces, quotes, backslashes or control characters; it is not sent/);
  assert.is(hf.requestsFor(path).at(-1)!.authorization, null);
  assert.not.ok(storage.requests.some((q) => q.url === '/stolen'));
  assert.not.ok(r.output.includes('abc"'));
});

test.run();
