// Neither package ships types; these requires pin the one export each module uses.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- untyped CommonJS package: a typed require is the import
const stemEnglish = require('wink-porter2-stemmer') as (word: string) => string;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- untyped CommonJS package: a typed require is the import
const { eng: englishStopWordList } = require('stopword') as { eng: readonly string[] };

// MongoDB's delimiter classes (spec §6); JS has no `Hyphen` property, so its members are listed by hand.
const DELIMITER =
  /[\p{Dash}\p{Pattern_Syntax}\p{Quotation_Mark}\p{Terminal_Punctuation}\p{White_Space}\u00AD\u30FB\uFF65]/u;
const DELIMITERS = new RegExp(`${DELIMITER.source}+`, 'u');
const ASCII_DELIMITERS = Uint8Array.from({ length: 128 }, (_, code) =>
  Number(DELIMITER.test(String.fromCharCode(code))),
);
const WHITESPACE = /\s+/u;
const NON_ASCII = /[^\p{ASCII}]/u;
const COMBINING_MARKS = /\p{M}+/gu;
const DIGIT = /\d/u;
const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set(englishStopWordList);
const FNV_OFFSET = 0x811c9dc5 | 0; // as an int32, like every hash stored in an Int32Array
const FNV_PRIME = 0x01000193;

/** Lower-cases and strips diacritics; ASCII text skips the NFD pass. */
export function fold(text: string): string {
  const lower = text.toLowerCase();
  return NON_ASCII.test(lower) ? lower.normalize('NFD').replace(COMBINING_MARKS, '') : lower;
}

/** The tokens of folded text, in order. */
export function tokenize(folded: string): string[] {
  return folded.split(DELIMITERS).filter((token) => token !== '');
}

/** FNV-1a of `text[start, end)`, as an int32. */
export function hashText(text: string, start: number, end: number): number {
  let hash = FNV_OFFSET;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ text.charCodeAt(i), FNV_PRIME);
  return hash;
}

/** Receives a token as the span `text[start, end)` with its {@link hashText}, so that no substring is allocated. */
export type TokenVisitor = (text: string, start: number, end: number, hash: number, isWholeValue: boolean) => void;

/** Visits the folded tokens of `text` as {@link tokenize} splits them; ASCII text is scanned without allocating. */
export function forEachToken(text: string, visit: TokenVisitor): void {
  const lower = text.toLowerCase();
  if (NON_ASCII.test(lower)) {
    const folded = fold(lower);
    for (const token of tokenize(folded)) {
      visit(token, 0, token.length, hashText(token, 0, token.length), token === folded);
    }
    return;
  }
  let hash = FNV_OFFSET;
  let start = 0;
  for (let i = 0; i <= lower.length; i++) {
    const code = i < lower.length ? lower.charCodeAt(i) : 0x20;
    if (ASCII_DELIMITERS[code] === 0) {
      hash = Math.imul(hash ^ code, FNV_PRIME);
      continue;
    }
    if (i > start) visit(lower, start, i, hash, start === 0 && i === lower.length);
    hash = FNV_OFFSET;
    start = i + 1;
  }
}

/**
 * The English term of a token, or `undefined` for a stop word. Tokens holding a digit (ids, keys, numbers,
 * timestamps) are their own term: wink's stemmer uses `3` as an internal marker (`c123s` becomes `c12ys`) and costs
 * ~30 µs on a 64-character transaction id.
 */
export function englishTerm(token: string): string | undefined {
  if (ENGLISH_STOP_WORDS.has(token)) return undefined;
  return DIGIT.test(token) ? token : stemEnglish(token);
}

/**
 * Visits every string value anywhere in `value` (nested objects and arrays; not keys, numbers, booleans, bigints or
 * class instances such as `LosslessNumber`) with whether English rules apply to it: a (sub)document whose string
 * field `language` is `none` turns them off. The `language` field itself is skipped, as in a MongoDB wildcard index.
 */
export function forEachIndexedString(
  value: unknown,
  english: boolean,
  visit: (text: string, english: boolean) => void,
): void {
  if (typeof value === 'string') {
    visit(value, english);
  } else if (Array.isArray(value)) {
    for (const item of value) forEachIndexedString(item, english, visit);
  } else if (isPlainObject(value)) {
    const subEnglish = usesEnglish(value, english);
    for (const key of Object.keys(value)) {
      if (key !== 'language') forEachIndexedString(value[key], subEnglish, visit);
    }
  }
}

/** Plain objects of any realm (documents may come from another vm context); class instances are leaves. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}

function usesEnglish(node: Record<string, unknown>, inherited: boolean): boolean {
  const language = node['language'];
  return typeof language === 'string' ? language.toLowerCase() !== 'none' : inherited;
}

/** A `$search` string split MongoDB's way: terms are English terms, phrases are folded tokens. */
export interface ParsedQuery {
  readonly terms: string[];
  readonly negatedTerms: string[];
  readonly phrases: string[][];
  readonly negatedPhrases: string[][];
}

/** Splits a `$search` string into loose terms, `-terms`, `"phrases"` and `-"phrases"`. */
export function parseQuery(query: string): ParsedQuery {
  const parsed: ParsedQuery = { terms: [], negatedTerms: [], phrases: [], negatedPhrases: [] };
  const parts = fold(query).split('"');
  parts.forEach((part, i) => {
    if (i % 2 === 1 && i < parts.length - 1) {
      addPhrase(parsed, tokenize(part), isNegatedPhrase(parts[i - 1] ?? '', i === 1));
    } else {
      addLooseText(parsed, part, i === 0);
    }
  });
  return parsed;
}

/** A `-` negates only after whitespace or at the start of the query (`foo-"bar"` negates nothing). */
function isNegatedPhrase(textBefore: string, startsQuery: boolean): boolean {
  if (!textBefore.endsWith('-')) return false;
  return textBefore.length === 1 ? startsQuery : WHITESPACE.test(textBefore.charAt(textBefore.length - 2));
}

function addPhrase(parsed: ParsedQuery, tokens: string[], negated: boolean): void {
  if (tokens.length === 0) return;
  if (negated) {
    parsed.negatedPhrases.push(tokens);
    return;
  }
  // MongoDB finds a phrase through its terms, which then also count towards the score.
  parsed.phrases.push(tokens);
  addTerms(parsed.terms, tokens);
}

/** As in MongoDB 4.2+, a negation runs to the next whitespace: `-foo-bar` negates both `foo` and `bar`. */
function addLooseText(parsed: ParsedQuery, text: string, startsQuery: boolean): void {
  text.split(WHITESPACE).forEach((word, k) => {
    const negated = word.startsWith('-') && (k > 0 || startsQuery);
    addTerms(negated ? parsed.negatedTerms : parsed.terms, tokenize(negated ? word.slice(1) : word));
  });
}

function addTerms(terms: string[], tokens: readonly string[]): void {
  for (const token of tokens) {
    const term = englishTerm(token);
    if (term !== undefined) terms.push(term);
  }
}

/** Whether `phrase` occurs as consecutive tokens in `tokens`. */
export function includesPhrase(tokens: readonly string[], phrase: readonly string[]): boolean {
  const last = tokens.length - phrase.length;
  for (let i = 0; i <= last; i++) {
    if (phrase.every((token, k) => tokens[i + k] === token)) return true;
  }
  return false;
}
