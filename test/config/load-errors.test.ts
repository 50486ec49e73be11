/**
 * Config files that cannot be read as a config, as a user sees them: `comfygen scan` in a real
 * temp project, its exit code, what it prints and what it leaves on disk.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnCli } from '../cli/spawn.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

test('a JSON config with a syntax error: file:line:col, the reason and one code frame, exit 2', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeFile(join(dir, 'comfy.config.json'), '{\n  "workflows": ["a.json"],\n  "output": { "dir": "x", }\n}\n');
    const { code, stderr } = await runCli(['scan'], dir);
    assert.is(code, 2);
    assert.match(stderr, "comfy.config.json:3:27: invalid JSON: expected a property name in double quotes, found '}'");
    assert.match(stderr, '> 3 |   "output": { "dir": "x", }\n    |                           ^');
    assert.is(stderr.split('"output"').length - 1, 1, `one code frame:\n${stderr}`);
    assert.match(stderr, 'no comments, trailing commas');
  } finally {
    await cleanup();
  }
});

test('a truncated JSON config points at the end of the file', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeFile(join(dir, 'comfy.config.json'), '{ "workflows": ["a.json"');
    const { code, stderr } = await runCli(['scan'], dir);
    assert.is(code, 2);
    assert.match(stderr, "comfy.config.json:1:25: invalid JSON: expected ',' or ']', found the end of the file");
  } finally {
    await cleanup();
  }
});

test('a TypeScript config with a syntax error is refused, not repaired into another config', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    // A transpiler that repairs (TypeScript's transpileModule) turns this into
    // `output: { dir, models: {...} }`: models.target vanishes.
    await writeFile(join(dir, 'comfy.config.ts'), "export default {\n  workflows: ['wf/*.json'],\n  output: { dir: 'out'\n  models: { target: 'x' },\n};\n");
    const { code, stderr } = await runCli(['scan'], dir);
    assert.is(code, 2);
    assert.match(stderr, 'comfy.config.ts:4:3: Expected `,` or `}` but found `Identifier`');
    assert.match(stderr, "> 4 |   models: { target: 'x' },\n    |   ^");
    assert.match(stderr, 'comfy.config.ts has a syntax error, so none of it was loaded; fix it and run comfygen again');
    assert.not.match(stderr, 'output.models', 'not validated as the repaired object');
    assert.equal(await readdir(dir), ['comfy.config.ts'], 'nothing cached, nothing left beside the config');
  } finally {
    await cleanup();
  }
});

test('a config file that yields nothing is an error naming it, never a fall-back to a parent folder\'s config', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    // A parent project with a valid config, which the search used to find instead.
    await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({ workflows: ['*.json'] }));
    const cases: [string, string, RegExp][] = [
      ['comfy.config.ts', '', /comfy\.config\.ts is empty, so it defines no config/],
      ['comfy.config.ts', '  \n\n', /comfy\.config\.ts is empty/],
      ['comfy.config.ts', `const config = { workflows: ['a.json'] };\nexport { config };\n`, /comfy\.config\.ts has no default export, so it defines no config/],
      ['comfy.config.mjs', 'export default undefined;', /comfy\.config\.mjs has no default export/],
      ['comfy.config.mjs', 'export default null;', /comfy\.config\.mjs has no default export/],
      ['comfy.config.json', '', /comfy\.config\.json is empty/],
      ['comfy.config.json', 'null', /comfy\.config\.json holds null/],
      // A config reading a missing file: ENOENT from a loader also made the search move on.
      ['comfy.config.mjs', `import { readFileSync } from 'node:fs';\nexport default JSON.parse(readFileSync('./missing.json', 'utf8'));`, /could not load comfy\.config\.mjs: ENOENT: no such file or directory, open '\.\/missing\.json'/],
    ];
    for (const [i, [name, body, message]] of cases.entries()) {
      // One folder each: Node caches an imported module by its path for the life of the process.
      const sub = join(dir, `sub${i}`);
      await mkdir(sub);
      await writeFile(join(sub, name), body);
      const { code, stdout, stderr } = await runCli(['scan', '--json'], sub);
      const what = `${name} ${JSON.stringify(body)}:\n${stderr}`;
      assert.is(code, 2, what);
      assert.is(stdout, '', what);
      assert.match(stderr, message, what);
      if (!message.source.includes('could not load')) {
        assert.match(stderr, name.endsWith('.json') ? 'It must hold a JSON object such as { "workflows": [' : "It must `export default defineConfig({ workflows: [", what);
        assert.match(stderr, 'does not fall back to a config in a parent folder', what);
      }
    }
    // --config names the file directly: the same error.
    await writeFile(join(dir, 'other.ts'), '');
    const direct = await runCli(['scan', '--config', 'other.ts'], dir);
    assert.is(direct.code, 2);
    assert.match(direct.stderr, 'other.ts is empty, so it defines no config');
  } finally {
    await cleanup();
  }
});

test('a TypeScript config stopped while it loads leaves nothing beside it', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeFile(join(dir, 'comfy.config.ts'), "console.error('config started');\nawait new Promise(() => setInterval(() => {}, 1000));\nexport default { workflows: ['a.json'] };\n");
    const run = spawnCli(['scan'], dir);
    try {
      await run.waitFor(/config started/);
      run.child.kill('SIGTERM');
      await run.exited;
    } finally {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL'); // never left running
    }
    assert.equal((await readdir(dir)).sort(), ['.comfygen', 'comfy.config.ts']);
  } finally {
    await cleanup();
  }
});

test('a config without workflows says what is missing, where, and what a value looks like', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await mkdir(join(dir, 'ts'));
    await writeFile(join(dir, 'ts', 'comfy.config.ts'), "export default { models: { roots: ['models'] } };");
    const ts = await runCli(['scan'], join(dir, 'ts'));
    assert.is(ts.code, 2);
    assert.is(ts.stderr, "comfygen: invalid config comfy.config.ts:\n  workflows: missing, and required: the globs of the workflow files to scan, relative to the config file; for example workflows: ['workflows/**/*.json']\n");
    await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({ sources: [{ type: 'catalog' }] }));
    const json = await runCli(['scan'], dir);
    assert.is(json.code, 2);
    assert.match(json.stderr, 'workflows: missing, and required: the globs of the workflow files to scan, relative to the config file; for example "workflows": ["workflows/**/*.json"]');
    assert.match(json.stderr, 'sources[0].path: missing, and required\n');
  } finally {
    await cleanup();
  }
});

test('a config whose top-level await never settles exits 2 saying so, and leaves nothing beside it', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    for (const name of ['comfy.config.ts', 'comfy.config.mjs']) {
      const project = join(dir, name.replace(/\./g, '-'));
      await mkdir(project);
      await writeFile(join(project, name), "await new Promise(() => {});\nexport default { workflows: ['a.json'] };\n");
      // In its own process: only there does an empty event loop end the run.
      const run = spawnCli(['scan', '--json'], project);
      const code = await run.exited;
      assert.is(code, 2, `${name}: ${run.err()}`);
      assert.is(run.out(), '');
      assert.match(run.err(), `comfygen: ${name} never finished loading: a top-level await in it (or in a module it imports) waits for a promise that nothing will settle`);
      assert.equal((await readdir(project)).filter((f) => f !== '.comfygen'), [name], 'no temporary file beside the config');
    }
  } finally {
    await cleanup();
  }
});

test.run();
