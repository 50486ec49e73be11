/**
 * `npm run demo`: the whole product on the bundled example project, with no internet.
 *
 * Hugging Face, Civitai and the Comfy Registry are replaced by the test suite's stand-ins
 * (test/helpers/fake-*.ts: real HTTP servers on 127.0.0.1 speaking the documented API shapes),
 * serving small made-up files under the real names. The example project is copied to a temporary
 * folder (the repository stays clean), built with the real CLI, and then the generated scripts are
 * run as on a GPU box: download.sh installs and verifies every model, nodes.sh the custom node
 * pack; the demo checks each installed file against the lock and runs `comfygen check`.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeCivitai } from '../test/helpers/fake-civitai.js';
import { startFakeHf } from '../test/helpers/fake-hf.js';
import { startFakeRegistry } from '../test/helpers/fake-registry.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const cli = join(repo, 'bin', 'comfygen.js');
const plain = !process.stdout.isTTY || 'NO_COLOR' in process.env;
const bold = (s: string) => (plain ? s : `\x1b[1m${s}\x1b[0m`);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Made-up weights: a few hundred KiB that say what they are. */
const weights = (name: string, kib = 256) => Buffer.from(`comfygen demo stand-in for ${name}, not real weights. `.repeat(Math.ceil((kib * 1024) / 64))).subarray(0, kib * 1024);

async function main(): Promise<number> {
  const started = performance.now();
  await stat(join(repo, 'dist', 'src', 'cli', 'main.js')).catch(() => {
    throw new Error('dist/ is missing: run `npm install` (it compiles the CLI) or `npm run build` first');
  });
  const ownLora = await readFile(join(repo, 'examples', 'models', 'loras', 'my_style.safetensors'));

  console.log(bold('comfygen demo') + ': the example project (examples/, comfy.config.ts), built and installed with no internet.');
  console.log('Hugging Face, Civitai and the Comfy Registry are LOCAL STAND-INS on 127.0.0.1: the test suite\'s fake');
  console.log('servers, speaking the real API shapes and serving small made-up files under the real names.\n');

  const hf = await startFakeHf({ repos: [
    { id: 'stabilityai/stable-diffusion-xl-base-1.0', files: { 'sd_xl_base_1.0.safetensors': weights('sd_xl_base_1.0') } },
    { id: 'stabilityai/sdxl-vae', files: { 'sdxl_vae.safetensors': weights('sdxl_vae') } },
    { id: 'Comfy-Org/flux1-dev', files: { 'flux1-dev.safetensors': weights('flux1-dev', 512), 'ae.safetensors': weights('ae') } },
    { id: 'comfyanonymous/flux_text_encoders', files: { 'clip_l.safetensors': weights('clip_l'), 't5xxl_fp8_e4m3fn.safetensors': weights('t5xxl_fp8_e4m3fn') } },
    { id: 'Comfy-Org/Wan_2.1_ComfyUI_repackaged', files: Object.fromEntries([
      'clip_vision/clip_vision_h.safetensors', 'diffusion_models/wan2.1_i2v_480p_14B_fp8_e4m3fn.safetensors',
      'text_encoders/umt5_xxl_fp8_e4m3fn_scaled.safetensors', 'vae/wan_2.1_vae.safetensors',
    ].map((p) => [`split_files/${p}`, weights(p)])) },
    { id: 'lokCX/4x-Ultrasharp', files: { '4x-UltraSharp.pth': weights('4x-UltraSharp') } },
  ] });
  const civitai = await startFakeCivitai({ sizeKBDecimals: 2, versions: [
    { id: 9208, modelId: 7808, modelName: 'EasyNegative', modelType: 'TextualInversion', files: [{ id: 9208, name: 'EasyNegative.safetensors', content: weights('EasyNegative', 24), type: 'Model' }] },
    { id: 62833, modelId: 58390, modelName: 'Detail Tweaker LoRA', modelType: 'LORA', files: [{ id: 62833, name: 'detail_tweaker.safetensors', content: weights('detail_tweaker', 128) }] },
    // The user's own LoRA, as if they had published it: Civitai recognises the local file by its hash.
    { id: 424242, modelId: 4242, modelName: 'My Style', modelType: 'LORA', files: [{ id: 424242, name: 'my_style.safetensors', content: ownLora }] },
  ] });
  const registry = await startFakeRegistry([{
    id: 'comfyui-videohelpersuite', repository: 'https://github.com/Kosinkadink/ComfyUI-VideoHelperSuite', publisher: 'kosinkadink',
    versions: [{ version: '1.6.1', files: { '__init__.py': '# comfygen demo stand-in for ComfyUI-VideoHelperSuite 1.6.1\nNODE_CLASS_MAPPINGS = {}\n', 'requirements.txt': 'opencv-python\n' } }],
  }]);
  const env: NodeJS.ProcessEnv = { ...process.env, HF_ENDPOINT: hf.url, CIVITAI_ENDPOINT: civitai.url, COMFY_REGISTRY_ENDPOINT: registry.endpoint, NO_COLOR: '1' };
  // Your real tokens are for the real services, not for the stand-ins.
  delete env.HF_TOKEN; delete env.HF_API_TOKEN; delete env.CIVITAI_TOKEN; delete env.CIVITAI_API_TOKEN;

  const dir = await mkdtemp(join(tmpdir(), 'comfygen-demo-'));
  try {
    await cp(join(repo, 'comfy.config.ts'), join(dir, 'comfy.config.ts'));
    await cp(join(repo, 'examples'), join(dir, 'examples'), { recursive: true });
    const box = join(dir, 'gpu-box', 'ComfyUI');
    const shown = (p: string) => relative(process.cwd(), p).startsWith('..') ? p : relative(process.cwd(), p);

    step(1, `comfygen build (a copy of the example project in ${dir})`);
    await run(process.execPath, [cli, 'build'], dir, env);
    const lock = JSON.parse(await readFile(join(dir, 'comfy.lock.json'), 'utf8')) as Lock;
    const models = Object.entries(lock.models);
    const pinned = models.filter(([, e]) => e.locked?.sha256);

    step(2, `generated/download.sh, as on a GPU box (MODELS_DIR=${shown(join(box, 'models'))})`);
    await run('bash', [join(dir, 'generated', 'download.sh'), '--jobs', '4'], dir, { ...env, MODELS_DIR: join(box, 'models') });
    step(3, `generated/nodes.sh (COMFYUI_DIR=${shown(box)})`);
    await run('bash', [join(dir, 'generated', 'nodes.sh')], dir, { ...env, COMFYUI_DIR: box });

    step(4, 'every installed file, read back and held to the lock');
    let verified = 0;
    for (const [key, entry] of models) {
      const locked = entry.locked;
      if (!locked?.sha256) {
        console.log(`  ✘ ${key}: not pinned (${entry.unresolved?.reason ?? 'no sha256'})`);
        continue;
      }
      const bytes = await readFile(join(box, 'models', key)).catch(() => null);
      const ok = bytes !== null && sha256(bytes) === locked.sha256;
      if (ok) verified++;
      const pin = locked.url.replace(/^https:\/\/(huggingface\.co|civitai\.com)\//, '');
      console.log(`  ${ok ? '✔' : '✘'} ${key}  sha256 ${locked.sha256.slice(0, 12)}…  ${locked.source}: ${pin}`);
    }
    const packs = Object.entries(lock.nodes ?? {});
    for (const [id, entry] of packs) {
      const here = await stat(join(box, 'custom_nodes', id, '__init__.py')).then(() => true, () => false);
      console.log(`  ${here ? '✔' : '✘'} custom_nodes/${id}  ${entry.locked ? `${entry.locked.type} ${entry.locked.version ?? entry.locked.commit}, sha256 ${String(entry.locked.sha256 ?? '').slice(0, 12)}…` : 'not pinned'}`);
    }

    step(5, 'comfygen check (offline: would the lock or any output change?)');
    await run(process.execPath, [cli, 'check'], dir, env);

    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`\n${bold(`${verified} of ${models.length} models pinned to a commit or version with a sha256, installed and verified`)}; ` +
      `${packs.length} node pack(s) installed (${seconds} s).`);
    console.log('Look at:');
    console.log(`  ${join(dir, 'comfy.lock.json')}          the pins (commit / version URL, sha256, size)`);
    console.log(`  ${join(dir, 'generated', 'report.md')}     what each workflow needs and where each pin came from`);
    console.log(`  ${join(dir, 'generated', 'download.sh')}   what a GPU box runs; also nodes.sh, extra_model_paths.yaml`);
    console.log(`  ${box}   the installed "box"`);
    console.log(`(The folder is yours to delete. \`npm run demo:offline\` builds the example in place, without the stand-ins.)`);
    return verified === models.length && pinned.length === models.length ? 0 : 1;
  } finally {
    await Promise.all([hf.close(), civitai.close(), registry.close()]);
  }
}

interface Lock {
  models: Record<string, { locked?: { source: string; url: string; sha256: string | null }; unresolved?: { reason: string } }>;
  nodes?: Record<string, { locked?: { type: string; version?: string; commit?: string; sha256?: string } }>;
}

function step(n: number, what: string): void {
  console.log(`\n${bold(`── ${n}. ${what}`)}`);
}

/** Runs a command with its output shown, indented; rejects on a non-zero exit. */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const indent = (chunk: Buffer) => chunk.toString().replace(/^(?=.)/gm, '   ');
    child.stdout.on('data', (c: Buffer) => process.stdout.write(indent(c)));
    child.stderr.on('data', (c: Buffer) => process.stdout.write(indent(c)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${[cmd, ...args].map((a) => relative(cwd, a) || a).join(' ')} exited with ${code}`))));
  });
}

main().then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    console.error(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
