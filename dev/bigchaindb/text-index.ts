// Neither package ships types; these requires pin the one export each module uses.
const stemEnglish = require('wink-porter2-stemmer') as (word: string) => string;
const { eng: englishStopWordList } = require('stopword') as { eng: readonly string[] };

// MongoDB's delimiter classes (spec §6); JS has no `Hyphen` property, so its members are listed by hand.
const DELIMITER = /[\p{Dash}\p{Pattern_Syntax}\p{Quotation_Mark}\p{Terminal_Punctuation}\p{White_Space}\u00AD\u30FB\uFF65]/u;
const DELIMITERS = new RegExp(`${DELIMITER.source}+`, 'u');
const ASCII_DELIMITERS = Uint8Array.from({ length: 128 }, (_, code) =>
  Number(DELIMITER.test(String.fromCharCode(code))),
);
const WHITESPACE = /\s+/u;
const NON_ASCII = /[^\p{ASCII}]/u;
const COMBINING_MARKS = /\p{M}+/gu;
const DIGIT = /\d/u;
const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set(englishStopWordList);

/** Word id that ends each string value in a token sequence, so that no phrase spans two values. */
const FIELD_SEPARATOR = 0;
/** English term of a stop word: it has none. */
const NO_TERM = -1;
/** English term of a word not yet met as a token. */
const UNRESOLVED = -2;
/** MongoDB boosts a term that is the whole string value by 10% (`fts_spec.cpp` `_scoreStringV2`). */
const EXACT_VALUE_BOOST = 1.1;
/** Postings per sealed segment: sealing costs O(vocabulary), and searching scans the unsealed tail. */
const SEGMENT_CAPACITY = 2 ** 18;
/** Scores are counted in 1/1024ths; a posting keeps its score in a uint16, so up to 64. */
const SCORE_STEPS_PER_UNIT = 1024;
const MAX_POSTING_STEPS = 0xffff;
// A rank key packs `(steps, doc)` into one double below 2^53, so results sort natively without a comparator.
const MAX_DOCUMENTS = 2 ** 24;
const MAX_SCORE_STEPS = 2 ** 29 - 1;
const FNV_OFFSET = 0x811c9dc5 | 0; // as an int32, like every hash stored in an Int32Array
const FNV_PRIME = 0x01000193;

/** Lower-cases and strips diacritics; ASCII text skips the NFD pass. */
function fold(text: string): string {
  const lower = text.toLowerCase();
  return NON_ASCII.test(lower) ? lower.normalize('NFD').replace(COMBINING_MARKS, '') : lower;
}

function tokenize(folded: string): string[] {
  return folded.split(DELIMITERS).filter((token) => token !== '');
}

function hashText(text: string, start: number, end: number): number {
  let hash = FNV_OFFSET;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ text.charCodeAt(i), FNV_PRIME);
  return hash;
}

/**
 * Tokens holding a digit (ids, keys, numbers, timestamps) are their own term: wink's stemmer uses `3` as an internal
 * marker (`c123s` becomes `c12ys`) and costs ~30 µs on a 64-character transaction id.
 */
function englishTerm(token: string): string | undefined {
  if (ENGLISH_STOP_WORDS.has(token)) return undefined;
  return DIGIT.test(token) ? token : stemEnglish(token);
}

/**
 * MongoDB's score of a term in one string value: `freq · (0.5 · count / valueTerms + 0.5)`, where
 * `freq = 1 + 1/2 + 1/4 + …` (`count` summands), so repeats add less and less and short values weigh more.
 */
function valueTermScore(count: number, valueTerms: number): number {
  return (2 - 2 ** (1 - count)) * ((0.5 * count) / valueTerms + 0.5);
}

/** Higher scores first, then earlier documents. */
function rankKey(steps: number, doc: number): number {
  return (MAX_SCORE_STEPS - Math.min(steps, MAX_SCORE_STEPS)) * MAX_DOCUMENTS + doc;
}

/** Rank keys of the documents scoring above 0, best first. */
function rankKeys(scores: Float64Array): Float64Array {
  const keys = new Float64Array(scores.length);
  let matches = 0;
  scores.forEach((steps, doc) => {
    if (steps > 0) keys[matches++] = rankKey(steps, doc);
  });
  return keys.subarray(0, matches).sort();
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

/** Append-only int32 vector: 4 bytes an entry where a JS array takes 8. */
class Int32Buffer {
  data = new Int32Array(1024);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(Math.ceil(this.data.length * 1.5));
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  at(index: number): number {
    return this.data[index] ?? 0;
  }
}

/** Append-only bytes holding LEB128 varints: word ids follow first use, so a frequent word takes 1–2 bytes, not 4. */
class VarintBuffer {
  data = new Uint8Array(4096);
  length = 0;

  push(value: number): void {
    if (this.length + 5 > this.data.length) {
      const grown = new Uint8Array(Math.ceil(this.data.length * 1.5));
      grown.set(this.data);
      this.data = grown;
    }
    for (; value >= 0x80; value >>>= 7) this.data[this.length++] = (value & 0x7f) | 0x80;
    this.data[this.length++] = value;
  }

  /** Whether the bytes of `run`, a whole number of varints, occur in `[start, end)` starting on a varint. */
  includes(run: Uint8Array, start: number, end: number): boolean {
    const range = this.data.subarray(start, end);
    const first = run[0] ?? 0;
    for (let i = range.indexOf(first); i >= 0; i = range.indexOf(first, i + 1)) {
      if ((i === 0 || (range[i - 1] ?? 0) < 0x80) && matchesAt(range, run, i)) return true;
    }
    return false;
  }
}

function matchesAt(bytes: Uint8Array, run: Uint8Array, offset: number): boolean {
  let k = 0;
  while (k < run.length && bytes[offset + k] === run[k]) k++;
  return k === run.length;
}

function encodeVarints(values: readonly number[]): Uint8Array {
  const encoded = new VarintBuffer();
  for (const value of values) encoded.push(value);
  return encoded.data.subarray(0, encoded.length);
}

/**
 * Words (tokens and terms alike, so that a token that is its own term is stored once) and their ids, as open
 * addressing over `(hash, id + 1)` pairs keyed by FNV-1a. A token is looked up by its span in the value, so that
 * tokenizing allocates no substrings; a `Map` would need a string, and a hash, per token.
 */
class Vocabulary {
  readonly words: string[] = [];
  /** Word id → word id of its English term, `NO_TERM` or `UNRESOLVED`; spares a stemmer call per repeated token. */
  private readonly englishTerms = new Int32Buffer();
  private table = new Int32Array(2 * 4096);

  /** Id of `text[start, end)`, whose hash is `hash`, added if new. */
  intern(text: string, start: number, end: number, hash = hashText(text, start, end)): number {
    const found = this.probe(text, start, end, hash);
    if (found >= 0) return found;
    // A slice of a longer value would keep all of it alive; concatenating first yields a copy of just the word.
    const word = start === 0 && end === text.length ? text : (' ' + text.slice(start, end)).slice(1);
    const id = this.words.push(word) - 1;
    this.englishTerms.push(UNRESOLVED);
    this.table.set([hash, id + 1], -2 * (found + 1));
    if (this.words.length * 4 > this.table.length) this.rehash();
    return id;
  }

  /** Id of `word`, or `undefined` if no document holds it. */
  find(word: string): number | undefined {
    const found = this.probe(word, 0, word.length, hashText(word, 0, word.length));
    return found >= 0 ? found : undefined;
  }

  englishTermOf(wordId: number): number {
    let termId = this.englishTerms.at(wordId);
    if (termId === UNRESOLVED) {
      const word = this.words[wordId] ?? '';
      const term = englishTerm(word);
      termId = term === undefined ? NO_TERM : term === word ? wordId : this.intern(term, 0, term.length);
      this.englishTerms.data[wordId] = termId;
    }
    return termId;
  }

  /** The word's id, or `-(slot + 1)` for the free slot where it belongs. */
  private probe(text: string, start: number, end: number, hash: number): number {
    const mask = this.table.length / 2 - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.table[2 * slot + 1] ?? 0;
      if (entry === 0) return -slot - 1;
      if (this.table[2 * slot] !== hash) continue;
      const word = this.words[entry - 1] ?? '';
      if (word.length === end - start && text.startsWith(word, start)) return entry - 1;
    }
  }

  private rehash(): void {
    const old = this.table;
    this.table = new Int32Array(old.length * 2);
    const mask = this.table.length / 2 - 1;
    for (let k = 0; k < old.length; k += 2) {
      if (old[k + 1] === 0) continue;
      let slot = (old[k] ?? 0) & mask;
      while (this.table[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
      this.table.set(old.subarray(k, k + 2), 2 * slot);
    }
  }
}

/** Integer sums per term id over typed scratch, cleared by `drain`; allocation-free, unlike a `Map` per value. */
class TermTally {
  private totals = new Int32Array(1024);
  private readonly touched: number[] = [];

  add(term: number, amount: number): void {
    if (term >= this.totals.length) {
      const grown = new Int32Array(Math.max(term + 1, this.totals.length * 2));
      grown.set(this.totals);
      this.totals = grown;
    }
    if (this.totals[term] === 0) this.touched.push(term);
    this.totals[term] = (this.totals[term] ?? 0) + amount;
  }

  drain(visit: (term: number, total: number) => void): void {
    for (const term of this.touched) {
      visit(term, this.totals[term] ?? 0);
      this.totals[term] = 0;
    }
    this.touched.length = 0;
  }
}

/** A sealed run of postings grouped by term: `terms[k]` owns entries `starts[k]` up to `starts[k + 1]`. */
interface PostingSegment {
  readonly terms: Int32Array;
  readonly starts: Int32Array;
  readonly docs: Int32Array;
  readonly scores: Uint16Array;
}

/**
 * Postings as `(term, doc, score)` entries: 10 bytes each in the open tail, 6 once sealed into a segment. There is
 * no per-term object, because most terms (transaction ids, VINs, keys) occur in one document only.
 */
class PostingStore {
  private readonly segments: PostingSegment[] = [];
  private readonly tailTerms = new Int32Array(SEGMENT_CAPACITY);
  private readonly tailDocs = new Int32Array(SEGMENT_CAPACITY);
  private readonly tailScores = new Uint16Array(SEGMENT_CAPACITY);
  private tailLength = 0;

  add(term: number, doc: number, steps: number): void {
    this.tailTerms[this.tailLength] = term;
    this.tailDocs[this.tailLength] = doc;
    this.tailScores[this.tailLength] = Math.min(steps, MAX_POSTING_STEPS);
    if (++this.tailLength === SEGMENT_CAPACITY) {
      this.segments.push(this.seal());
      this.tailLength = 0;
    }
  }

  /** Visits the term's postings, with scores in steps, in order of addition. */
  forEach(term: number, visit: (doc: number, steps: number) => void): void {
    for (const { terms, starts, docs, scores } of this.segments) {
      const k = binarySearch(terms, term);
      if (k < 0) continue;
      for (let i = starts[k] ?? 0; i < (starts[k + 1] ?? 0); i++) {
        visit(docs[i] ?? 0, scores[i] ?? 0);
      }
    }
    for (let i = 0; i < this.tailLength; i++) {
      if (this.tailTerms[i] === term) visit(this.tailDocs[i] ?? 0, this.tailScores[i] ?? 0);
    }
  }

  /** Counting sort by term: linear, and stable, so each term's documents stay in order of addition. */
  private seal(): PostingSegment {
    let maxTerm = 0;
    for (const term of this.tailTerms) maxTerm = Math.max(maxTerm, term);
    const cursors = new Int32Array(maxTerm + 1);
    for (const term of this.tailTerms) cursors[term] = (cursors[term] ?? 0) + 1;
    const terms: number[] = [];
    const starts: number[] = [];
    for (let term = 0, offset = 0; term <= maxTerm; term++) {
      const count = cursors[term] ?? 0;
      if (count === 0) continue;
      terms.push(term);
      starts.push(offset);
      cursors[term] = offset;
      offset += count;
    }
    starts.push(SEGMENT_CAPACITY);
    const docs = new Int32Array(SEGMENT_CAPACITY);
    const scores = new Uint16Array(SEGMENT_CAPACITY);
    this.tailTerms.forEach((term, i) => {
      const j = cursors[term] ?? 0;
      cursors[term] = j + 1;
      docs[j] = this.tailDocs[i] ?? 0;
      scores[j] = this.tailScores[i] ?? 0;
    });
    return { terms: Int32Array.from(terms), starts: Int32Array.from(starts), docs, scores };
  }
}

function binarySearch(sorted: Int32Array, value: number): number {
  let low = 0;
  let high = sorted.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const found = sorted[middle] ?? 0;
    if (found === value) return middle;
    if (found < value) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

/** A `$search` string split MongoDB's way: terms are English terms, phrases are folded tokens. */
interface ParsedQuery {
  readonly terms: string[];
  readonly negatedTerms: string[];
  readonly phrases: string[][];
  readonly negatedPhrases: string[][];
}

function parseQuery(query: string): ParsedQuery {
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

/**
 * Full-text index over JSON documents with MongoDB `$text` semantics (English), emulating BigchainDB's wildcard text
 * index on assets and metadata (spec §6).
 *
 * Deviations from MongoDB: a `language` other than `none` is treated as English; stop words are the `stopword`
 * package's English list, shorter than MongoDB's; tokens holding a digit are not stemmed; a phrase matches whole
 * tokens in sequence where MongoDB matches a substring; a term's score in a document is rounded to 1/1024 and
 * capped at 64.
 *
 * Memory: besides the vocabulary and its postings (6 bytes each), a document keeps only its id and its token
 * sequence (1–3 bytes a token), never its content. The sequence is what verifies a phrase without the source text;
 * positions in the postings would cost as much and complicate them.
 */
export class TextIndex {
  private readonly ids: string[] = [];
  private readonly vocabulary = new Vocabulary();
  /** Every document's word ids in order of addition; `FIELD_SEPARATOR` ends each string value. */
  private readonly tokenSequences = new VarintBuffer();
  private readonly sequenceStarts = new Int32Buffer();
  private readonly postings = new PostingStore();
  private readonly valueCounts = new TermTally();
  private readonly documentScores = new TermTally();

  constructor() {
    this.vocabulary.intern('', 0, 0); // the empty word, never a token, takes FIELD_SEPARATOR's id
  }

  /** Number of documents indexed. */
  get size(): number {
    return this.ids.length;
  }

  /**
   * Indexes every string value anywhere in `document` (nested objects and arrays; not keys, numbers, booleans,
   * bigints or class instances such as `LosslessNumber`), plus `id` itself, under `id`. A (sub)document whose
   * string field `language` is `none` is indexed without stemming or stop words; the `language` field itself is
   * not indexed (MongoDB skips it in a wildcard index). Ids are expected to be unique.
   *
   * @throws RangeError beyond 2^24 documents.
   */
  add(id: string, document: unknown): void {
    if (this.ids.length === MAX_DOCUMENTS) throw new RangeError(`TextIndex holds at most ${MAX_DOCUMENTS} documents`);
    const doc = this.ids.push(id) - 1;
    this.sequenceStarts.push(this.tokenSequences.length);
    this.indexValue(id, true);
    this.walk(document, true);
    this.documentScores.drain((term, steps) => this.postings.add(term, doc, steps));
  }

  /**
   * Ids of the documents matching `query`, most relevant first, ties in order of addition. A document's score is
   * MongoDB's `textScore`: over the distinct query terms it contains and each string value holding one,
   * `(1 + 1/2 + … + 1/2^(count-1)) · (0.5 · count / valueTerms + 0.5)`, ×1.1 when the term is the whole value.
   *
   * @param limit - maximum number of ids; `0` or `undefined` means no limit, a negative limit means `|limit|`.
   * @returns `[]` for a query of only negations, only stop words, or nothing.
   */
  search(query: string, limit?: number): string[] {
    const parsed = parseQuery(query);
    const required = parsed.phrases.map((phrase) => this.resolvePhrase(phrase));
    if (parsed.terms.length === 0 || required.includes(undefined)) return [];
    const phrases = required.filter((phrase) => phrase !== undefined);
    const forbidden = parsed.negatedPhrases.map((p) => this.resolvePhrase(p)).filter((p) => p !== undefined);
    const scores = this.score(parsed.terms);
    for (const term of parsed.negatedTerms) this.forEachPosting(term, (doc) => (scores[doc] = 0));
    const wanted = Math.abs(Math.trunc(limit ?? 0)) || Infinity;
    const ids: string[] = [];
    // Phrases are verified in rank order, so that a limited search stops at its `limit`-th match.
    for (const key of rankKeys(scores)) {
      const doc = key % MAX_DOCUMENTS;
      if (this.matchesPhrases(doc, phrases, forbidden) && ids.push(this.ids[doc] ?? '') === wanted) break;
    }
    return ids;
  }

  private walk(value: unknown, english: boolean): void {
    if (typeof value === 'string') {
      this.indexValue(value, english);
    } else if (Array.isArray(value)) {
      for (const item of value) this.walk(item, english);
    } else if (isPlainObject(value)) {
      const subEnglish = usesEnglish(value, english);
      for (const key of Object.keys(value)) {
        if (key !== 'language') this.walk(value[key], subEnglish);
      }
    }
  }

  private indexValue(text: string, english: boolean): void {
    let termCount = 0;
    let exactTerm = NO_TERM;
    this.forEachToken(text, (tokenId, isWholeValue) => {
      this.tokenSequences.push(tokenId);
      const term = english ? this.vocabulary.englishTermOf(tokenId) : tokenId;
      if (term === NO_TERM) return;
      termCount++;
      this.valueCounts.add(term, 1);
      if (isWholeValue && term === tokenId) exactTerm = term;
    });
    this.tokenSequences.push(FIELD_SEPARATOR);
    this.valueCounts.drain((term, count) => {
      const boost = term === exactTerm ? EXACT_VALUE_BOOST : 1;
      this.documentScores.add(term, Math.round(valueTermScore(count, termCount) * boost * SCORE_STEPS_PER_UNIT));
    });
  }

  /** Calls `visit` with each token's word id; ASCII text, the common case, is scanned without allocating. */
  private forEachToken(text: string, visit: (tokenId: number, isWholeValue: boolean) => void): void {
    const lower = text.toLowerCase();
    if (NON_ASCII.test(lower)) {
      const folded = fold(lower);
      for (const token of tokenize(folded)) visit(this.vocabulary.intern(token, 0, token.length), token === folded);
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
      if (i > start) visit(this.vocabulary.intern(lower, start, i, hash), start === 0 && i === lower.length);
      hash = FNV_OFFSET;
      start = i + 1;
    }
  }

  /** A phrase coded as in token sequences, or `undefined` when one of its tokens occurs nowhere (so it does not). */
  private resolvePhrase(tokens: readonly string[]): Uint8Array | undefined {
    const wordIds = tokens.map((token) => this.vocabulary.find(token));
    return wordIds.includes(undefined) ? undefined : encodeVarints(wordIds.filter((id) => id !== undefined));
  }

  private forEachPosting(term: string, visit: (doc: number, steps: number) => void): void {
    const termId = this.vocabulary.find(term);
    if (termId !== undefined) this.postings.forEach(termId, visit);
  }

  /** Each document's score in steps over the distinct `terms`; 0 where none matches. */
  private score(terms: readonly string[]): Float64Array {
    const scores = new Float64Array(this.ids.length);
    for (const term of new Set(terms)) {
      this.forEachPosting(term, (doc, steps) => (scores[doc] = (scores[doc] ?? 0) + steps));
    }
    return scores;
  }

  private matchesPhrases(doc: number, required: readonly Uint8Array[], forbidden: readonly Uint8Array[]): boolean {
    if (required.length + forbidden.length === 0) return true;
    const start = this.sequenceStarts.at(doc);
    const end = doc + 1 < this.ids.length ? this.sequenceStarts.at(doc + 1) : this.tokenSequences.length;
    const contains = (phrase: Uint8Array): boolean => this.tokenSequences.includes(phrase, start, end);
    return required.every(contains) && !forbidden.some(contains);
  }
}
