/** What pinning the custom node packs found reaches report.md, the file a reviewer reads. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runBuild } from '../../src/pipeline/run-build.js';
import { tempDir } from '../helpers/tmp.js';
import { uiNode, uiWorkflow } from '../scan/builders.js';

const saved = (core: string, kj: string) => JSON.stringify(uiWorkflow([
  uiNode({ id: 1, type: 'KSampler', widgets: [1, 'fixed', 20, 7, 'euler', 'normal', 1], properties: { cnr_id: 'comfy-core', ver: core } }),
  uiNode({ id: 2, type: 'PointsEditor', widgets: [], properties: { cnr_id: 'comfyui-kjnodes', ver: kj } }),
]));

test('a build lists the ComfyUI versions and a pack saved at two versions in report.md, beside the warning', async () => {
  const { dir, cleanup } = await tempDir('comfygen-notes-');
  try {
    await mkdir(join(dir, 'wf'));
    await writeFile(join(dir, 'comfy.config.json'), JSON.stringify({ workflows: ['wf/*.json'], sources: [] }));
    await writeFile(join(dir, 'wf', 'old.json'), saved('0.3.40', '1.1.5'));
    await writeFile(join(dir, 'wf', 'new.json'), saved('0.3.44', '1.1.6'));
    const result = await runBuild({ cwd: dir, mode: 'build', offline: true, env: {} });
    const report = await readFile(join(dir, 'generated', 'report.md'), 'utf8');
    assert.ok(report.includes('- `comfy-core`: workflows were saved with ComfyUI 0.3.40 to 0.3.44; ComfyUI itself is not installed by nodes.sh\n'), report);
    assert.ok(report.includes('- `comfyui-kjnodes`: workflows record 2 versions: 1.1.5 (wf/old.json); 1.1.6 (wf/new.json); locked nothing (unresolved)\n'), report);
    assert.ok(result.diagnostics.some((d) => d.code === 'pack-version-conflict' && d.message.startsWith('comfyui-kjnodes: workflows record 2 versions (1.1.5, 1.1.6)')));
  } finally {
    await cleanup();
  }
});

test.run();
