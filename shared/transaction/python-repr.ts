import { isLosslessNumber, type LosslessNumber } from 'lossless-json';

import type { JsonValue } from './json-value';
import { pythonFloatRepr } from './python-json';

/**
 * How a BigchainDB node (Python) prints the JSON values it parsed, for error messages that embed
 * them: jsonschema's `%r` formatting and `str.format`. A value is printed as the object Python's
 * `json` module makes of the JSON text, so `1.0` stays a float and `12345678901234567890` an int.
 */

/**
 * True when Python's `json` module would read the number as an `int`: a JavaScript integer below
 * 1e21 (JavaScript writes larger ones with an exponent), or a lossless lexeme without `.`, `e`, `E`.
 */
export function isPythonInt(value: number | LosslessNumber): boolean {
  if (typeof value === 'number') return Number.isInteger(value) && Math.abs(value) < 1e21;
  return !/[.eE]/.test(value.value);
}

/** Python's `repr()` of the parsed value: `'text'`, `None`, `True`, `1.0`, `[1, 2]`, `{'a': None}`. */
export function pythonRepr(value: JsonValue): string {
  if (value === null) return 'None';
  switch (typeof value) {
    case 'string':
      return reprString(value);
    case 'boolean':
      return value ? 'True' : 'False';
    case 'number':
      return reprNumber(value);
  }
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (isLosslessNumber(value)) return reprNumber(value);
  const members = Object.keys(value).map((key) => `${reprString(key)}: ${pythonRepr(value[key] as JsonValue)}`);
  return `{${members.join(', ')}}`;
}

/** Python's `str()` of the parsed value, as `'{}'.format(value)` prints it: strings bare, the rest as `repr`. */
export function pythonStr(value: JsonValue): string {
  return typeof value === 'string' ? value : pythonRepr(value);
}

function reprNumber(value: number | LosslessNumber): string {
  if (isPythonInt(value)) return typeof value === 'number' ? String(value) : BigInt(value.value).toString();
  const float = Number(typeof value === 'number' ? value : value.value);
  // json-value never yields these, but `1e400` parses to Python's `inf`.
  if (Number.isNaN(float)) return 'nan';
  if (!Number.isFinite(float)) return float > 0 ? 'inf' : '-inf';
  return pythonFloatRepr(float);
}

// Python's str.isprintable() is false for categories C* and Z* except the ASCII space.
const NON_PRINTABLE = /[\p{C}\p{Z}]/u;
const ASCII_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * CPython's `unicode_repr`: single quotes unless the text has a `'` and no `"`, backslash escapes
 * for `\t \n \r`, `\xhh` for other ASCII controls, and `\xhh`/`\uhhhh`/`\Uhhhhhhhh` for
 * non-printable non-ASCII code points.
 */
function reprString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  if (/^[ -~]*$/.test(text) && !text.includes('\\') && !text.includes(quote)) return quote + text + quote;
  let body = '';
  for (const char of text) body += escapeChar(char, quote);
  return quote + body + quote;
}

function escapeChar(char: string, quote: string): string {
  const code = char.codePointAt(0) ?? 0;
  if (char === quote) return `\\${char}`;
  const named = ASCII_ESCAPES[char];
  if (named !== undefined) return named;
  if (code < 0x20 || code === 0x7f) return hexEscape(code);
  if (code < 0x7f || !NON_PRINTABLE.test(char)) return char;
  return hexEscape(code);
}

function hexEscape(code: number): string {
  const hex = code.toString(16);
  if (code <= 0xff) return `\\x${hex.padStart(2, '0')}`;
  if (code <= 0xffff) return `\\u${hex.padStart(4, '0')}`;
  return `\\U${hex.padStart(8, '0')}`;
}
