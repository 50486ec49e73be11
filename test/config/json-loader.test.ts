import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findJsonError } from '../../src/config/json-loader.js';

const parses = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

test('findJsonError finds an error exactly where JSON.parse fails', () => {
  const samples = [
    '{}', '[]', '"x"', '0', '-1.5e+3', 'true', ' null ', '{"a": [1, {"b": "\\u00e9\\n"}], "c": false}',
    '', '{', '{"a": 1,}', '[1,2,]', '{"a" 1}', '{a: 1}', "{'a': 1}", '{"a": tru}', '{"a": 01}', '1.', '-',
    '{"a": "x\ny"}', '"\\x"', '"\\u12"', '{} {}', '// c\n{}', '{"a": NaN}', '{"a": undefined}', '[1 2]', '{"a":1 "b":2}',
  ];
  for (const text of samples) assert.is(findJsonError(text) === null, parses(text), JSON.stringify(text));
  // Every prefix of a valid document fails, and the error is found within it.
  const doc = '{"workflows": ["a/*.json", "b\\"c"], "output": {"dir": "x"}, "n": -12.5e3, "t": [true, null]}';
  for (let n = 0; n < doc.length; n++) {
    const prefix = doc.slice(0, n);
    if (parses(prefix)) continue;
    const found = findJsonError(prefix);
    assert.ok(found && found.offset <= n, JSON.stringify(prefix));
  }
});

test('findJsonError names what was expected', () => {
  assert.equal(findJsonError('{"a": 1,}'), { offset: 8, expected: 'a property name in double quotes' });
  assert.equal(findJsonError('[1 2]'), { offset: 3, expected: "',' or ']'" });
  assert.equal(findJsonError('{"a": 1'), { offset: 7, expected: "',' or '}'" });
});

test.run();
