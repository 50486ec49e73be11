import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileTemplate, findTemplatesDir, precompileTemplates } from '../../src/render/templates.js';
import { tempDir } from '../helpers/tmp.js';

const view = { marker: '# marker', dirs: ['models', 'my models'] };

test('every template is precompiled, and a precompiled one renders what compiling the source renders', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    precompileTemplates(dir);
    const names = (await readdir(findTemplatesDir())).filter((n) => n.endsWith('.hbs')).sort();
    assert.equal((await readdir(dir)).filter((n) => n !== 'partials').sort(), names.map((n) => `${n}.cjs`));
    const partials = (await readdir(join(findTemplatesDir(), 'partials'))).filter((n) => n.endsWith('.hbs')).sort();
    assert.equal((await readdir(join(dir, 'partials'))).sort(), partials.map((n) => `${n}.cjs`), 'and every partial');
    const compiled = compileTemplate<typeof view>('gitignore.fragment.hbs', {}, join(dir, 'none'))(view);
    assert.is(compileTemplate<typeof view>('gitignore.fragment.hbs', {}, dir)(view), compiled);
    assert.match(compiled, '/my models/');
  } finally {
    await cleanup();
  }
});

test('a template with partials renders the same precompiled, compiled, or with only its partials stale', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    precompileTemplates(dir);
    const helpers = { q: (v: unknown) => `'${String(v)}'`, c: (v: unknown) => String(v) };
    const dl = { marker: '# m', summary: 's', target: 'models', models: [], unresolved: [], refused: [], marks: { pairs: ["$'\\x01' '␁'"], lead: "$'\\xe2'" } };
    const compiled = compileTemplate<typeof dl>('download.sh.hbs', helpers, join(dir, 'none'))(dl);
    assert.match(compiled, /^clean\(\) \{$/m, 'the partial is in');
    assert.is(compileTemplate<typeof dl>('download.sh.hbs', helpers, dir)(dl), compiled);
    await writeFile(join(dir, 'partials', 'shell-marks.hbs.cjs'), 'module.exports = { sha256: "0" };\n');
    assert.is(compileTemplate<typeof dl>('download.sh.hbs', helpers, dir)(dl), compiled);
  } finally {
    await cleanup();
  }
});

test('a precompiled template is used only when made from the same bytes by the same Handlebars', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const source = await readFile(join(findTemplatesDir(), 'gitignore.fragment.hbs'), 'utf8');
    const real = compileTemplate<typeof view>('gitignore.fragment.hbs', {}, join(dir, 'none'))(view);
    const entry = (sha256: string, version: string) =>
      `module.exports = { sha256: ${JSON.stringify(sha256)}, handlebars: ${JSON.stringify(version)}, spec: ${String(Handlebars.precompile('precompiled {{marker}}', { strict: true }))} };\n`;
    const sha = createHash('sha256').update(source).digest('hex');
    const cases: [string, string, string][] = [
      ['made from these bytes', entry(sha, Handlebars.VERSION), 'precompiled # marker'],
      ['made from an older template', entry('0'.repeat(64), Handlebars.VERSION), real],
      ['made by another Handlebars', entry(sha, '0.0.1'), real],
      ['damaged', 'module.exports = { sha256: ', real],
    ];
    for (const [i, [what, text, rendered]] of cases.entries()) {
      const sub = join(dir, String(i));
      await mkdir(sub);
      await writeFile(join(sub, 'gitignore.fragment.hbs.cjs'), text);
      assert.is(compileTemplate<typeof view>('gitignore.fragment.hbs', {}, sub)(view), rendered, what);
    }
  } finally {
    await cleanup();
  }
});

test.run();
