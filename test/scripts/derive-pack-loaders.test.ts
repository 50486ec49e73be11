/**
 * The loader-table deriver (scripts/derive_pack_loaders.py + scripts/pack-table/) on small
 * hand-written packs: what it reads from INPUT_TYPES / define_schema, folder registrations and
 * run-time downloads, and the rows it builds, widget positions included.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTables } from '../../scripts/pack-table/build.js';
import type { DerivedPack, HandData, ManifestPack } from '../../scripts/pack-table/types.js';
import { widgetIndexes } from '../../scripts/pack-table/widgets.js';
import { tempDir } from '../helpers/tmp.js';

const script = join(process.cwd(), 'scripts/derive_pack_loaders.py');

async function derive(files: Record<string, string>, pack = 'someone/ComfyUI-Test'): Promise<DerivedPack> {
  const { dir, cleanup } = await tempDir();
  try {
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    const out = execFileSync('python3', [script, '--dir', dir, '--pack', pack], { encoding: 'utf8' });
    return { ...JSON.parse(out), commit: '0'.repeat(40) } as DerivedPack;
  } finally {
    await cleanup();
  }
}

const HAND: HandData = { nodes: {}, folders: {}, implied: {}, frontend_types: {} };

function build(derived: DerivedPack[], hand: HandData = HAND) {
  const manifest: ManifestPack[] = derived.map((d) => ({ repo: d.pack, registry_ids: [], ranks: [], commit: d.commit, why: 'test' }));
  return buildTables({ manifest, derived: new Map(derived.map((d) => [d.pack, d])), hand, managerTypes: {} });
}

const loaderPack = {
  '__init__.py': `
from .nodes import NODE_CLASS_MAPPINGS as A
from .more import MAPPINGS as B
NODE_CLASS_MAPPINGS = {**A, **B}
`,
  'nodes.py': `
import os
import folder_paths
import comfy.samplers

LORAS = ["None"] + folder_paths.get_filename_list("loras")

class BigLoader:
    @classmethod
    def INPUT_TYPES(s):
        inputs = {
            "required": {
                "model": ("MODEL",),
                "ckpt_name": (folder_paths.get_filename_list("checkpoints"), {"tooltip": "x"}),
                "seed": ("INT", {"default": 0}),
                "sampler_name": (comfy.samplers.KSampler.SAMPLERS,),
                "vae_name": (["Baked VAE"] + folder_paths.get_filename_list("vae"),),
            },
            "optional": {},
        }
        for i in range(1, 4):
            inputs["optional"][f"lora_{i}"] = (LORAS,)
            inputs["optional"][f"strength_{i}"] = ("FLOAT", {"default": 1.0})
        return inputs
    FUNCTION = "load"

class Subfolder:
    @classmethod
    def INPUT_TYPES(s):
        def only_yolo(names):
            return [n for n in names if "yolo" in n.lower()]
        return {"required": {"model_name": (only_yolo(["bbox/" + x for x in folder_paths.get_filename_list("ultralytics_bbox")]),)}}

prefix = "Test"
NODE_CLASS_MAPPINGS = {f"{prefix} Big Loader": BigLoader, "TestSubfolder": Subfolder}
`,
  'more.py': `
import folder_paths
from comfy_api.latest import io

class V3Loader(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="TestV3Loader",
            inputs=[
                io.Int.Input("noise", control_after_generate=True),
                io.Model.Input("model"),
                io.Combo.Input("unet_name", options=folder_paths.get_filename_list("unet")),
                io.Combo.Input("extra", options=folder_paths.get_filename_list("loras"), optional=True),
                io.Float.Input("strength"),
            ],
        )

MAPPINGS = {}
`,
};

test('INPUT_TYPES: file combos, their folders and widget positions (seed control value, loops, optional after required)', async () => {
  const derived = await derive(loaderPack);
  const big = derived.nodes.find((n) => n.type === 'Test Big Loader')!;
  assert.ok(big, 'the mapping key is built from a module constant');
  const files = big.inputs.filter((i) => i.files).map((i) => [i.name, i.files!.sources.map((s) => s.folder), i.files!.non_file_values ?? []]);
  assert.equal(files, [
    ['ckpt_name', ['checkpoints'], []], ['vae_name', ['vae'], ['Baked VAE']],
    ['lora_1', ['loras'], ['None']], ['lora_2', ['loras'], ['None']], ['lora_3', ['loras'], ['None']],
  ]);
  const at = widgetIndexes(big.inputs);
  // ckpt 0, seed 1 + its control value 2, sampler 3, vae 4, lora_1 5, strength_1 6, lora_2 7 …
  assert.equal([at.get('ckpt_name'), at.get('vae_name'), at.get('lora_1'), at.get('lora_3')], [0, 4, 5, 9]);

  const rows = build([derived]).rows;
  assert.equal(rows['Test Big Loader']!.inputs.vae_name, { folder: 'vae', widget_index: 4 });
  assert.equal(rows['Test Big Loader']!.inputs.lora_2, { folder: 'loras', widget_index: 7 });
});

test('define_schema (V3): node_id, folder aliases, control_after_generate, optional inputs last', async () => {
  const derived = await derive(loaderPack);
  const v3 = derived.nodes.find((n) => n.type === 'TestV3Loader')!;
  assert.is(v3.api, 'v3');
  const rows = build([derived]).rows;
  // noise 0 + control 1; unet_name 2 (the legacy key `unet` is diffusion_models); strength 3; extra 4
  assert.equal(rows.TestV3Loader!.inputs, { unet_name: { folder: 'diffusion_models', widget_index: 2 }, extra: { folder: 'loras', widget_index: 4 } });
});

test('a prefixed file list (filtered by a helper defined in INPUT_TYPES) maps to the parent folder the pack registers', async () => {
  const derived = await derive({
    ...loaderPack,
    'paths.py': `
import os
import folder_paths
model_path = folder_paths.models_dir
def add_folder(name, paths):
    folder_paths.add_model_folder_path(name, paths[0])
add_folder("ultralytics_bbox", [os.path.join(model_path, "ultralytics", "bbox")])
add_folder("ultralytics", [os.path.join(model_path, "ultralytics")])
`,
  });
  const built = build([derived]);
  assert.equal(built.rows.TestSubfolder!.inputs.model_name, { folder: 'ultralytics', widget_index: 0 });
  assert.equal(built.folders.ultralytics!.dirs, ['ultralytics']);
});

const folderPack = {
  '__init__.py': `
import os
import folder_paths
from huggingface_hub import snapshot_download

folder_paths.add_model_folder_path("testvideo_loras", os.path.join(folder_paths.models_dir, "TestVideo", "loras"))
FACES = os.path.join(folder_paths.models_dir, "swapper")
MODEL_DIR = os.path.join(folder_paths.models_dir, "LLM")

class VideoLora:
    @classmethod
    def INPUT_TYPES(s):
        return {"required": {"lora": (folder_paths.get_filename_list("testvideo_loras"),), "strength": ("FLOAT",)}}

class Swap:
    @classmethod
    def INPUT_TYPES(s):
        names = [x for x in os.listdir(FACES) if x.endswith(".onnx")]
        names.insert(0, "none")
        return {"required": {"image": ("IMAGE",), "swap_model": (names,)}}

class Captioner:
    @classmethod
    def INPUT_TYPES(s):
        return {"required": {"model": (["org/cap-base", "org/cap-large"],)}}
    FUNCTION = "load"
    def load(self, model):
        path = os.path.join(MODEL_DIR, model.rsplit("/", 1)[-1])
        return fetch(model, path)

def fetch(repo, path):
    snapshot_download(repo_id=repo, local_dir=path)

open("/tmp/this-pack-must-not-run", "w").write("ran")

NODE_CLASS_MAPPINGS = {"TestVideoLora": VideoLora, "TestSwap": Swap, "TestCaptioner": Captioner}
`,
};

test('folders packs register or list under models/ become pack folders keyed as the lock keys them', async () => {
  const built = build([await derive(folderPack)]);
  assert.equal(built.rows.TestVideoLora!.inputs, { lora: { folder: 'testvideo_loras', widget_index: 0 } });
  assert.equal(built.folders.testvideo_loras!.dirs, ['TestVideo/loras']);
  assert.is(built.folders.testvideo_loras!.kind, 'registered');
  assert.equal(built.rows.TestSwap!.inputs, { swap_model: { folder: 'swapper', widget_index: 0 } });
  assert.is(built.folders.swapper!.kind, 'listed', 'read by the pack with os.listdir: no folder_paths key');
});

test('a call that downloads weights is tied to the node whose function reaches it, with what it fetches', async () => {
  const built = build([await derive(folderPack)]);
  const calls = built.downloads['someone/ComfyUI-Test']!.calls.filter((c) => c.nodes.includes('TestCaptioner'));
  assert.is(calls.length, 1, 'the record of the node\'s own call, not the helper read alone');
  const call = calls[0];
  assert.is(call!.call, 'huggingface_hub.snapshot_download');
  assert.equal(call!.repo_id, { input: 'model' });
  assert.match(JSON.stringify(call!.local_dir), /models\/LLM\//);
  assert.equal(call!.nodes, ['TestCaptioner']);
});

test('the pack is read, never run: module code with side effects is not executed', async () => {
  await derive(folderPack);
  assert.not.ok(existsSync('/tmp/this-pack-must-not-run'));
});

test('hand rows add what the code does not show, with their reason, and drop inputs that load nothing', async () => {
  const derived = await derive({
    '__init__.py': `
class Wildcards:
    @classmethod
    def INPUT_TYPES(s):
        import folder_paths
        return {"required": {"seed": ("INT",), "text": ("STRING", {"multiline": True}),
                "Select to add LoRA": (["Select the LoRA"] + folder_paths.get_filename_list("loras"),)}}
NODE_CLASS_MAPPINGS = {"TestWildcards": Wildcards}
`,
  });
  const hand: HandData = {
    ...HAND,
    nodes: { TestWildcards: { pack: 'someone/ComfyUI-Test', why: 'parses <lora:…> tags', inputs: { text: { folder: 'loras', kind: 'lora_tags' }, 'Select to add LoRA': { ignore: true } } } },
  };
  const built = build([derived], hand);
  // seed 0 + control 1, text 2
  assert.equal(built.rows.TestWildcards!.inputs, { text: { folder: 'loras', widget_index: 2, kind: 'lora_tags' } });
  assert.is(built.provenance.TestWildcards!.inputs.text!.why, 'parses <lora:…> tags');
});

test('an input after one the derivation cannot type gets no position', () => {
  const at = widgetIndexes([
    { name: 'a', section: 'required', kind: 'widget', type: 'INT' },
    { name: 'b', section: 'required', kind: 'unknown' },
    { name: 'c', section: 'required', kind: 'widget', files: { sources: [{ via: 'get_filename_list', folder: 'loras' }] } },
  ]);
  assert.equal([at.get('a'), at.get('c')], [0, null]);
});

test.run();
