import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatDiagnostic } from '../../src/cli/format.js';
import { visible } from '../../src/core/visible.js';
import { mdCode, mdText } from '../../src/render/markdown.js';

const HOSTILE = 'a\x1b]0;PWNED\x07b\x00c\x9bd\u202Eevil.pt';

test('visible: control characters, C1 and bidi overrides become marks; text, tabs and newlines stay', () => {
  assert.is(visible('plain ünïcødé.safetensors'), 'plain ünïcødé.safetensors');
  assert.is(visible('a\tb\nc'), 'a\tb\nc');
  const shown = visible(HOSTILE);
  assert.not.match(shown, /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]/);
  assert.is(shown, 'a␛]0;PWNED␇b␀c\\u{9b}d\\u{202e}evil.pt');
});

test('visible: zero-width characters, the Arabic letter mark and a BOM are marked too', () => {
  assert.is(visible('a\u200bb\u200cc\u200dd\u2060e\ufefff\u061cg'), 'a\\u{200b}b\\u{200c}c\\u{200d}d\\u{2060}e\\u{feff}f\\u{61c}g');
  assert.is(mdCode('zero\u200bwidth.safetensors'), '`zero\\u{200b}width.safetensors`', 'report.md shows it');
});

test('report and terminal lines carry no raw control characters from a name', () => {
  for (const out of [mdCode(HOSTILE), mdText(HOSTILE), formatDiagnostic({ code: 'x', severity: 'error', message: `model ${HOSTILE}`, file: `wf\x1b[2J.json` })]) {
    assert.not.match(out, /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]/, JSON.stringify(out));
  }
  assert.is(mdCode('x\x1by.pt'), '`x␛y.pt`');
});

test.run();
