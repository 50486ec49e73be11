/**
 * docs/diagnostics.md is where a user looks up a code printed as `[code]`: it must list every
 * code the sources can emit, with the severity the code gives it, and nothing that no longer exists.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SCAN_CODES } from '../../src/scan/index.js';
import { ROOT } from './spawn.js';

const SRC = join(ROOT, 'src');
const sources = readdirSync(SRC, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile() && e.name.endsWith('.ts'))
  .map((e) => readFileSync(join(e.parentPath ?? e.path, e.name), 'utf8'));

/** Documented rows: code → the severity cell. */
function documented(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const m of readFileSync(join(ROOT, 'docs', 'diagnostics.md'), 'utf8').matchAll(/^\| `([a-z0-9-]+)` \| ([^|]+) \|/gm)) {
    assert.not.ok(rows.has(m[1]!), `${m[1]} is documented twice`);
    rows.set(m[1]!, m[2]!.trim());
  }
  return rows;
}

/** Codes the sources emit: SCAN_CODES, and kebab-case literals given to `code:` or `code =` (ternaries included). */
function emitted(): Set<string> {
  const codes = new Set<string>(Object.keys(SCAN_CODES));
  for (const text of sources) {
    for (const m of text.matchAll(/\bcode\s*(?::|=(?!=))\s*([^,;}\n]+)/g)) {
      for (const lit of m[1]!.matchAll(/'([a-z0-9]+(?:-[a-z0-9]+)+)'/g)) codes.add(lit[1]!);
    }
  }
  return codes;
}

test('every diagnostic code in src/ is documented in docs/diagnostics.md', () => {
  const codes = emitted();
  // The scrape must keep seeing codes from every area, or this test would pass on nothing.
  for (const known of ['foreign-file', 'missing-model-root', 'unreadable-model-root', 'source-error', 'pack-unresolved', 'credential-in-url', 'unsafe-model-name']) {
    assert.ok(codes.has(known), `the scrape missed ${known}`);
  }
  const docs = documented();
  const missing = [...codes].filter((c) => !docs.has(c)).sort();
  assert.equal(missing, [], `add a row for each to docs/diagnostics.md: ${missing.join(', ')}`);
});

test('the documented severity of each scan code is the one it is emitted with', () => {
  const docs = documented();
  for (const [code, severity] of Object.entries(SCAN_CODES)) assert.is(docs.get(code), severity, code);
});

test('docs/diagnostics.md lists no code that src/ never emits', () => {
  const all = sources.join('\n');
  const stale = [...documented().keys()].filter((c) => !all.includes(`'${c}'`));
  assert.equal(stale, []);
});

test.run();
