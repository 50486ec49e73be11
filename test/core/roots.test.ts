/** Lock keys outside MODELS_DIR: what they mean, and which ones download.sh may never install. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hfCacheFolder, hfCacheKey, parseKey } from '../../src/core/roots.js';
import { unsafeKey } from '../../src/pipeline/demand.js';

test('each root parses into where the file goes', () => {
  assert.equal(parseKey('loras/x.safetensors'), { root: 'models', folder: 'loras', name: 'x.safetensors' });
  assert.equal(parseKey('comfyui:models/sam2/x.safetensors'), { root: 'comfyui', area: 'models', path: 'sam2/x.safetensors', folder: false });
  assert.equal(parseKey('comfyui:models/LLM/Florence-2-base/'), { root: 'comfyui', area: 'models', path: 'LLM/Florence-2-base', folder: true });
  assert.equal(parseKey('comfyui:custom_nodes/comfyui_controlnet_aux/ckpts/lllyasviel/Annotators/sk_model.pth'),
    { root: 'comfyui', area: 'custom_nodes', pack: 'comfyui_controlnet_aux', path: 'ckpts/lllyasviel/Annotators/sk_model.pth', folder: false });
  assert.equal(parseKey('hf-cache:models/QuanSun/EVA-CLIP@main/EVA02_CLIP_L_336_psz14_s6B.pt'),
    { root: 'hf-cache', type: 'model', repo: 'QuanSun/EVA-CLIP', revision: 'main', path: 'EVA02_CLIP_L_336_psz14_s6B.pt', folder: false });
  assert.equal(parseKey('hf-cache:datasets/Gourieff/ReActor@v1/models/a.pth'),
    { root: 'hf-cache', type: 'dataset', repo: 'Gourieff/ReActor', revision: 'v1', path: 'models/a.pth', folder: false });
  assert.equal(parseKey('hf-cache:models/CIDAS/clipseg-rd64-refined@main/'),
    { root: 'hf-cache', type: 'model', repo: 'CIDAS/clipseg-rd64-refined', revision: 'main', path: '', folder: true });
  assert.is(hfCacheKey('model', 'bert-base-uncased', 'main', 'config.json'), 'hf-cache:models/bert-base-uncased@main/config.json');
  assert.is(hfCacheFolder('dataset', 'Gourieff/ReActor'), 'datasets--Gourieff--ReActor');
});

test('keys that would leave their root, replace code, or name no repository are refused', () => {
  const refused: [string, string][] = [
    ['comfyui:models/../main.py', "'..', '.' or empty path segment"],
    ['comfyui:models//etc/passwd', 'absolute path'],
    ['comfyui:main.py', 'comfyui: keys lie under models/ or custom_nodes/<pack>/'],
    ['comfyui:custom_nodes/../x/ckpts/a.pth', 'is not a plain folder name'],
    ['comfyui:custom_nodes/Pack/requirements.txt', 'must lie in a subfolder'],
    ['comfyui:custom_nodes/Pack/__init__.py', 'must lie in a subfolder'],
    ['comfyui:custom_nodes/Pack/ckpts/loader.py', 'is never installed into a pack folder'],
    ['comfyui:custom_nodes/Pack/nodes/_C.so', 'is never installed into a pack folder'],
    ['comfyui:custom_nodes/Pack/.git/hooks/post-checkout', 'is never installed into a pack folder'],
    ['comfyui:models/x/a.pth.part', '.part'],
    ['comfyui:models/a\nb.pth', 'control character'],
    ['hf-cache:models/../../x@main/a', 'is not a Hugging Face repository id'],
    ['hf-cache:models/a--b/c@main/x', 'is not a Hugging Face repository id'],
    ['hf-cache:models/org/repo@../../x/a', 'is not a branch, tag or commit name'],
    ['hf-cache:models/org/repo/a.bin', 'name the revision'],
    ['hf-cache:other/org/repo@main/a', 'start with models/, datasets/ or spaces/'],
    ['hf-cache:models/org/repo@main/../../../x', "'..', '.' or empty path segment"],
  ];
  for (const [key, why] of refused) {
    const problem = unsafeKey(key);
    assert.ok(problem?.includes(why), `${JSON.stringify(key)}: ${problem}`);
  }
  for (const key of ['comfyui:models/sam2/x.safetensors', 'comfyui:custom_nodes/P/ckpts/x/y.pth', 'hf-cache:models/org/r@main/a/b.json', 'comfyui:models/LLM/F/']) {
    assert.is(unsafeKey(key), null, key);
  }
  // Code is fine below models/ (a snapshot with trust_remote_code files), not inside a pack.
  assert.is(unsafeKey('comfyui:models/LLM/Florence-2-base/modeling_florence2.py'), null);
});

test.run();
