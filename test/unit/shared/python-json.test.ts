import { LosslessNumber } from 'lossless-json';

import { parseJson } from '../../../shared/transaction/json-value';
import { canonicalJson, pythonFloatRepr, pythonJson } from '../../../shared/transaction/python-json';

describe('pythonFloatRepr', () => {
  test.each([
    [1, '1.0'],
    [1.5, '1.5'],
    [-0, '-0.0'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1e15, '1000000000000000.0'],
    [1e16, '1e+16'],
    [1e21, '1e+21'],
    [123456789.125, '123456789.125'],
    [1.2345e-7, '1.2345e-07'],
    [1.5e300, '1.5e+300'],
    [0.1 + 0.2, '0.30000000000000004'],
  ])('writes %p as Python repr does: %s', (value, expected) => {
    expect(pythonFloatRepr(value)).toBe(expected);
  });
});

describe('canonicalJson', () => {
  test('is compact with keys sorted recursively', () => {
    expect(canonicalJson({ b: [1, { d: true, c: null }], a: 'x' })).toBe('{"a":"x","b":[1,{"c":null,"d":true}]}');
  });

  test('sorts keys by code point, putting astral characters after U+FFxx as UTF-8 does', () => {
    expect(canonicalJson({ '\u{1F600}': 1, '\uFF01': 2, a: 3 })).toBe('{"a":3,"\uFF01":2,"\u{1F600}":1}');
  });

  test('writes non-ASCII raw and control characters as upper-case \\u00XX escapes', () => {
    expect(canonicalJson({ s: 'Zürich\u001f\n\\u001f"/\u007f' })).toBe('{"s":"Zürich\\u001F\\n\\\\u001f\\"/\u007f"}');
  });

  test('keeps the lexical class of parsed numbers: 1.0 stays a float, big integers stay exact', () => {
    const parsed = parseJson('{"f":1.0,"e":1E-5,"big":123456789012345678901234,"i":42}');
    expect(canonicalJson(parsed)).toBe('{"big":123456789012345678901234,"e":1e-05,"f":1.0,"i":42}');
  });

  test('refuses a string with a lone surrogate, which has no UTF-8 form', () => {
    expect(() => canonicalJson({ s: '\ud800' })).toThrow(TypeError);
  });
});

describe('pythonJson', () => {
  test('escapes everything outside printable ASCII like json.dumps(ensure_ascii=True)', () => {
    expect(pythonJson({ s: 'é\u007f\u{1F600}' }, { sortKeys: false, spaced: true })).toBe(
      '{"s": "\\u00e9\\u007f\\ud83d\\ude00"}',
    );
  });

  test('keeps insertion order with spaced separators, or sorts compactly like jsonify', () => {
    const value = { b: 1, a: [1, 2] };
    expect(pythonJson(value, { sortKeys: false, spaced: true })).toBe('{"b": 1, "a": [1, 2]}');
    expect(pythonJson(value, { sortKeys: true, spaced: false })).toBe('{"a":[1,2],"b":1}');
  });
});

describe('parseJson', () => {
  test('uses plain numbers when every number is a safe integer, even inside strings that look like floats', () => {
    expect(parseJson('{"a":1,"s":"1.5e3","n":-12}')).toEqual({ a: 1, s: '1.5e3', n: -12 });
  });

  test('keeps floats and long integers lossless', () => {
    expect(parseJson('[1.50, 12345678901234567]')).toEqual([
      new LosslessNumber('1.50'),
      new LosslessNumber('12345678901234567'),
    ]);
  });

  test('keeps the last of duplicate keys, as Python does', () => {
    expect(parseJson('{"a":1.5,"a":2}')).toEqual({ a: 2 });
  });
});
