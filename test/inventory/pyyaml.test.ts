import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pyTruthy, pyyamlSafeLoad } from '../../src/inventory/pyyaml.js';

/** What PyYAML 6 safe_load returns for `a: <scalar>` (checked against PyYAML when written). */
const PYYAML: Array<[string, string]> = [
  ['.', 'string'], ['..', 'string'], ['y', 'string'], ['n', 'string'], ['Y', 'string'], ['oFF', 'string'],
  ['1e3', 'string'], ['1.0e3', 'string'], ['09', 'string'], ['01:20', 'string'], ['+.5', 'string'], ['1.2.3', 'string'],
  ['~/x', 'string'], ['$HOME/x', 'string'], ['checkpoints', 'string'],
  ['yes', 'boolean'], ['On', 'boolean'], ['FALSE', 'boolean'],
  ['0', 'number'], ['010', 'number'], ['0x1F', 'number'], ['0b101', 'number'], ['1_000', 'number'], ['1:20', 'number'],
  ['1.', 'number'], ['.5', 'number'], ['1.0e+3', 'number'], ['.inf', 'number'], ['.NaN', 'number'], ['190:20:30.15', 'number'],
  ['~', 'null'], ['Null', 'null'], ['', 'null'],
  ['2001-12-14', 'date'],
];

test('plain scalars resolve to the types PyYAML gives them', () => {
  for (const [src, type] of PYYAML) {
    const loaded = pyyamlSafeLoad(`a: ${src}\n`);
    assert.ok(loaded.ok);
    const value = (loaded as { value: { a: unknown } }).value.a;
    const got = value === null ? 'null' : value instanceof Date ? 'date' : typeof value;
    assert.is(got, type, `a: ${src}`);
  }
  assert.is((pyyamlSafeLoad('a: 010') as { value: { a: number } }).value.a, 8);
  assert.is((pyyamlSafeLoad('a: 1:20') as { value: { a: number } }).value.a, 80);
});

test('duplicate keys are allowed and the last wins, like PyYAML', () => {
  assert.equal(pyyamlSafeLoad('a: 1\na: 2\n'), { ok: true, value: { a: 2 } });
});

test('Python truthiness', () => {
  for (const v of ['false', 'no', 1, -1, Number.NaN, [0], { a: 1 }, true]) assert.is(pyTruthy(v), true, JSON.stringify(v));
  for (const v of [false, 0, '', null, undefined, [], {}]) assert.is(pyTruthy(v), false, JSON.stringify(v));
});

test.run();
