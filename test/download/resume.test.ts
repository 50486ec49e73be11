import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { baseEnv, bytes, listTree, lockOf, pathWithout, pin, processesHolding, processesMentioning, prng, runScript, serverAndDir, sha256, STOP_WAYS, stopScript, writeScript } from './harness.js';

const fx = serverAndDir(test, 'comfygen-dl-resume-');

const scratchDirs = (models: string) =>
  existsSync(models) ? readdirSync(models).filter((f) => f.startsWith('.comfygen-download.')) : [];
const sizeOf = (path: string) => (existsSync(path) ? statSync(path).size : 0);

test('killed at 24 seeded random points, every run resumes exactly where the last one stopped', async () => {
  // ~270 KB/s: 24 short runs cannot finish 40 MiB, so every round really is interrupted. That is
  // large enough for the hasher to follow the download as it lands (from 32 MiB).
  const body = bytes(40 * 1024 * 1024, 42);
  fx.server.file('/big.safetensors', body, { chunkSize: 4096, chunkDelayMs: 15 });
  const dir = join(fx.dir, 'kill');
  const models = join(dir, 'models');
  const script = await writeScript(dir, lockOf({ 'checkpoints/big.safetensors': pin(`${fx.server.url}/big.safetensors`, body) }));
  const env = { ...baseEnv(dir), MODELS_DIR: models };
  const part = join(models, 'checkpoints/big.safetensors.part');
  const random = prng(20240601);
  const noPython = await pathWithout(dir, ['python3']);
  // Power loss (SIGKILL to everything), a shutdown (SIGTERM to everything), Ctrl-C (SIGINT to the
  // group), `kill <pid>` (SIGTERM to bash).
  const ways = STOP_WAYS;
  let kills = 0;
  let resumed = 0;

  for (let round = 0; round < 24; round++) {
    const startSize = sizeOf(part);
    const scratchBefore = scratchDirs(models);
    const seen = fx.server.requests.length;
    const way = ways[round % ways.length]!;
    // Most kills land at a random point of the transfer (timed from this round's first request, so
    // a slow machine does not shift them); every fourth at a random point from the start.
    const early = round % 4 === 3;
    const delay = early ? Math.floor(random() * 120) : 20 + Math.floor(random() * 230);
    const kill = (child: ChildProcess) => {
      if (stopScript(child, way)) kills++;
    };
    // One connection (the other path has its own kill test, in split.test.ts).
    // Every way of stopping it, with each hasher: python3 reading the .part, or a feeder piping it
    // into openssl.
    const python = Math.floor(round / ways.length) % 2 === 0;
    await runScript(script, ['--connections', '1'], {
      env: python ? env : { ...env, PATH: noPython },
      onSpawn: async (child) => {
        if (!early) {
          const until = Date.now() + 10_000;
          while (fx.server.requests.length === seen && Date.now() < until) await new Promise((res) => setTimeout(res, 5));
        }
        setTimeout(() => kill(child), delay);
      },
    });
    assert.not.ok(existsSync(join(models, 'checkpoints/big.safetensors')), `round ${round} was interrupted before the end`);
    const mine = fx.server.requests.slice(seen);
    if (mine.length > 0) {
      // The first request of each run asks for exactly the bytes the .part lacks.
      assert.is(mine[0]!.rangeStart, startSize > 0 ? startSize : null, `round ${round} (${way}) resumed at the .part size`);
      if (startSize > 0) resumed++;
    }
    // However the run was stopped, no download goes on behind the user's back (a curl started
    // with & ignores SIGINT, so a Ctrl-C must reach it through the script), and nothing reads
    // the .part on (its hasher). A few seconds' grace for a loaded machine.
    const leftovers = () => [...processesMentioning(part), ...processesHolding(part)];
    for (const until = Date.now() + 3000; leftovers().length > 0 && Date.now() < until;) await new Promise((res) => setTimeout(res, 50));
    assert.equal(leftovers(), [], `round ${round} (${way}): nothing outlives the stopped script`);
    // Its own scratch dir is gone (it may also have swept those of the runs killed outright).
    if (way === 'term-script') assert.equal(scratchDirs(models).filter((d) => !scratchBefore.includes(d)), [], 'scratch dir removed on SIGTERM');
    assert.ok(sizeOf(part) >= startSize, 'a kill never loses bytes already on disk');
  }
  assert.ok(kills >= 20, `killed ${kills} times`);
  assert.ok(resumed >= 15, `resumed from a partial file ${resumed} times`);

  fx.server.file('/big.safetensors', body);
  const last = await runScript(script, ['--connections', '1'], { env });
  assert.is(last.code, 0, last.output);
  assert.is(sha256(await readFile(join(models, 'checkpoints/big.safetensors'))), sha256(body));
  assert.equal(await listTree(models), ['checkpoints/', 'checkpoints/big.safetensors'], 'killed runs\' scratch dirs swept too');
});

test('scratch folders of killed runs are swept, even one killed before it wrote anything there', async () => {
  const body = bytes(1000, 7);
  fx.server.file('/sweep.safetensors', body);
  const dir = join(fx.dir, 'sweep');
  const models = join(dir, 'models');
  const host = hostname().replace(/[^A-Za-z0-9.-]/g, '_').slice(0, 64);
  const dead = spawnSync('true').pid!;
  const scratch = (name: string) => join(models, `.comfygen-download.${name}`);
  const leftovers = {
    deadRun: `${host}.${dead}.12345`,
    liveRun: `${host}.${process.pid}.23456`,
    otherMachine: `elsewhere.${dead}.34567`,
    oldWithOwner: 'AbC123',
    oldStale: 'DeF456',
    oldFresh: 'GhI789',
  };
  for (const name of Object.values(leftovers)) await mkdir(scratch(name), { recursive: true });
  await writeFile(join(scratch(leftovers.oldWithOwner), 'owner'), `${hostname()}:${dead}\n`);
  const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
  await utimes(scratch(leftovers.oldStale), twoHoursAgo, twoHoursAgo);
  const script = await writeScript(dir, lockOf({ 'checkpoints/s.safetensors': pin(`${fx.server.url}/sweep.safetensors`, body) }));
  const r = await runScript(script, [], { env: { ...baseEnv(dir), MODELS_DIR: models } });
  assert.is(r.code, 0, r.output);
  assert.equal(readdirSync(models).filter((f) => f.startsWith('.comfygen-download.')).sort(), [
    `.comfygen-download.${leftovers.oldFresh}`, `.comfygen-download.${leftovers.otherMachine}`, `.comfygen-download.${leftovers.liveRun}`,
  ].sort(), 'only the dead runs of this machine are swept');
});

test.run();
