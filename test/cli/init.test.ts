import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { uiWorkflow } from './project.js';
import { apiNode, exif, flac, mp4, png, tEXt, uiNode as scanNode, uiWorkflow as scanUi, webp } from '../scan/builders.js';

test('init: finds ../ComfyUI, writes a config using its models, extra_model_paths.yaml and saved workflows; never overwrites', async () => {
  const { dir, cleanup } = await tempDir('comfygen-init-');
  try {
    const comfy = join(dir, 'ComfyUI');
    await mkdir(join(comfy, 'models', 'loras'), { recursive: true });
    await mkdir(join(comfy, 'user', 'default', 'workflows'), { recursive: true });
    await writeFile(join(comfy, 'extra_model_paths.yaml'), 'mine:\n  base_path: /nowhere\n  loras: loras\n');
    await writeFile(join(comfy, 'models', 'loras', 'style.safetensors'), 'weights');
    await writeFile(join(comfy, 'user', 'default', 'workflows', 'saved.json'), JSON.stringify(uiWorkflow([{ type: 'LoraLoader', value: 'style.safetensors' }])));
    const project = join(dir, 'project');
    await mkdir(project);

    const r = await runCli(['init'], project);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /wrote comfy\.config\.ts \(using the ComfyUI install at /);
    const written = await readFile(join(project, 'comfy.config.ts'), 'utf8');
    // A sibling install is written relative to the config, so the project can move as a whole.
    assert.ok(written.includes(`roots: ['../ComfyUI/models']`), written);
    assert.ok(written.includes(`extraModelPaths: ['../ComfyUI/extra_model_paths.yaml']`), written);
    assert.ok(written.includes(`'../ComfyUI/user/default/workflows/**/*.{json,png,webp,flac,mp4,mov}'`), written);
    // nodes.sh and download.sh name the same ComfyUI on the box: target is derived from comfyui.dir.
    assert.ok(written.includes(`comfyui: { dir: '/workspace/ComfyUI' }`), written);
    assert.ok(written.includes(`// target: '/workspace/ComfyUI/models'`), written);

    // The written config loads, and its saved workflow is scanned.
    const scan = await runCli(['scan', '--json'], project);
    assert.is(scan.code, 0, scan.stderr);
    const wfs = JSON.parse(scan.stdout).workflows;
    assert.equal(wfs.map((w: { path: string }) => w.path), ['../ComfyUI/user/default/workflows/saved.json']);
    const inv = JSON.parse((await runCli(['inventory', '--json'], project)).stdout);
    assert.ok(inv.files.some((f: { folder: string; name: string }) => f.folder === 'loras' && f.name === 'style.safetensors'));

    const again = await runCli(['init'], project);
    assert.is(again.code, 2);
    assert.match(again.stderr, /already exists; comfygen init never overwrites/);
    assert.is(await readFile(join(project, 'comfy.config.ts'), 'utf8'), written);
  } finally {
    await cleanup();
  }
});

test('init in a project with WebP, FLAC and MP4 workflows and a ComfyUI inside: the first build scans every workflow', async () => {
  const { dir: project, cleanup } = await tempDir('comfygen-init-formats-');
  try {
    const wf = (name: string) => JSON.stringify(scanUi([scanNode({ id: 1, type: 'LoraLoader', widgets: [name, 1, 1] })]));
    const api = (name: string) => JSON.stringify({ 1: apiNode('CheckpointLoaderSimple', { ckpt_name: name }) });
    const files: [string, string | Uint8Array][] = [
      ['workflows/a.json', wf('a.safetensors')],
      ['workflows/video/b.webp', webp(exif([[0x010f, `workflow:${wf('b.safetensors')}`]]))],
      ['workflows/audio/c.flac', flac([`prompt=${api('c.safetensors')}`])],
      ['workflows/d.mp4', mp4({ workflow: wf('d.safetensors') })],
      ['renders/e.png', png([tEXt('workflow', wf('e.safetensors'))])],
      ['f.webp', webp(exif([[0x010f, `workflow:${wf('f.safetensors')}`]]))],
      ['ComfyUI/user/default/workflows/g.json', wf('g.safetensors')],
      ['ComfyUI/user/alice/workflows/h.json', wf('h.safetensors')],
      // Not workflows: never globbed by name at the top, and never scanned as workflows.
      ['package.json', '{"name": "x"}'],
      ['docs/screenshot.png', png([tEXt('Software', 'an image editor')])],
    ];
    for (const [rel, content] of files) {
      await mkdir(join(project, rel, '..'), { recursive: true });
      await writeFile(join(project, rel), content);
    }
    await mkdir(join(project, 'ComfyUI', 'models', 'loras'), { recursive: true });
    await writeFile(join(project, 'ComfyUI', 'main.py'), '');

    const init = await runCli(['init'], project);
    assert.is(init.code, 0, init.stderr);
    const scan = await runCli(['scan', '--json'], project);
    assert.is(scan.code, 0, scan.stderr);
    const scanned = JSON.parse(scan.stdout).workflows as { path: string; refs: { name: string }[] }[];
    assert.equal(scanned.map((w) => w.path), [
      'ComfyUI/user/alice/workflows/h.json', 'ComfyUI/user/default/workflows/g.json',
      'f.webp', 'renders/e.png',
      'workflows/a.json', 'workflows/audio/c.flac', 'workflows/d.mp4', 'workflows/video/b.webp',
    ]);
    assert.equal(scanned.flatMap((w) => w.refs.map((r) => r.name)).sort(), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((x) => `${x}.safetensors`));

    const build = await runCli(['build', '--offline'], project);
    assert.is(build.code, 0, build.stderr);
    assert.not.match(build.stderr, /unmatched-workflow|not-a-workflow/, 'every workflow is matched; nothing else is scanned');
  } finally {
    await cleanup();
  }
});

test('build warns once about workflows under the project that no glob matches, and not about other files', async () => {
  const { dir: project, cleanup } = await tempDir('comfygen-stray-');
  try {
    const wf = (name: string) => JSON.stringify(scanUi([scanNode({ id: 1, type: 'LoraLoader', widgets: [name, 1, 1] })]));
    await mkdir(join(project, 'workflows', 'more'), { recursive: true });
    await mkdir(join(project, 'node_modules', 'x'), { recursive: true });
    await writeFile(join(project, 'workflows', 'a.json'), wf('a.safetensors'));
    await writeFile(join(project, 'workflows', 'b.webp'), webp(exif([[0x010f, `workflow:${wf('b.safetensors')}`]])));
    await writeFile(join(project, 'workflows', 'more', 'c.png'), png([tEXt('workflow', wf('c.safetensors'))]));
    await writeFile(join(project, 'workflows', 'notes.json'), '{"todo": []}');
    await writeFile(join(project, 'node_modules', 'x', 'w.json'), wf('x.safetensors'));
    await writeFile(join(project, 'comfy.config.json'), JSON.stringify({ workflows: ['workflows/*.json'], sources: [] }));

    const first = await runCli(['build', '--offline'], project);
    assert.is(first.code, 0, first.stderr);
    const warnings = first.stderr.split('\n').filter((l) => l.includes('[unmatched-workflow]'));
    assert.is(warnings.length, 1, first.stderr);
    assert.match(warnings[0]!, /2 workflow\(s\) under the project match no `workflows` glob and were not scanned: workflows\/b\.webp, workflows\/more\/c\.png/);
    // Said again by a build that replays the last one (nothing changed), and gone once matched.
    const again = await runCli(['build', '--offline'], project);
    assert.match(again.stderr, /\[unmatched-workflow\]/);
    await writeFile(join(project, 'comfy.config.json'), JSON.stringify({ workflows: ['workflows/**/*.{json,png,webp}'], sources: [] }));
    const fixed = await runCli(['build', '--offline'], project);
    assert.is(fixed.code, 0, fixed.stderr);
    assert.not.match(fixed.stderr, /unmatched-workflow/);
  } finally {
    await cleanup();
  }
});

test.run();
