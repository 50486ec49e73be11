/**
 * Hostile input, class 3: a server that echoes the token it was sent. Whole (a file name, an
 * answer the cache keeps) or in part (a message comfygen cuts short, the start of an HTML page, a
 * server's own preview of the key), no part of it may reach the lock, an output, the cache or the
 * terminal.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cutTokens } from '../../src/sources/tokens.js';
import { runCli } from '../helpers/cli.js';
import { sendJson, startFakeServer } from '../helpers/fake-server.js';
import { tempDir } from '../helpers/tmp.js';
import { uiNode, uiWorkflow } from '../scan/builders.js';

const TOKEN = 'civ_Zq8RkT3mWx9LpV2nHs7Yd4Fg';
const SHA = 'AB'.repeat(32);

/** Every run of 6 characters of the token: none may appear anywhere. */
function pieces(): string[] {
  return Array.from({ length: TOKEN.length - 5 }, (_, i) => TOKEN.slice(i, i + 6));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map((p) => join(dir, String(p))).filter((p) => statSync(p).isFile());
}

test('cutTokens: whole tokens and runs of 6 or more of their characters go, the rest of the text stays', () => {
  const cut = (text: string) => cutTokens(text, [TOKEN, null], 6);
  assert.is(cut(`a ${TOKEN} b`), 'a <token> b');
  assert.is(cut(`key ${TOKEN.slice(0, 10)}… refused`), 'key <token>… refused');
  assert.is(cut(`tail ${TOKEN.slice(-7)}`), 'tail <token>');
  assert.is(cut(`short ${TOKEN.slice(3, 8)} stays`), `short ${TOKEN.slice(3, 8)} stays`);
  assert.is(cut('nothing here'), 'nothing here');
  assert.is(cut(`${TOKEN}${TOKEN}x`), '<token><token>x');
  // Without a fragment length, whole tokens only (text comfygen wrote itself).
  assert.is(cutTokens(`${TOKEN} and ${TOKEN.slice(0, 10)}`, [TOKEN]), `<token> and ${TOKEN.slice(0, 10)}`);
});

test('a Civitai that echoes the token (file name, long error, its own preview, an HTML page): no piece of it is kept or shown anywhere', async () => {
  const version = (id: number, name: string) => ({
    id, modelId: id / 10, name: 'v1', publishedAt: '2024-01-01T00:00:00.000Z', model: { name: 'Echo', type: 'LORA' },
    files: [{ id: id * 10, name, sizeKB: 1, type: 'Model', primary: true, metadata: { format: 'SafeTensor' }, hashes: { SHA256: SHA } }],
  });
  const civitai = await startFakeServer((req, res) => {
    switch (req.url.pathname) {
      case '/api/v1/model-versions/100':
        return sendJson(res, 200, version(100, `${TOKEN}.safetensors`));
      case '/api/v1/model-versions/200':
        return sendJson(res, 401, { error: `${'x'.repeat(290)} ${TOKEN} was refused` });
      case '/api/v1/model-versions/300':
        return sendJson(res, 403, { message: `key ${TOKEN.slice(0, 10)}… has no access` });
      case '/api/v1/model-versions/400':
        res.writeHead(200, { 'content-type': 'text/html' });
        return void res.end(`<!doctype html><p>${'y'.repeat(40)} ${TOKEN} is not welcome</p>`);
      default:
        return sendJson(res, 404, { error: 'Model not found' });
    }
  });
  const { dir, cleanup } = await tempDir('comfygen-echo-');
  try {
    await mkdir(join(dir, 'wf'));
    const lora = (id: number, name: string) => uiNode({ id, type: 'LoraLoaderModelOnly', widgets: [name, 1],
      properties: { models: [{ name, directory: 'loras', url: `https://civitai.com/api/download/models/${id}00` }] } });
    await writeFile(join(dir, 'wf', 'a.json'), JSON.stringify(uiWorkflow([lora(1, 'a.safetensors'), lora(2, 'b.safetensors'), lora(3, 'c.safetensors'), lora(4, 'd.safetensors')])));
    await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({ workflows: ['wf/*.json'], sources: [{ type: 'civitai' }] }));
    const env = { CIVITAI_ENDPOINT: civitai.url, CIVITAI_TOKEN: TOKEN, COMFYGEN_API_RETRIES: '0' };
    const runs = [await runCli(['build'], dir, env), await runCli(['build', '--json'], dir, env), await runCli(['why', 'b.safetensors'], dir, env)];
    assert.ok(civitai.requests.some((r) => r.authorization === `Bearer ${TOKEN}`), 'the token was sent');
    const lock = JSON.parse(readFileSync(join(dir, 'comfy.lock.json'), 'utf8'));
    assert.ok(lock.models['loras/a.safetensors'].locked, 'the echoing file is still pinned');
    assert.match(lock.models['loras/b.safetensors'].unresolved.reason, /^civitai: Civitai refused CIVITAI_TOKEN for \S+ \(x{200}/, 'the server\'s words are kept, cut short');
    const everything = [
      ...runs.flatMap((r) => [r.stdout, r.stderr]),
      ...filesUnder(dir).map((p) => `${p}\n${readFileSync(p, 'latin1')}`),
    ];
    assert.ok(filesUnder(join(dir, '.comfygen', 'sources')).length > 0, 'the cache was written');
    for (const text of everything) {
      for (const piece of pieces()) assert.not.ok(text.includes(piece), `${JSON.stringify(piece)} in ${text.slice(0, 200)}`);
    }
  } finally {
    await civitai.close();
    await cleanup();
  }
});

test.run();
