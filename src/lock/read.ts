/** Reads comfy.lock.json and validates its shape at the boundary (DESIGN §4). */
import { readFile } from 'node:fs/promises';
import * as v from 'valibot';
import { UserError } from '../core/errors.js';
import type { Lockfile } from '../core/types.js';
import { stripCredentials } from '../scan/refs/credentials.js';

// Every field comfygen reads is checked for its type here, so a hand-edited lock (`mirrors: 5`, a
// pack's `version: 1`) is one clear error naming the key path, never a crash while rendering.
// Unknown extra fields are kept (looseObject): a newer comfygen may add some.
// A hand-edited hash in capitals is the same hash: read it, write it back in lower case.
const Sha256 = v.nullable(v.pipe(v.string(), v.regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex characters (a sha256) or null'), v.toLowerCase()));
// download.sh hands it to curl: only a web address, never a file: URL or an option.
const WebUrl = v.pipe(v.string(), v.regex(/^https?:\/\/[^\s]+$/i, 'expected an http(s) URL'));
const ByteCount = v.pipe(v.number(), v.safeInteger('expected a whole number of bytes'), v.minValue(0, 'expected a size of 0 bytes or more'));
const Text = v.string();
// The name huggingface_hub stores a blob under: a sha256 (LFS) or a git blob sha1.
const Etag = v.pipe(v.string(), v.regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, 'expected a git blob sha1 or a sha256 (40 or 64 lower-case hex characters)'));
const SnapshotFile = v.looseObject({
  url: WebUrl,
  sha256: v.pipe(v.string(), v.regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex characters (a sha256)'), v.toLowerCase()),
  size: ByteCount,
  etag: v.optional(Etag),
});
const Locked = v.looseObject({
  source: Text,
  url: WebUrl,
  sha256: Sha256,
  size: v.nullable(ByteCount),
  approxSize: v.optional(ByteCount),
  hashOrigin: v.optional(Text),
  blake3: v.optional(Text),
  auth: v.optional(Text),
  mirrors: v.optional(v.array(WebUrl, 'expected a list of http(s) URLs')),
  remoteName: v.optional(Text),
  etag: v.optional(Etag),
  files: v.optional(v.record(v.string(), SnapshotFile)),
});
const Entry = v.pipe(
  v.looseObject({
    original: v.looseObject({ url: v.optional(Text), sha256: v.optional(Text), repo: v.optional(Text), catalog: v.optional(Text) }),
    locked: v.optional(Locked),
    unresolved: v.optional(v.looseObject({ reason: Text, sha256: Sha256 })),
  }),
  v.check((e) => (e.locked === undefined) !== (e.unresolved === undefined), 'expected either "locked" or "unresolved", not both and not neither'),
);
// Formats (a canonical repository, 40 hex, semver) are judged per pack by nodes.sh's renderer,
// which refuses that one pack; here only what would break reading: types.
const NodeEntry = v.pipe(
  v.looseObject({
    original: v.looseObject({ cnr_id: v.optional(Text), aux_id: v.optional(Text), ver: v.optional(Text), nodeTypes: v.optional(v.array(Text)) }),
    chosenBy: v.optional(v.picklist(['config', 'comfygen'])),
    locked: v.optional(v.variant('type', [
      v.looseObject({ type: v.literal('git'), repo: Text, commit: Text }),
      v.looseObject({ type: v.literal('registry'), id: Text, version: Text, url: Text, sha256: Text }),
    ], 'expected a "git" or "registry" pin')),
    unresolved: v.optional(v.looseObject({ reason: Text })),
  }),
  v.check((e) => (e.locked === undefined) !== (e.unresolved === undefined), 'expected either "locked" or "unresolved", not both and not neither'),
);
const ComfyuiEntry = v.pipe(
  v.looseObject({
    original: v.looseObject({ ref: v.optional(v.string()) }),
    locked: v.optional(v.looseObject({ repo: v.string(), commit: v.pipe(v.string(), v.regex(/^[0-9a-f]{40}$/, 'expected a 40-hex commit')) })),
    unresolved: v.optional(v.looseObject({ reason: v.string() })),
  }),
  v.check((e) => (e.locked === undefined) !== (e.unresolved === undefined), 'expected either "locked" or "unresolved", not both and not neither'),
);
const PythonSource = v.looseObject({
  pin: v.string(),
  file: v.nullable(v.string()),
  requirements: v.array(v.string()),
  skipped: v.optional(v.array(v.looseObject({ line: v.string(), reason: v.string() }))),
  unread: v.optional(v.string()),
});
const PythonSchema = v.looseObject({
  comfyui: v.optional(PythonSource),
  nodes: v.record(v.string(), PythonSource),
  resolved: v.optional(v.looseObject({
    inputs: v.string(),
    python: v.string(),
    packages: v.record(v.string(), v.looseObject({
      version: v.string(),
      hashes: v.array(v.pipe(v.string(), v.regex(/^sha256:[0-9a-f]{64}$/, "expected 'sha256:' and 64 hex characters"))),
      requiredBy: v.optional(v.array(v.string())),
    })),
    checked: v.optional(v.array(v.string())),
  })),
  unresolved: v.optional(v.looseObject({ reason: v.string() })),
});
const LockSchema = v.looseObject({
  version: v.literal(1),
  models: v.record(v.string(), Entry),
  nodes: v.optional(v.record(v.string(), NodeEntry)),
  comfyui: v.optional(ComfyuiEntry),
  python: v.optional(PythonSchema),
});

/** `models["loras/x.safetensors"].locked.mirrors`: a key path a person can find in the file. */
function keyPath(issue: v.BaseIssue<unknown>): string {
  const keys = issue.path?.map((p) => p.key) ?? [];
  if (keys.length === 0) return '(top level)';
  return keys.map((k, i) => (typeof k === 'number' ? `[${k}]` : typeof k === 'string' && /^[A-Za-z_$][\w$]*$/.test(k) ? `${i === 0 ? '' : '.'}${k}` : `[${JSON.stringify(String(k))}]`)).join('');
}

export function parseLock(text: string, where: string): Lockfile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${where} is not valid JSON (${(err as Error).message}).\n  Fix it, or restore it from version control; comfygen will not overwrite it.`);
  }
  const parsed = v.safeParse(LockSchema, raw);
  if (!parsed.success) {
    const issue = parsed.issues[0]!;
    const path = keyPath(issue);
    throw new UserError(`${where} has an unexpected shape at ${path}: ${issue.message}.\n  Fix it, or restore it from version control; comfygen will not overwrite it.`);
  }
  const lock = parsed.output as unknown as Lockfile;
  // A lock written before workflows' URLs were stripped of tokens may still hold one in the
  // provenance URL; it goes at the next build instead of being carried forward.
  for (const entry of Object.values(lock.models)) {
    const stripped = entry.original.url ? stripCredentials(entry.original.url) : null;
    if (stripped && stripped.removed.length > 0) entry.original.url = stripped.url;
  }
  return lock;
}

/** The lock on disk, or null when there is none yet. */
export async function readLock(path: string, shownAs = 'comfy.lock.json'): Promise<Lockfile | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UserError(`cannot read ${shownAs}: ${(err as Error).message}`);
  }
  return parseLock(text, shownAs);
}
