import { isLosslessNumber } from 'lossless-json';

import type { JsonObject, JsonValue } from './json-value';

/**
 * JSON text exactly as a BigchainDB node writes it. The node is Python: transaction ids and
 * signatures hash python-rapidjson's canonical form, and HTTP bodies come from Python's `json`.
 * Byte-for-byte parity matters for the hashes and is cheap for the bodies.
 */

/**
 * The canonical form hashed for transaction ids and signed messages (spec §4.3): compact, keys
 * sorted by code point, non-ASCII raw, control characters as upper-case `\u00XX`, floats as
 * Python's `repr`.
 *
 * @throws TypeError for a string with a lone surrogate, which the node cannot encode either.
 */
export function canonicalJson(value: JsonValue): string {
  return write(value, CANONICAL);
}

/** Options of {@link pythonJson}. */
export interface PythonJsonOptions {
  /** Sort object keys (Flask's `jsonify`) or keep insertion order (flask-restful). */
  readonly sortKeys: boolean;
  /** `", "` and `": "` separators (flask-restful) rather than compact ones (`jsonify`). */
  readonly spaced: boolean;
}

/** Python's `json.dumps(value, ensure_ascii=True, ...)`, as the node's HTTP API writes bodies. */
export function pythonJson(value: JsonValue, options: PythonJsonOptions): string {
  return write(value, {
    sortKeys: options.sortKeys,
    itemSeparator: options.spaced ? ', ' : ',',
    keySeparator: options.spaced ? ': ' : ':',
    quote: asciiQuote,
  });
}

interface WriterStyle {
  readonly sortKeys: boolean;
  readonly itemSeparator: string;
  readonly keySeparator: string;
  readonly quote: (text: string) => string;
}

const CANONICAL: WriterStyle = { sortKeys: true, itemSeparator: ',', keySeparator: ':', quote: rapidjsonQuote };

// Hot path (every id and signature check): plain loops and string concatenation, no arrays.
function write(value: JsonValue, style: WriterStyle): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return style.quote(value);
    case 'number':
      return formatNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
  }
  if (Array.isArray(value)) return writeArray(value, style);
  if (isLosslessNumber(value)) return formatLexeme(value.value);
  return writeObject(value, style);
}

function writeArray(value: readonly JsonValue[], style: WriterStyle): string {
  let out = '[';
  for (let i = 0; i < value.length; i++) {
    if (i > 0) out += style.itemSeparator;
    out += write(value[i] as JsonValue, style);
  }
  return `${out}]`;
}

function writeObject(value: JsonObject, style: WriterStyle): string {
  const keys = Object.keys(value);
  if (style.sortKeys && keys.length > 1) sortByCodePoint(keys);
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (i > 0) out += style.itemSeparator;
    out += style.quote(key) + style.keySeparator + write(value[key] as JsonValue, style);
  }
  return `${out}}`;
}

/**
 * A JavaScript number as Python reads the JSON text JavaScript writes for it: integers below 1e21
 * print as integers, everything else is a float.
 */
function formatNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return String(value);
  return pythonFloatRepr(value);
}

function formatLexeme(lexeme: string): string {
  if (/^-?\d+$/.test(lexeme)) return BigInt(lexeme).toString();
  return pythonFloatRepr(Number(lexeme));
}

/**
 * Python's `repr(float)`: the shortest digits that round-trip (as in JavaScript), positional for
 * decimal exponents from -4 to 15 with at least one fractional digit, else `d.ddde±XX`.
 */
export function pythonFloatRepr(value: number): string {
  if (!Number.isFinite(value)) return nonFiniteRepr(value);
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  const [mantissa = '0', exponentText = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) return scientificRepr(sign, digits, exponent);
  return positionalRepr(sign, digits, exponent);
}

function nonFiniteRepr(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

/** `d.ddde±XX` from the shortest round-trip `digits` and the decimal exponent. */
function scientificRepr(sign: string, digits: string, exponent: number): string {
  const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
  const expSign = exponent < 0 ? '-' : '+';
  return `${sign}${String(digits[0])}${fraction}e${expSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

/** Positional notation with at least one fractional digit, from the shortest round-trip `digits` and the exponent. */
function positionalRepr(sign: string, digits: string, exponent: number): string {
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1) || '0';
  return `${sign}${whole}.${fraction}`;
}

/** Sorts in place by Unicode code point (Python's order), not UTF-16 code unit (JavaScript's). */
function sortByCodePoint(keys: string[]): void {
  keys.sort();
  if (keys.some((key) => /[\ud800-\udfff]/.test(key))) keys.sort(compareCodePoints);
}

function compareCodePoints(a: string, b: string): number {
  /* eslint-disable @typescript-eslint/no-misused-spread -- splitting into code points is the point (Python compares code points) */
  const left = [...a];
  const right = [...b];
  /* eslint-enable @typescript-eslint/no-misused-spread -- end of the code-point split */
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const delta = (left[i]?.codePointAt(0) ?? 0) - (right[i]?.codePointAt(0) ?? 0);
    if (delta !== 0) return delta;
  }
  return left.length - right.length;
}

/** Printable ASCII without `"` and `\\`: written as is by every style. */
const PLAIN_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

// JSON.stringify escapes `"`, `\`, \b \f \n \r \t and other control characters as lower-case
// \u00xx; rapidjson writes the latter in upper case. The alternation skips escaped backslashes.
function rapidjsonQuote(text: string): string {
  if (PLAIN_ASCII.test(text)) return `"${text}"`;
  if (LONE_SURROGATE.test(text)) throw new TypeError('string contains a lone surrogate');
  const quoted = JSON.stringify(text);
  if (!quoted.includes('\\u')) return quoted;
  return quoted.replace(/\\(\\|u00[0-9a-f]{2})/g, (escape) => escape.toUpperCase().replace('\\U', '\\u'));
}

// Python's ensure_ascii escapes everything outside space..'~' (U+007F included) as \uxxxx.
function asciiQuote(text: string): string {
  if (PLAIN_ASCII.test(text)) return `"${text}"`;
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
