/**
 * Aggregates the refs of every workflow into one demand per model key: who needs it, whether
 * any use is active, and every URL / hash the workflows offer. Pure.
 */
import { byString } from '../core/stable-json.js';
import { modelKey, unsafeFolder } from '../core/folders.js';
import { isRootFolder, isRootedKey, pathProblem, rootedKeyProblem } from '../core/roots.js';
import type { Diagnostic, FetchSpec, ModelKey, NodeUse, ScannedWorkflow } from '../core/types.js';
import { shown } from '../scan/diagnostics.js';

export interface ModelDemand {
  key: ModelKey;
  folder: string;
  name: string;
  /** True when at least one use is on an active node. */
  active: boolean;
  /** True when every use was found by heuristics rather than the loader table. */
  guessed: boolean;
  urls: string[];
  declaredSha256: string | null;
  /**
   * Each use, in workflow order. `nodes` (which nodes of the workflow use it) only when asked for
   * (`comfygen why`): a build needs the workflows alone, and at 30,000 workflows the nodes of
   * every use take 20 MB.
   */
  usedBy: { readonly workflow: string; readonly nodes?: NodeUse[]; readonly active: boolean }[];
  /** What the node fetches itself (the first workflow's; URLs of later ones are added as mirrors). */
  fetch?: FetchSpec;
}

/** Names that would leave the model folder, or cannot be a file name at all. */
export function unsafeName(name: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(name)) return 'it is a URL, not a file name (declare the file under a url source to download it)';
  return pathProblem(name);
}

/**
 * Why a lock key (`<folder>/<name>`) must not be installed, or null: the rules a workflow's
 * folder and name are checked by, for keys that come from elsewhere (a lock kept while a
 * workflow is unreadable, a hand edit).
 */
export function unsafeKey(key: string): string | null {
  if (isRootedKey(key)) return rootedKeyProblem(key);
  const slash = key.indexOf('/');
  if (slash <= 0) return 'not <folder>/<name>';
  const folder = key.slice(0, slash);
  const folderProblem = unsafeFolder(folder);
  if (folderProblem) return `folder ${folder}: ${folderProblem}`;
  return unsafeName(key.slice(slash + 1));
}

export function aggregateDemand(workflows: readonly ScannedWorkflow[], opts: { nodes?: boolean } = {}): { demands: ModelDemand[]; diagnostics: Diagnostic[] } {
  const fold = new DemandFold({ nodes: opts.nodes ?? true });
  for (const wf of [...workflows].sort((a, b) => byString(a.path, b.path))) fold.add(wf);
  return fold.finish();
}

/**
 * aggregateDemand one workflow at a time, as a build scans them (in path order: the first
 * workflow to offer a URL or a hash is the one that counts). Keeps only what a demand needs of
 * a ref, so the workflow itself can go.
 */
export class DemandFold {
  private readonly byFolder = new Map<string, Map<string, ModelDemand>>();
  private readonly all: ModelDemand[] = [];
  private readonly diagnostics: Diagnostic[] = [];
  // Names repeat across thousands of workflows: each is checked once.
  private readonly problems = new Map<string, string | null>();
  private readonly folderProblems = new Map<string, string | null>();

  /** `nodes`: keep which nodes of each workflow use a model (ModelDemand.usedBy). */
  constructor(private readonly opts: { nodes: boolean }) {}

  add(wf: ScannedWorkflow): void {
    const diagnostics = this.diagnostics;
    // Without nodes, a use is only (workflow, active): the workflow's uses share two records
    // (a 30,000-workflow collection has 260,000 uses).
    const uses = this.opts.nodes ? null : [{ workflow: wf.path, active: false }, { workflow: wf.path, active: true }] as const;
    for (const ref of wf.refs) {
      if (ref.folder === 'unknown') {
        diagnostics.push({ code: 'unknown-folder', severity: 'warning', file: wf.path, node: ref.nodes[0]?.id,
          message: `${ref.name} looks like a model file but its folder is unknown, so it is not locked`,
          hint: 'add the node\'s pack to data/packs/packs.json and rebuild the loader table (data/packs/README.md), or declare the file under a url source' });
        continue;
      }
      const rooted = isRootFolder(ref.folder);
      let problem = rooted ? rootedKeyProblem(modelKey(ref.folder, ref.name)) : this.problems.get(ref.name);
      if (problem === undefined) this.problems.set(ref.name, (problem = unsafeName(ref.name)));
      let folderProblem = rooted ? null : this.folderProblems.get(ref.folder);
      if (folderProblem === undefined) this.folderProblems.set(ref.folder, (folderProblem = unsafeFolder(ref.folder)));
      if (problem || folderProblem) {
        const what = problem ? `model name ${shown(ref.name, 200)} in ${shown(ref.folder, 200)}` : `folder ${shown(ref.folder, 200)} of ${shown(ref.name, 200)}`;
        diagnostics.push({ code: 'unsafe-model-name', severity: 'error', file: wf.path, node: ref.nodes[0]?.id,
          message: `${what} is refused: ${problem ?? folderProblem}`,
          hint: 'fix the widget value in the workflow; comfygen never installs outside the model folders' });
        continue;
      }
      // Looked up by folder, then name: no key string is built per use.
      let inFolder = this.byFolder.get(ref.folder);
      if (!inFolder) this.byFolder.set(ref.folder, (inFolder = new Map()));
      let demand = inFolder.get(ref.name);
      if (!demand) {
        const key = modelKey(ref.folder, ref.name);
        demand = { key, folder: ref.folder, name: ref.name, active: false, guessed: true, urls: [], declaredSha256: null, usedBy: [] };
        inFolder.set(ref.name, demand);
        this.all.push(demand);
      }
      demand.active ||= ref.active;
      demand.guessed &&= ref.guessed === true;
      addUrl(demand, ref.embedded?.url);
      if (ref.mirrors) for (const url of ref.mirrors) addUrl(demand, url);
      const sha = ref.embedded?.sha256 ?? null;
      if (sha && demand.declaredSha256 && sha !== demand.declaredSha256) {
        diagnostics.push({ code: 'conflicting-hash', severity: 'warning', file: wf.path,
          message: `${demand.key}: this workflow declares sha256 ${sha}, another declares ${demand.declaredSha256}; the first is used` });
      }
      demand.declaredSha256 ??= sha;
      if (ref.fetch) demand.fetch = mergeFetch(demand.fetch, ref.fetch);
      // Nodes that fetch their own files keep their node types: report.md names them (they are few).
      demand.usedBy.push(uses && !ref.fetch ? uses[ref.active ? 1 : 0] : { workflow: wf.path, nodes: ref.nodes, active: ref.active });
    }
  }

  finish(): { demands: ModelDemand[]; diagnostics: Diagnostic[] } {
    const demands = this.all.sort((a, b) => byString(a.key, b.key));
    return { demands, diagnostics: [...this.diagnostics, ...spellingClashes(demands)] };
  }
}

function addUrl(demand: ModelDemand, url: string | null | undefined): void {
  if (url && !demand.urls.includes(url)) demand.urls.push(url);
}

/** Two workflows' fetches of one key: the URLs of both, first one first (a snapshot keeps the first). */
export function mergeFetch(a: FetchSpec | undefined, b: FetchSpec): FetchSpec {
  if (!a) return b;
  if ('urls' in a && 'urls' in b) return { pack: a.pack, urls: [...new Set([...a.urls, ...b.urls])] };
  return a;
}

/**
 * Keys that differ only in letter case or Unicode normalization (NFC/NFD) are two files on Linux
 * but one on macOS and Windows, where download.sh would find the second "present with other
 * content" and fail on it.
 */
function spellingClashes(demands: readonly ModelDemand[]): Diagnostic[] {
  const seen = new Map<string, ModelDemand>();
  const diagnostics: Diagnostic[] = [];
  for (const demand of demands) {
    const folded = demand.key.normalize('NFC').toLowerCase();
    const first = seen.get(folded);
    if (!first) {
      seen.set(folded, demand);
      continue;
    }
    diagnostics.push({ code: 'name-spelling-clash', severity: 'warning', file: demand.usedBy[0]!.workflow,
      message: `${shown(demand.key, 200)} and ${shown(first.key, 200)} (needed by ${first.usedBy[0]!.workflow}) differ only in letter case or Unicode form: two files on Linux, but one on macOS and Windows, where download.sh installs only one of them`,
      hint: 'spell the model name the same way in every workflow' });
  }
  return diagnostics;
}
