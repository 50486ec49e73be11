/**
 * The `pack` source: what self-downloading nodes fetch, pinned from their pack's own URLs.
 * Failure modes here; the happy paths run end to end in test/e2e/self-downloads.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fnmatchRegExp, passesPatterns } from '../../src/sources/huggingface/patterns.js';
import { createPackSource } from '../../src/sources/pack/index.js';
import { resolveAll } from '../../src/sources/index.js';
import type { Resolution } from '../../src/sources/types.js';
import { startFakeHf, type FakeHf } from '../helpers/fake-hf.js';
import { type FileServer, startFileServer } from '../helpers/file-server.js';
import { request, testContext } from './harness.js';

let hf: FakeHf;
let github: FileServer;

test.before(async () => {
  hf = await startFakeHf({
    repos: [
      { id: 'org/snap', files: { 'model.safetensors': 'w', 'code/evil.py': 'import os', 'README.md': 'r' } },
      { id: 'org/gated', gated: 'manual', allow: ['hf_ok'], files: { 'g.safetensors': 'gated', 'config.json': '{}' } },
      { id: 'org/small', lfs: [], files: { 'config.json': '{"a": 1}' } },
    ],
  });
  github = await startFileServer();
  github.file('/o/r/releases/download/v1/page.pth', '<!DOCTYPE html><html><body>sign in</body></html>', { contentType: 'text/html; charset=utf-8' });
  github.file('/o/r/releases/download/v1/ok.pth', 'weights');
});
test.after(async () => {
  await hf.close();
  await github.close();
});

async function resolve(reqs: ReturnType<typeof request>[], opts: { offline?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  const t = await testContext({ hf, env: { GITHUB_ENDPOINT: github.url, ...opts.env }, offline: opts.offline });
  const results = await resolveAll(reqs, [createPackSource()], t.ctx);
  await t.ctx.close();
  return (key: string): Resolution => results.get(key)!.resolution;
}

const reason = (r: Resolution) => (r.status === 'failed' ? r.reason : r.status);

test('a release URL that serves an HTML page is not pinned; a dead one falls through to the next', async () => {
  const get = await resolve([
    request('comfyui:models/x/page.pth', { fetch: { pack: 'o/r', urls: ['https://github.com/o/r/releases/download/v1/page.pth'] } }),
    request('comfyui:models/x/ok.pth', { fetch: { pack: 'o/r', urls: ['https://github.com/o/r/releases/download/v1/gone.pth', 'https://github.com/o/r/releases/download/v1/ok.pth'] } }),
    request('comfyui:models/x/none.pth', { fetch: { pack: 'o/r', urls: ['https://github.com/o/r/releases/download/v1/gone.pth'] } }),
  ]);
  assert.is(reason(get('comfyui:models/x/page.pth')), 'not pinned: https://github.com/o/r/releases/download/v1/page.pth answers with an HTML page, not the file');
  const ok = get('comfyui:models/x/ok.pth');
  assert.is(ok.status, 'pinned');
  assert.equal(ok.status === 'pinned' && [ok.locked.url, ok.locked.mirrors], ['https://github.com/o/r/releases/download/v1/ok.pth', ['https://github.com/o/r/releases/download/v1/gone.pth']]);
  assert.is(reason(get('comfyui:models/x/none.pth')), 'https://github.com/o/r/releases/download/v1/gone.pth answered HTTP 404');
  assert.not.ok(github.requests.some((q) => q.authorization !== null), 'no token goes to a release host');
});

test('a host that cannot be asked says nothing about the file: transient, naming the public host only', async () => {
  const down = await resolve([request('comfyui:models/x/a.pth', { fetch: { pack: 'o/r', urls: ['https://github.com/o/r/releases/download/v1/a.pth'] } })], { env: { GITHUB_ENDPOINT: 'http://127.0.0.1:9' } });
  assert.equal(down('comfyui:models/x/a.pth'), { status: 'failed', reason: 'github.com unavailable; the next build asks again', transient: 'unavailable' });
  const offline = await resolve([request('comfyui:models/x/a.pth', { fetch: { pack: 'o/r', urls: ['https://github.com/o/r/releases/download/v1/a.pth'] } })], { offline: true });
  assert.equal(offline('comfyui:models/x/a.pth'), { status: 'failed', reason: 'github.com not asked (offline)', transient: 'offline' });
});

test('a snapshot whose files would land as code in a pack folder is refused whole; patterns filter first', async () => {
  const get = await resolve([
    request('comfyui:custom_nodes/SomePack/ckpts/snap/', { fetch: { pack: 'o/SomePack', snapshot: { repo: 'org/snap', revision: 'main' } } }),
    request('comfyui:custom_nodes/SomePack/ckpts/clean/', { fetch: { pack: 'o/SomePack', snapshot: { repo: 'org/snap', revision: 'main', ignore: ['*.py'] } } }),
    request('comfyui:models/LLM/snap/', { fetch: { pack: 'o/p', snapshot: { repo: 'org/snap', revision: 'main', allow: ['nothing*'] } } }),
  ]);
  assert.match(reason(get('comfyui:custom_nodes/SomePack/ckpts/snap/')), 'not pinned: code/evil.py in org/snap: code (a .py, .pyc or native library, .git, __pycache__) is never installed into a pack folder');
  const clean = get('comfyui:custom_nodes/SomePack/ckpts/clean/');
  assert.equal(clean.status === 'pinned' && Object.keys(clean.locked.files!), ['README.md', 'model.safetensors']);
  assert.is(reason(get('comfyui:models/LLM/snap/')), "no file of org/snap at main passes the pack's patterns");
});

test('a gated repository: the licence reason, for a file and for a snapshot', async () => {
  const get = await resolve([
    request('hf-cache:models/org/gated@main/g.safetensors', { fetch: { pack: 'o/p', urls: ['https://huggingface.co/org/gated/resolve/main/g.safetensors'] } }),
    request('hf-cache:models/org/gated@main/', { fetch: { pack: 'o/p', snapshot: { repo: 'org/gated', revision: 'main' } } }),
  ]);
  for (const key of ['hf-cache:models/org/gated@main/g.safetensors', 'hf-cache:models/org/gated@main/']) {
    assert.is(reason(get(key)), 'gated repository org/gated: accept the licence at https://huggingface.co/org/gated and set HF_TOKEN', key);
  }
});

test('the cache layout comes from the key: a URL of another file or repository is refused', async () => {
  const get = await resolve([
    request('hf-cache:models/org/small@main/config.json', { fetch: { pack: 'o/p', urls: ['https://huggingface.co/org/small/resolve/main/config.json'] } }),
    request('hf-cache:models/org/other@main/config.json', { fetch: { pack: 'o/p', urls: ['https://huggingface.co/org/small/resolve/main/config.json'] } }),
    request('hf-cache:models/org/small@main/x.bin', { fetch: { pack: 'o/p', urls: ['https://github.com/o/r/releases/download/v1/ok.pth'] } }),
  ]);
  const small = get('hf-cache:models/org/small@main/config.json');
  assert.is(small.status, 'pinned');
  // Outside LFS: hashed from its bytes, and named in the cache by its git blob sha1.
  assert.equal(small.status === 'pinned' && [small.locked.hashOrigin, small.locked.etag?.length, small.locked.etag === small.locked.sha256], ['computed', 40, false]);
  assert.is(reason(get('hf-cache:models/org/other@main/config.json')), 'not pinned: https://huggingface.co/org/small/resolve/main/config.json is not the file hf-cache:models/org/other@main/config.json names');
  assert.match(reason(get('hf-cache:models/org/small@main/x.bin')), 'only those go into the Hugging Face cache');
});

test('allow/ignore patterns follow fnmatch: * crosses folders, a trailing / means the whole folder', () => {
  assert.ok(fnmatchRegExp('*.bin').test('sub/dir/pytorch_model.bin'));
  assert.not.ok(fnmatchRegExp('*.bin').test('model.safetensors'));
  assert.ok(fnmatchRegExp('onnx/').test('onnx/model.onnx'));
  assert.ok(fnmatchRegExp('model-0000?-of-*.safetensors').test('model-00001-of-00002.safetensors'));
  assert.ok(fnmatchRegExp('[!a]*.json').test('config.json'));
  assert.not.ok(fnmatchRegExp('[!c]*.json').test('config.json'));
  assert.not.ok(fnmatchRegExp('Config.json').test('config.json'), 'case-sensitive');
  assert.ok(fnmatchRegExp('a.b').test('a.b') && !fnmatchRegExp('a.b').test('axb'), 'a dot is a dot');
  assert.ok(passesPatterns('x.json', ['*.json'], ['*.bin']));
  assert.not.ok(passesPatterns('x.bin', ['*'], ['*.bin']));
  assert.not.ok(passesPatterns('x.txt', ['*.json'], undefined));
});

test.run();
