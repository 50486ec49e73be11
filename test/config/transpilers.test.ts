/**
 * comfy.config.ts is stripped of its types by oxc-transform, or by sucrase where oxc has no
 * binding for the platform: both must refuse a broken config at the same place (never run a
 * "repaired" one) and leave the JavaScript they keep as written.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { transpilers } from '../../src/config/ts-loader.js';

const all = transpilers();

test('both transpilers load here', () => {
  assert.equal(all.map((t) => t.version.split('@')[0]), ['oxc-transform', 'sucrase']);
});

test('a syntax error is refused with its position, counted in characters, by each transpiler', () => {
  // Non-ASCII text before the error: positions must count characters, not UTF-8 bytes.
  const broken = "const é = 'ü';\nexport default {\n  workflows: ['wf/*.json']\n  models: { target: 'x' },\n};\n";
  for (const t of all) {
    const out = t.strip(broken, 'comfy.config.ts');
    assert.ok('errors' in out, `${t.version} refused it`);
    if (!('errors' in out)) continue;
    const offset = out.errors[0]!.offset!;
    assert.is(broken.slice(offset, offset + 6), 'models', `${t.version}: ${out.errors[0]!.text} at ${offset}`);
  }
});

test('types are stripped; imports with attributes, top-level await and enums still work', async () => {
  const source = [
    "import data from './data.json' with { type: 'json' };",
    'const n: number = await Promise.resolve(2);',
    'enum Kind { A = 1, B }',
    'interface Unused { x: string }',
    'export default { n, b: Kind.B, data, checked: n satisfies number } as const;',
  ].join('\n');
  for (const t of all) {
    const out = t.strip(source, 'comfy.config.ts');
    assert.ok('code' in out, t.version);
    if (!('code' in out)) continue;
    assert.match(out.code, "with { type: ", `${t.version} keeps import attributes`);
    assert.not.match(out.code, /: number|interface|satisfies|as const/, `${t.version} strips every type`);
    const code = out.code.replace(/^import data .*$/m, 'const data = { ok: true };');
    const mod = await import(`data:text/javascript,${encodeURIComponent(code)}`);
    assert.equal(mod.default, { n: 2, b: 2, data: { ok: true }, checked: 2 }, t.version);
  }
});

test.run();
