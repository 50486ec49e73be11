/**
 * The local matching ladder (pure). By name, strongest rung first:
 *   exact       same folder, same name (what ComfyUI itself would load);
 *   normalized  same folder, name equal ignoring case and `\` vs `/` (a Windows or macOS workflow);
 *   basename    same folder, same file name in another subfolder (`SDXL/x` vs `x`).
 * Then by content: a file whose sha256 equals a pin is that model under another name.
 * Word separators (`-` vs `_`) are deliberately not ignored: such names often are other models.
 */
import type { LocalFile, LocalMatch, MatchHow } from '../core/types.js';

export interface NameRef {
  key: string;
  folder: string;
  name: string;
}

export interface ContentWant {
  key: string;
  sha256: string;
  size: number | null;
}

/** Names that need more than lower-casing: backslashes, empty or `.` segments, a leading `/`. */
const IRREGULAR = /\\|\/\/|(?:^|\/)\.(?:\/|$)|^\/|\/$|^$/;

/** Lower-case, `/` separators, no empty or `.` segments, no leading `/`. */
export function normalizeForMatch(name: string): string {
  if (!IRREGULAR.test(name)) return name.toLowerCase();
  return name.replace(/\\/g, '/').split('/').filter((p) => p !== '' && p !== '.').join('/').toLowerCase();
}

function basenameOf(normalized: string): string {
  return normalized.slice(normalized.lastIndexOf('/') + 1);
}

function group(files: readonly LocalFile[], keyOf: (f: LocalFile) => string): Map<string, LocalFile[]> {
  const map = new Map<string, LocalFile[]>();
  for (const file of files) {
    const key = keyOf(file);
    const list = map.get(key);
    if (list) list.push(file);
    else map.set(key, [file]);
  }
  return map;
}

/** Files arrive in inventory order (walk.ts sorts them), so the first candidate is ComfyUI's pick. */
function pick(candidates: readonly LocalFile[] | undefined, how: MatchHow): LocalMatch | null {
  if (!candidates || candidates.length === 0) return null;
  const [file, ...rest] = candidates as [LocalFile, ...LocalFile[]];
  return rest.length > 0 ? { file, how, alternatives: rest } : { file, how };
}

export function matchByName(refs: readonly NameRef[], files: readonly LocalFile[]): Map<string, LocalMatch> {
  // The wanted names are indexed, not the files: a few thousand refs against tens of thousands
  // of files, each file looked up once per rung in inventory order.
  // Indexed by folder, then name: no key string is built per file.
  const exact = indexRefs(refs, (r) => r.name);
  const firstExact = new Map<string, LocalFile>();
  for (const f of files) {
    for (const ref of exact.get(f.folder)?.get(f.name) ?? []) if (!firstExact.has(ref.key)) firstExact.set(ref.key, f);
  }
  const matches = new Map<string, LocalMatch>();
  const missed: NameRef[] = [];
  for (const ref of refs) {
    // Same name in several roots is no ambiguity: ComfyUI loads the first, and so do we.
    const file = firstExact.get(ref.key);
    if (file) matches.set(ref.key, { file, how: 'exact' });
    else missed.push(ref);
  }
  if (missed.length === 0) return matches;
  // The looser rungs look only at folders where some name missed (a warm build of a complete
  // collection never gets here).
  const normalized = indexRefs(missed, (r) => normalizeForMatch(r.name));
  const byBase = indexRefs(missed, (r) => basenameOf(normalizeForMatch(r.name)));
  const normHits = new Map<string, LocalFile[]>();
  const baseHits = new Map<string, LocalFile[]>();
  for (const f of files) {
    const normIn = normalized.get(f.folder);
    if (!normIn) continue;
    const norm = normalizeForMatch(f.name);
    for (const ref of normIn.get(norm) ?? []) push(normHits, ref.key, f);
    for (const ref of byBase.get(f.folder)?.get(basenameOf(norm)) ?? []) push(baseHits, ref.key, f);
  }
  for (const ref of missed) {
    const found = pick(normHits.get(ref.key), 'normalized') ?? pick(baseHits.get(ref.key), 'basename');
    if (found) matches.set(ref.key, found);
  }
  return matches;
}

/** Folder → key → refs. */
function indexRefs(refs: readonly NameRef[], keyOf: (r: NameRef) => string): Map<string, Map<string, NameRef[]>> {
  const map = new Map<string, Map<string, NameRef[]>>();
  for (const ref of refs) {
    let inFolder = map.get(ref.folder);
    if (!inFolder) map.set(ref.folder, (inFolder = new Map()));
    push(inFolder, keyOf(ref), ref);
  }
  return map;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Files whose content is a pinned model, whatever their name or folder. Only files of exactly
 * the pinned size are hashed (a pin without a size is skipped rather than hashing every file);
 * each file is hashed at most once, and a file that cannot be read is simply not a match.
 * Among equal files, one in the key's own folder is preferred, then inventory order.
 */
export async function matchByContent(
  wanted: readonly ContentWant[],
  files: readonly LocalFile[],
  hash: (file: LocalFile) => Promise<{ sha256: string }>,
): Promise<Map<string, LocalMatch>> {
  const bySize = group(files, (f) => String(f.size));
  const sizes = new Set(wanted.filter((w) => w.size !== null).map((w) => String(w.size)));
  const toHash = [...new Map([...sizes].flatMap((s) => bySize.get(s) ?? []).map((f) => [f.absPath, f])).values()];
  const digests = new Map<string, string>();
  await Promise.all(toHash.map(async (file) => {
    try {
      digests.set(file.absPath, (await hash(file)).sha256.toLowerCase());
    } catch {
      // Vanished or unreadable since the walk: it cannot be the pinned model.
    }
  }));
  const matches = new Map<string, LocalMatch>();
  for (const want of wanted) {
    if (want.size === null) continue;
    const sha = want.sha256.toLowerCase();
    const folder = want.key.slice(0, want.key.indexOf('/'));
    const same = (bySize.get(String(want.size)) ?? []).filter((f) => digests.get(f.absPath) === sha);
    const ordered = [...same.filter((f) => f.folder === folder), ...same.filter((f) => f.folder !== folder)];
    const found = pick(ordered, 'content');
    if (found) matches.set(want.key, found);
  }
  return matches;
}
