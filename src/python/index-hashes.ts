/**
 * Every published sha256 of one version of a package, from the package index's simple API
 * (PEP 691 JSON, or PEP 503 HTML with `#sha256=` fragments). pip's report only hashes the file it
 * picked for this machine; the box may need another wheel of the same version (another Python,
 * another platform), and `--require-hashes` must accept it — as pip-tools' `--generate-hashes` does.
 */
import { eq, valid } from '@renovatebot/pep440';
import type { HttpClient } from '../io/http.js';
import { normalizeName } from './requirements.js';

const ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1';

/** sha256 hex digests of the files of `name==version` the indexes list (empty when none can be read). */
export async function indexHashes(http: HttpClient, indexes: readonly string[], name: string, version: string): Promise<string[]> {
  const key = normalizeName(name);
  const found = new Set<string>();
  for (const index of indexes) {
    // pip shows an index with credentials as `user:****@host`: that one cannot be asked again.
    if (!/^https?:\/\//.test(index) || index.includes('****')) continue;
    const url = `${index.replace(/\/+$/, '')}/${key}/`;
    const res = await http.send({ method: 'GET', url, redirect: 'follow', headers: { accept: ACCEPT }, maxBytes: 32 * 2 ** 20 });
    if (!res.ok || res.status >= 400) continue;
    const type = res.headers.get('content-type') ?? '';
    const files = type.includes('json') ? jsonFiles(res.body.toString('utf8')) : htmlFiles(res.body.toString('utf8'));
    for (const file of files) if (fileVersionIs(file.filename, key, version)) found.add(file.sha256);
  }
  return [...found].sort();
}

interface IndexFile { filename: string; sha256: string }

function jsonFiles(text: string): IndexFile[] {
  try {
    const doc = JSON.parse(text) as { files?: { filename?: unknown; hashes?: { sha256?: unknown } }[] };
    return (doc.files ?? []).flatMap((f) => (typeof f.filename === 'string' && typeof f.hashes?.sha256 === 'string' && /^[0-9a-f]{64}$/.test(f.hashes.sha256)
      ? [{ filename: f.filename, sha256: f.hashes.sha256 }] : []));
  } catch {
    return [];
  }
}

function htmlFiles(text: string): IndexFile[] {
  const out: IndexFile[] = [];
  for (const m of text.matchAll(/<a\s[^>]*href\s*=\s*["']([^"']*)["'][^>]*>([^<]*)<\/a>/gi)) {
    const sha = /#sha256=([0-9a-f]{64})\b/.exec(m[1]!)?.[1];
    const filename = m[2]!.trim() || decodeURIComponent(m[1]!.split('#')[0]!.split('/').pop() ?? '');
    if (sha) out.push({ filename, sha256: sha });
  }
  return out;
}

/** Whether a distribution file (wheel or sdist) is of this project and version. */
export function fileVersionIs(filename: string, key: string, version: string): boolean {
  let name: string;
  let ver: string;
  if (filename.endsWith('.whl')) {
    const parts = filename.slice(0, -4).split('-');
    if (parts.length < 5) return false;
    [name, ver] = [parts[0]!, parts[1]!];
  } else {
    const base = filename.replace(/\.(tar\.gz|tar\.bz2|tar\.xz|zip|tgz)$/, '');
    if (base === filename) return false;
    const cut = base.lastIndexOf('-');
    if (cut <= 0) return false;
    [name, ver] = [base.slice(0, cut), base.slice(cut + 1)];
  }
  return normalizeName(name) === key && valid(ver) !== null && valid(version) !== null && eq(ver, version);
}
