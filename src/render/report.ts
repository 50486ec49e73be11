/**
 * report.md: what each workflow needs, where each pin came from, sizes, what is unresolved and
 * why. Depends only on the workflows and the lock (never on this machine's files), so `check`
 * gives the same answer everywhere.
 */
import type { ModelDemand } from '../pipeline/demand.js';
import { installDirFor } from '../core/folders.js';
import { hfCacheFolder, parseKey } from '../core/roots.js';
import { someNames } from '../core/some-names.js';
import type { LockedModel, Lockfile, ScannedWorkflow } from '../core/types.js';
import { MARKER } from './marker.js';
import { humanSize } from './human-size.js';
import { mdCell, mdCode, mdText } from './markdown.js';
import type { PackNote } from '../nodes/types.js';
import type { PythonReport } from './python-plan.js';
import { compileTemplate } from './templates.js';

let template: ((view: unknown) => string) | null = null;

/** What report.md says of ComfyUI's pin (why this ref) and of the Python plan. */
export interface ReportEnvironment {
  because?: string;
  python?: PythonReport | null;
}

/** `packNotes`: what pinning the custom node packs found worth saying (src/nodes/notes.ts). */
export function renderReport(workflows: readonly ScannedWorkflow[], demands: readonly ModelDemand[], lock: Lockfile, packNotes: readonly PackNote[] = [], environment: ReportEnvironment = {}): string {
  const fold = new ReportFold();
  for (const wf of workflows) fold.add(wf);
  return renderReportOf(fold, demands, lock, packNotes, environment);
}

let rowTemplate: ((view: unknown) => string) | null = null;

interface WorkflowView {
  path: string;
  format: string;
  models: string;
  diagnostics: { severity: string; code: string; message: string }[];
}

/** Workflows rendered per call of the row template: one call per workflow costs more than the rows. */
const ROWS_PER_CHUNK = 256;

/**
 * What report.md says of each workflow, taken one workflow at a time as a build scans them, so
 * that no workflow has to be kept for the report: its lines (rendered a few hundred workflows
 * at a time), and which packs it uses.
 */
export class ReportFold {
  /** The workflows' part of report.md, rendered (templates/report-workflow.md.hbs), in chunks. */
  private chunks: string[] = [];
  private pending: WorkflowView[] = [];
  private count = 0;
  /** Pack id → workflows using it (every workflow uses comfy-core). */
  packUsers = new Map<string, string[]>();

  add(wf: ScannedWorkflow): void {
    this.count++;
    this.pending.push({
      path: mdCode(wf.path),
      format: wf.format ?? 'unreadable',
      // Keys only: which nodes use a model is one `comfygen why <model>` away, and listing them
      // here made the report of a large collection tens of megabytes.
      models: wf.refs.map((ref) => `${mdCode(`${ref.folder}/${ref.name}`)}${ref.active ? '' : ' (optional)'}${ref.guessed ? ' (guessed)' : ''}`).join(', '),
      diagnostics: wf.diagnostics
        .filter((d) => d.severity !== 'info')
        .map((d) => ({ severity: d.severity, code: d.code, message: mdText(d.message) })),
    });
    if (this.pending.length >= ROWS_PER_CHUNK) this.flush();
    for (const id of new Set(wf.customNodes.map((c) => c.id))) {
      const users = this.packUsers.get(id);
      if (users) users.push(wf.path);
      else this.packUsers.set(id, [wf.path]);
    }
  }

  get workflows(): number {
    return this.count;
  }

  /** The rendered lines, in chunks. */
  lines(): string[] {
    this.flush();
    return this.chunks;
  }

  /** Lets the lines go once the report is rendered: they are about as large as the report. */
  release(): void {
    this.chunks = [];
    this.packUsers = new Map();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    rowTemplate ??= compileTemplate('report-workflow.md.hbs');
    const chunk = rowTemplate({ workflows: this.pending });
    // A rendered chunk is a tree of the pieces it was joined from; reading a character makes V8
    // copy it into one flat string and drop the tree (at 30,000 workflows: 40 MB → 17 MB).
    chunk.charCodeAt(0);
    this.chunks.push(chunk);
    this.pending = [];
  }
}

/** renderReport over the workflows a ReportFold took in. */
export function renderReportOf(workflows: ReportFold, demands: readonly ModelDemand[], lock: Lockfile, packNotes: readonly PackNote[] = [], environment: ReportEnvironment = {}): string {
  template ??= compileTemplate('report.md.hbs');
  const demandByKey = new Map(demands.map((d) => [d.key, d]));
  const neededBy = (key: string, code: (name: string) => string): string => someNames([...new Set((demandByKey.get(key)?.usedBy ?? []).map((u) => u.workflow))], 'workflow', 3, code)
    || 'no workflow';
  const optional = (key: string): boolean => demandByKey.get(key)?.active === false;
  const entries = Object.entries(lock.models);
  const pinned = entries.filter(([, e]) => e.locked);
  const models = pinned.map(([key, e]) => ({
    key: mdCell(key),
    keyItem: mdCode(key),
    optional: optional(key),
    size: sizeText(e.locked!),
    source: mdText(e.locked!.source),
    sha: e.locked!.files ? `${Object.keys(e.locked!.files).length} files, each pinned` : e.locked!.sha256 ? `\`${e.locked!.sha256.slice(0, 12)}…\`` : '**unverified**',
    hashOrigin: e.locked!.sha256 || e.locked!.files ? mdText(e.locked!.hashOrigin ?? 'unknown') : 'none published',
    url: mdCode(e.locked!.url),
    neededBy: neededBy(key, mdCell),
  }));
  const unresolved = entries
    .filter(([, e]) => !e.locked)
    .map(([key, e]) => ({
      key: mdCode(key),
      optional: optional(key),
      reason: mdText(e.unresolved?.reason ?? 'not resolved'),
      localSha: e.unresolved?.sha256 ? `\`${e.unresolved.sha256}\`` : '',
      neededBy: neededBy(key, mdCode),
    }));
  // Civitai publishes sizes rounded to 0.01 KiB: counted in the total, marked as estimates.
  const sizes = pinned.map(([, e]) => e.locked!.size ?? e.locked!.approxSize ?? null);
  const estimated = pinned.some(([, e]) => e.locked!.size === null && e.locked!.approxSize !== undefined);
  const packUsers = workflows.packUsers;
  const view = {
    marker: MARKER,
    summary: {
      workflows: workflows.workflows,
      models: entries.length,
      pinned: pinned.length,
      unresolved: unresolved.length,
      unverified: pinned.filter(([, e]) => !e.locked!.sha256 && !e.locked!.files).length,
      totalSize: `${estimated ? 'about ' : ''}${humanSize(sizes.reduce<number>((sum, s) => sum + (s ?? 0), 0))}`,
      unknownSizes: sizes.filter((s) => s === null).length,
    },
    models,
    unresolved,
    fetched: demands.filter((d) => d.fetch).map((d) => ({
      key: mdCell(d.key),
      where: mdText(whereText(d.key)),
      nodes: [...new Set(d.usedBy.flatMap((u) => (u.nodes ?? []).map((n) => n.type)))].sort().map(mdCell).join(', '),
      pack: mdText(d.fetch!.pack),
      state: lock.models[d.key]?.locked ? 'pinned' : '**unresolved**',
    })),
    workflows: workflows.lines(),
    packs: Object.entries(lock.nodes ?? {}).map(([id, e]) => ({
      id: mdCell(id),
      version: e.locked ? mdCell(e.locked.type === 'git' ? e.locked.commit.slice(0, 12) : e.locked.version) : 'unresolved',
      source: e.locked ? mdText(e.locked.type === 'git' ? e.locked.repo : `registry ${e.locked.id}`) : mdText(e.unresolved?.reason ?? ''),
      neededBy: someNames(packUsers.get(id) ?? [], 'workflow', 3, mdCell),
    })),
    packNotes: packNotes.map((n) => ({ pack: mdCode(n.pack), message: mdText(n.message) })),
    comfyui: comfyuiView(lock, environment.because),
    python: environment.python ?? null,
  };
  return template(view);
}

/** Where download.sh puts a key, in the words of its variables (README, "Lock keys outside MODELS_DIR"). */
function whereText(key: string): string {
  const parsed = parseKey(key);
  if ('problem' in parsed) return 'nowhere (refused)';
  if (parsed.root === 'models') return `MODELS_DIR/${installDirFor(parsed.folder)}/${parsed.name}`;
  const folder = parsed.folder ? '/ (every file of the snapshot)' : '';
  if (parsed.root === 'comfyui') return parsed.area === 'models' ? `COMFYUI_DIR/models/${parsed.path}${folder}` : `COMFYUI_DIR/custom_nodes/${parsed.pack}/${parsed.path}${folder} (the pack's folder)`;
  const cache = hfCacheFolder(parsed.type, parsed.repo);
  return `the Hugging Face cache (HF_HUB_CACHE): ${cache}, revision ${parsed.revision}${parsed.folder ? ', every file of the snapshot' : `, ${parsed.path}`}`;
}

function sizeText(locked: LockedModel): string {
  if (locked.size !== null) return humanSize(locked.size);
  return locked.approxSize === undefined ? 'unknown' : `≈ ${humanSize(locked.approxSize)}`;
}

function comfyuiView(lock: Lockfile, because: string | undefined): { pin: string; because: string } | null {
  const entry = lock.comfyui;
  if (!entry) return null;
  const ref = entry.original.ref ? `${mdCode(entry.original.ref)} of ` : 'the default branch of ';
  const pin = entry.locked
    ? `${ref}${mdCode(entry.locked.repo)}, pinned to ${mdCode(entry.locked.commit)}`
    : `${ref}the configured repository: **unresolved** (${mdText(entry.unresolved?.reason ?? '')})`;
  return { pin, because: because ? mdText(because) : '' };
}

