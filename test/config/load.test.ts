import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config/load.js';
import { UserError } from '../../src/core/errors.js';
import { tempDir } from '../helpers/tmp.js';

async function expectUserError(fn: () => Promise<unknown>): Promise<UserError> {
  try {
    await fn();
  } catch (err) {
    assert.instance(err, UserError);
    return err as UserError;
  }
  assert.unreachable('expected a UserError');
  throw new Error('unreachable');
}

test('finds comfy.config.ts by searching upwards and imports defineConfig from comfygen', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    // The temp project has no node_modules: `import 'comfygen'` must still resolve (npx / global install).
    await writeFile(join(dir, 'comfy.config.ts'), `import { defineConfig } from 'comfygen';
      const roots: string[] = ['~/ComfyUI/models'];
      export default defineConfig({ workflows: ['wf/*.json'], models: { roots }, sources: [{ type: 'catalog', path: './list.json' }] });`);
    await mkdir(join(dir, 'sub', 'deeper'), { recursive: true });
    const config = await loadConfig({ cwd: join(dir, 'sub', 'deeper') });
    assert.is(config.configDir, dir);
    assert.equal(config.models.roots, ['~/ComfyUI/models']);
    assert.equal(config.sources, [{ type: 'catalog', path: join(dir, 'list.json') }]);
    assert.is(config.outputDir, 'generated');
    assert.is(config.models.target, 'ComfyUI/models');
    assert.is(config.lockPath, join(dir, 'comfy.lock.json'));
  } finally {
    await cleanup();
  }
});

test('object literals without defineConfig, and every config extension', async () => {
  for (const [file, body] of [
    ['comfy.config.mjs', `export default { workflows: ['a.json'] };`],
    ['comfy.config.js', `export default { workflows: ['a.json'] };`],
    ['comfy.config.mts', `export default { workflows: ['a.json'] as string[] };`],
    ['comfy.config.json', `{ "workflows": ["a.json"] }`],
  ] as const) {
    const { dir, cleanup } = await tempDir();
    try {
      await writeFile(join(dir, 'package.json'), '{"type":"module"}');
      await writeFile(join(dir, file), body);
      const config = await loadConfig({ cwd: dir });
      assert.equal(config.workflows, ['a.json'], file);
      assert.equal(config.sources.map((s) => s.type), ['embedded', 'huggingface', 'civitai'], `${file} default sources`);
    } finally {
      await cleanup();
    }
  }
});

test('a bad config names the file, the key path, what was expected and what was found', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({ workflows: ['a.json'], models: { roots: ['ok', 42] }, sources: [{ type: 'civitai' }, { type: 'ftp' }], outptu: {} }));
    const err = await expectUserError(() => loadConfig({ cwd: dir }));
    assert.is(err.exitCode, 2);
    assert.match(err.message, 'comfy.config.json');
    assert.match(err.message, 'models.roots[1]: expected string, found 42');
    assert.match(err.message, /sources\[1\]\.type: expected a source with type 'url' \| 'embedded'.*found "ftp"/);
    assert.match(err.message, 'outptu: unknown key');
  } finally {
    await cleanup();
  }
});

test('a url source with credentials in its URL is refused, without echoing them', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const files = { 'loras/a.safetensors': { url: 'http://me:pw-secret-77@example.com/a.safetensors' }, 'loras/b.safetensors': { url: 'https://example.com/b?X-Amz-Signature=sig-secret-88' } };
    await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({ workflows: ['a.json'], sources: [{ type: 'url', files }] }));
    const err = await expectUserError(() => loadConfig({ cwd: dir }));
    assert.is(err.exitCode, 2);
    assert.match(err.message, 'sources[0].files.loras/a.safetensors.url: expected a URL without credentials');
    assert.match(err.message, 'sources[0].files.loras/b.safetensors.url: expected a URL without credentials');
    assert.not.match(err.message, /secret-77|secret-88/);
  } finally {
    await cleanup();
  }
});

test('--config picks a file; a missing one and a missing search are clear errors', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeFile(join(dir, 'other.json'), JSON.stringify({ workflows: ['x/*.json'], output: { dir: 'out' } }));
    const config = await loadConfig({ cwd: dir, file: 'other.json' });
    assert.is(config.outputDir, 'out');
    const missing = await expectUserError(() => loadConfig({ cwd: dir, file: 'nope.ts' }));
    assert.match(missing.message, 'config file not found');
    const none = await expectUserError(() => loadConfig({ cwd: join(dir) }));
    assert.match(none.message, 'comfygen init');
  } finally {
    await cleanup();
  }
});

test('a config that throws is reported, not crashed on', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeFile(join(dir, 'comfy.config.mjs'), `throw new Error('boom from config');`);
    const err = await expectUserError(() => loadConfig({ cwd: dir }));
    assert.match(err.message, 'boom from config');
  } finally {
    await cleanup();
  }
});

test('a TypeScript config is transpiled once: the cached module follows edits and leaves nothing beside the config', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const write = (glob: string) => writeFile(join(dir, 'comfy.config.ts'), `import { defineConfig } from 'comfygen';
      import extra from './extra.json' with { type: 'json' };
      export default defineConfig({ workflows: ['${glob}', ...extra.globs] as string[] });`);
    await writeFile(join(dir, 'extra.json'), JSON.stringify({ globs: ['more/*.json'] }));
    await write('a/*.json');
    assert.equal((await loadConfig({ cwd: dir })).workflows, ['a/*.json', 'more/*.json']);
    assert.is((await readdir(join(dir, '.comfygen', 'config'))).length, 1);
    assert.equal((await loadConfig({ cwd: dir })).workflows, ['a/*.json', 'more/*.json'], 'from the cache, relative imports still resolve');
    const [cachedName] = await readdir(join(dir, '.comfygen', 'config'));
    const cached = join(dir, '.comfygen', 'config', cachedName!);
    const entry = await readFile(cached, 'utf8');
    const { mtimeMs } = await stat(cached);
    await loadConfig({ cwd: dir });
    assert.is((await stat(cached)).mtimeMs, mtimeMs, 'a good entry is used as it is');
    // An entry that does not match what it claims to be is never run: it is transpiled again.
    for (const corrupt of [entry.replace('a/*.json', 'from-cache/*.json'), entry.slice(0, -20), 'throw new Error("corrupt");\n', '']) {
      await writeFile(cached, corrupt);
      assert.equal((await loadConfig({ cwd: dir })).workflows, ['a/*.json', 'more/*.json'], `corrupt entry ${JSON.stringify(corrupt.slice(0, 40))}`);
      assert.is(await readFile(cached, 'utf8'), entry, 'and replaced by a good one');
    }
    await write('b/*.json');
    assert.equal((await loadConfig({ cwd: dir })).workflows, ['b/*.json', 'more/*.json'], 'an edit is seen at once');
    assert.equal((await readdir(dir)).sort(), ['.comfygen', 'comfy.config.ts', 'extra.json'], 'no temporary file left');
  } finally {
    await cleanup();
  }
});

test('a TypeScript config runs from the cache as if from its own folder: imports, import.meta, import()', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await mkdir(join(dir, 'lib'));
    await writeFile(join(dir, 'package.json'), '{"type":"module"}');
    await writeFile(join(dir, 'lib', 'roots.js'), `export const roots = ['from-lib'];`);
    await writeFile(join(dir, 'lib', 'later.js'), `export const globs = ['later/*.json'];`);
    // Strings and comments that look like imports stay as written.
    await writeFile(join(dir, 'comfy.config.ts'), `import { defineConfig } from 'comfygen';
      import { roots } from './lib/roots.js';
      export * from './lib/later.js';
      const which: string = 'later';
      const later = await import(\`./lib/\${which}.js\`);
      const literal = await import('./lib/later.js');
      const note = "import x from './nowhere.js'"; // import('./nowhere.js')
      export default defineConfig({
        workflows: [...later.globs, ...literal.globs, note],
        models: { roots: [...roots, import.meta.dirname, import.meta.filename, import.meta.url, import.meta.resolve('./lib/roots.js')] },
      });`);
    for (const pass of ['transpiled', 'from the cache']) {
      const config = await loadConfig({ cwd: dir });
      assert.equal(config.workflows, ['later/*.json', 'later/*.json', "import x from './nowhere.js'"], pass);
      assert.equal(config.models.roots, ['from-lib', dir, join(dir, 'comfy.config.ts'), pathToFileURL(join(dir, 'comfy.config.ts')).href,
        pathToFileURL(join(dir, 'lib', 'roots.js')).href], pass);
    }
  } finally {
    await cleanup();
  }
});

/** The config `dir` loads to, in a process of its own (hooks, once registered, stay for its life). */
function loadFresh(dir: string): { workflows: string[]; roots: string[] } {
  const script = `
    import { loadConfig } from ${JSON.stringify(new URL('../../src/config/load.ts', import.meta.url).href)};
    const config = await loadConfig({ cwd: process.argv[1] });
    console.log(JSON.stringify({ workflows: config.workflows, roots: config.models.roots }));`;
  const run = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', script, dir], { encoding: 'utf8' });
  assert.is(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
}

test('a comfy.config.mjs and its own modules import defineConfig from comfygen where comfygen is not installed', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await mkdir(join(dir, 'lib'));
    await writeFile(join(dir, 'lib', 'helper.mjs'), `import { defineConfig } from 'comfygen';\nimport { roots } from './roots.mjs';\nexport const make = (w) => defineConfig({ workflows: w, models: { roots } });`);
    await writeFile(join(dir, 'lib', 'roots.mjs'), `export const roots = [new URL('.', import.meta.url).pathname];`);
    // Both import comfygen: which import fails first in the plain attempt is up to Node.
    await writeFile(join(dir, 'comfy.config.mjs'), `import { defineConfig } from 'comfygen';\nimport { make } from './lib/helper.mjs';\nexport default defineConfig(make(['m/*.json']));`);
    assert.equal(loadFresh(dir), { workflows: ['m/*.json'], roots: [join(dir, 'lib') + '/'] });
    // Only its helper does: the plain attempt fails inside helper.mjs, which Node then keeps, failed, under its URL.
    await writeFile(join(dir, 'comfy.config.mjs'), `import { make } from './lib/helper.mjs';\nexport default make(['h/*.json']);`);
    assert.equal(loadFresh(dir), { workflows: ['h/*.json'], roots: [join(dir, 'lib') + '/'] }, 'import.meta.url of a module it imports is its own file');
  } finally {
    await cleanup();
  }
});

test('loading a config registers no module hooks, unless it cannot load without them', () => {
  // In a process of its own: hooks, once registered, stay for the life of the process.
  const script = `
    import { loadConfig } from ${JSON.stringify(new URL('../../src/config/load.ts', import.meta.url).href)};
    import { hooksRegistered } from ${JSON.stringify(new URL('../../src/config/module-hooks.ts', import.meta.url).href)};
    const seen = [];
    for (const dir of process.argv.slice(1)) {
      await loadConfig({ cwd: dir });
      seen.push(hooksRegistered());
    }
    console.log(JSON.stringify(seen));`;
  return withProjects(async (ts, json, mjs, unwritable) => {
    const run = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', script, ts, ts, json, mjs, unwritable], { encoding: 'utf8' });
    assert.is(run.status, 0, run.stderr);
    // comfy.config.ts cold, then warm, a JSON config, a .mjs config that imports comfygen (not
    // installed there: the hooks must step in), and a .ts config whose cache cannot be written.
    assert.equal(JSON.parse(run.stdout), [false, false, false, true, true]);
  });
});

async function withProjects(fn: (...dirs: string[]) => Promise<void>): Promise<void> {
  const { dir, cleanup } = await tempDir();
  try {
    const files: [string, string][] = [
      ['ts/comfy.config.ts', `import { defineConfig } from 'comfygen';\nexport default defineConfig({ workflows: ['a/*.json'] as string[] });`],
      ['json/comfy.config.json', '{ "workflows": ["a/*.json"] }'],
      ['mjs/comfy.config.mjs', `import { defineConfig } from 'comfygen';\nexport default defineConfig({ workflows: ['a/*.json'] });`],
      ['unwritable/comfy.config.ts', `export default { workflows: ['a/*.json'] as string[] };`],
      ['unwritable/.comfygen', 'a file where the cache folder would go'],
    ];
    for (const [path, text] of files) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    await fn(...['ts', 'json', 'mjs', 'unwritable'].map((d) => join(dir, d)));
  } finally {
    await cleanup();
  }
}

test('a TypeScript config loads when its cache cannot be written', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeFile(join(dir, '.comfygen'), 'a file where the cache folder would go');
    await writeFile(join(dir, 'comfy.config.ts'), `export default { workflows: ['a/*.json'] as string[] };`);
    assert.equal((await loadConfig({ cwd: dir })).workflows, ['a/*.json']);
    assert.equal((await loadConfig({ cwd: dir })).workflows, ['a/*.json'], 'again, without a cache');
    assert.is(await readFile(join(dir, '.comfygen'), 'utf8'), 'a file where the cache folder would go');
  } finally {
    await cleanup();
  }
});

test.run();
