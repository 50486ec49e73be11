import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { LocalFile } from '../../src/core/types.js';
import { matchByContent, matchByName } from '../../src/inventory/index.js';

let ino = 0;
function file(folder: string, name: string, size = 100, root = '/r'): LocalFile {
  return { root, folder, name, absPath: `${root}/${folder}/${name}`, size, mtimeMs: 1, ino: ++ino };
}

const ref = (folder: string, name: string) => ({ key: `${folder}/${name}`, folder, name });

test('rung 1, exact: same folder and name; the first root wins over later copies', () => {
  const first = file('checkpoints', 'SDXL/base.safetensors', 100, '/a');
  const later = file('checkpoints', 'SDXL/base.safetensors', 100, '/b');
  const m = matchByName([ref('checkpoints', 'SDXL/base.safetensors')], [first, later]).get('checkpoints/SDXL/base.safetensors');
  assert.equal(m, { file: first, how: 'exact' });
});

test('rung 1 beats rung 2: an exact name is preferred over a case variant', () => {
  const exact = file('loras', 'Style.safetensors');
  const lower = file('loras', 'style.safetensors');
  assert.is(matchByName([ref('loras', 'Style.safetensors')], [lower, exact]).get('loras/Style.safetensors')?.file, exact);
});

test('rung 2, normalized: case and \\ vs / are ignored, never - vs _', () => {
  const f = file('loras', 'SDXL/My_Style.safetensors');
  const got = matchByName([ref('loras', 'sdxl\\my_style.safetensors'), ref('loras', 'SDXL/My-Style.safetensors')], [f]);
  assert.equal(got.get('loras/sdxl\\my_style.safetensors'), { file: f, how: 'normalized' });
  assert.is(got.has('loras/SDXL/My-Style.safetensors'), false);
});

test('rung 3, basename: the same file in another subfolder of the same folder, never another folder', () => {
  const moved = file('controlnet', 'old/canny.safetensors');
  const other = file('controlnet', 'zzz/Canny.safetensors');
  const elsewhere = file('loras', 'canny.safetensors');
  const got = matchByName([ref('controlnet', 'SDXL/canny.safetensors'), ref('vae', 'canny.safetensors')], [moved, other, elsewhere]);
  assert.equal(got.get('controlnet/SDXL/canny.safetensors'), { file: moved, how: 'basename', alternatives: [other] });
  assert.is(got.has('vae/canny.safetensors'), false);
});

test('no rung matches: no entry', () => {
  assert.is(matchByName([ref('vae', 'ae.safetensors')], [file('vae', 'other.safetensors')]).size, 0);
});

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

test('content: a file with the pinned hash counts as present under another name; only same-size files are hashed', async () => {
  const renamed = file('checkpoints', 'my-copy.safetensors', 500);
  const sameSizeOther = file('checkpoints', 'decoy.safetensors', 500);
  const otherSize = file('checkpoints', 'huge.safetensors', 999);
  const digests = new Map([[renamed.absPath, SHA_A.toUpperCase()], [sameSizeOther.absPath, SHA_B], [otherSize.absPath, SHA_A]]);
  const hashed: string[] = [];
  const hash = async (f: LocalFile) => {
    hashed.push(f.name);
    return { sha256: digests.get(f.absPath)! };
  };
  const got = await matchByContent(
    [{ key: 'checkpoints/sd_xl_base_1.0.safetensors', sha256: SHA_A, size: 500 }, { key: 'vae/x.safetensors', sha256: SHA_A, size: null }],
    [renamed, sameSizeOther, otherSize],
    hash,
  );
  assert.equal(got.get('checkpoints/sd_xl_base_1.0.safetensors'), { file: renamed, how: 'content' });
  assert.is(got.has('vae/x.safetensors'), false, 'no size, no full-inventory hashing');
  assert.equal(hashed.sort(), ['decoy.safetensors', 'my-copy.safetensors']);
});

test('content: a copy in the key\'s own folder is preferred; unreadable files are skipped', async () => {
  const inLoras = file('loras', 'z.safetensors', 7);
  const inCkpt = file('checkpoints', 'a.safetensors', 7);
  const broken = file('loras', 'broken.safetensors', 7);
  const hash = async (f: LocalFile) => {
    if (f === broken) throw new Error('EACCES');
    return { sha256: SHA_B };
  };
  const got = await matchByContent([{ key: 'loras/wanted.safetensors', sha256: SHA_B, size: 7 }], [inCkpt, broken, inLoras], hash);
  assert.equal(got.get('loras/wanted.safetensors'), { file: inLoras, how: 'content', alternatives: [inCkpt] });
});

test.run();
