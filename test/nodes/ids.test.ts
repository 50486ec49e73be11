import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nodeEndpoints } from '../../src/nodes/endpoints.js';
import { canonicalRepo, compareSemver, isAuxId, isRegistryId, isSafeDir, normalizeVersion } from '../../src/nodes/ids.js';
import { readSourceEnv } from '../../src/sources/index.js';

test('workflow versions: semver (leading v dropped), 4–40 hex lower-cased, unknown; anything else is invalid', () => {
  assert.equal(normalizeVersion('v1.2.3'), { kind: 'semver', ver: '1.2.3' });
  assert.equal(normalizeVersion(' 1.2.3-rc.1 '), { kind: 'semver', ver: '1.2.3-rc.1' });
  assert.equal(normalizeVersion('E81F33508B0821EA2F53F4F46A833FA6215626BD'), { kind: 'commit', ver: 'e81f33508b0821ea2f53f4f46a833fa6215626bd' });
  assert.equal(normalizeVersion('abcd'), { kind: 'commit', ver: 'abcd' });
  assert.equal(normalizeVersion('unknown'), { kind: 'unknown', ver: 'unknown' });
  assert.equal(normalizeVersion(null), { kind: 'unknown', ver: 'unknown' });
  for (const bad of ['abc', 'nightly', '1.2', '1.2.3; rm -rf /', '$(id)', 'a'.repeat(41)]) assert.is(normalizeVersion(bad), null, bad);
});

test('an endpoint variable that is set but empty (or blank) means the public host, not an empty endpoint', () => {
  const blank = { COMFY_REGISTRY_ENDPOINT: '', GITHUB_ENDPOINT: '  ', HF_ENDPOINT: '', CIVITAI_ENDPOINT: ' ' };
  assert.equal(nodeEndpoints(blank), { registryEndpoint: 'https://api.comfy.org', githubEndpoint: 'https://github.com' });
  const env = readSourceEnv(blank);
  assert.equal([env.hfEndpoint, env.civitaiEndpoint], ['https://huggingface.co', 'https://civitai.com']);
  assert.equal(nodeEndpoints({ COMFY_REGISTRY_ENDPOINT: 'http://127.0.0.1:9/', GITHUB_ENDPOINT: 'file:///srv/git//' }),
    { registryEndpoint: 'http://127.0.0.1:9', githubEndpoint: 'file:///srv/git' });
});

test('pack ids follow the registry and GitHub rules', () => {
  assert.ok(isRegistryId('comfyui_controlnet_aux'));
  assert.ok(isRegistryId('ComfyUI-segment-anything-2'));
  for (const bad of ['Flamin Galah', '-x', 'x-', '../x', 'a/b', '$(id)', '']) assert.not.ok(isRegistryId(bad), bad);
  assert.ok(isAuxId('kijai/ComfyUI-KJNodes'));
  for (const bad of ['kijai/..', 'a/b/c', '/b', 'a/', 'a b/c', '-a/b']) assert.not.ok(isAuxId(bad), bad);
});

test('install folders are one safe, visible path segment', () => {
  assert.ok(isSafeDir('ComfyUI-KJNodes'));
  for (const bad of ['.', '..', '.hidden', '-rf', 'a/b', 'a b', 'x.', '']) assert.not.ok(isSafeDir(bad), bad);
});

test('repository URLs are canonicalised; anything unfetchable or odd is refused', () => {
  const want = 'https://github.com/kijai/ComfyUI-KJNodes';
  for (const spelling of ['kijai/ComfyUI-KJNodes', 'https://github.com/kijai/ComfyUI-KJNodes.git', 'http://github.com/kijai/ComfyUI-KJNodes/', 'git@github.com:kijai/ComfyUI-KJNodes.git', 'https://www.github.com/kijai/ComfyUI-KJNodes']) {
    assert.is(canonicalRepo(spelling), want, spelling);
  }
  assert.is(canonicalRepo('https://gitlab.com/group/sub/pack.git'), 'https://gitlab.com/group/sub/pack');
  for (const bad of ['ext::sh -c touch% /tmp/x', 'file:///etc', '--upload-pack=touch', 'https://github.com/a/b$(id)', 'http://gitlab.com/a/b', 'https://evil.com/a/../b', 'https://github.com/a']) {
    assert.is(canonicalRepo(bad), null, bad);
  }
});

test('semver precedence: numeric parts, then pre-releases below releases', () => {
  const sorted = ['1.10.0', '1.9.0', '1.0.0-rc.1', '1.0.0', '1.0.0-alpha', '1.0.0-rc.10', '1.0.0-rc.2'].sort(compareSemver);
  assert.equal(sorted, ['1.0.0-alpha', '1.0.0-rc.1', '1.0.0-rc.2', '1.0.0-rc.10', '1.0.0', '1.9.0', '1.10.0']);
});

test.run();
