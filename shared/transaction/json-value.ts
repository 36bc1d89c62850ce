import {
  isLosslessNumber,
  LosslessNumber,
  parse as parseLossless,
  stringify as stringifyLossless,
} from 'lossless-json';

/**
 * A parsed JSON value. Numbers whose text a JavaScript `number` would not keep exactly (a fraction or
 * exponent, as in `1.0` or `1e-05`, or an integer beyond 2^53) stay `LosslessNumber`s carrying their
 * source text, because a BigchainDB node hashes them as Python would: `1.0` is a float and stays
 * `1.0`, `12345678901234567890` stays exact.
 */
export type JsonValue = null | boolean | number | string | LosslessNumber | JsonValue[] | JsonObject;

/** A parsed JSON object. */
export interface JsonObject {
  [key: string]: JsonValue;
}

/** True for a plain JSON object (not an array, not null, not a lossless number). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isLosslessNumber(value);
}

/**
 * Parses JSON text into a {@link JsonValue}. Documents whose numbers are all safe integers (nearly
 * every transaction) take the native `JSON.parse`; the others take a lossless parser.
 *
 * @throws SyntaxError when the text is not JSON.
 */
export function parseJson(text: string): JsonValue {
  if (!hasInexactNumber(text)) return JSON.parse(text) as JsonValue;
  return parseLossless(text, null, {
    parseNumber: (lexeme) => (isExactIntegerLexeme(lexeme) ? Number(lexeme) : new LosslessNumber(lexeme)),
    // Python's json module, which a node parses with, keeps the last of duplicate keys.
    onDuplicateKey: ({ newValue }) => newValue,
  }) as JsonValue;
}

function isExactIntegerLexeme(lexeme: string): boolean {
  return /^-?\d{1,15}$/.test(lexeme);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Scans number tokens outside strings for anything `JSON.parse` would not keep exactly: a fraction,
 * an exponent, or more than 15 digits.
 */
function hasInexactNumber(text: string): boolean {
  let digitRun = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = closingQuote(text, i + 1);
      digitRun = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (++digitRun > 15) return true;
    } else if (digitRun > 0 && (c === 0x2e || c === 0x65 || c === 0x45)) {
      return true; // '.', 'e', 'E' right after a digit outside a string: a float
    } else {
      digitRun = 0;
    }
  }
  return false;
}

/** The index of the quote that closes the string whose contents start at `start` (`text.length` if none does). */
function closingQuote(text: string, start: number): number {
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i;
  }
  return text.length;
}

/** Compact JSON text of a {@link JsonValue}, numbers written exactly as they were parsed. */
export function stringifyJson(value: JsonValue): string {
  return hasLosslessNumber(value) ? (stringifyLossless(value) as string) : JSON.stringify(value);
}

function hasLosslessNumber(value: JsonValue): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (isLosslessNumber(value)) return true;
  return (Array.isArray(value) ? value : Object.values(value)).some(hasLosslessNumber);
}
