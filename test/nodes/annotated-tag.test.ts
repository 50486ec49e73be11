/**
 * Release tags are usually annotated: `ls-remote` names the tag object, and only its `^{}` line
 * names the commit. A pin must be the commit, or nodes.sh fetches it and finds HEAD elsewhere.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { collectPacks, resolvePacks } from '../../src/nodes/index.js';
import { renderNodesScript } from '../../src/render/nodes-script.js';
import { createBareRepo, git } from '../helpers/git-fixtures.js';
import { tempDir } from '../helpers/tmp.js';
import { options, ref, runScript, workflow, writeScript } from './build.js';

test('a pack pinned by an annotated release tag locks the commit the tag points to, and nodes.sh installs it', async () => {
  const tmp = await tempDir();
  try {
    const hosts = join(tmp.dir, 'hosts');
    const repo = createBareRepo(hosts, 'o/Tagged', [{ '__init__.py': '# 1\n' }, { '__init__.py': '# 2\n' }]);
    git(['tag', '-a', '-m', 'release 1.2.0', 'v1.2.0', repo.commits[0]!], repo.path);
    const tagObject = git(['rev-parse', 'v1.2.0'], repo.path);
    assert.is.not(tagObject, repo.commits[0], 'the fixture tag is annotated');
    const demand = collectPacks([workflow('w.json', [ref('o/tagged', '1.2.0', { repo: 'o/Tagged' })])]);
    const { nodes } = await resolvePacks(demand, {}, options({ registryEndpoint: 'http://127.0.0.1:9', githubEndpoint: `file://${hosts}` }));
    assert.equal(nodes['o/tagged']!.locked, { type: 'git', repo: 'https://github.com/o/Tagged', commit: repo.commits[0]! });

    const comfy = join(tmp.dir, 'ComfyUI');
    mkdirSync(comfy);
    const script = writeScript(join(tmp.dir, 'out'), renderNodesScript(nodes, { comfyuiDir: comfy }));
    const run = await runScript(script, [], { COMFYUI_DIR: comfy, GITHUB_ENDPOINT: `file://${hosts}` });
    assert.is(run.code, 0, run.stderr);
    assert.is(git(['rev-parse', 'HEAD'], join(comfy, 'custom_nodes', 'Tagged')), repo.commits[0]);
  } finally {
    await tmp.cleanup();
  }
});

test.run();
