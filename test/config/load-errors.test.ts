/**
 * Config files that cannot be read as a config, as a user sees them: `comfygen scan` in a real
 * temp project, its exit code, what it prints and what it leaves on disk.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
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
    // transpileModule alone turns this into `output: { dir, models: {...} }`: models.target vanishes.
    await writeFile(join(dir, 'comfy.config.ts'), "export default {\n  workflows: ['wf/*.json'],\n  output: { dir: 'out'\n  models: { target: 'x' },\n};\n");
    const { code, stderr } = await runCli(['scan'], dir);
    assert.is(code, 2);
    assert.match(stderr, "comfy.config.ts:4:3: ',' expected. (TS1005)");
    assert.match(stderr, "> 4 |   models: { target: 'x' },\n    |   ^");
    assert.match(stderr, 'comfy.config.ts has a syntax error, so none of it was loaded; fix it and run comfygen again');
    assert.not.match(stderr, 'output.models', 'not validated as the repaired object');
    assert.equal(await readdir(dir), ['comfy.config.ts'], 'nothing cached, nothing left beside the config');
  } finally {
    await cleanup();
  }
});

test.run();
