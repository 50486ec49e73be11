/**
 * A fake Civitai on 127.0.0.1 speaking the shapes in shared/reference/civitai-samples.json.
 * Point `CIVITAI_ENDPOINT` at `civitai.url`.
 *
 *   const civitai = await startFakeCivitai({ tokens: ['civ_good'], versions: [
 *     { id: 2514310, modelId: 827184, modelName: 'WAI-illustrious-SDXL', files: [
 *       { id: 2402203, name: 'wai_v160.safetensors', content: 'bytes…' },                      // primary
 *       { id: 2402299, name: 'wai_v160.safetensors', content: '…', metadata: { size: 'full', fp: 'fp32' } },
 *     ] },
 *     { id: 7, modelId: 6, modelName: 'Locked', access: 'login', files: [ … ] },
 *   ] });
 *   civitai.sha256(fileId)   lower-case sha256 of a file
 *   civitai.requests / civitai.count('/api/v1/model-versions/by-hash') / civitai.failNext({ status: 503 })  (API only)
 *   await civitai.close()
 *
 * Serves: GET /api/v1/model-versions/{id}; GET …/by-hash/{hash} (any hash type); POST …/by-hash
 * (≤ 100 SHA256 strings, else 400); GET /api/v1/models/{id}; GET /api/v1/models?query=&limit=&cursor=
 * (every query word in the model name or a file name; `page` with `query` → 400); GET
 * /api/download/models/{id}?type&format&size&fp&fileId → 307 to /storage/{sha256}/{name}, or
 * 401 (access 'login' without a valid token, 'disabled'), 403 ('early-access'), 404, 410
 * ('archived'). Storage is a second server (another origin, like R2/B2): it answers 400 when an
 * Authorization header arrives, else bytes with Range; its requests are in the same `requests` log.
 * A Bearer token outside `tokens` (when given) gets 401 everywhere under /api. `sizeKBDecimals: 2`
 * rounds `sizeKB` as production does (6775430.35), so sizes derived from it are a few bytes off.
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { crc32 } from 'node:zlib';
import { createHash as blake3 } from 'blake3-wasm';
import { sendBytes, sendJson, startFakeServer, toBuffer, type FakeRequest, type FakeServer } from './fake-server.js';

export interface FakeCivitaiFile {
  id: number;
  name: string;
  content: string | Buffer;
  /** Default 'Model'. */
  type?: string;
  /** Default: the version's first file. */
  primary?: boolean;
  /** Default SafeTensor / pruned / fp16. */
  metadata?: { format?: string; size?: string; fp?: string };
}

export interface FakeCivitaiVersion {
  id: number;
  modelId: number;
  modelName: string;
  /** Default 'Checkpoint'. */
  modelType?: string;
  name?: string;
  publishedAt?: string;
  access?: 'public' | 'login' | 'disabled' | 'early-access' | 'archived';
  files: FakeCivitaiFile[];
}

export interface FakeCivitai extends FakeServer {
  sha256(fileId: number): string;
}

interface File extends FakeCivitaiFile {
  bytes: Buffer;
  hashes: Record<string, string>;
  primary: boolean;
}

export interface FakeCivitaiOptions {
  versions: FakeCivitaiVersion[];
  tokens?: string[];
  /** Round `sizeKB` to this many decimals, as production does (2); default: the exact float. */
  sizeKBDecimals?: number;
}

export async function startFakeCivitai(opts: FakeCivitaiOptions): Promise<FakeCivitai> {
  const versions = opts.versions.map((v) => ({
    ...v,
    files: v.files.map((f, i): File => {
      const bytes = toBuffer(f.content);
      const sha = createHash('sha256').update(bytes).digest('hex').toUpperCase();
      return {
        ...f, bytes, primary: f.primary ?? i === 0,
        metadata: { format: 'SafeTensor', size: 'pruned', fp: 'fp16', ...f.metadata },
        hashes: {
          AutoV2: sha.slice(0, 10), SHA256: sha, CRC32: crc32(bytes).toString(16).toUpperCase().padStart(8, '0'),
          BLAKE3: blake3().update(bytes).digest().toString('hex').toUpperCase(),
        },
      };
    }),
  }));
  const byId = new Map(versions.map((v) => [v.id, v]));
  const sizeKB = (bytes: number): number =>
    opts.sizeKBDecimals === undefined ? bytes / 1024 : Number((bytes / 1024).toFixed(opts.sizeKBDecimals));
  type Version = (typeof versions)[number];

  // Storage is another origin, as in production (R2/B2 presigned URLs), and refuses tokens.
  const storage = await startFakeServer((req, res) => {
    const m = /^\/storage\/([0-9a-f]{64})\/(.+)$/.exec(req.url.pathname);
    if (!m) return sendJson(res, 404, { error: 'no such object' });
    if (req.headers.authorization) return sendJson(res, 400, { error: 'storage rejects requests with an Authorization header' });
    const file = versions.flatMap((v) => v.files).find((f) => f.hashes.SHA256 === m[1]!.toUpperCase());
    if (!file) return sendJson(res, 404, { error: 'no such object' });
    return sendBytes(req, res, file.bytes, { 'content-disposition': `attachment; filename="${file.name}"` });
  });
  const server = await startFakeServer((req, res) => {
    const path = req.url.pathname;
    const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1] ?? req.url.searchParams.get('token');
    if (path.startsWith('/api/') && token && opts.tokens && !opts.tokens.includes(token)) return sendJson(res, 401, { error: 'Unauthorized' });
    const authorised = token !== null && (opts.tokens ?? []).includes(token);
    let m: RegExpExecArray | null;
    if (path === '/api/v1/model-versions/by-hash' && req.method === 'POST') return byHashBatch(req, res);
    if ((m = /^\/api\/v1\/model-versions\/by-hash\/([0-9A-Fa-f]+)$/.exec(path))) {
      const hash = m[1]!.toUpperCase();
      const found = versions.find((v) => v.access !== 'archived' && v.files.some((f) => Object.values(f.hashes).includes(hash)));
      return found ? sendJson(res, 200, versionBody(found, req)) : sendJson(res, 404, { error: 'Model not found' });
    }
    if ((m = /^\/api\/v1\/model-versions\/([^/]+)$/.exec(path))) {
      if (!/^\d+$/.test(m[1]!)) return sendJson(res, 400, { error: 'Expected number, received string' });
      const version = byId.get(Number(m[1]));
      return version ? sendJson(res, 200, versionBody(version, req)) : sendJson(res, 404, { error: 'Model not found' });
    }
    if ((m = /^\/api\/v1\/models\/(\d+)$/.exec(path))) {
      const model = models().find((x) => x.id === Number(m![1]));
      return model ? sendJson(res, 200, modelBody(model.versions, req)) : sendJson(res, 404, { error: 'Model not found' });
    }
    if (path === '/api/v1/models') return search(req, res);
    if ((m = /^\/api\/download\/models\/(\d+)$/.exec(path))) return download(req, res, byId.get(Number(m[1])), authorised);
    sendJson(res, 404, { error: 'not a fake-civitai route' });
  }, { requests: storage.requests });

  function fileBody(version: Version, f: File, req: FakeRequest, inSearch: boolean): object {
    const query = f.primary ? '' : `?type=${encodeURIComponent(f.type ?? 'Model')}&format=${f.metadata!.format}&size=${f.metadata!.size}&fp=${f.metadata!.fp}`;
    return {
      id: f.id, sizeKB: sizeKB(f.bytes.length), name: f.name, type: f.type ?? 'Model',
      pickleScanResult: 'Success', pickleScanMessage: 'No Pickle imports', virusScanResult: 'Success', virusScanMessage: null,
      scannedAt: '2025-12-18T09:01:27.512Z', metadata: f.metadata, hashes: f.hashes,
      ...(inSearch && !f.primary ? {} : { primary: f.primary }),
      downloadUrl: `${req.base}/api/download/models/${version.id}${query}`,
    };
  }

  function versionBody(v: Version, req: FakeRequest): object {
    const archived = v.access === 'archived';
    return {
      id: v.id, modelId: v.modelId, name: v.name ?? `v${v.id}`, nsfwLevel: 1, createdAt: '2025-12-18T08:55:00.000Z',
      updatedAt: '2025-12-18T09:16:12.062Z', status: 'Published', publishedAt: v.publishedAt ?? '2025-12-18T09:16:12.062Z',
      trainedWords: [], trainingStatus: null, trainingDetails: null, baseModel: 'SDXL 1.0', baseModelType: 'Standard',
      description: null, uploadType: 'Created', usageControl: 'Download', licensingFee: null, paidAccess: null,
      air: `urn:air:sdxl:checkpoint:civitai:${v.modelId}@${v.id}`, stats: { downloadCount: 1, thumbsUpCount: 1 },
      model: { name: v.modelName, type: v.modelType ?? 'Checkpoint', nsfw: false, poi: false },
      ...(archived ? {} : { files: v.files.map((f) => fileBody(v, f, req, false)), downloadUrl: `${req.base}/api/download/models/${v.id}` }),
      images: [],
    };
  }

  function models(): { id: number; versions: Version[] }[] {
    const out = new Map<number, Version[]>();
    for (const v of versions) out.set(v.modelId, [...(out.get(v.modelId) ?? []), v]);
    return [...out].map(([id, vs]) => ({ id, versions: vs }));
  }

  function modelBody(vs: Version[], req: FakeRequest): object {
    const first = vs[0]!;
    return {
      id: first.modelId, name: first.modelName, description: '<p>…</p>', type: first.modelType ?? 'Checkpoint', poi: false, nsfw: false,
      nsfwLevel: 1, availability: 'Public', stats: { downloadCount: 1 }, creator: { username: 'fake' }, tags: [],
      modelVersions: vs.map((v) => ({
        id: v.id, name: v.name ?? `v${v.id}`, baseModel: 'SDXL 1.0', publishedAt: v.publishedAt ?? '2025-12-18T09:16:12.062Z',
        files: v.access === 'archived' ? [] : v.files.map((f) => fileBody(v, f, req, true)), images: [],
        downloadUrl: `${req.base}/api/download/models/${v.id}`,
      })),
    };
  }

  function byHashBatch(req: FakeRequest, res: ServerResponse): void {
    let hashes: unknown;
    try {
      hashes = JSON.parse(req.body.toString('utf8'));
    } catch {
      hashes = null;
    }
    if (!Array.isArray(hashes) || hashes.length > 100 || !hashes.every((h) => typeof h === 'string' && h.length === 64)) {
      return sendJson(res, 400, { error: 'Request must include an array of SHA256 Hashes. Each hash must be 64 characters long.' });
    }
    const wanted = new Set(hashes.map((h: string) => h.toUpperCase()));
    const found = versions.filter((v) => v.access !== 'archived' && v.files.some((f) => wanted.has(f.hashes.SHA256!)));
    sendJson(res, 200, found.map((v) => versionBody(v, req)));
  }

  function search(req: FakeRequest, res: ServerResponse): void {
    const q = req.url.searchParams;
    const query = q.get('query');
    if (query && q.has('page')) return sendJson(res, 400, { error: 'Cannot use page param with query search. Use cursor-based pagination.' });
    const words = (query ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const hit = (text: string): boolean => words.every((w) => text.toLowerCase().includes(w));
    const matching = models().filter((m) => hit(m.versions[0]!.modelName) || m.versions.some((v) => v.files.some((f) => hit(f.name))));
    const limit = Math.min(Number(q.get('limit') ?? 100), 100);
    const cursor = Number(q.get('cursor') ?? 0);
    const items = matching.slice(cursor, cursor + limit).map((m) => modelBody(m.versions, req));
    const more = cursor + limit < matching.length;
    sendJson(res, 200, { items, metadata: more ? { nextCursor: String(cursor + limit), nextPage: `${req.base}/api/v1/models?cursor=${cursor + limit}` } : {} });
  }

  function download(req: FakeRequest, res: ServerResponse, version: Version | undefined, authorised: boolean): void {
    const noStore = { 'cache-control': 'no-store, max-age=0' };
    if (!version) return sendJson(res, 404, { error: 'File not found' });
    switch (version.access) {
      case 'login':
        if (!authorised) return sendJson(res, 401, { error: 'Unauthorized', message: 'The creator of this asset requires you to be logged in to download it' });
        break;
      case 'disabled':
        return sendJson(res, 401, { error: 'Unauthorized', message: 'The creator of this asset has disabled downloads on this file' });
      case 'early-access':
        return sendJson(res, 403, { error: 'Early Access', deadline: '2026-01-01T00:00:00.000Z', message: 'This asset is in Early Access. You can use Buzz access it now!' });
      case 'archived':
        return sendJson(res, 410, { error: 'Model archived, not available for download' });
    }
    const q = req.url.searchParams;
    let file: File | undefined;
    if (q.has('fileId')) file = version.files.find((f) => f.id === Number(q.get('fileId')));
    else {
      const keys = ['format', 'size', 'fp'] as const;
      file = version.files.find(
        (f) => (!q.has('type') || q.get('type') === (f.type ?? 'Model')) && keys.every((k) => !q.has(k) || q.get(k) === f.metadata?.[k]) && (f.primary || q.size > 0),
      );
    }
    if (!file) return sendJson(res, 404, { error: 'File not found' });
    res.writeHead(307, { ...noStore, location: `${storage.url}/storage/${file.hashes.SHA256!.toLowerCase()}/${encodeURIComponent(file.name)}?X-Amz-Signature=fake` });
    res.end();
  }

  return {
    ...server,
    close: async () => {
      await Promise.all([server.close(), storage.close()]);
    },
    sha256: (fileId) => {
      const file = versions.flatMap((v) => v.files).find((f) => f.id === fileId);
      if (!file) throw new Error(`fake-civitai: no file ${fileId}`);
      return file.hashes.SHA256!.toLowerCase();
    },
  };
}
