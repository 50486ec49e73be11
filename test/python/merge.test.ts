/** The pure half of the Python plan: reading requirement files, merging them, finding conflicts. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isTorchFamily, mergePlan, resolverInput } from '../../src/python/merge.js';
import { interpretLine, joinTreePath, pyprojectRequirements, readTreeRequirements } from '../../src/python/requirements.js';
import { compatible } from '../../src/python/specifiers.js';

const tree = (files: Record<string, string>) => async (path: string) => files[path] ?? null;

test('requirements.txt: canonical lines, pip syntax understood, what cannot be planned skipped with a reason', async () => {
  const read = await readTreeRequirements(tree({
    'requirements.txt': [
      '\uFEFF# a comment',
      'numpy>=1.25.0  # trailing comment',
      'Pillow',
      'opencv-python-headless>=4.0.1.24 \\',
      '    --hash=sha256:abc',
      'scipy ; python_version >= "3.9" and (sys_platform == "linux" or sys_platform == "darwin")',
      'foo[Bar,baz]>=1,<2',
      '--extra-index-url https://download.pytorch.org/whl/cu121',
      '-e git+https://github.com/a/b#egg=b',
      'git+https://github.com/a/c.git',
      'pkg @ https://example.com/pkg.whl',
      'not a requirement !!',
      '-r extra/more.txt',
      '-r ../outside.txt',
      'numpy>=1.25.0',
    ].join('\n'),
    'extra/more.txt': 'einops\n-r ../requirements.txt\n',
  }));
  assert.is(read.file, 'requirements.txt');
  assert.equal(read.requirements, [
    'numpy>=1.25.0',
    'Pillow',
    'opencv-python-headless>=4.0.1.24',
    'scipy ; python_version >= "3.9" and (sys_platform == "linux" or sys_platform == "darwin")',
    'foo[bar,baz]>=1,<2',
    'einops',
  ]);
  assert.equal(read.skipped.map((s) => s.line), [
    '--extra-index-url https://download.pytorch.org/whl/cu121',
    '-e git+https://github.com/a/b#egg=b',
    'git+https://github.com/a/c.git',
    'pkg @ https://example.com/pkg.whl',
    'not a requirement !!',
    'extra/more.txt: -r ../requirements.txt',
    '-r ../outside.txt',
  ]);
  const reasons = read.skipped.map((s) => s.reason);
  assert.match(reasons[0]!, /pip option/);
  assert.match(reasons[1]!, /editable/);
  assert.match(reasons[2]!, /URL or path/);
  assert.match(reasons[3]!, /direct reference/);
  assert.match(reasons[4]!, /not a valid requirement/);
  assert.match(reasons[5]!, /cycle/);
  assert.match(reasons[6]!, /outside the pack/);
});

test('pyproject.toml dependencies are read when there is no requirements.txt; bad TOML is a skip, not a crash', async () => {
  const read = await readTreeRequirements(tree({ 'pyproject.toml': '[project]\nname = "x"\ndependencies = ["numpy<2", "rich ; extra == \'cli\'", 3]\n' }));
  assert.is(read.file, 'pyproject.toml');
  assert.equal(read.requirements, ['numpy<2', 'rich ; extra == \'cli\'']);
  assert.equal(read.skipped, [{ line: '3', reason: 'not a string' }]);
  assert.match(pyprojectRequirements('[project\n').skipped[0]!.reason, /not valid TOML/);
  assert.equal(await readTreeRequirements(tree({})), { file: null, requirements: [], skipped: [] });
});

test('include paths never leave the tree', () => {
  assert.is(joinTreePath('requirements.txt', 'a/b.txt'), 'a/b.txt');
  assert.is(joinTreePath('a/x.txt', '../b.txt'), 'b.txt');
  assert.is(joinTreePath('requirements.txt', '../b.txt'), null);
  assert.is(joinTreePath('requirements.txt', '/etc/passwd'), null);
  assert.equal(interpretLine('--requirement=more.txt'), { kind: 'include', path: 'more.txt' });
});

test('specifier sets: compatible unless no version can satisfy both', () => {
  const s = (text: string) => text.split(',').filter(Boolean).map((c) => {
    const m = /^(~=|==|!=|<=|>=|<|>)(.+)$/.exec(c)!;
    return { op: m[1]!, version: m[2]! };
  });
  const ok = (a: string, b: string) => compatible(s(a), s(b));
  assert.ok(ok('>=1.25', '<2'));
  assert.not.ok(ok('<2', '>=2.0'));
  assert.not.ok(ok('==1.2', '==1.3'));
  assert.ok(ok('==1.2', '==1.2.0'));
  assert.not.ok(ok('==1.4.*', '>=1.5'));
  assert.ok(ok('==1.4.*', '>=1.4.3'));
  assert.ok(ok('~=1.4', '>=1.9'));
  assert.not.ok(ok('~=1.4.2', '>=1.5'));
  assert.not.ok(ok('==2.0', '!=2.0'));
  assert.ok(ok('>1.0', '<=1.0.1'));
  assert.not.ok(ok('>1.0', '<=1.0'));
  assert.ok(ok('', '==3'));
  assert.ok(ok('===weird', '==1'), 'what cannot be judged is not a conflict');
});

test('merge: one line per package with its sources; conflicts name both packs; the torch family is only checked', () => {
  const plan = mergePlan([
    { id: 'comfyui', requirements: ['torch', 'numpy>=1.25.0', 'Pillow', 'einops'] },
    { id: 'comfyui-a', requirements: ['numpy<2', 'pillow>=10', 'torch>=2.0', 'xformers', 'nvidia-cublas-cu12', 'scipy ; sys_platform == "linux"'] },
    { id: 'o/pack-b', requirements: ['numpy>=2.0', 'einops', 'scipy ; sys_platform == "win32"', 'scipy<1'] },
  ]);
  assert.equal(plan.install.map((l) => l.text), [
    'einops', 'numpy>=1.25.0,<2,>=2.0', 'pillow>=10', 'scipy<1', 'scipy ; sys_platform == "linux"', 'scipy ; sys_platform == "win32"',
  ]);
  const numpy = plan.install.find((l) => l.key === 'numpy')!;
  assert.equal(numpy.from.map((f) => f.source), ['comfyui', 'comfyui-a', 'o/pack-b']);
  assert.equal(plan.checked.map((l) => `${l.text} <- ${l.from.map((f) => f.source).join(' ')}`), [
    'nvidia-cublas-cu12 <- comfyui-a', 'torch>=2.0 <- comfyui comfyui-a', 'xformers <- comfyui-a',
  ]);
  assert.equal(plan.conflicts, [{ key: 'numpy', a: { source: 'comfyui-a', requirement: 'numpy<2' }, b: { source: 'o/pack-b', requirement: 'numpy>=2.0' } }]);
  assert.not.match(resolverInput(plan), /torch|xformers|nvidia/);
  assert.ok(isTorchFamily('nvidia-cudnn-cu12') && isTorchFamily('triton') && !isTorchFamily('torchsde'));
});

test('merge is independent of how requirements are spelled and listed twice', () => {
  const a = mergePlan([{ id: 'comfyui', requirements: ['Foo_Bar>=1', 'foo-bar>=1', 'foo.bar[X]'] }]);
  assert.equal(a.install.map((l) => l.text), ['foo-bar[x]>=1']);
  assert.equal(a.install[0]!.from, [{ source: 'comfyui', requirement: 'Foo_Bar>=1' }, { source: 'comfyui', requirement: 'foo-bar>=1' }, { source: 'comfyui', requirement: 'foo.bar[x]' }]);
  assert.equal(mergePlan([{ id: 'x', requirements: ['ok', '!!'] }]).invalid, [{ source: 'x', requirement: '!!' }]);
});

test.run();
