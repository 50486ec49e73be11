/**
 * install.sh (DESIGN §10): a pure function of the lock (ComfyUI's pin, the Python plan's torch
 * checks) and the config (ComfyUI folder, which parts exist). Lock values are checked again here
 * and reach the script only through `shQuote`; a pin that fails a check renders as unresolved.
 */
import type { Lockfile } from '../core/types.js';
import { canonicalRepo, isFullCommit } from '../nodes/ids.js';
import { markerLine } from './marker.js';
import { askedBy, renderedPlan } from './python-plan.js';
import { shComment, shQuote } from './shell.js';
import { compileTemplate } from './templates.js';

export interface InstallScriptOptions {
  /** comfyui.dir as the script's folder sees it (`seenFromOutput`). */
  comfyuiDir: string;
  /** Where the pinned ref came from, for the header comment. */
  because: string;
  havePlan: boolean;
  haveNodes: boolean;
}

export function renderInstallScript(lock: Lockfile, opts: InstallScriptOptions): string {
  const entry = lock.comfyui;
  const locked = entry?.locked;
  let repo = '';
  let commit = '';
  let unresolved = entry?.unresolved?.reason ?? 'no comfyui entry';
  if (locked) {
    if (canonicalRepo(locked.repo) !== locked.repo) unresolved = 'the locked repository is not a canonical https URL';
    else if (!isFullCommit(locked.commit)) unresolved = 'the locked commit is not 40 lower-case hex digits';
    else [repo, commit, unresolved] = [locked.repo, locked.commit, ''];
  }
  const ref = entry?.original.ref;
  const about = commit !== ''
    ? `${repo} at ${commit}${ref ? ` (${ref}: ${opts.because})` : ` (${opts.because})`}`
    : `not pinned: ${unresolved}`;
  const plan = opts.havePlan && lock.python ? renderedPlan(lock.python) : null;
  const torch = plan === null ? [] : [
    ...plan.merged.checked.map((l) => ({ text: l.text, from: askedBy(l) })),
    ...plan.checkedDeps.map((k) => ({ text: k, from: 'a dependency of the plan' })),
  ];
  return template()({
    marker: markerLine(),
    comfyuiAbout: about.slice(0, 400),
    comfyuiDir: opts.comfyuiDir,
    comfyuiRepo: repo,
    comfyuiCommit: commit,
    comfyuiUnresolved: unresolved.slice(0, 500),
    havePlan: opts.havePlan ? 1 : 0,
    planPinned: plan?.pinned ? 1 : 0,
    planPython: plan?.python ?? '',
    haveNodes: opts.haveNodes ? 1 : 0,
    torch,
  });
}

interface View {
  marker: string;
  comfyuiAbout: string;
  comfyuiDir: string;
  comfyuiRepo: string;
  comfyuiCommit: string;
  comfyuiUnresolved: string;
  havePlan: 0 | 1;
  planPinned: 0 | 1;
  planPython: string;
  haveNodes: 0 | 1;
  torch: { text: string; from: string }[];
}

let compiled: ((view: View) => string) | undefined;

function template(): (view: View) => string {
  compiled ??= compileTemplate<View>('install.sh.hbs', {
    sh: (value: unknown) => shQuote(String(value)),
    comment: (value: unknown) => shComment(String(value)),
  });
  return compiled;
}
