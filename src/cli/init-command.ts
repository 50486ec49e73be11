/**
 * `comfygen init [DIR]`: finds a ComfyUI install nearby and writes a commented comfy.config.ts
 * that uses its models folder, its extra_model_paths.yaml and its saved workflows, with globs
 * for the workflows already in the project in every format the scanner reads. Never
 * overwrites an existing config.
 */
import { existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, parse, relative, resolve, sep } from 'node:path';
import { escapePath } from 'tinyglobby';
import { CONFIG_FILES } from '../config/load.js';
import { UserError } from '../core/errors.js';
import { byString } from '../core/stable-json.js';
import { WORKFLOW_EXTENSIONS, findWorkflowsUnder } from '../pipeline/stray-workflows.js';
import { compileTemplate } from '../render/templates.js';
import type { Io } from './build-command.js';

export interface ComfyInstall {
  dir: string;
  modelsDir: string | null;
  extraModelPaths: string | null;
  /** `user/<name>/workflows` of every ComfyUI user (the frontend saves workflows there). */
  workflowsDirs: string[];
}

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/** The first ComfyUI install among --comfy, ./ComfyUI, ../ComfyUI, ~/ComfyUI (a folder with main.py or models/). */
export function findComfyInstall(dir: string, explicit: string | undefined, home = homedir()): ComfyInstall | null {
  const candidates = explicit ? [resolve(dir, explicit)] : [join(dir, 'ComfyUI'), join(dir, '..', 'ComfyUI'), join(home, 'ComfyUI')];
  for (const c of candidates) {
    if (!isDir(c) || !(existsSync(join(c, 'main.py')) || isDir(join(c, 'models')))) continue;
    return {
      dir: c,
      modelsDir: isDir(join(c, 'models')) ? join(c, 'models') : null,
      extraModelPaths: existsSync(join(c, 'extra_model_paths.yaml')) ? join(c, 'extra_model_paths.yaml') : null,
      workflowsDirs: userWorkflowDirs(c),
    };
  }
  if (explicit) throw new UserError(`--comfy ${explicit}: no ComfyUI install there (expected a folder with main.py or models/)`);
  return null;
}

function userWorkflowDirs(comfy: string): string[] {
  const users = join(comfy, 'user');
  if (!isDir(users)) return [];
  return readdirSync(users).sort(byString).map((u) => join(users, u, 'workflows')).filter(isDir);
}

/** The most `..` a written path may climb; further out, `~/…` or an absolute path reads better. */
const MAX_UP = 3;

/**
 * A path as the config should write it. Relative to the config directory when the target is
 * inside the project or near it (`models`, `../ComfyUI/models`): at most MAX_UP `..`, and never
 * up to the file-system root, so a project and the ComfyUI beside it can move together and the
 * config holds no machine-specific path. Otherwise `~/…` under the home directory, else absolute
 * (another drive, or far away, where `../../../../…` would say less than the path itself).
 */
export function configPath(target: string, dir: string, home: string): string {
  const rel = relative(dir, target);
  if (rel === '') return '.';
  const up = rel.split(sep).filter((s) => s === '..').length;
  const depth = dir.slice(parse(dir).root.length).split(sep).filter(Boolean).length;
  if (!isAbsolute(rel) && up <= MAX_UP && up < depth) return rel.split(sep).join('/');
  const fromHome = relative(home, target);
  if (fromHome !== '' && fromHome.split(sep)[0] !== '..' && !isAbsolute(fromHome)) return `~/${fromHome.split(sep).join('/')}`;
  return target;
}

export async function initCommand(dirArg: string | undefined, flags: { comfy?: string }, io: Io, home = homedir()): Promise<number> {
  const dir = resolve(io.cwd, dirArg ?? '.');
  const shownPath = (p: string) => relative(io.cwd, p) || p;
  // lstat, not exists: a symlink to nowhere is in the way too (and must not be written through).
  const existing = CONFIG_FILES.find((f) => isThere(join(dir, f)));
  if (existing) throw alreadyThere(shownPath(join(dir, existing)));
  const comfy = findComfyInstall(dir, flags.comfy, home);
  const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const view = {
    workflows: (await workflowGlobs(dir, comfy, home)).map(q),
    roots: comfy?.modelsDir ? [q(configPath(comfy.modelsDir, dir, home))] : [],
    extraModelPaths: comfy?.extraModelPaths ? [q(configPath(comfy.extraModelPaths, dir, home))] : [],
    comfyuiDir: q(BOX_COMFYUI),
  };
  const file = join(dir, 'comfy.config.ts');
  try {
    await mkdir(dir, { recursive: true });
    // `wx`: created here or not at all, even if a file appeared since the check above.
    await writeFile(file, compileTemplate<typeof view>('comfy.config.ts.hbs')(view), { flag: 'wx' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && isThere(file)) throw alreadyThere(shownPath(file));
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new UserError(`cannot create ${shownPath(file)}: ${shownPath(dir)} is not a folder; give init a folder (or a new folder name)`);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new UserError(`cannot create ${shownPath(file)}: ${code} (no permission to write there); run init in a folder you can write to`);
    throw err;
  }
  const shown = shownPath(file);
  io.stdout.write(`wrote ${shown}${comfy ? ` (using the ComfyUI install at ${comfy.dir})` : ' (no ComfyUI install found nearby; edit models.roots)'}\n`);
  const cd = dir === io.cwd ? '' : `cd ${relative(io.cwd, dir) || dir} && `;
  io.stdout.write(`next: ${cd}npx comfygen build\n`);
  return 0;
}

/** Where ComfyUI lives on the GPU box (RunPod and most images); download.sh installs into its models/. */
const BOX_COMFYUI = '/workspace/ComfyUI';
const EVERY_FORMAT = `{${WORKFLOW_EXTENSIONS.join(',')}}`;

/**
 * `workflows/` in every format the scanner reads; each other folder of the project that holds
 * workflows already (found by content, as a build would); workflows lying at the project's top
 * by name (a top-level `*.json` would take in package.json and the like); and ComfyUI's own
 * workflow folders.
 */
async function workflowGlobs(dir: string, comfy: ComfyInstall | null, home: string): Promise<string[]> {
  const globs = new Set([`workflows/**/*.${EVERY_FORMAT}`]);
  const found = await findWorkflowsUnder(dir, { listed: (rel) => rel.startsWith('workflows/'), sniffBudget: 500 });
  for (const rel of found.workflows) {
    const slash = rel.indexOf('/');
    globs.add(slash < 0 ? escapePath(rel) : `${escapePath(rel.slice(0, slash))}/**/*.${EVERY_FORMAT}`);
  }
  for (const wfDir of comfy?.workflowsDirs ?? []) globs.add(`${escapePath(configPath(wfDir, dir, home))}/**/*.${EVERY_FORMAT}`);
  return [...globs];
}

function isThere(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function alreadyThere(shown: string): UserError {
  return new UserError(`${shown} already exists; comfygen init never overwrites a config. Edit it, or move it away and run init again (or run init in another folder)`);
}
