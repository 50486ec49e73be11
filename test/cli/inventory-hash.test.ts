import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli.js';
import { referenceBlake3 } from '../helpers/tools.js';
import { MINE, makeProject, sha } from './project.js';

const b3sum = referenceBlake3;

interface InvFile { name: string; sha256: string | null; blake3: string | null }
const byName = (stdout: string) => new Map((JSON.parse(stdout).files as InvFile[]).map((f) => [f.name, f]));

test('inventory --hash blake3 shows b3sum\'s digest, remembers it, and a later --hash adds sha256 to it', async () => {
  const p = await makeProject();
  try {
    // One file big enough for the worker pool beside the small one hashed on the calling thread.
    const big = randomBytes(3 * 1024 * 1024);
    const bigPath = join(p.dir, 'models', 'checkpoints', 'big.safetensors');
    await writeFile(bigPath, big);
    const minePath = join(p.dir, 'models', 'loras', 'sub', 'mine.safetensors');

    const plain = byName((await runCli(['inventory', '--json'], p.dir)).stdout);
    assert.is(plain.get('sub/mine.safetensors')!.blake3, null, 'without --hash nothing is read');

    const b3 = await runCli(['inventory', '--hash', 'blake3', '--json'], p.dir);
    assert.is(b3.code, 0, b3.stderr);
    const hashed = byName(b3.stdout);
    const mine = hashed.get('sub/mine.safetensors')!;
    assert.equal([mine.blake3, mine.sha256], [b3sum(minePath), null], 'only what was asked');
    assert.is(hashed.get('big.safetensors')!.blake3, b3sum(bigPath));

    // The cache answers a plain inventory now.
    assert.is(byName((await runCli(['inventory', '--json'], p.dir)).stdout).get('big.safetensors')!.blake3, b3sum(bigPath));

    // --hash alone is sha256; the table shows it, progress goes to stderr, blake3 stays known.
    const human = await runCli(['inventory', '--hash'], p.dir);
    assert.is(human.code, 0, human.stderr);
    assert.match(human.stderr, /✔ Hash model files \(sha256\): 2\/2 file\(s\)/);
    assert.match(human.stdout, new RegExp(`${sha(MINE).slice(0, 12)}  sub/mine\\.safetensors`));
    assert.match(human.stdout, /2 file\(s\), .*, 2 with a known hash/);
    const both = byName((await runCli(['inventory', '--json'], p.dir)).stdout).get('big.safetensors')!;
    assert.equal([both.sha256, both.blake3], [sha(big), b3sum(bigPath)]);

    const table = await runCli(['inventory', '--hash', 'sha256,blake3'], p.dir);
    assert.match(table.stdout, new RegExp(`${sha(big).slice(0, 12)}  ${b3sum(bigPath).slice(0, 12)}  big\\.safetensors`));
    assert.match(table.stdout, /2 with a known hash \(sha256, blake3\)/);
  } finally {
    await p.cleanup();
  }
});

test('inventory --hash with an unknown algorithm is a usage error (exit 2) naming the choices', async () => {
  const p = await makeProject();
  try {
    const run = await runCli(['inventory', '--hash', 'md5'], p.dir);
    assert.is(run.code, 2);
    assert.match(run.stderr, /--hash takes a comma-separated list of sha256, blake3; got "md5"/);
  } finally {
    await p.cleanup();
  }
});

test.run();
