/**
 * One file's bytes → ScannedWorkflow, deciding the format by content. Pure: media containers are
 * parsed from the buffer; scanFile reuses `fromMedia` with bounded reads from disk.
 */
import type { ScannedWorkflow, WorkflowFormat } from '../core/types.js';
import { diag, inFile } from './diagnostics.js';
import { type Extraction, extractRefs } from './extract.js';
import { parseJsonLenient } from './json.js';
import { type MediaKind, graphCandidates, hasA1111Parameters, mediaParser } from './media/index.js';
import { type MediaMetadata, runSync } from './media/reader.js';
import { redactUrls } from './refs/credentials.js';
import { SNIFF_BYTES, sniff } from './sniff.js';

const utf8 = new TextDecoder('utf-8');

export function scanBytes(relPath: string, bytes: Uint8Array): ScannedWorkflow {
  const kind = sniff(bytes.subarray(0, SNIFF_BYTES));
  if (kind === 'json') return fromJsonText(relPath, utf8.decode(bytes));
  if (kind === 'unknown') return unreadable(relPath, null, unknownContent(bytes));
  return fromMedia(relPath, kind, runSync(mediaParser(kind, bytes.length), bytes));
}

export function fromJsonText(relPath: string, text: string): ScannedWorkflow {
  const parsed = parseJsonLenient(text);
  if (!parsed.ok) return unreadable(relPath, null, `not valid JSON: ${parsed.error}`);
  const extraction = extractRefs(parsed.value, relPath);
  return result(relPath, extraction.graph, extraction);
}

/** Prefer the embedded UI workflow, fall back to the API prompt; one clear diagnostic when neither reads. */
export function fromMedia(relPath: string, kind: MediaKind, meta: MediaMetadata): ScannedWorkflow {
  const problems: string[] = [];
  for (const candidate of graphCandidates(meta.entries)) {
    const parsed = parseJsonLenient(candidate.value);
    if (!parsed.ok) {
      problems.push(`its embedded "${candidate.key}" is not valid JSON (${parsed.error})`);
      continue;
    }
    const extraction = extractRefs(parsed.value, relPath);
    if (extraction.graph === null) {
      problems.push(`its embedded "${candidate.key}" holds no workflow graph`);
      continue;
    }
    const notes = problems.map((p) => diag('invalid-embedded-graph', `${p}; "${candidate.key}" was read instead`));
    // A chunk that is cut short or will not inflate is left out of `entries`: when that leaves only
    // the API prompt, say so, for the prompt lacks muted nodes, notes and model URLs.
    if (meta.problem && candidate.key.trim().toLowerCase() !== 'workflow') {
      notes.push(diag('invalid-embedded-graph', `${kind.toUpperCase()} metadata could not be read in full (${meta.problem}), so its UI "workflow" may be lost; "${candidate.key}" was read instead`));
    }
    extraction.diagnostics = [...inFile(notes, relPath), ...extraction.diagnostics];
    return result(relPath, kind, extraction);
  }
  // A part of the metadata that could not be read may be the reason no graph was found.
  if (meta.problem && problems.length > 0) problems.push(`and its metadata could not be read in full (${meta.problem})`);
  if (problems.length > 0) return unreadable(relPath, kind, `${kind.toUpperCase()} file: ${problems.join('; ')}`);
  if (meta.problem) return unreadable(relPath, kind, `${kind.toUpperCase()} file could not be read to its workflow metadata: ${meta.problem}`);
  const a1111 = hasA1111Parameters(meta.entries) ? ' (it has A1111-style "parameters", which name no ComfyUI graph)' : '';
  const d = diag('no-embedded-workflow', `${kind.toUpperCase()} file carries no ComfyUI workflow${a1111}`, {
    hint: 'save it from ComfyUI with metadata enabled (no --disable-metadata), or export the workflow as JSON',
  });
  return { path: relPath, format: kind, refs: [], customNodes: [], diagnostics: inFile([d], relPath) };
}

/**
 * The scanner threw on this file, which it never should (a bug): the file's one error says so,
 * and the build goes on without what the file needs, keeping its pins in the lock.
 */
export function scanFailed(relPath: string, err: unknown): ScannedWorkflow {
  const what = err instanceof Error ? `${err.name}: ${err.message}` : 'a non-error value was thrown';
  const d = diag('scan-failed', `comfygen failed while scanning this file (${redactUrls(what.slice(0, 200))}); what it needs is unknown`, {
    hint: 'this is a bug in comfygen: please report it with the file; until then the lock keeps the pins no readable workflow names',
  });
  return { path: relPath, format: null, refs: [], customNodes: [], diagnostics: inFile([d], relPath) };
}

export function unreadable(relPath: string, format: WorkflowFormat | null, message: string, code: 'unparsable-workflow' | 'unreadable-file' | 'file-too-large' = 'unparsable-workflow'): ScannedWorkflow {
  const d = diag(code, message, { hint: code === 'unreadable-file' ? 'check the path and its permissions' : 'fix or re-export the workflow, or remove it from the workflows globs' });
  return { path: relPath, format, refs: [], customNodes: [], diagnostics: inFile([d], relPath) };
}

/** Key order as `scan --json` prints it: path, format, graph, refs, customNodes, untaggedNodeTypes, diagnostics. */
function result(relPath: string, format: WorkflowFormat | null, ex: Extraction): ScannedWorkflow {
  return {
    path: relPath,
    format,
    ...(ex.graph ? { graph: ex.graph } : {}),
    refs: ex.refs,
    customNodes: ex.customNodes,
    ...(ex.untaggedNodeTypes.length > 0 ? { untaggedNodeTypes: ex.untaggedNodeTypes } : {}),
    diagnostics: ex.diagnostics,
  };
}

function unknownContent(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'the file is empty';
  const head = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return `neither JSON nor a PNG, WebP, FLAC or MP4/MOV file (starts with bytes ${head})`;
}
