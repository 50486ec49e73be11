/**
 * A fake Hugging Face Hub on 127.0.0.1 speaking the shapes in shared/reference/hf-samples.json.
 * Point `HF_ENDPOINT` at `hf.url`.
 *
 *   const hf = await startFakeHf({ repos: [
 *     { id: 'org/models', files: { 'vae/ae.safetensors': 'bytes…', 'config.json': '{}' } },
 *     { id: 'org/gated', gated: 'manual', allow: ['hf_good'], files: { … } },
 *   ], pageSize: 2 });
 *   hf.commit('org/models')                    sha that `main` points to
 *   hf.file('org/models', 'vae/ae.safetensors') { sha256, size, commit, lfs }
 *   hf.push('org/models', files)                new commit on main (the old one stays readable)
 *   hf.requests / hf.count('/api/') / hf.failNext({ status: 429, headers: { 'retry-after': '1' } })  (API server only)
 *   await hf.close()
 *
 * Serves: GET /api/{models|datasets}/{id}/revision/{rev}; GET …/tree/{rev}[/{dir}]?recursive=
 * (pages of `pageSize`, `Link: <…>; rel="next"`); HEAD/GET /[datasets/]{id}/resolve/{rev}/{path}
 * (LFS: 302 to /cdn/{sha256} with X-Repo-Commit, X-Linked-Etag, X-Linked-Size; other files: 200
 * with a git-sha1 ETag); /blob/ answers an HTML page. The CDN is a second server (another origin,
 * like cas-bridge.xethub.hf.co): GET /cdn/{sha256} serves bytes with Range; its requests are in the
 * same `requests` log (path /cdn/…), so a test can check that no token followed the redirect.
 * Errors carry X-Error-Code: RepoNotFound (401, also private without an allowed token),
 * GatedRepo (401 without a token, 403 with one not in `allow`), RevisionNotFound, EntryNotFound.
 * LFS files: names with a model extension, unless `lfs` lists them explicitly.
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { sendBytes, sendJson, startFakeServer, toBuffer, type FakeRequest, type FakeServer } from './fake-server.js';

export interface FakeHfRepo {
  /** `owner/name`. */
  id: string;
  type?: 'model' | 'dataset';
  files: Record<string, string | Buffer>;
  /** Paths stored in LFS (default: model extensions). */
  lfs?: string[];
  gated?: false | 'auto' | 'manual';
  private?: boolean;
  /** Tokens granted access to a gated or private repo. */
  allow?: string[];
}

export interface FakeHf extends FakeServer {
  commit(id: string): string;
  file(id: string, path: string): { sha256: string; size: number; commit: string; lfs: boolean };
  push(id: string, files: Record<string, string | Buffer>): string;
}

interface StoredFile {
  bytes: Buffer;
  sha256: string;
  lfs: boolean;
  /** Git blob sha1 of what git stores: the pointer for LFS files. */
  oid: string;
}

interface Repo {
  spec: FakeHfRepo;
  commits: Map<string, Map<string, StoredFile>>;
  main: string;
}

const MODEL_EXT = /\.(safetensors|ckpt|pt|pt2|pth|bin|gguf|sft|onnx|h5|pkl)$/i;
const sha1 = (data: Buffer | string): string => createHash('sha1').update(data).digest('hex');
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const gitBlobSha1 = (data: Buffer): string => sha1(Buffer.concat([Buffer.from(`blob ${data.length}\0`), data]));

export async function startFakeHf(opts: { repos: FakeHfRepo[]; pageSize?: number }): Promise<FakeHf> {
  const pageSize = opts.pageSize ?? 1000;
  const repos = new Map<string, Repo>();
  const blobs = new Map<string, Buffer>();

  function store(spec: FakeHfRepo, files: Record<string, string | Buffer>, parent: string): string {
    const tree = new Map<string, StoredFile>();
    for (const [path, content] of Object.entries(files)) {
      const bytes = toBuffer(content);
      const lfs = spec.lfs ? spec.lfs.includes(path) : MODEL_EXT.test(path);
      const hash = sha256(bytes);
      const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${hash}\nsize ${bytes.length}\n`;
      tree.set(path, { bytes, sha256: hash, lfs, oid: gitBlobSha1(lfs ? Buffer.from(pointer) : bytes) });
      blobs.set(hash, bytes);
    }
    const commit = sha1(JSON.stringify([parent, spec.id, [...tree].map(([p, f]) => [p, f.sha256]).sort()]));
    const repo = repos.get(repoKey(spec.type ?? 'model', spec.id)) ?? { spec, commits: new Map(), main: commit };
    repo.commits.set(commit, tree);
    repo.main = commit;
    repos.set(repoKey(spec.type ?? 'model', spec.id), repo);
    return commit;
  }
  for (const spec of opts.repos) store(spec, spec.files, '');

  // The CDN is another origin, as on the Hub (a token must not follow the redirect there).
  const cdn = await startFakeServer((req, res) => {
    const bytes = blobs.get(/^\/cdn\/([0-9a-f]{64})$/.exec(req.url.pathname)?.[1] ?? '');
    return bytes ? sendBytes(req, res, bytes) : sendJson(res, 404, { error: 'no such object' });
  });
  const server = await startFakeServer((req, res) => {
    const path = req.url.pathname;
    const api = /^\/api\/(models|datasets)\/(.+?)\/(revision|tree)\/([^/]+)(?:\/(.*))?$/.exec(path);
    if (api) return answerApi(req, res, api[1] === 'datasets' ? 'dataset' : 'model', api[2]!, api[3]!, decodeURIComponent(api[4]!), api[5] ? decodeURIComponent(api[5]) : '');
    const file = /^\/(datasets\/)?(.+?)\/(resolve|blob|raw)\/([^/]+)\/(.+)$/.exec(path);
    if (file) return answerFile(req, res, file[1] ? 'dataset' : 'model', file[2]!, file[3]!, decodeURIComponent(file[4]!), decodeURIComponent(file[5]!));
    sendJson(res, 404, { error: 'not a fake-hf route' });
  }, { requests: cdn.requests });

  /** Access check shared by every route; null = allowed. */
  function deny(repo: Repo | undefined, req: FakeRequest, gatedApplies: boolean): [number, Record<string, string>, unknown] | null {
    const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1] ?? null;
    const allowed = token !== null && (repo?.spec.allow ?? []).includes(token);
    if (!repo || (repo.spec.private && !allowed)) return [401, { 'x-error-code': 'RepoNotFound' }, { error: 'Repository not found' }];
    if (gatedApplies && repo.spec.gated && !allowed) {
      const id = repo.spec.id;
      const message = token
        ? `Access to model ${id} is restricted and you are not in the authorized list. Visit https://huggingface.co/${id} to ask for access.`
        : `Access to model ${id} is restricted. You must have access to it and be authenticated to access it. Please log in.`;
      return [token ? 403 : 401, { 'x-error-code': 'GatedRepo', 'x-error-message': message }, { error: message }];
    }
    return null;
  }

  function commitFor(repo: Repo, rev: string): string | null {
    if (rev === 'main') return repo.main;
    return repo.commits.has(rev) ? rev : null;
  }

  function answerApi(req: FakeRequest, res: ServerResponse, type: 'model' | 'dataset', id: string, what: string, rev: string, dir: string): void {
    const repo = repos.get(repoKey(type, id));
    // Metadata and listings of gated repos are public on the Hub; only file contents are gated.
    const denied = deny(repo, req, false);
    if (denied) return sendJson(res, denied[0], denied[2], denied[1]);
    const commit = commitFor(repo!, rev);
    if (!commit) return sendJson(res, 404, { error: `Invalid rev id: ${rev}` }, { 'x-error-code': 'RevisionNotFound' });
    const tree = repo!.commits.get(commit)!;
    if (what === 'revision') {
      return sendJson(res, 200, {
        _id: sha1(id).slice(0, 24), id, author: id.split('/')[0], sha: commit, lastModified: '2024-02-19T10:57:45.000Z',
        private: repo!.spec.private ?? false, gated: repo!.spec.gated ?? false, disabled: false,
        tags: [], downloads: 0, likes: 0, siblings: [...tree.keys()].sort().map((rfilename) => ({ rfilename })),
      });
    }
    const entries = listing(tree, dir, req.url.searchParams.get('recursive') === 'true');
    if (!entries) return sendJson(res, 404, { error: `${dir} does not exist` }, { 'x-error-code': 'EntryNotFound' });
    const cursor = Number(req.url.searchParams.get('cursor') ?? 0);
    const page = entries.slice(cursor, cursor + pageSize);
    const headers: Record<string, string> = {};
    if (cursor + pageSize < entries.length) {
      const next = new URL(req.url.href);
      next.searchParams.set('cursor', String(cursor + pageSize));
      headers.link = `<${req.base}${next.pathname}${next.search}>; rel="next"`;
    }
    sendJson(res, 200, page, headers);
  }

  function answerFile(req: FakeRequest, res: ServerResponse, type: 'model' | 'dataset', id: string, kind: string, rev: string, path: string): void {
    const repo = repos.get(repoKey(type, id));
    if (kind === 'blob') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return void res.end(`<!doctype html><title>${path}</title><p>a web page, not the file`);
    }
    const denied = deny(repo, req, true);
    if (denied) return sendJson(res, denied[0], denied[2], denied[1]);
    const commit = commitFor(repo!, rev);
    if (!commit) return sendJson(res, 404, { error: `Invalid rev id: ${rev}` }, { 'x-error-code': 'RevisionNotFound' });
    const stored = repo!.commits.get(commit)!.get(path);
    if (!stored) return sendJson(res, 404, { error: 'Entry not found' }, { 'x-error-code': 'EntryNotFound', 'x-repo-commit': commit });
    if (stored.lfs && kind === 'resolve') {
      res.writeHead(302, {
        location: `${cdn.url}/cdn/${stored.sha256}`, 'x-repo-commit': commit, 'x-linked-etag': `"${stored.sha256}"`,
        'x-linked-size': String(stored.bytes.length), etag: `"${stored.oid}"`, 'accept-ranges': 'bytes', 'content-length': '0',
      });
      return void res.end();
    }
    sendBytes(req, res, stored.bytes, { 'x-repo-commit': commit, etag: `"${stored.oid}"` });
  }

  function findRepo(id: string): Repo {
    const repo = [...repos.values()].find((r) => r.spec.id === id);
    if (!repo) throw new Error(`fake-hf: no repo ${id}`);
    return repo;
  }

  return {
    ...server,
    close: async () => {
      await Promise.all([server.close(), cdn.close()]);
    },
    commit: (id) => findRepo(id).main,
    file: (id, path) => {
      const repo = findRepo(id);
      const stored = repo.commits.get(repo.main)!.get(path);
      if (!stored) throw new Error(`fake-hf: no ${path} in ${id}`);
      return { sha256: stored.sha256, size: stored.bytes.length, commit: repo.main, lfs: stored.lfs };
    },
    push: (id, files) => store(findRepo(id).spec, files, findRepo(id).main),
  };
}

const repoKey = (type: string, id: string): string => `${type}:${id}`;

/** Tree entries below `dir` (files and directories, sorted by path), or null if `dir` is no directory. */
function listing(tree: Map<string, StoredFile>, dir: string, recursive: boolean): object[] | null {
  const prefix = dir ? `${dir}/` : '';
  const out = new Map<string, object>();
  for (const [path, f] of tree) {
    if (!path.startsWith(prefix)) continue;
    const rest = path.slice(prefix.length).split('/');
    for (let depth = 1; depth < rest.length && (recursive || depth === 1); depth++) {
      const d = prefix + rest.slice(0, depth).join('/');
      out.set(d, { type: 'directory', oid: sha1(d), size: 0, path: d });
    }
    if (!recursive && rest.length > 1) continue;
    out.set(path, {
      type: 'file', oid: f.oid, size: f.bytes.length, path,
      ...(f.lfs ? { lfs: { oid: f.sha256, size: f.bytes.length, pointerSize: 134 } } : {}),
    });
  }
  if (dir && out.size === 0) return null;
  return [...out.keys()].sort().map((k) => out.get(k)!);
}
