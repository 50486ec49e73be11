import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FOLDER_DIRS, installDirFor } from '../../src/core/folders.js';
import { parseExtraModelPaths, registerFolderPaths } from '../../src/inventory/index.js';
import { pyyamlSafeLoad } from '../../src/inventory/pyyaml.js';
import { renderExtraModelPaths, surelyPlain, yamlScalar } from '../../src/render/extra-model-paths.js';
import { markerLine } from '../../src/render/marker.js';

const base = {
  target: '/workspace/ComfyUI/models',
  roots: ['~/ComfyUI/models', '$SHARED/models', 'local-models'],
  extraModelPaths: ['~/ComfyUI/extra_model_paths.yaml'],
  yamlDir: '/proj/generated',
  configDir: '/proj',
};

/** ComfyUI reading the file: our importer is the faithful reader (tested case by case). */
function comfyReads(yaml: string, seed = new Map<string, string[]>()): Map<string, string[]> {
  const parsed = parseExtraModelPaths(yaml, {
    yamlPath: '/proj/generated/extra_model_paths.yaml', file: 'extra_model_paths.yaml',
    env: { SHARED: '/mnt/shared' }, home: '/home/u',
  });
  assert.equal(parsed.diagnostics, []);
  return registerFolderPaths(parsed.entries, seed);
}

test('first line is the marker', () => {
  assert.is(renderExtraModelPaths(base).split('\n')[0], markerLine('#'));
});

test('ComfyUI registers every folder of every root, with the install target first', () => {
  const yaml = renderExtraModelPaths({ ...base, folders: ['ipadapter', 'clip', 'custom_nodes'] });
  // ComfyUI starts with its own <base>/models dirs registered; the target must still come first.
  const seed = new Map(Object.entries(FOLDER_DIRS).map(([k, dirs]) => [k, dirs.map((d) => `/opt/ComfyUI/models/${d}`)]));
  for (const registry of [comfyReads(yaml), comfyReads(yaml, seed)]) {
    for (const folder of [...Object.keys(FOLDER_DIRS), 'ipadapter']) {
      const dirs = registry.get(folder)!;
      assert.is(dirs[0], `/workspace/ComfyUI/models/${installDirFor(folder)}`, `${folder} default dir`);
      for (const rootDir of ['/home/u/ComfyUI/models', '/mnt/shared/models', '/proj/local-models']) {
        const expected = (FOLDER_DIRS[folder] ?? [folder]).map((d) => `${rootDir}/${d}`);
        assert.equal(dirs.filter((d) => d.startsWith(`${rootDir}/`)), expected, `${folder} under ${rootDir}`);
      }
    }
    assert.is(registry.has('clip'), false, 'legacy keys are never written');
    assert.is(registry.has('custom_nodes'), false);
  }
});

test('folders packs register are listed with their directories; folders a pack only lists itself are not', () => {
  const yaml = renderExtraModelPaths({ ...base, folders: ['cogvideox_loras', 'ultralytics', 'reactor_faces'] });
  const registry = comfyReads(yaml);
  assert.equal(registry.get('cogvideox_loras')!.filter((d) => d.startsWith('/workspace/')), ['/workspace/ComfyUI/models/CogVideo/loras']);
  assert.equal(registry.get('ultralytics')!.filter((d) => d.startsWith('/workspace/')), ['/workspace/ComfyUI/models/ultralytics', '/workspace/ComfyUI/models/yolo']);
  assert.equal(registry.get('cogvideox_loras')!.filter((d) => d.startsWith('/home/u/')), ['/home/u/ComfyUI/models/CogVideo/loras']);
  // ReActor reads models/reactor/faces with glob, not through folder_paths: a yaml key would do nothing.
  assert.is(registry.has('reactor_faces'), false);
});

test('paths are written as configured; relative ones are re-based to the yaml folder', () => {
  const yaml = renderExtraModelPaths(base);
  assert.ok(yaml.includes('  base_path: ~/ComfyUI/models\n'));
  assert.ok(yaml.includes('  base_path: $SHARED/models\n'));
  assert.ok(yaml.includes('  base_path: ../local-models\n'));
  assert.ok(!yaml.includes('/home/'), 'nothing machine-specific');
});

test('identical bytes whatever the working directory or checkout location', () => {
  const here = renderExtraModelPaths(base);
  const cwd = process.cwd();
  try {
    process.chdir('/');
    assert.is(renderExtraModelPaths(base), here);
  } finally {
    process.chdir(cwd);
  }
  const moved = renderExtraModelPaths({ ...base, yamlDir: '/elsewhere/x/proj/generated', configDir: '/elsewhere/x/proj' });
  assert.is(moved, here);
});

test('imported ComfyUI files are named, not copied; a root equal to the target is not repeated', () => {
  const yaml = renderExtraModelPaths({ ...base, roots: ['/workspace/ComfyUI/models', 'local-models'] });
  assert.ok(yaml.includes('#   ~/ComfyUI/extra_model_paths.yaml\n'));
  assert.equal(yaml.match(/^[^\s#].*:$/gm), ['comfygen_target:', 'comfygen_root_1:']);
  assert.ok(yaml.includes('comfygen_root_1:\n  base_path: ../local-models\n'));
});

test('values YAML would retype are quoted and read back as the same string by PyYAML rules', () => {
  const tricky = ['yes', 'No', 'on', '~', '123', '1e3', '0x1f', '12:30', '2024-01-01', 'null', '.inf', 'a: b', 'x #y', '#c', '- d', '[e]', '*f', '&g', '!h', '"i"', "'j'", '|k', '>l', '%m', '@n', '`o', ' lead', 'trail ', 'tab\tx', 'line\nbreak', 'ünï', ''];
  for (const value of tricky) {
    const written = yamlScalar(value);
    const loaded = pyyamlSafeLoad(`k: ${written}\n`);
    assert.ok(loaded.ok, `${JSON.stringify(value)} → ${written}`);
    assert.is((loaded as { value: { k: unknown } }).value.k, value, `${JSON.stringify(value)} → ${written}`);
  }
  for (const plain of ['/mnt/models', '~/ComfyUI/models', '$HOME/m', '${X}/m', '../local-models', 'my models']) {
    assert.is(yamlScalar(plain), plain);
  }
  const yaml = renderExtraModelPaths({ ...base, roots: ['yes', '~'], target: '123' });
  const registry = comfyReads(yaml);
  assert.is(registry.get('loras')![0], '/proj/123/loras');
  assert.ok(registry.get('loras')!.includes('/proj/yes/loras'));
  assert.ok(registry.get('loras')!.includes('/home/u/loras'));
});

test('what is taken as plain without the YAML parser, the parser reads back as the same string', () => {
  // Every word and path shape the short cut accepts, with PyYAML's special words in all cases,
  // numbers, dates, dots and signs around them, and random strings over the same characters.
  const words = ['yes', 'Yes', 'YES', 'no', 'No', 'on', 'ON', 'off', 'true', 'False', 'null', 'Null', 'NULL', 'y', 'Y', 'n', 'N', 'nan', 'inf',
    'e10', 'x1', 'checkpoints', 'text_encoders', 'T', 'Z', '_', 'a_1'];
  const parts = [...words, '1', '0x1f', '1e3', '1.5', '12:30', '2024-01-01', '.', '..', '~', '$HOME', '${X}', '-', '+', '=', '<<', '.inf', '.nan', ''];
  const alphabet = 'ab01_./~$-+=:@,() {}eEnNyYoO';
  let seed = 7;
  const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const values = [...parts];
  for (const a of parts) for (const b of parts) values.push(`${a}/${b}`, `${a}${b}`);
  for (let i = 0; i < 3000; i++) values.push(Array.from({ length: 1 + random(8) }, () => alphabet[random(alphabet.length)]).join(''));
  let taken = 0;
  for (const value of values) {
    const plain = /^[A-Za-z0-9_./~$][A-Za-z0-9_./~${}+=@,() -]*$/.test(value) && !value.endsWith(' ');
    if (!plain || !surelyPlain(value)) continue;
    taken += 1;
    const loaded = pyyamlSafeLoad(`k: ${value}\n`);
    assert.ok(loaded.ok && (loaded.value as { k: unknown }).k === value, `${JSON.stringify(value)} is not read back as itself`);
  }
  assert.ok(taken > 1000, `the short cut was tried on ${taken} values`);
  for (const word of ['yes', 'Off', 'NULL', 'y', 'n']) assert.not.ok(surelyPlain(word), word);
});

test.run();
