/**
 * Media built to amplify (issue 20, class 1): a PNG of a hundred compressed chunks that each
 * inflate to 60 MiB, a WebP whose 65,535 EXIF tags all name one 1 MiB value. Scanned by a real
 * build in a process whose heap is capped well below what inflating them would take: the build
 * finishes, names both files, and locks what the good workflow needs.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tempDir } from '../helpers/tmp.js';
import { concat, exifShared, latin1, png, pngChunk, webp } from '../scan/builders.js';
import { spawnCli } from './spawn.js';

const MB = 1024 * 1024;

test('a build survives media that would inflate to gigabytes, with a capped heap', async () => {
  const { dir, cleanup } = await tempDir('comfygen-bombs-');
  try {
    await mkdir(join(dir, 'wf'));
    await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({ workflows: ['wf/*'], sources: [] }));
    await writeFile(join(dir, 'wf', 'good.json'), JSON.stringify({ '1': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'good.safetensors' } } }));
    const chunk = pngChunk('zTXt', concat(latin1('workflow'), Uint8Array.of(0, 0), deflateSync(new Uint8Array(60 * MB).fill(0x20))));
    await writeFile(join(dir, 'wf', 'bomb.png'), png(Array.from({ length: 100 }, () => chunk)));
    await writeFile(join(dir, 'wf', 'tags.webp'), webp(exifShared(0x010f, 65_535, `workflow:{${' '.repeat(MB)}`)));

    const cli = spawnCli(['build', '--offline'], dir, { NODE_OPTIONS: '--max-old-space-size=256' });
    const code = await cli.exited;
    const stderr = cli.err();
    assert.is(code, 1, `exit 1 for the two unreadable files, not a crash:\n${stderr.slice(-3000)}`);
    assert.match(stderr, /error wf\/bomb\.png: .*would exceed 64 MiB \(the limit per file, across its chunks, after inflating\).*\[unparsable-workflow\]/);
    assert.match(stderr, /error wf\/tags\.webp: .*would exceed 64 MiB.*\[unparsable-workflow\]/);
    assert.not.match(stderr, /\n\s+at /, 'no stack trace');
    const lock = JSON.parse(await readFile(join(dir, 'comfy.lock.json'), 'utf8'));
    assert.equal(Object.keys(lock.models), ['checkpoints/good.safetensors'], 'the good workflow is locked');
  } finally {
    await cleanup();
  }
});

test.run();
