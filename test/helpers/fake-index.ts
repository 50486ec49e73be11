/**
 * A loopback Python package index (PEP 503 simple API, HTML with `#sha256=` links) serving
 * wheels built here: tiny pure-Python packages whose metadata declares their dependencies, so
 * pip resolves, downloads and installs them for real with nothing leaving 127.0.0.1.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeZip } from './fake-registry.js';

export interface FakeWheel {
  name: string;
  version: string;
  requires?: string[];
  /** Extra wheels of the same version for other platforms (only their hashes matter). */
  platforms?: string[];
}

export interface FakeIndex {
  /** `http://127.0.0.1:<port>/simple` — what PIP_INDEX_URL names. */
  url: string;
  /** `GET <path>` of every request, in order. */
  requests: string[];
  sha256(file: string): string;
  fileName(name: string, version: string, platform?: string): string;
  /** Serve other bytes under a file's name (a tampered mirror), until `restore`. */
  tamper(file: string): void;
  restore(file: string): void;
  close(): Promise<void>;
}

const norm = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');
const wheelName = (name: string, version: string, tag = 'py3-none-any') => `${name.replace(/[-.]+/g, '_')}-${version}-${tag}.whl`;

/** A minimal, valid wheel: a module printing its version, and METADATA / WHEEL / RECORD. */
export function buildWheel(w: FakeWheel, tag = 'py3-none-any'): Buffer {
  const dist = `${w.name.replace(/[-.]+/g, '_')}-${w.version}.dist-info`;
  const module = w.name.replace(/[-.]+/g, '_');
  const files: Record<string, string> = {
    [`${module}/__init__.py`]: `VERSION = ${JSON.stringify(w.version)}\n`,
    [`${dist}/METADATA`]: `Metadata-Version: 2.1\nName: ${w.name}\nVersion: ${w.version}\n${(w.requires ?? []).map((r) => `Requires-Dist: ${r}\n`).join('')}`,
    [`${dist}/WHEEL`]: `Wheel-Version: 1.0\nGenerator: comfygen-test\nRoot-Is-Purelib: true\nTag: ${tag}\n`,
  };
  const record = [...Object.keys(files).map((p) => `${p},sha256=${createHash('sha256').update(files[p]!).digest('base64url')},${Buffer.byteLength(files[p]!)}`), `${dist}/RECORD,,`].join('\n');
  files[`${dist}/RECORD`] = `${record}\n`;
  return makeZip(Object.entries(files).map(([name, data]) => ({ name, data })));
}

export async function startFakeIndex(wheels: FakeWheel[]): Promise<FakeIndex> {
  const files = new Map<string, Buffer>();
  const byProject = new Map<string, string[]>();
  for (const w of wheels) {
    for (const tag of ['py3-none-any', ...(w.platforms ?? [])]) {
      const file = wheelName(w.name, w.version, tag);
      files.set(file, buildWheel(w, tag));
      byProject.set(norm(w.name), [...(byProject.get(norm(w.name)) ?? []), file]);
    }
  }
  const sha = (file: string) => createHash('sha256').update(files.get(file)!).digest('hex');
  const listed = new Map<string, string>(); // file → hash the index page advertises
  for (const file of files.keys()) listed.set(file, sha(file));
  const requests: string[] = [];
  const original = new Map<string, Buffer>();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(`${req.method} ${path}`);
    const project = /^\/simple\/([^/]+)\/?$/.exec(path)?.[1];
    if (project !== undefined) {
      const names = byProject.get(norm(decodeURIComponent(project)));
      if (!names) {
        res.writeHead(404, { 'content-type': 'text/html' });
        return res.end('<html><body>Not Found</body></html>');
      }
      const links = names.map((f) => `<a href="../../files/${f}#sha256=${listed.get(f)}">${f}</a><br/>`).join('\n');
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end(`<!DOCTYPE html><html><body>\n${links}\n</body></html>\n`);
    }
    const file = /^\/files\/([^/]+)$/.exec(path)?.[1];
    const body = file === undefined ? undefined : files.get(decodeURIComponent(file));
    if (!body) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/simple`,
    requests,
    sha256: sha,
    fileName: (name, version, platform) => wheelName(name, version, platform),
    tamper(file) {
      // Same name, same advertised hash, other bytes: what a compromised mirror serves.
      original.set(file, original.get(file) ?? files.get(file)!);
      files.set(file, Buffer.concat([original.get(file)!, Buffer.from('tampered')]));
    },
    restore(file) {
      const body = original.get(file);
      if (body) files.set(file, body);
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Environment that keeps pip on this index alone: no config files, no cache, no user site. */
export function pipEnv(index: FakeIndex, cacheDir: string): Record<string, string> {
  return {
    PIP_CONFIG_FILE: '/dev/null',
    PIP_INDEX_URL: index.url,
    PIP_CACHE_DIR: cacheDir,
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    PIP_NO_INPUT: '1',
    PYTHONNOUSERSITE: '1',
  };
}
