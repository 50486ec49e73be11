import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stripCredentials } from '../../src/scan/refs/credentials.js';
import { extractRefs, normalizeModelUrl, scanBytes } from '../../src/scan/index.js';
import { apiNode, uiNode, uiWorkflow } from './builders.js';

const SECRETS = ['civ-secret-1111', 'hf_secret2222', 'pass-secret-3333', 'key-secret-4444', 'api-secret-5555'];
const leaked = (value: unknown) => SECRETS.filter((s) => JSON.stringify(value).includes(s));

test('stripCredentials: secret parameters (any case) and user:password@ go, harmless parameters stay byte for byte', () => {
  const civitai = 'https://civitai.com/api/download/models/128713?type=Model&format=SafeTensor&size=pruned&fp=fp16';
  assert.equal(stripCredentials(`${civitai}&token=${SECRETS[0]}`), { url: civitai, removed: ['token'] });
  assert.equal(stripCredentials(`https://civitai.com/api/download/models/1?Token=${SECRETS[0]}`), { url: 'https://civitai.com/api/download/models/1', removed: ['Token'] });
  for (const name of ['api_key', 'APIKEY', 'access_token', 'hf_token', 'auth', 'key', 'X-Amz-Signature', 'tok%65n']) {
    const r = stripCredentials(`https://example.com/m.safetensors?download=true&${name}=${SECRETS[3]}&format=fp16`)!;
    assert.is(r.url, 'https://example.com/m.safetensors?download=true&format=fp16', name);
  }
  assert.equal(stripCredentials(`https://me:${SECRETS[2]}@example.com/m.safetensors`), { url: 'https://example.com/m.safetensors', removed: ['user:password@'] });
  assert.equal(stripCredentials(`https://${SECRETS[1]}@huggingface.co/o/r/resolve/main/a.safetensors`)?.removed, ['user:password@']);
  assert.equal(stripCredentials(`https://example.com/m.safetensors#access_token=${SECRETS[0]}&x=1`), { url: 'https://example.com/m.safetensors#x=1', removed: ['access_token'] });
  // Names that merely contain a secret word are not secrets.
  const keep = 'https://example.com/m.safetensors?keyframe=2&tokenizer=t5&monkey=1';
  assert.equal(stripCredentials(keep), { url: keep, removed: [] });
  assert.is(stripCredentials('just a prompt'), null);
});

test('normalizeModelUrl never returns a token, and still normalizes Hugging Face URLs', () => {
  assert.is(normalizeModelUrl(`https://huggingface.co/o/r/blob/main/a.safetensors?download=true&token=${SECRETS[1]}`), 'https://huggingface.co/o/r/resolve/main/a.safetensors');
  assert.is(normalizeModelUrl(`https://civitai.com/api/download/models/7?api_key=${SECRETS[4]}`), 'https://civitai.com/api/download/models/7');
});

test('UI workflow: embedded URLs, mirrors and widget values are recorded without credentials, one warning per URL', () => {
  const civitai = 'https://civitai.com/api/download/models/4242?type=Model&format=SafeTensor';
  const wf = uiWorkflow([
    uiNode({ id: 1, type: 'CheckpointLoaderSimple', widgets: ['dream.safetensors'], properties: { models: [
      { name: 'dream.safetensors', directory: 'checkpoints', url: `${civitai}&token=${SECRETS[0]}` },
      { name: 'dream.safetensors', directory: 'checkpoints', url: `https://huggingface.co/o/r/blob/main/dream.safetensors?hf_token=${SECRETS[1]}` },
    ] } }),
    uiNode({ id: 2, type: 'LoraLoader', widgets: ['style.safetensors', 1, 1], properties: { models: [
      { name: 'style.safetensors', directory: 'loras', url: `${civitai}&token=${SECRETS[0]}` },
    ] } }),
    // A loader value that is a URL becomes a ref name as written: it must not keep the key.
    uiNode({ id: 3, type: 'VAELoader', widgets: [`https://example.com/vae.safetensors?key=${SECRETS[3]}`] }),
  ], { models: [{ name: 'extra.safetensors', directory: 'loras', url: `https://me:${SECRETS[2]}@example.com/extra.safetensors` }] });
  const { refs, diagnostics } = extractRefs(wf, 'wf.json');

  assert.equal(leaked({ refs, diagnostics }), []);
  const byName = Object.fromEntries(refs.map((r) => [r.name, r]));
  assert.is(byName['dream.safetensors']!.embedded?.url, civitai);
  assert.equal(byName['dream.safetensors']!.mirrors, ['https://huggingface.co/o/r/resolve/main/dream.safetensors']);
  assert.is(byName['style.safetensors']!.embedded?.url, civitai);
  assert.is(byName['extra.safetensors']!.embedded?.url, 'https://example.com/extra.safetensors');
  assert.ok(byName['https://example.com/vae.safetensors'], 'the URL-valued loader ref is kept, stripped');

  const warnings = diagnostics.filter((d) => d.code === 'credential-in-url');
  assert.is(warnings.length, 4, 'the Civitai URL used twice is reported once');
  assert.ok(warnings.every((d) => d.severity === 'warning' && d.file === 'wf.json'));
  assert.match(warnings.find((d) => d.message.includes('civitai'))!.message, /query parameter token\b/);
  assert.match(warnings.find((d) => d.message.includes('civitai'))!.hint!, /CIVITAI_TOKEN/);
  assert.match(warnings.find((d) => d.message.includes('huggingface'))!.hint!, /HF_TOKEN/);
  assert.match(warnings.find((d) => d.message.includes('extra'))!.message, /user name and password/);
  assert.equal(diagnostics.filter((d) => d.code !== 'credential-in-url'), []);
});

test('the caller\'s workflow object is left as it was', () => {
  const value = `https://example.com/vae.safetensors?key=${SECRETS[3]}`;
  const wf = uiWorkflow([uiNode({ id: 3, type: 'VAELoader', widgets: [value] })]);
  extractRefs(wf, 'wf.json');
  assert.equal((wf.nodes as { widgets_values: string[] }[])[0]!.widgets_values, [value]);
});

test('API workflow: literal and linked URL values lose their credentials; unrelated text is untouched', () => {
  const prompt = {
    1: apiNode('CheckpointLoaderSimple', { ckpt_name: `https://civitai.com/api/download/models/9?token=${SECRETS[0]}` }),
    2: apiNode('PrimitiveString', { value: `https://example.com/l.safetensors?api_key=${SECRETS[4]}` }),
    3: apiNode('LoraLoader', { lora_name: ['2', 0], model: ['1', 0], clip: ['1', 1], strength_model: 1, strength_clip: 1 }),
    4: apiNode('CLIPTextEncode', { text: 'a castle, token=harmless prose', clip: ['1', 1] }),
  };
  const bytes = new TextEncoder().encode(JSON.stringify(prompt));
  const wf = scanBytes('api.json', bytes);
  assert.is(wf.graph, 'api');
  assert.equal(leaked(wf), []);
  assert.equal(wf.refs.map((r) => `${r.folder}/${r.name}`), [
    'checkpoints/https://civitai.com/api/download/models/9',
    'loras/https://example.com/l.safetensors',
  ]);
  assert.equal(wf.diagnostics.map((d) => [d.code, d.severity]), [['credential-in-url', 'warning'], ['credential-in-url', 'warning']]);
  assert.ok(wf.diagnostics.every((d) => /query parameter (token|api_key)\b/.test(d.message)));
});

test('a non-http URL with credentials is ignored without quoting them', () => {
  const wf = uiWorkflow([], { models: [{ name: 'x.safetensors', directory: 'loras', url: `ftp://me:${SECRETS[2]}@example.com/x.safetensors` }] });
  const { refs, diagnostics } = extractRefs(wf, 'wf.json');
  assert.equal(leaked({ refs, diagnostics }), []);
  assert.equal(diagnostics.map((d) => d.code).sort(), ['credential-in-url', 'invalid-embedded-model']);
  assert.is(refs[0]!.embedded, null);
});

test('foreign values quoted in other diagnostics carry no credentials either', () => {
  const wf = uiWorkflow([uiNode({ id: 1, type: 'SomePackNode', properties: { aux_id: `https://me:${SECRETS[2]}@github.com/o/r?token=${SECRETS[0]}` } })]);
  const { diagnostics } = extractRefs(wf, 'wf.json');
  assert.equal(diagnostics.map((d) => d.code), ['invalid-pack-metadata']);
  assert.match(diagnostics[0]!.message, /"https:\/\/github\.com\/o\/r"/);
  assert.equal(leaked(diagnostics), []);
});

test('credentials go wherever a URL hides: Power Lora objects, prompt text, URLs the parser refuses, models names', () => {
  const wf = uiWorkflow([
    // rgthree keeps each LoRA as an object; its `lora` becomes the ref name.
    uiNode({ id: 1, type: 'Power Lora Loader (rgthree)', widgets: [{}, { on: true, lora: `https://civitai.com/api/download/models/3?token=${SECRETS[0]}`, strength: 1 }, {}, ''] }),
    // An embedding named by URL inside a prompt: the prompt is no URL, the name is.
    uiNode({ id: 2, type: 'CLIPTextEncode', widgets: [`a photo embedding:https://civitai.com/e.pt?token=${SECRETS[0]} nice`] }),
    // Port 99999: the WHATWG parser refuses the URL, the token must go all the same.
    uiNode({ id: 3, type: 'VAELoader', widgets: [`https://civitai.com:99999/api/download/models/1?type=Model&hf_token=${SECRETS[1]}`] }),
    uiNode({ id: 4, type: 'UnknownPackLoader', widgets: [`https://me:${SECRETS[2]}@bad host/x.safetensors`] }),
  ], { models: [
    { name: `https://civitai.com/n.safetensors?api_key=${SECRETS[4]}`, directory: 'loras' },
    { name: 'x.safetensors', directory: 'loras', url: `https://civitai.com:99999/api/download/models/1?token=${SECRETS[0]}` },
  ] });
  const { refs, diagnostics } = extractRefs(wf, 'wf.json');
  assert.equal(leaked({ refs, diagnostics }), []);
  const names = refs.map((r) => `${r.folder}/${r.name}`);
  assert.ok(names.includes('loras/https://civitai.com/api/download/models/3'), names.join('\n'));
  assert.ok(names.includes('embeddings/https://civitai.com/e.pt'), names.join('\n'));
  assert.ok(names.includes('vae/https://civitai.com:99999/api/download/models/1?type=Model'), names.join('\n'));
  assert.ok(names.includes('loras/https://civitai.com/n.safetensors'), names.join('\n'));
  const warnings = diagnostics.filter((d) => d.code === 'credential-in-url');
  assert.ok(warnings.length >= 5, diagnostics.map((d) => d.message).join('\n'));
  assert.ok(warnings.some((d) => /value is recorded as "a photo embedding:https:\/\/civitai\.com\/e\.pt nice"/.test(d.message)));
  assert.ok(warnings.some((d) => /user name and password/.test(d.message)));
});

test.run();
