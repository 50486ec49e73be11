/**
 * A loopback fake of the Comfy Registry (api.comfy.org) in the shapes of
 * shared/reference/comfy-registry-samples.json: node info (302 on a case-normalised id), versions,
 * one version, /install, class → pack lookup, 404 bodies, injectable failures, and the zips
 * themselves (built here with a minimal stored-entry zip writer) under /cdn/.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ZipEntry {
  name: string;
  data: string | Buffer;
  /** Store as a symbolic link (data = target). */
  symlink?: boolean;
}

export interface FakeVersion {
  version: string;
  files?: Record<string, string>;
  /** Raw entries instead of `files` (hostile archives). */
  entries?: ZipEntry[];
  status?: string;
  deprecated?: boolean;
  /** Override the served downloadUrl ('' = empty, as ComfyGit saw once). */
  downloadUrl?: string;
}

export interface FakePack {
  id: string;
  repository?: string;
  publisher?: string;
  status?: string;
  classes?: string[];
  versions: FakeVersion[];
}

export interface FakeRegistry {
  endpoint: string;
  /** `METHOD path?query` of every request, in order. */
  requests: string[];
  zip(id: string, version: string): Buffer;
  sha256(id: string, version: string): string;
  /** Answer requests whose path starts with `prefix` with `status` (until cleared with null). */
  fail(prefix: string, status: number | null): void;
  close(): Promise<void>;
}

export async function startFakeRegistry(packs: FakePack[]): Promise<FakeRegistry> {
  const requests: string[] = [];
  const failures = new Map<string, number>();
  const zips = new Map<string, Buffer>();
  for (const pack of packs) {
    for (const v of pack.versions) {
      const entries = v.entries ?? Object.entries(v.files ?? {}).map(([name, data]) => ({ name, data }));
      zips.set(`${pack.id}@${v.version}`, makeZip(entries));
    }
  }
  let endpoint = '';
  const versionBody = (pack: FakePack, v: FakeVersion) => ({
    id: `uuid-${pack.id}-${v.version}`,
    node_id: pack.id,
    version: v.version,
    createdAt: '2025-09-18T19:07:12.345678Z',
    changelog: '',
    dependencies: [],
    deprecated: v.deprecated ?? false,
    downloadUrl: v.downloadUrl ?? `${endpoint}/cdn/${pack.publisher ?? 'pub'}/${pack.id}/${v.version}/node.zip`,
    status: v.status ?? 'NodeVersionStatusActive',
    status_reason: '',
    comfy_node_extract_status: 'success',
  });
  const nodeBody = (pack: FakePack) => ({
    id: pack.id,
    name: pack.id,
    description: '',
    repository: pack.repository ?? '',
    status: pack.status ?? 'NodeStatusActive',
    publisher: { id: pack.publisher ?? 'pub', name: pack.publisher ?? 'pub' },
    preempted_comfy_node_names: [],
    // The text-ordered "latest" of the 2025 backend: a trap for anyone who trusts it.
    latest_version: pack.versions.length > 0 ? versionBody(pack, [...pack.versions].sort((a, b) => (a.version < b.version ? 1 : -1))[0]!) : null,
  });

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body === null ? '' : JSON.stringify(body));
    };
    for (const [prefix, status] of failures) {
      if (url.pathname.startsWith(prefix)) return send(status, { error: '', message: 'injected failure' });
    }
    const parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
    const byId = (id: string) => packs.find((p) => p.id === id);
    if (parts[0] === 'cdn' && parts.length === 5) {
      const zip = zips.get(`${parts[2]}@${parts[3]}`);
      if (!zip) return send(404, { error: '', message: 'no such object' });
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': String(zip.length) });
      return res.end(zip);
    }
    if (parts[0] === 'comfy-nodes' && parts[2] === 'node' && parts.length === 3) {
      const pack = packs.find((p) => p.classes?.includes(parts[1]!));
      return pack ? send(200, nodeBody(pack)) : send(404, { error: '', message: 'No node found containing the specified ComfyUI node name' });
    }
    if (parts[0] === 'nodes' && parts[1] !== undefined) {
      const pack = byId(parts[1]);
      if (!pack) {
        const folded = packs.find((p) => p.id.toLowerCase() === parts[1]!.toLowerCase());
        if (folded && parts.length === 2) return send(302, null, { location: `/nodes/${encodeURIComponent(folded.id)}` });
        return send(404, { error: '', message: 'Node not found' });
      }
      if (parts.length === 2) return send(200, nodeBody(pack));
      if (parts[2] === 'versions' && parts.length === 3) return send(200, pack.versions.map((v) => versionBody(pack, v)));
      if (parts[2] === 'versions' && parts.length === 4) {
        const v = pack.versions.find((x) => x.version === parts[3]);
        return v ? send(200, versionBody(pack, v)) : send(404, {});
      }
      if (parts[2] === 'install' && parts.length === 3) {
        const wanted = url.searchParams.get('version');
        if (wanted !== null && !/^\d+\.\d+\.\d+$/.test(wanted)) return send(400, { error: '', message: 'Invalid format for parameter version' });
        const v = pack.versions.find((x) => x.version === wanted);
        return v ? send(200, { ...versionBody(pack, v), downloadUrl: `${endpoint}/cdn/${pack.publisher ?? 'pub'}/${pack.id}/${v.version}/node.zip` }) : send(404, {});
      }
    }
    return send(404, { error: '', message: 'no such route' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    requests,
    zip: (id, version) => zips.get(`${id}@${version}`)!,
    sha256: (id, version) => createHash('sha256').update(zips.get(`${id}@${version}`)!).digest('hex'),
    fail: (prefix, status) => (status === null ? failures.delete(prefix) : failures.set(prefix, status)),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A zip with stored (uncompressed) entries: enough for unzip and Python's zipfile. */
export function makeZip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const data = Buffer.isBuffer(entry.data) ? entry.data : Buffer.from(entry.data, 'utf8');
    const crc = crc32(data);
    const isDir = entry.name.endsWith('/');
    const mode = entry.symlink ? 0o120777 : isDir ? 0o40755 : 0o100644;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(DOS_1980_01_01 << 16, 10); // time, date
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: unix, so the mode below counts
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt32LE(DOS_1980_01_01 << 16, 12);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(0, 30); // extra
    central.writeUInt16LE(0, 32); // comment
    central.writeUInt16LE(0, 34); // disk
    central.writeUInt16LE(0, 36); // internal attrs
    central.writeUInt32LE(((mode << 16) | (isDir ? 0x10 : 0)) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

/** DOS date of 1980-01-01 (a zero date is invalid). */
const DOS_1980_01_01 = (1 << 5) | 1;

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
