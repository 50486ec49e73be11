/**
 * What a build keeps of its scanned workflows: they are folded in one at a time, in path
 * order, as the scan memo hands them over (scan-memo.ts `scanEach`), and let go. The demand per
 * model, the packs, the report's lines and the diagnostics grow with the collection; the
 * workflows themselves (every ref, node and pack of each) never all exist at once.
 */
import type { Diagnostic, ScannedWorkflow, WorkflowFormat } from '../core/types.js';
import { PackFold } from '../nodes/collect.js';
import type { PackDemand } from '../nodes/types.js';
import { ReportFold } from '../render/report.js';
import { DemandFold, type ModelDemand } from './demand.js';

/** Scan errors that mean the file's needs are unknown (as opposed to a readable file with a bad value). */
export const UNREAD_CODES: ReadonlySet<string> = new Set(['unreadable-file', 'unparsable-workflow', 'file-too-large', 'scan-failed']);

export interface WorkflowSummary {
  path: string;
  format: WorkflowFormat | null;
}

export interface FoldedWorkflows {
  workflows: WorkflowSummary[];
  /** Every workflow's own diagnostics, each with its file. */
  diagnostics: Diagnostic[];
  demands: ModelDemand[];
  /** aggregateDemand's own findings (unknown folders, unsafe names, clashes). */
  demandDiagnostics: Diagnostic[];
  packs: PackDemand[];
  report: ReportFold;
  /** Workflows that could not be read (UNREAD_CODES): what they need is unknown. */
  unread: string[];
  refs: number;
}

export class WorkflowFold {
  private readonly workflows: WorkflowSummary[] = [];
  private readonly diagnostics: Diagnostic[] = [];
  private readonly unread: string[] = [];
  private readonly demand: DemandFold;
  private readonly packs = new PackFold();
  private readonly report = new ReportFold();
  private refs = 0;
  private last: string | null = null;

  /** `nodeUses`: keep which nodes use each model (ModelDemand.usedBy; `comfygen why`). */
  constructor(opts: { nodeUses: boolean }) {
    this.demand = new DemandFold({ nodes: opts.nodeUses });
  }

  add(wf: ScannedWorkflow): void {
    // The first workflow to offer a URL, a hash or a pack version is the one that counts.
    if (this.last !== null && !(this.last < wf.path)) throw new Error(`workflows must arrive in path order: ${wf.path} after ${this.last}`);
    this.last = wf.path;
    this.workflows.push({ path: wf.path, format: wf.format });
    for (const d of wf.diagnostics) this.diagnostics.push(d.file === undefined ? { ...d, file: wf.path } : d);
    if (wf.diagnostics.some((d) => d.severity === 'error' && UNREAD_CODES.has(d.code))) this.unread.push(wf.path);
    this.refs += wf.refs.length;
    this.demand.add(wf);
    this.packs.add(wf);
    this.report.add(wf);
  }

  finish(): FoldedWorkflows {
    const { demands, diagnostics: demandDiagnostics } = this.demand.finish();
    return {
      workflows: this.workflows, diagnostics: this.diagnostics, demands, demandDiagnostics,
      packs: this.packs.finish(), report: this.report, unread: this.unread, refs: this.refs,
    };
  }
}
