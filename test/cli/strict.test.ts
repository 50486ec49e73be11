/**
 * `--strict` and the summary: automation can tell a complete box from an incomplete one, the
 * summary's groups add up, and `--quiet` prints only problems.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli.js';
import { makeProject, sha } from './project.js';

// The project: base (pinned by a url source), mystery (active, no source knows it) and mine
// (only on a bypassed node, and only on this machine).

test('the summary counts every referenced model once: present, to download, unresolved, and how many of those an active node needs', async () => {
  const p = await makeProject();
  try {
    const r = await runCli(['build', '--offline'], p.dir);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /^referenced 3, present locally 0, to download 1, unresolved 2 \(1 needed by an active node, 1 only on this machine\)$/m);
    const json = JSON.parse((await runCli(['build', '--offline', '--json'], p.dir)).stdout);
    const c = json.counts;
    assert.equal([c.referenced, c.presentLocally, c.toDownload, c.unresolved, c.unresolvedActive, c.unresolvedHere], [3, 0, 1, 2, 1, 1]);
    assert.is(c.presentLocally + c.toDownload + c.unresolved, c.referenced);
  } finally {
    await p.cleanup();
  }
});

test('build --strict and check --strict exit 1 while a model an active node needs is unresolved, and name it; without it, 0', async () => {
  const p = await makeProject();
  try {
    assert.is((await runCli(['build', '--offline', '--quiet'], p.dir)).code, 0);
    for (const args of [['build', '--offline', '--strict'], ['build', '--offline', '--strict'], ['check', '--strict']]) {
      // The second build is replayed (nothing changed): --strict still holds.
      const r = await runCli(args, p.dir);
      assert.is(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^error: --strict: 1 model that active nodes need is unresolved: loras\/mystery\.safetensors \[unresolved-active\]$/m);
    }
    assert.is((await runCli(['check'], p.dir)).code, 0);
    const json = JSON.parse((await runCli(['build', '--offline', '--strict', '--json'], p.dir)).stdout);
    assert.is(json.exitCode, 1);

    // Pinned now: only the bypassed model is unresolved, which --strict accepts.
    const config = JSON.parse(await readFile(join(p.dir, 'comfy.config.json'), 'utf8'));
    config.sources[0].files['loras/mystery.safetensors'] = { url: 'https://example.com/mystery.safetensors', sha256: sha('mystery') };
    await writeFile(join(p.dir, 'comfy.config.json'), JSON.stringify(config));
    const pinned = await runCli(['build', '--strict'], p.dir);
    assert.is(pinned.code, 0, pinned.stderr);
    assert.match(pinned.stdout, /unresolved 1 \(none needed by an active node, 1 only on this machine\)$/m);
  } finally {
    await p.cleanup();
  }
});

test('--quiet prints only warnings and errors: no lock changes, no written files, no summary', async () => {
  const p = await makeProject();
  try {
    const first = await runCli(['build', '--offline', '--quiet'], p.dir);
    assert.is(first.code, 0);
    assert.is(first.stdout, '');
    for (const line of first.stderr.split('\n').filter(Boolean)) assert.match(line, /^(warning|error)\b|^ {2}→ /, line);
    const check = await runCli(['check', '--quiet'], p.dir);
    assert.equal([check.code, check.stdout, check.stderr], [0, '', '']);
    const report = join(p.dir, 'generated', 'report.md');
    await writeFile(report, `${(await readFile(report, 'utf8')).split('\n')[0]}\nedited by hand\n`);
    const drift = await runCli(['check', '--quiet'], p.dir);
    assert.is(drift.code, 1);
    assert.is(drift.stdout, 'would change: generated/report.md\ncheck: out of date; run `comfygen build` and commit the result\n');
  } finally {
    await p.cleanup();
  }
});

test.run();
