/**
 * pip's report → the lock's `python.resolved`: exact versions, every published sha256 of each
 * (index-hashes.ts), who requires a package that no source asked for, and the torch family pip
 * would have pulled in as a dependency (set aside: checked on the box, never installed).
 */
import { byString } from '../core/stable-json.js';
import type { PythonResolution } from '../core/types.js';
import type { HttpClient } from '../io/http.js';
import { indexHashes } from './index-hashes.js';
import { isTorchFamily } from './merge.js';
import type { PipReport } from './pip.js';
import { normalizeName, parseRequirement } from './requirements.js';

export async function toResolution(report: PipReport, indexes: readonly string[], inputs: string, http: HttpClient): Promise<PythonResolution> {
  const installs = report.install.map((item) => ({ ...item, key: normalizeName(item.metadata.name) }));
  const resolvedKeys = new Set(installs.map((i) => i.key));
  const requiredBy = new Map<string, Set<string>>();
  for (const item of installs) {
    for (const dep of item.metadata.requires_dist ?? []) {
      const req = parseRequirement(dep);
      // Dependencies behind an extra only count when that extra was asked for; that is not in
      // the report, so they are left out of this "required by" note rather than guessed.
      if (req === null || (req.marker ?? '').includes('extra') || !resolvedKeys.has(req.key)) continue;
      const set = requiredBy.get(req.key) ?? new Set<string>();
      set.add(item.key);
      requiredBy.set(req.key, set);
    }
  }
  const packages: PythonResolution['packages'] = {};
  const checked: string[] = [];
  for (const item of [...installs].sort((a, b) => byString(a.key, b.key))) {
    if (isTorchFamily(item.key)) {
      checked.push(item.key);
      continue;
    }
    const hashes = new Set(await indexHashes(http, indexes, item.key, item.metadata.version));
    const picked = item.download_info?.archive_info?.hashes?.sha256 ?? /^sha256=([0-9a-f]{64})$/.exec(item.download_info?.archive_info?.hash ?? '')?.[1];
    if (picked && /^[0-9a-f]{64}$/.test(picked)) hashes.add(picked);
    const by = [...(requiredBy.get(item.key) ?? [])].filter((k) => k !== item.key).sort(byString);
    packages[item.key] = {
      version: item.metadata.version,
      hashes: [...hashes].sort(byString).map((h) => `sha256:${h}`),
      ...(item.requested === false && by.length > 0 ? { requiredBy: by } : {}),
    };
  }
  const python = report.environment.python_version;
  return { inputs, python, packages, ...(checked.length > 0 ? { checked } : {}) };
}
