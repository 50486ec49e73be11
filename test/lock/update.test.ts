import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseLock } from '../../src/lock/read.js';
import { formatChange, serializeLock, updateLock } from '../../src/lock/update.js';
import type { LockEntry, Lockfile } from '../../src/core/types.js';
import { UserError } from '../../src/core/errors.js';

const pin = (url: string, sha = 'a'.repeat(64)): LockEntry => ({
  original: { url },
  locked: { source: 'url', url, sha256: sha, size: 10, hashOrigin: 'declared' },
});

test('build adds missing entries and keeps existing pins untouched', () => {
  const previous: Lockfile = { version: 1, models: { 'vae/a.safetensors': pin('https://x/a') } };
  const { lock, changes } = updateLock(previous, ['vae/a.safetensors', 'loras/b.safetensors'], new Map([['loras/b.safetensors', pin('https://x/b')]]));
  assert.equal(Object.keys(lock.models), ['loras/b.safetensors', 'vae/a.safetensors']);
  assert.equal(lock.models['vae/a.safetensors'], previous.models['vae/a.safetensors']);
  assert.equal(changes.map(formatChange), ['+ added loras/b.safetensors']);
});

test('re-resolved entries are updates; models no workflow needs are removed', () => {
  const previous: Lockfile = { version: 1, models: { 'vae/a.safetensors': pin('https://x/a'), 'vae/old.safetensors': pin('https://x/old') } };
  const { lock, changes } = updateLock(previous, ['vae/a.safetensors'], new Map([['vae/a.safetensors', pin('https://x/a2', 'b'.repeat(64))]]));
  assert.equal(changes.map(formatChange), ['~ updated vae/a.safetensors', '- removed vae/old.safetensors']);
  assert.is(lock.models['vae/a.safetensors']!.locked!.url, 'https://x/a2');
});

test('serialisation is sorted, 2-space, newline-terminated, and independent of insertion order', () => {
  const a = updateLock(null, ['z/1', 'a/2'], new Map([['z/1', pin('https://x/u1')], ['a/2', pin('https://x/u2')]])).lock;
  const b = updateLock(null, ['a/2', 'z/1'], new Map([['a/2', pin('https://x/u2')], ['z/1', pin('https://x/u1')]])).lock;
  const text = serializeLock(a);
  assert.is(text, serializeLock(b));
  assert.ok(text.endsWith('}\n'));
  assert.ok(text.indexOf('"a/2"') < text.indexOf('"z/1"'));
  assert.match(text, /\n {2}"models": \{\n {4}"a\/2"/);
  assert.equal(parseLock(text, 'comfy.lock.json'), a);
});

test('a corrupt lock is a clear error that promises not to overwrite it', () => {
  for (const bad of ['{not json', '{"version":2,"models":{}}', '{"version":1,"models":{"k":{"original":{},"locked":{"source":"x","url":"u","sha256":"XYZ","size":1}}}}']) {
    try {
      parseLock(bad, 'comfy.lock.json');
      assert.unreachable();
    } catch (err) {
      assert.instance(err, UserError);
      assert.match((err as Error).message, 'comfy.lock.json');
      assert.match((err as Error).message, 'will not overwrite');
    }
  }
});

test('a lock entry must be either locked or unresolved, with a web URL and a size of 0 or more', () => {
  const entry = (e: Record<string, unknown>) => JSON.stringify({ version: 1, models: { 'loras/a.safetensors': { original: {}, ...e } } });
  const locked = (over: Record<string, unknown> = {}) => ({ source: 'url', url: 'https://x/a', sha256: 'ab'.repeat(32), size: 1, ...over });
  const refused: [string, RegExp][] = [
    [entry({ locked: locked(), unresolved: { reason: 'x', sha256: null } }), /models\["loras\/a\.safetensors"\]: expected either "locked" or "unresolved"/],
    [entry({}), /not neither/],
    [entry({ locked: locked({ size: -5 }) }), /locked\.size: expected a size of 0 bytes or more/],
    [entry({ locked: locked({ size: 1.5 }) }), /locked\.size/],
    [entry({ locked: locked({ url: 'file:///etc/passwd' }) }), /locked\.url: expected an http\(s\) URL/],
    [entry({ locked: locked({ url: '-o /tmp/x' }) }), /locked\.url/],
    [entry({ unresolved: { reason: 'x', sha256: 'nothex' } }), /unresolved\.sha256/],
  ];
  for (const [text, why] of refused) {
    try {
      parseLock(text, 'comfy.lock.json');
      assert.unreachable(text);
    } catch (err) {
      assert.instance(err, UserError, text);
      assert.match((err as Error).message, why);
    }
  }
  const upper = parseLock(entry({ locked: locked({ sha256: 'AB'.repeat(32) }) }), 'comfy.lock.json');
  assert.is(upper.models['loras/a.safetensors']!.locked!.sha256, 'ab'.repeat(32), 'a hash in capitals is the same hash');
});

test('a hand-edited field of the wrong type is a usage error naming its key path (models and node packs)', () => {
  const model = (locked: Record<string, unknown>, original: Record<string, unknown> = {}) => JSON.stringify({ version: 1, models: {
    'loras/a.safetensors': { original, locked: { source: 'url', url: 'https://x/a', sha256: 'ab'.repeat(32), size: 1, ...locked } } } });
  const pack = (entry: Record<string, unknown>) => JSON.stringify({ version: 1, models: {}, nodes: { kj: { original: { cnr_id: 'kj' }, ...entry } } });
  const registry = { type: 'registry', id: 'kj', version: '1.0.0', url: 'https://x/kj.zip', sha256: 'a'.repeat(64) };
  const refused: [string, string][] = [
    [model({ mirrors: 5 }), 'models["loras/a.safetensors"].locked.mirrors'],
    [model({ mirrors: ['https://ok/a', 'file:///etc/passwd'] }), 'models["loras/a.safetensors"].locked.mirrors[1]'],
    [model({ approxSize: '12' }), 'models["loras/a.safetensors"].locked.approxSize'],
    [model({ approxSize: 1e300 }), 'models["loras/a.safetensors"].locked.approxSize'],
    [model({ remoteName: 7 }), 'models["loras/a.safetensors"].locked.remoteName'],
    [model({ blake3: false }), 'models["loras/a.safetensors"].locked.blake3'],
    // What goes into the Hugging Face cache is named by its ETag; a snapshot by its files.
    [model({ etag: '../../x' }), 'models["loras/a.safetensors"].locked.etag'],
    [model({ files: { 'a.json': { url: 'https://x/a', sha256: 'ab'.repeat(32), size: -1 } } }), 'models["loras/a.safetensors"].locked.files["a.json"].size'],
    [model({ files: { 'a.json': { url: 'file:///etc/passwd', sha256: 'ab'.repeat(32), size: 1 } } }), 'models["loras/a.safetensors"].locked.files["a.json"].url'],
    [model({ files: { 'a.json': { url: 'https://x/a', sha256: null, size: 1 } } }), 'models["loras/a.safetensors"].locked.files["a.json"].sha256'],
    [model({}, { url: 3 }), 'models["loras/a.safetensors"].original.url'],
    [pack({ locked: { ...registry, version: 1 } }), 'nodes.kj.locked.version'],
    [pack({ locked: { type: 'git', repo: 'https://github.com/o/r', commit: 40 } }), 'nodes.kj.locked.commit'],
    [pack({ locked: { type: 'svn', repo: 'x' } }), 'nodes.kj.locked.type'],
    [pack({ locked: registry, unresolved: { reason: 'x' } }), 'nodes.kj: expected either "locked" or "unresolved"'],
    [pack({ unresolved: { reason: 5 } }), 'nodes.kj.unresolved.reason'],
    [pack({ original: { nodeTypes: 'Foo' }, unresolved: { reason: 'x' } }), 'nodes.kj.original.nodeTypes'],
    [pack({ chosenBy: 'me', unresolved: { reason: 'x' } }), 'nodes.kj.chosenBy'],
  ];
  for (const [text, path] of refused) {
    try {
      parseLock(text, 'comfy.lock.json');
      assert.unreachable(text);
    } catch (err) {
      assert.instance(err, UserError, text);
      assert.is((err as UserError).exitCode, 2);
      assert.ok((err as Error).message.startsWith(`comfy.lock.json has an unexpected shape at ${path}`), (err as Error).message);
    }
  }
  assert.ok(parseLock(pack({ locked: registry, extra: 'a newer field' }), 'comfy.lock.json').nodes?.kj?.locked, 'unknown extra fields are fine');
});

test('node pack changes are reported with a node: prefix', () => {
  const { lock, changes } = updateLock(null, [], new Map(), { 'comfyui-kjnodes': { original: { cnr_id: 'comfyui-kjnodes' }, unresolved: { reason: 'offline' } } });
  assert.ok(lock.nodes);
  assert.equal(changes.map(formatChange), ['+ added node:comfyui-kjnodes']);
});

test('a token left in an old lock\'s provenance URL is dropped when the lock is read', () => {
  const lock = parseLock(JSON.stringify({ version: 1, models: {
    'loras/a.safetensors': { original: { url: 'https://civitai.com/api/download/models/1?type=Model&token=SENTINEL-123' }, unresolved: { reason: 'x', sha256: null } },
  } }), 'comfy.lock.json');
  assert.is(lock.models['loras/a.safetensors']!.original.url, 'https://civitai.com/api/download/models/1?type=Model');
  assert.not.ok(serializeLock(lock).includes('SENTINEL'));
});

test.run();
