/** The pure parts: URL parsing, Manager placement, Civitai's file choice. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { placeEntry } from '../../src/sources/catalog/placement.js';
import { pickFile } from '../../src/sources/civitai/pin.js';
import type { CivitaiFile } from '../../src/sources/civitai/schema.js';
import { parseCivitaiUrl } from '../../src/sources/civitai/url.js';
import { canonicalUrl, parseHfUrl, parseRepoSpec } from '../../src/sources/huggingface/url.js';
import { normalUrl, scrubUrl } from '../../src/sources/resolution.js';

test('Hugging Face URLs: resolve, blob, datasets, legacy ids, encoded and bare PR revisions, mirrors', () => {
  assert.equal(parseHfUrl('https://huggingface.co/o/r/resolve/main/a/b.safetensors?download=true'), { type: 'model', id: 'o/r', revision: 'main', path: 'a/b.safetensors' });
  assert.equal(parseHfUrl('https://huggingface.co/o/r/blob/v1.0/b%20c.bin'), { type: 'model', id: 'o/r', revision: 'v1.0', path: 'b c.bin' });
  assert.equal(parseHfUrl('https://huggingface.co/datasets/o/d/resolve/main/x.pt'), { type: 'dataset', id: 'o/d', revision: 'main', path: 'x.pt' });
  assert.equal(parseHfUrl('https://huggingface.co/gpt2/resolve/main/model.safetensors'), { type: 'model', id: 'gpt2', revision: 'main', path: 'model.safetensors' });
  assert.equal(parseHfUrl('https://huggingface.co/o/r/resolve/refs%2Fpr%2F1/x.pt')?.revision, 'refs/pr/1');
  assert.equal(parseHfUrl('https://huggingface.co/o/r/resolve/refs/pr/1/x.pt'), { type: 'model', id: 'o/r', revision: 'refs/pr/1', path: 'x.pt' });
  assert.is(parseHfUrl('https://hf-mirror.com/o/r/resolve/main/x.pt'), null);
  assert.is(parseHfUrl('https://hf-mirror.com/o/r/resolve/main/x.pt', ['hf-mirror.com'])?.id, 'o/r');
  assert.is(parseHfUrl('https://huggingface.co/o/r'), null);
  assert.is(parseHfUrl('https://huggingface.co/o/r/tree/main'), null);
  assert.is(parseHfUrl('https://example.com/o/r/resolve/main/x.pt'), null);
  assert.is(canonicalUrl({ type: 'model', id: 'o/r', revision: 'a'.repeat(40), path: 'sub dir/x+y.pt' }), `https://huggingface.co/o/r/resolve/${'a'.repeat(40)}/sub%20dir/x%2By.pt`);
  assert.equal(parseRepoSpec('datasets/o/d@v2'), { type: 'dataset', id: 'o/d', revision: 'v2' });
  assert.equal(parseRepoSpec('o/r'), { type: 'model', id: 'o/r', revision: 'main' });
});

test('locked URLs carry no space, #, ?, quote or non-ASCII byte in a file name: one encoding per file', () => {
  const commit = 'b'.repeat(40);
  const url = canonicalUrl({ type: 'model', id: 'o/r', revision: commit, path: "dir #1/it's (v2)?*é 100%.safetensors" });
  assert.is(url, `https://huggingface.co/o/r/resolve/${commit}/dir%20%231/it%27s%20%28v2%29%3F%2A%C3%A9%20100%25.safetensors`);
  assert.equal(parseHfUrl(url)?.path, "dir #1/it's (v2)?*é 100%.safetensors", 'parsing gives the name back');
  assert.is(canonicalUrl({ type: 'model', id: 'o/r', revision: 'refs/pr/1', path: 'x.pt' }), 'https://huggingface.co/o/r/resolve/refs%2Fpr%2F1/x.pt');

  // URLs pinned as written (no service knows them) are normalised the same way browsers do.
  assert.is(normalUrl('https://Example.com/my dir/naïve "v2".pt?x=a b#frag'), 'https://example.com/my%20dir/na%C3%AFve%20%22v2%22.pt?x=a%20b');
  assert.is(normalUrl(' https://example.com/a.pt '), 'https://example.com/a.pt');
  assert.is(normalUrl('https://example.com/a%20b.pt'), 'https://example.com/a%20b.pt', 'already encoded: unchanged');
  assert.is(normalUrl('https://example.com/a\nb.pt'), 'https://example.com/a\nb.pt', 'a line break is kept for download.sh to refuse, not silently dropped');
  assert.is(normalUrl('not a url'), 'not a url');
});

test('Civitai URLs: downloads with their query, model pages, other hosts', () => {
  assert.equal(parseCivitaiUrl('https://civitai.com/api/download/models/12?type=Model&format=SafeTensor&fileId=9&token=x'), {
    modelId: null, versionId: 12, query: { type: 'Model', format: 'SafeTensor', fileId: 9 },
  });
  assert.equal(parseCivitaiUrl('https://civitai.com/models/5/some-slug?modelVersionId=6'), { modelId: 5, versionId: 6, query: {} });
  assert.equal(parseCivitaiUrl('https://civitai.red/models/5'), { modelId: 5, versionId: null, query: {} });
  assert.is(parseCivitaiUrl('https://civitai.com/images/5'), null);
  assert.is(parseCivitaiUrl('https://example.com/api/download/models/12'), null);
  assert.is(scrubUrl('https://civitai.com/api/download/models/12?type=Model&token=secret'), 'https://civitai.com/api/download/models/12?type=Model');
  assert.is(scrubUrl('https://example.com/x.pt'), 'https://example.com/x.pt');
});

test('Manager placement: save_path sub-folders, the type table, and entries no loader can name', () => {
  const entry = (over: Record<string, string>) => ({ filename: 'f.safetensors', url: 'u', save_path: 'default', ...over });
  assert.equal(placeEntry(entry({ save_path: 'controlnet/SDXL' })), { folder: 'controlnet', name: 'SDXL/f.safetensors' });
  assert.equal(placeEntry(entry({ save_path: 'clip' })), { folder: 'text_encoders', name: 'f.safetensors' });
  assert.equal(placeEntry(entry({ type: 'Upscale' })), { folder: 'upscale_models', name: 'f.safetensors' });
  assert.equal(placeEntry(entry({ type: 'unet' })), { folder: 'diffusion_models', name: 'f.safetensors' });
  assert.is(placeEntry(entry({ type: 'TAESD' })), null, 'unknown types go to etc');
  assert.is(placeEntry(entry({ save_path: '../outside' })), null);
  assert.is(placeEntry(entry({ save_path: 'custom_nodes/x' })), null);
  assert.is(placeEntry(entry({ filename: 'a/b.pt', type: 'lora' })), null);
  assert.is(placeEntry(entry({ filename: '<huggingface>', type: 'lora' })), null);
});

test('Civitai file choice: fileId, then declared hash, then query, then primary, then preference', () => {
  const file = (id: number, over: Partial<CivitaiFile> = {}): CivitaiFile => ({
    id, name: 'm.safetensors', sizeKB: 1, type: 'Model', primary: false,
    metadata: { format: 'SafeTensor', size: 'pruned', fp: 'fp16', quantType: null }, hashes: { SHA256: String(id).repeat(64).slice(0, 64) }, ...over,
  });
  const files = [
    file(1, { metadata: { format: 'PickleTensor', size: 'full', fp: 'fp32', quantType: null } }),
    file(2, { primary: true, metadata: { format: 'SafeTensor', size: 'full', fp: 'fp32', quantType: null } }),
    file(3),
    file(4, { type: 'VAE' }),
  ];
  assert.is(pickFile(files, { fileId: 4 }, null)?.id, 4);
  assert.is(pickFile(files, { fileId: 9 }, null), null);
  assert.is(pickFile(files, {}, '1'.repeat(64))?.id, 1);
  assert.is(pickFile(files, {}, null)?.id, 2);
  assert.is(pickFile(files, { type: 'VAE' }, null)?.id, 4);
  assert.is(pickFile(files, { size: 'pruned' }, null)?.id, 3);
  assert.is(pickFile(files, { format: 'SafeTensor' }, null)?.id, 3, 'best by preference among the matches');
  assert.is(pickFile(files, { format: 'GGUF' }, null), null);
});

test.run();
