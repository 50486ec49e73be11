import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import type { Diagnostic, NodeLockEntry } from '../../src/core/types.js';
import { collectPacks, resolvePacks } from '../../src/nodes/index.js';
import type { ResolvePacksOptions } from '../../src/nodes/types.js';
import { startFakeRegistry, type FakeRegistry } from '../helpers/fake-registry.js';
import { startFakeServer } from '../helpers/fake-server.js';
import { createBareRepo, type FixtureRepo } from '../helpers/git-fixtures.js';
import { tempDir } from '../helpers/tmp.js';
import { options, ref, workflow } from './build.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
let registry: FakeRegistry;
let repo: FixtureRepo;
let other: FixtureRepo;
let hosts: string;

test.before(async () => {
  tmp = await tempDir();
  hosts = join(tmp.dir, 'hosts');
  repo = createBareRepo(hosts, 'someone/Pack', [{ 'a.py': '1' }, { 'a.py': '2' }, { 'a.py': '3' }]);
  other = createBareRepo(hosts, 'owner/registered', [{ 'b.py': '1' }, { 'b.py': '2' }]);
  registry = await startFakeRegistry([
    { id: 'kj', publisher: 'kijai', versions: [{ version: '1.1.5', files: { 'a.py': '5' } }, { version: '1.1.6', files: { 'a.py': '6' } }] },
    // Text order would call 1.9.0 the latest; semver says 1.10.0.
    { id: 'semverish', versions: [{ version: '1.9.0', files: { 'a': '9' } }, { version: '1.10.0', files: { 'a': '10' } }, { version: '2.0.0', files: { 'a': '2' }, status: 'NodeVersionStatusBanned' }] },
    { id: 'registered', repository: 'https://github.com/owner/registered.git', classes: ['RegisteredNode'], versions: [] },
    { id: 'ComfyUI-Mixed', versions: [{ version: '1.0.0', files: { 'm.py': 'm' } }] },
    { id: 'old', versions: [{ version: '1.0.0', files: { 'o': 'o' }, deprecated: true }, { version: '0.9.0', files: { 'o': 'n' }, status: 'NodeVersionStatusDeleted' }] },
    { id: 'no-url', versions: [{ version: '1.0.0', files: { 'n': 'n' }, downloadUrl: '' }] },
    { id: 'by-type', classes: ['TypedNode', 'OtherTypedNode'], versions: [{ version: '3.0.0', files: { 't': 't' } }] },
  ]);
});

test.after(async () => {
  await registry.close();
  await tmp.cleanup();
});

function opts(over: Partial<ResolvePacksOptions> = {}): ResolvePacksOptions {
  return options({ registryEndpoint: registry.endpoint, githubEndpoint: `file://${hosts}`, ...over });
}

async function lock(refs: Parameters<typeof workflow>[1], over: Partial<ResolvePacksOptions> = {}, previous: Record<string, NodeLockEntry> = {}, untagged: string[] = []) {
  const diagnostics: Diagnostic[] = [];
  const result = await resolvePacks(collectPacks([workflow('w.json', refs, untagged)]), previous, opts({ report: (d) => diagnostics.push(d), ...over }));
  assert.equal(result.diagnostics, [...diagnostics].sort((a, b) => (a.code + a.message < b.code + b.message ? -1 : 1)), 'returned diagnostics are the reported ones');
  return result;
}

test('several commits of one pack: the newest wins, the conflict is listed in notes', async () => {
  const { nodes, notes } = await lock([ref('someone/pack', repo.commits[2]!, { repo: 'someone/Pack' }), ref('someone/pack', repo.commits[0]!)]);
  assert.equal(nodes['someone/pack'], {
    original: { aux_id: 'someone/Pack', ver: repo.commits[2]! },
    locked: { type: 'git', repo: 'https://github.com/someone/Pack', commit: repo.commits[2]! },
  });
  const conflict = notes.find((n) => n.kind === 'version-conflict');
  assert.equal(conflict?.versions, [repo.commits[0]!, repo.commits[2]!].sort());
});

test('a pack recorded at hundreds of versions: the warning names the oldest and the newest, and stays one short line', async () => {
  const versions = Array.from({ length: 300 }, (_, i) => `1.${Math.floor(i / 10)}.${i % 10}`);
  const diagnostics: Diagnostic[] = [];
  const demand = collectPacks(versions.map((v, i) => workflow(`w${i}.json`, [ref('kj', v)])));
  const { notes } = await resolvePacks(demand, {}, opts({ offline: true, report: (d) => diagnostics.push(d) }));
  const warning = diagnostics.find((d) => d.code === 'pack-version-conflict');
  assert.is(warning?.message, 'kj: workflows record 300 versions (1.0.0, 1.0.1, 1.0.2, … 294 more …, 1.29.7, 1.29.8, 1.29.9); locked nothing (unresolved)');
  const note = notes.find((n) => n.kind === 'version-conflict');
  assert.is(note?.versions?.length, 300, 'the note still carries every version');
  assert.ok(note!.message.length < 300, note!.message);

  // The same for a node type no pack provides, used all over the collection.
  const mystery = collectPacks(versions.map((_, i) => workflow(`m${String(i).padStart(3, '0')}.json`, [], ['MysteryEverywhere'])));
  const seen: Diagnostic[] = [];
  await resolvePacks(mystery, {}, opts({ report: (d) => seen.push(d) }));
  assert.is(seen.find((d) => d.code === 'unknown-node-type')?.message,
    'node type MysteryEverywhere (m000.json, m001.json, m002.json and 297 more workflows) is not part of ComfyUI and no known pack provides it');
});

test('several semver versions: the newest is pinned from the registry', async () => {
  const { nodes, notes } = await lock([ref('kj', '1.1.6'), ref('kj', '1.1.5')]);
  assert.is(nodes.kj!.locked?.type === 'registry' && nodes.kj!.locked.version, '1.1.6');
  assert.is(nodes.kj!.original.ver, '1.1.6');
  assert.ok(notes.some((n) => n.pack === 'kj' && n.kind === 'version-conflict'));
});

test('no version recorded: newest usable registry version by semver, chosen by comfygen', async () => {
  const { nodes, notes } = await lock([ref('semverish', 'unknown')]);
  assert.equal(nodes.semverish, {
    original: { cnr_id: 'semverish' }, chosenBy: 'comfygen',
    locked: { type: 'registry', id: 'semverish', version: '1.10.0', url: 'https://api.comfy.org/cdn/pub/semverish/1.10.0/node.zip', sha256: registry.sha256('semverish', '1.10.0') },
  });
  assert.ok(notes.some((n) => n.pack === 'semverish' && n.kind === 'chosen-by-comfygen'));
});

test('no version recorded for a git-only pack: the default branch tip, chosen by comfygen', async () => {
  const { nodes } = await lock([ref('someone/pack', null, { repo: 'someone/Pack' })]);
  assert.equal(nodes['someone/pack'], { original: { aux_id: 'someone/Pack' }, chosenBy: 'comfygen', locked: { type: 'git', repo: 'https://github.com/someone/Pack', commit: repo.tip } });
});

test('a commit recorded with a registry id: pinned in the repository the registry names', async () => {
  const { nodes } = await lock([ref('registered', other.commits[0]!)]);
  assert.equal(nodes.registered!.locked, { type: 'git', repo: 'https://github.com/owner/registered', commit: other.commits[0]! });
});

test('a short commit is expanded; a commit the repository lacks is unresolved with the reason', async () => {
  const short = await lock([ref('someone/pack', repo.commits[1]!.slice(0, 10), { repo: 'someone/Pack' })]);
  assert.is(short.nodes['someone/pack']!.locked?.type === 'git' && short.nodes['someone/pack']!.locked.commit, repo.commits[1]);
  const missing = await lock([ref('someone/pack', '0'.repeat(40), { repo: 'someone/Pack' })]);
  assert.match(missing.nodes['someone/pack']!.unresolved?.reason ?? '', /0{40}: commit 0{40} is not in the repository/);
  assert.ok(missing.diagnostics.some((d) => d.code === 'pack-unresolved'));
  const noRepo = await lock([ref('nobody/nothing', '0'.repeat(40))]);
  assert.match(noRepo.nodes['nobody/nothing']!.unresolved?.reason ?? '', /does not exist or is private/);
});

test('a registry id spelled in another case follows the registry redirect to the real id', async () => {
  const { nodes } = await lock([ref('comfyui-mixed', '1.0.0')]);
  assert.is(nodes['comfyui-mixed']!.locked?.type === 'registry' && nodes['comfyui-mixed']!.locked.id, 'ComfyUI-Mixed');
});

test('registry status: deprecated pins with a warning, deleted is unresolved, empty URL falls back to /install', async () => {
  const deprecated = await lock([ref('old', '1.0.0')]);
  assert.ok(deprecated.nodes.old!.locked);
  assert.ok(deprecated.diagnostics.some((d) => d.code === 'pack-version-status' && /deprecated/.test(d.message)));
  const deleted = await lock([ref('old', '0.9.0')]);
  assert.match(deleted.nodes.old!.unresolved?.reason ?? '', /NodeVersionStatusDeleted/);
  const noUrl = await lock([ref('no-url', '1.0.0')]);
  assert.is(noUrl.nodes['no-url']!.locked?.type === 'registry' && noUrl.nodes['no-url']!.locked.sha256, registry.sha256('no-url', '1.0.0'));
  assert.ok(registry.requests.includes('GET /nodes/no-url/install?version=1.0.0'));
});

test('node types map to packs through the class lookup, cached; unknown types are reported', async () => {
  const cache = join(tmp.dir, 'cache');
  const first = await lock([], { cacheDir: cache }, {}, ['TypedNode', 'OtherTypedNode', 'Mystery']);
  assert.equal(first.nodes['by-type']!.original, { nodeTypes: ['OtherTypedNode', 'TypedNode'] });
  assert.is(first.nodes['by-type']!.chosenBy, 'comfygen');
  assert.ok(first.diagnostics.some((d) => d.code === 'unknown-node-type' && d.message.includes('Mystery')));
  const before = registry.requests.filter((r) => r.includes('/comfy-nodes/')).length;
  const second = await lock([], { cacheDir: cache }, {}, ['TypedNode', 'OtherTypedNode', 'Mystery']);
  assert.equal(second.nodes, first.nodes);
  assert.is(registry.requests.filter((r) => r.includes('/comfy-nodes/')).length, before, 'answers come from the cache');
});

test('a pack with no published version falls back to its repository default branch', async () => {
  const { nodes } = await lock([], {}, {}, ['RegisteredNode']);
  assert.equal(nodes.registered, { original: { nodeTypes: ['RegisteredNode'] }, chosenBy: 'comfygen', locked: { type: 'git', repo: 'https://github.com/owner/registered', commit: other.tip } });
});

test('previous entries are kept without asking anyone; --update re-resolves (all or named keys)', async () => {
  const previous: Record<string, NodeLockEntry> = {
    kj: { original: { cnr_id: 'kj', ver: '1.1.5' }, locked: { type: 'registry', id: 'kj', version: '1.1.5', url: 'https://api.comfy.org/x.zip', sha256: 'b'.repeat(64) } },
    'someone/pack': { original: { aux_id: 'someone/Pack' }, chosenBy: 'comfygen', locked: { type: 'git', repo: 'https://github.com/someone/Pack', commit: repo.commits[0]! } },
  };
  const refs = [ref('kj', '1.1.5'), ref('someone/pack', null, { repo: 'someone/Pack' })];
  const seen = registry.requests.length;
  const kept = await lock(refs, {}, previous);
  assert.equal(kept.nodes, previous);
  assert.is(registry.requests.length, seen);
  const one = await lock(refs, { update: ['SOMEONE/pack'] }, previous);
  assert.equal(one.nodes.kj, previous.kj);
  assert.is(one.nodes['someone/pack']!.locked?.type === 'git' && one.nodes['someone/pack']!.locked.commit, repo.tip);
  const all = await lock(refs, { update: true }, previous);
  assert.is(all.nodes.kj!.locked?.type === 'registry' && all.nodes.kj!.locked.sha256, registry.sha256('kj', '1.1.5'));
});

test('a workflow that now records another version re-resolves the entry', async () => {
  const previous: Record<string, NodeLockEntry> = {
    kj: { original: { cnr_id: 'kj', ver: '1.1.5' }, locked: { type: 'registry', id: 'kj', version: '1.1.5', url: 'https://api.comfy.org/x.zip', sha256: 'b'.repeat(64) } },
  };
  const { nodes } = await lock([ref('kj', '1.1.6')], {}, previous);
  assert.is(nodes.kj!.locked?.type === 'registry' && nodes.kj!.locked.version, '1.1.6');
});

test('a registry outage during --update keeps the previous pin, and the outage is handed on once, naming the mirror variable', async () => {
  const previous: Record<string, NodeLockEntry> = {
    kj: { original: { cnr_id: 'kj', ver: '1.1.5' }, locked: { type: 'registry', id: 'kj', version: '1.1.5', url: 'https://api.comfy.org/x.zip', sha256: 'b'.repeat(64) } },
  };
  registry.fail('/nodes/', 503);
  try {
    const { nodes, diagnostics, affected } = await lock([ref('kj', '1.1.5')], { update: true }, previous);
    assert.equal(nodes, previous);
    assert.equal(diagnostics, [], 'said by the build\'s source-failed summary, not per pack');
    assert.equal(affected, [{ key: 'node:kj', kept: true,
      troubles: [{ service: 'comfy-registry', kind: 'server-error', detail: 'HTTP 503', host: new URL(registry.endpoint).host, via: 'COMFY_REGISTRY_ENDPOINT' }] }]);
  } finally {
    registry.fail('/nodes/', null);
  }
});

test('an outage never changes an unresolved pack either; a new pack gets words that name no host or error', async () => {
  const previous: Record<string, NodeLockEntry> = {
    kj: { original: { cnr_id: 'kj', ver: '9.9.9' }, unresolved: { reason: 'the Comfy Registry has no version 9.9.9 of kj' } },
  };
  for (const status of [503, 429]) {
    registry.fail('/nodes/', status);
    try {
      const { nodes, diagnostics } = await lock([ref('kj', '9.9.9'), ref('semverish', '1.9.0')], {}, previous);
      assert.equal(nodes.kj, previous.kj, 'the reason from the last answer stays');
      assert.equal(nodes.semverish, { original: { cnr_id: 'semverish', ver: '1.9.0' }, unresolved: { reason: 'api.comfy.org unavailable; the next build asks again' } });
      assert.equal(diagnostics, []);
    } finally {
      registry.fail('/nodes/', null);
    }
  }
});

test('a git host that refuses connections: pins kept, said as the HTTP client says it, naming GITHUB_ENDPOINT', async () => {
  const gone = await startFakeServer(() => {});
  await gone.close();
  const previous: Record<string, NodeLockEntry> = {
    'someone/pack': { original: { aux_id: 'someone/Pack', ver: repo.commits[1]! }, locked: { type: 'git', repo: 'https://github.com/someone/Pack', commit: repo.commits[1]! } },
    'owner/registered': { original: { aux_id: 'owner/registered', ver: other.tip }, locked: { type: 'git', repo: 'https://github.com/owner/registered', commit: other.tip } },
  };
  const refs = [ref('someone/pack', repo.commits[1]!, { repo: 'someone/Pack' }), ref('owner/registered', other.tip, { repo: 'owner/registered' })];
  const { nodes, diagnostics, affected } = await lock(refs, { update: true, githubEndpoint: gone.url }, previous);
  assert.equal(nodes, previous);
  assert.equal(diagnostics, []);
  const trouble = { service: 'git', kind: 'unreachable', detail: 'network error (ECONNREFUSED)', host: new URL(gone.url).host, via: 'GITHUB_ENDPOINT' };
  assert.equal(affected, [{ key: 'node:owner/registered', kept: true, troubles: [trouble] }, { key: 'node:someone/pack', kept: true, troubles: [trouble] }]);
});

test('workflows that ask for another version during a registry outage: the pin stays, with a warning that says why', async () => {
  const previous: Record<string, NodeLockEntry> = {
    kj: { original: { cnr_id: 'kj', ver: '1.1.5' }, locked: { type: 'registry', id: 'kj', version: '1.1.5', url: 'https://api.comfy.org/x.zip', sha256: 'b'.repeat(64) } },
  };
  registry.fail('/nodes/', 502);
  try {
    const { nodes, diagnostics, affected } = await lock([ref('kj', '1.1.6')], {}, previous);
    assert.equal(nodes.kj?.locked, previous.kj!.locked);
    assert.equal(diagnostics.map((d) => d.code), ['pack-lock-kept']);
    assert.equal(affected.map((a) => [a.key, a.kept, a.troubles[0]?.detail]), [['node:kj', true, 'HTTP 502']]);
  } finally {
    registry.fail('/nodes/', null);
  }
});

test('--update keeps a pack pin it cannot verify again, whatever the reason, and says so', async () => {
  const previous: Record<string, NodeLockEntry> = {
    'someone/pack': { original: { aux_id: 'someone/Pack', ver: 'f'.repeat(40) }, locked: { type: 'git', repo: 'https://github.com/someone/Pack', commit: 'f'.repeat(40) } },
  };
  const { nodes, diagnostics } = await lock([ref('someone/pack', 'f'.repeat(40), { repo: 'someone/Pack' })], { update: ['node:someone/pack'] }, previous);
  assert.equal(nodes, previous);
  const kept = diagnostics.find((d) => d.code === 'update-kept-pin');
  assert.match(kept?.message ?? JSON.stringify(diagnostics), /^node:someone\/pack could not be pinned again \(https:\/\/github\.com\/someone\/Pack: f{40}: commit f{40} is not in the repository/);
});

test('offline: only the previous lock; anything new is unresolved "offline" and nothing is asked', async () => {
  const previous: Record<string, NodeLockEntry> = {
    'by-type': { original: { nodeTypes: ['TypedNode'] }, chosenBy: 'comfygen', locked: { type: 'registry', id: 'by-type', version: '3.0.0', url: 'https://api.comfy.org/t.zip', sha256: 'c'.repeat(64) } },
  };
  const seen = registry.requests.length;
  const { nodes, diagnostics } = await lock([ref('kj', '1.1.6')], { offline: true }, previous, ['TypedNode', 'Mystery']);
  assert.is(registry.requests.length, seen);
  assert.equal(nodes['by-type'], previous['by-type']);
  assert.equal(nodes.kj, { original: { cnr_id: 'kj', ver: '1.1.6' }, unresolved: { reason: 'offline: not in the lock yet; run comfygen build without --offline' } });
  assert.ok(diagnostics.some((d) => d.code === 'node-type-not-looked-up' && d.message.includes('Mystery')));
});

test('config pins override the workflows, add packs no workflow names, and bad pins are errors', async () => {
  const { nodes, diagnostics } = await lock([ref('someone/pack', repo.commits[2]!, { repo: 'someone/Pack' })], {
    pins: {
      'someone/pack': { repo: 'https://github.com/someone/Pack', commit: repo.commits[0]! },
      extra: { registry: 'kj', version: '1.1.5' },
      broken: { repo: 'ext::sh -c touch% x', commit: 'zz' },
    },
  });
  assert.equal(nodes['someone/pack'], { original: { aux_id: 'someone/Pack', ver: repo.commits[2]! }, chosenBy: 'config', locked: { type: 'git', repo: 'https://github.com/someone/Pack', commit: repo.commits[0]! } });
  assert.equal(nodes.extra, { original: {}, chosenBy: 'config', locked: { type: 'registry', id: 'kj', version: '1.1.5', url: 'https://api.comfy.org/cdn/kijai/kj/1.1.5/node.zip', sha256: registry.sha256('kj', '1.1.5') } });
  assert.ok(nodes.broken!.unresolved);
  assert.ok(diagnostics.some((d) => d.code === 'invalid-pack-pin' && d.severity === 'error'));
});

test('two packs that would share a custom_nodes folder are reported', async () => {
  const { diagnostics } = await lock([ref('someone/pack', repo.tip, { repo: 'someone/Pack' }), ref('other/pack', null)], {
    pins: { 'other/pack': { repo: 'https://github.com/owner/registered', commit: other.tip }, x: { repo: 'https://github.com/owner/registered', commit: other.tip } },
  });
  assert.ok(diagnostics.some((d) => d.code === 'pack-dir-collision' && /custom_nodes\/registered/.test(d.message)));
});

test('same input, same lock', async () => {
  const refs = [ref('kj', '1.1.6'), ref('someone/pack', repo.commits[1]!, { repo: 'someone/Pack' }), ref('semverish', null)];
  const a = await lock(refs, {}, {}, ['TypedNode']);
  const b = await lock([...refs].reverse(), {}, {}, ['TypedNode']);
  assert.is(JSON.stringify(a), JSON.stringify(b));
});

test.run();
