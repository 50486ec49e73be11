/**
 * Identity of the scanner itself: a digest of every file of this folder (code and tables) and
 * the package version. Persisted scan results are only reused under the same fingerprint, so
 * an upgrade, or an edited loader table, rescans everything without anyone bumping a number.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageVersion } from '../core/package-root.js';

let cached: string | null = null;

export function scannerFingerprint(): string {
  if (cached) return cached;
  const dir = dirname(fileURLToPath(import.meta.url));
  const digest = createHash('sha256').update(`comfygen ${packageVersion()}\n`);
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|js|json)$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .sort();
  for (const file of files) digest.update(`${file.slice(dir.length)}\0`).update(readFileSync(file)).update('\0');
  cached = digest.digest('hex');
  return cached;
}
