import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadRoots, parseExtraModelPaths, registerFolderPaths } from '../../src/inventory/index.js';
import { tempDir } from '../helpers/tmp.js';

// Each case is read the way ComfyUI's utils/extra_config.py reads it (comfyui-models.md §4).
const env = { HOME: '/home/u', MODELS: '/srv/models', EMPTY: '' };
const opts = { yamlPath: '/etc/comfy/extra_model_paths.yaml', file: 'extra.yaml', env, home: '/home/u' };

function folders(text: string): Record<string, string[]> {
  const parsed = parseExtraModelPaths(text, opts);
  assert.equal(parsed.diagnostics, [], 'no diagnostics expected');
  return Object.fromEntries(registerFolderPaths(parsed.entries));
}

function crash(text: string): string {
  const parsed = parseExtraModelPaths(text, opts);
  assert.is(parsed.diagnostics.length, 1, JSON.stringify(parsed.diagnostics));
  const d = parsed.diagnostics[0]!;
  assert.is(d.code, 'invalid-extra-model-paths');
  assert.is(d.severity, 'error');
  assert.is(d.file, 'extra.yaml');
  return d.message;
}

test('every section registers its folders, in file order', () => {
  assert.equal(folders('a:\n  base_path: /a\n  loras: loras\nb:\n  base_path: /b\n  loras: l\n  vae: v\n'), {
    loras: ['/a/loras', '/b/l'],
    vae: ['/b/v'],
  });
});

test('a null section is skipped', () => {
  assert.equal(folders('empty:\nreal:\n  base_path: /r\n  vae: vae\n'), { vae: ['/r/vae'] });
});

test('base_path expands ~ then $VAR and ${VAR}; unknown variables stay as written', () => {
  assert.equal(folders('a:\n  base_path: ~/ai\n  loras: loras\n'), { loras: ['/home/u/ai/loras'] });
  assert.equal(folders('a:\n  base_path: $MODELS/x\n  vae: vae\n'), { vae: ['/srv/models/x/vae'] });
  assert.equal(folders('a:\n  base_path: ${MODELS}\n  vae: vae\n'), { vae: ['/srv/models/vae'] });
  assert.equal(folders('a:\n  base_path: /m/$NOPE\n  vae: vae\n'), { vae: ['/m/$NOPE/vae'] });
});

test('a relative base_path resolves against the yaml file\'s folder, not the working directory', () => {
  assert.equal(folders('a:\n  base_path: ../models\n  vae: vae\n'), { vae: ['/etc/models/vae'] });
  assert.equal(folders('a:\n  base_path: ""\n  vae: vae\n'), { vae: ['/etc/comfy/vae'] });
});

test('without base_path, relative lines resolve against the yaml folder and are never expanded', () => {
  assert.equal(folders('a:\n  vae: vae\n  loras: ~/loras\n  ckpt: $MODELS/c\n'), {
    vae: ['/etc/comfy/vae'],
    loras: ['/etc/comfy/~/loras'],
    ckpt: ['/etc/comfy/$MODELS/c'],
  });
});

test('multi-line values split on newlines, lines not trimmed, empty lines skipped', () => {
  const text = 'a:\n  base_path: /b\n  loras: |\n    one\n\n    two \n     three\n';
  assert.equal(folders(text), { loras: ['/b/one', '/b/two ', '/b/ three'] });
});

test('an absolute line overrides base_path', () => {
  assert.equal(folders('a:\n  base_path: /b\n  loras: |\n    rel\n    /abs/loras\n'), { loras: ['/b/rel', '/abs/loras'] });
});

test('paths are normalised (trailing slash, //, ., ..)', () => {
  assert.equal(folders('a:\n  base_path: /b//c/\n  loras: ./x/../loras/\n  vae: models//vae/.\n'), {
    loras: ['/b/c/loras'],
    vae: ['/b/c/models/vae'],
  });
});

test('the same directory twice is registered once', () => {
  assert.equal(folders('a:\n  base_path: /b\n  loras: |\n    loras\n    loras/\nb:\n  loras: /b/loras\n'), { loras: ['/b/loras'] });
});

test('is_default puts its directories first; the string "false" is truthy, false and no are not', () => {
  const base = 'base:\n  base_path: /base\n  loras: loras\n';
  assert.equal(folders(`${base}d:\n  base_path: /d\n  is_default: true\n  loras: loras\n`).loras, ['/d/loras', '/base/loras']);
  assert.equal(folders(`${base}d:\n  base_path: /d\n  is_default: "false"\n  loras: loras\n`).loras, ['/d/loras', '/base/loras']);
  assert.equal(folders(`${base}d:\n  base_path: /d\n  is_default: false\n  loras: loras\n`).loras, ['/base/loras', '/d/loras']);
  assert.equal(folders(`${base}d:\n  base_path: /d\n  is_default: no\n  loras: loras\n`).loras, ['/base/loras', '/d/loras']);
  assert.equal(folders(`${base}d:\n  base_path: /d\n  is_default: 0\n  loras: loras\n`).loras, ['/base/loras', '/d/loras']);
});

test('is_default moves an already registered directory to the front', () => {
  const text = 'a:\n  base_path: /m\n  loras: |\n    x\n    y\nb:\n  base_path: /m\n  is_default: yes\n  loras: y\n';
  assert.equal(folders(text).loras, ['/m/y', '/m/x']);
});

test('legacy keys clip and unet register text_encoders and diffusion_models', () => {
  assert.equal(folders('a:\n  base_path: /m\n  text_encoders: text_encoders\n  clip: clip\n  unet: unet\n'), {
    text_encoders: ['/m/text_encoders', '/m/clip'],
    diffusion_models: ['/m/unet'],
  });
});

test('unknown keys become folders of their own; plain scalars PyYAML keeps as strings stay paths', () => {
  assert.equal(folders('a:\n  base_path: /m\n  ipadapter: ipadapter\n  LLM: y\n  dots: .\n  sci: 1e3\n'), {
    ipadapter: ['/m/ipadapter'],
    LLM: ['/m/y'],
    dots: ['/m'],
    sci: ['/m/1e3'],
  });
});

test('crash: an empty file', () => {
  assert.match(crash(''), /empty/);
  assert.match(crash('# only a comment\n'), /empty/);
});

test('crash: a folder value that is a list, a number or a boolean', () => {
  assert.match(crash('a:\n  base_path: /m\n  loras:\n    - x\n    - y\n'), /section "a", key "loras".*list/);
  assert.match(crash('a:\n  loras: 123\n'), /key "loras".*integer/);
  assert.match(crash('a:\n  loras: yes\n'), /key "loras".*boolean/);
  assert.match(crash('a:\n  loras:\n'), /key "loras".*null/);
});

test('crash: a section that is a plain string, a top level that is not a mapping, bad base_path, bad YAML', () => {
  assert.match(crash('comfyui: /srv/models\n'), /section "comfyui".*string/);
  assert.match(crash('- a\n- b\n'), /top level.*list/);
  assert.match(crash('a:\n  base_path:\n  loras: l\n'), /base_path must be a string/);
  assert.match(crash('a: [unclosed\n'), /not valid YAML/);
});

test('a crash in one section leaves the other sections imported', () => {
  const parsed = parseExtraModelPaths('bad:\n  loras: 1\ngood:\n  base_path: /g\n  vae: vae\n', opts);
  assert.is(parsed.diagnostics.length, 1);
  assert.equal(Object.fromEntries(registerFolderPaths(parsed.entries)), { vae: ['/g/vae'] });
});

test('loadRoots: custom_nodes is not a model folder, a missing file warns, bad UTF-8 is an error', async () => {
  const tmp = await tempDir('comfygen-emp-');
  try {
    await mkdir(join(tmp.dir, 'cfg'));
    await writeFile(join(tmp.dir, 'cfg', 'extra.yaml'), 'c:\n  base_path: models\n  custom_nodes: ../nodes\n  download_model_base: .\n  clip: clip\n');
    await writeFile(join(tmp.dir, 'latin1.yaml'), Buffer.from([0x61, 0x3a, 0x0a, 0x20, 0x20, 0x76, 0x61, 0x65, 0x3a, 0x20, 0xe9, 0x0a]));
    const { roots, diagnostics } = await loadRoots({
      roots: [],
      extraModelPaths: ['cfg/extra.yaml', 'missing.yaml', 'latin1.yaml'],
      configDir: tmp.dir,
      env: {},
      home: '/nohome',
    });
    assert.equal(roots.map((r) => [r.label, r.kind]), [['cfg/extra.yaml', 'extra-model-paths'], ['missing.yaml', 'extra-model-paths'], ['latin1.yaml', 'extra-model-paths']]);
    assert.equal(roots[0]!.folders, { text_encoders: [join(tmp.dir, 'cfg', 'models', 'clip')] });
    assert.equal(diagnostics.map((d) => [d.code, d.severity]), [['missing-extra-model-paths', 'warning'], ['unreadable-extra-model-paths', 'error']]);
    assert.match(diagnostics[1]!.message, /UTF-8/);
  } finally {
    await tmp.cleanup();
  }
});

test.run();
