import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { scanBytes } from '../../src/scan/index.js';
import { parseJsonLenient, replaceNonFinite } from '../../src/scan/json.js';

test('bare NaN / Infinity / -Infinity become null outside strings only', () => {
  assert.is(replaceNonFinite('[NaN, -Infinity, Infinity, "NaN", "a\\"NaN", 1]'), '[null, null, null, "NaN", "a\\"NaN", 1]');
  assert.equal(parseJsonLenient('{"v": [NaN, "Infinity"]}'), { ok: true, value: { v: [null, 'Infinity'] } });
});

test('a byte-order mark is skipped; real syntax errors stay errors', () => {
  assert.equal(parseJsonLenient('\ufeff{"a":1}'), { ok: true, value: { a: 1 } });
  const broken = parseJsonLenient('{"a": NaN,');
  assert.is(broken.ok, false);
  assert.ok(!broken.ok && broken.error.length > 0);
});

test('valid JSON that is no object is not-a-workflow; a workflow after 70 blank lines still reads', () => {
  const enc = (t: string) => new TextEncoder().encode(t);
  for (const text of ['null', '"hello"', '123', '-1', 'true', '[1, 2]']) {
    const wf = scanBytes('x.json', enc(text));
    assert.equal(wf.diagnostics.map((d) => [d.code, d.severity]), [['not-a-workflow', 'warning']], text);
  }
  const late = scanBytes('late.json', enc(`${'\n'.repeat(70)}{"1":{"class_type":"VAELoader","inputs":{"vae_name":"ae.safetensors"}}}`));
  assert.equal(late.refs.map((r) => `${r.folder}/${r.name}`), ['vae/ae.safetensors']);
  const blank = scanBytes('blank.json', enc('   \n  '));
  assert.is(blank.diagnostics[0]!.code, 'unparsable-workflow');
  assert.match(blank.diagnostics[0]!.message, 'not valid JSON');
  assert.match(scanBytes('empty.json', enc('')).diagnostics[0]!.message, 'the file is empty');
  assert.match(scanBytes('text.txt', enc('hello world')).diagnostics[0]!.message, 'neither JSON nor');
});

test.run();
