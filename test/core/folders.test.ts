import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canonicalFolder, folderForDir, installDirFor, normalizeName } from '../../src/core/folders.js';

test('legacy folder names map to canonical keys', () => {
  assert.is(canonicalFolder('clip'), 'text_encoders');
  assert.is(canonicalFolder('unet'), 'diffusion_models');
  assert.is(canonicalFolder('models/checkpoints'), 'checkpoints');
  assert.is(folderForDir('t2i_adapter'), 'controlnet');
  assert.is(folderForDir('ipadapter'), 'ipadapter');
});

test('install dirs use canonical names', () => {
  assert.is(installDirFor('diffusion_models'), 'diffusion_models');
  assert.is(installDirFor('controlnet'), 'controlnet');
});

test('names use forward slashes', () => {
  assert.is(normalizeName('SDXL\\model.safetensors'), 'SDXL/model.safetensors');
});

test.run();
