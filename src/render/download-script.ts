/**
 * download.sh (DESIGN §6): the lock's pins as quoted data rows, followed by a fixed bash program
 * from templates/download.sh.hbs. Every string from the lock reaches the script through `shQuote`
 * (or `shComment` in comments); the template itself only lays the rows out.
 */
import type { Lockfile } from '../core/types.js';
import { downloadRows, type ModelRow } from './download-rows.js';
import { markerLine } from './marker.js';
import { shComment, shField, shQuote } from './shell.js';
import { humanSize } from './human-size.js';
import { shellMarks, type ShellMarks } from './shell-marks.js';
import { compileTemplate } from './templates.js';

interface DownloadView {
  marker: string;
  summary: string;
  target: string;
  comfyuiDir: string;
  models: { fields: string[] }[];
  unresolved: { key: string; reason: string }[];
  refused: { key: string; reason: string }[];
  marks: ShellMarks;
}

let template: ((view: DownloadView) => string) | null = null;

/**
 * Render download.sh for a lock. `target` is models.target as the script's folder sees it (a
 * relative one re-based there, see `seenFromOutput`); the script uses it when MODELS_DIR is unset,
 * expanding a leading `~/` and `$VAR`/`${VAR}` at run time (never via eval), and resolves a
 * relative result from its own folder, wherever it is run from. `comfyuiDir` is comfyui.dir the
 * same way, for files that go under the ComfyUI folder (COMFYUI_DIR overrides, as for nodes.sh).
 */
export function renderDownloadScript(lock: Lockfile, opts: { target: string; comfyuiDir?: string }): string {
  template ??= compileTemplate<DownloadView>('download.sh.hbs', { q: shQuote, c: shComment });
  const rows = downloadRows(lock);
  const comfyuiDir = opts.comfyuiDir ?? '';
  return template({
    marker: markerLine('#'),
    summary: summarize(rows.models, rows.unresolved.length, rows.refused.length),
    // A NUL cannot be part of a path; without a usable default the script asks for MODELS_DIR.
    target: opts.target.includes('\0') ? '' : opts.target,
    comfyuiDir: comfyuiDir.includes('\0') ? '' : comfyuiDir,
    models: rows.models.map((m) => ({ fields: modelFields(m) })),
    unresolved: rows.unresolved,
    refused: rows.refused,
    marks: shellMarks(),
  });
}

function modelFields(m: ModelRow): string[] {
  const fields = [shField('key', m.key)];
  // Rows under MODELS_DIR name no root: the script of a models-only lock reads as it always did.
  if (m.root !== 'models') fields.push(shField('root', m.root));
  for (const base of m.bases) fields.push(shField('base', base));
  if (m.hf) fields.push(shField('commit', m.hf.commit), shField('rev', m.hf.revision), shField('etag', m.hf.etag));
  fields.push(shField('dir', m.dir), shField('name', m.name));
  if (m.size !== null) fields.push(shField('size', String(m.size)));
  if (m.approxSize !== null) fields.push(shField('approx', String(m.approxSize)));
  if (m.sha256 !== null) fields.push(shField('sha256', m.sha256));
  if (m.blake3 !== null) fields.push(shField('blake3', m.blake3));
  if (m.auth !== null) fields.push(shField('auth', m.auth));
  for (const dir of m.also) fields.push(shField('also', dir));
  for (const url of m.urls) fields.push(shField('url', url));
  return fields;
}

function summarize(models: ModelRow[], unresolved: number, refused: number): string {
  const bytes = models.reduce((sum, m) => sum + (m.size ?? 0), 0);
  const unknown = models.filter((m) => m.size === null).length;
  const unverified = models.filter((m) => m.sha256 === null).length;
  const parts = [`${models.length} ${models.length === 1 ? 'model' : 'models'} pinned (${humanSize(bytes)}`
    + `${unknown ? ` + ${unknown} of unknown size` : ''})`];
  if (unverified) parts.push(`${unverified} without a pinned sha256`);
  if (unresolved) parts.push(`${unresolved} unresolved`);
  if (refused) parts.push(`${refused} refused`);
  return `${parts.join(', ')}.`;
}

export { humanSize } from './human-size.js';
