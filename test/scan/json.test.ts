import { test } from 'uvu';
import * as assert from 'uvu/assert';
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

test.run();
