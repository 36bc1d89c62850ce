import {
  englishTerm,
  fold,
  forEachIndexedString,
  forEachToken,
  includesPhrase,
  parseQuery,
  tokenize,
} from './text-analysis';
import { NO_TERM, PostingStore, Vocabulary } from './text-index-storage';

/** MongoDB boosts a term that is the whole string value by 10% (`fts_spec.cpp` `_scoreStringV2`). */
const EXACT_VALUE_BOOST = 1.1;
/** Scores are counted in 1/1024ths; a posting keeps its score in a uint16, so up to 64. */
const SCORE_STEPS_PER_UNIT = 1024;
// A rank key packs `(steps, doc)` into one double below 2^53, so results sort natively without a comparator.
const MAX_DOCUMENTS = 2 ** 24;
const MAX_SCORE_STEPS = 2 ** 29 - 1;

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

/** How many ids a search returns at most: `0` or `undefined` means no limit, a negative limit means `|limit|`. */
function searchLimit(limit: number | undefined): number {
  return Math.abs(Math.trunc(limit ?? 0)) || Infinity;
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

/** A quoted phrase of a query, with which documents may hold it as far as the postings can tell. */
interface PhraseCheck {
  readonly tokens: readonly string[];
  readonly mayOccurIn: (doc: number) => boolean;
}

/**
 * Returns the document that was added under `id` (or one with the same string values in the same places), for
 * {@link TextIndex} to verify phrases against.
 */
export type DocumentLoader = (id: string) => unknown;

/**
 * Full-text index over JSON documents with MongoDB `$text` semantics (English), emulating BigchainDB's wildcard text
 * index on assets and metadata (spec §6).
 *
 * Deviations from MongoDB: a `language` other than `none` is treated as English; stop words are the `stopword`
 * package's English list, shorter than MongoDB's; tokens holding a digit are not stemmed; a phrase matches whole
 * tokens in sequence where MongoDB matches a substring; a term's score in a document is rounded to 1/1024 and
 * capped at 64.
 *
 * Memory: a document keeps only its id and its postings, never its content or token sequence. Phrases are rare in
 * queries, so a search with one re-reads each candidate document through the loader rather than every document
 * paying for positions.
 */
export class TextIndex {
  private readonly ids: string[] = [];
  private readonly vocabulary = new Vocabulary();
  private readonly postings = new PostingStore();
  private readonly valueCounts = new TermTally();
  private readonly documentScores = new TermTally();

  /**
   * @param loadDocument - returns the document added under an id; called by searches with a quoted phrase, for
   *   candidates only.
   */
  constructor(private readonly loadDocument: DocumentLoader) {}

  /** Number of documents indexed. */
  get size(): number {
    return this.ids.length;
  }

  /**
   * Indexes every string value anywhere in `document` (nested objects and arrays; not keys, numbers, booleans,
   * bigints or class instances such as `LosslessNumber`), plus `id` itself, under `id`. A (sub)document whose
   * string field `language` is `none` is indexed without stemming or stop words; the `language` field itself is
   * not indexed (MongoDB skips it in a wildcard index). Ids are expected to be unique. `document` is not retained.
   *
   * @throws RangeError beyond 2^24 documents.
   */
  add(id: string, document: unknown): void {
    if (this.ids.length === MAX_DOCUMENTS) throw new RangeError(`TextIndex holds at most ${MAX_DOCUMENTS} documents`);
    const doc = this.ids.push(id) - 1;
    this.indexValue(id, true);
    forEachIndexedString(document, true, (text, english) => this.indexValue(text, english));
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
    if (parsed.terms.length === 0 || !parsed.phrases.every((phrase) => this.holdsWords(phrase))) return [];
    const required = parsed.phrases.map((phrase) => this.phraseCheck(phrase));
    const forbidden = parsed.negatedPhrases.filter((phrase) => this.holdsWords(phrase)).map((p) => this.phraseCheck(p));
    const scores = this.score(parsed.terms);
    for (const term of parsed.negatedTerms) this.forEachPosting(term, (doc) => (scores[doc] = 0));
    for (const { mayOccurIn } of required) {
      scores.forEach((_, doc) => {
        if (!mayOccurIn(doc)) scores[doc] = 0;
      });
    }
    const wanted = searchLimit(limit);
    const ids: string[] = [];
    // Phrases are verified in rank order, so that a limited search stops loading at its `limit`-th match.
    for (const key of rankKeys(scores)) {
      const doc = key % MAX_DOCUMENTS;
      if (this.matchesPhrases(doc, required, forbidden) && ids.push(this.ids[doc] ?? '') === wanted) break;
    }
    return ids;
  }

  private indexValue(text: string, english: boolean): void {
    let termCount = 0;
    let exactTerm = NO_TERM;
    forEachToken(text, (value, start, end, hash, isWholeValue) => {
      const tokenId = this.vocabulary.intern(value, start, end, hash);
      const term = english ? this.vocabulary.englishTermOf(tokenId) : tokenId;
      if (term === NO_TERM) return;
      termCount++;
      this.valueCounts.add(term, 1);
      if (isWholeValue && term === tokenId) exactTerm = term;
    });
    this.valueCounts.drain((term, count) => {
      const boost = term === exactTerm ? EXACT_VALUE_BOOST : 1;
      this.documentScores.add(term, Math.round(valueTermScore(count, termCount) * boost * SCORE_STEPS_PER_UNIT));
    });
  }

  /** Whether every token of `phrase` occurs in some document; the vocabulary holds each token ever indexed. */
  private holdsWords(phrase: readonly string[]): boolean {
    return phrase.every((token) => this.vocabulary.find(token) !== undefined);
  }

  /**
   * Documents without a posting for each token of the phrase that is not a stop word, under its English term or
   * (in `language: none` values) itself, cannot hold the phrase, so they need not be loaded.
   */
  private phraseCheck(tokens: readonly string[]): PhraseCheck {
    const words = [...new Set(tokens)].filter((token) => englishTerm(token) !== undefined);
    const wordsFound = new Int32Array(this.ids.length);
    words.forEach((word, k) => {
      for (const term of new Set([englishTerm(word) ?? word, word])) {
        this.forEachPosting(term, (doc) => {
          if (wordsFound[doc] === k) wordsFound[doc] = k + 1; // once per word, though both terms may hold `doc`
        });
      }
    });
    return { tokens, mayOccurIn: (doc) => wordsFound[doc] === words.length };
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

  private matchesPhrases(doc: number, required: readonly PhraseCheck[], forbidden: readonly PhraseCheck[]): boolean {
    const suspects = forbidden.filter(({ mayOccurIn }) => mayOccurIn(doc));
    if (required.length + suspects.length === 0) return true;
    const values = this.tokenizedValues(doc);
    const occurs = ({ tokens }: PhraseCheck): boolean => values.some((value) => includesPhrase(value, tokens));
    return required.every(occurs) && !suspects.some(occurs);
  }

  /** The tokens of each string value `add` indexed for `doc`, re-read through the loader. */
  private tokenizedValues(doc: number): string[][] {
    const id = this.ids[doc] ?? '';
    const values = [tokenize(fold(id))];
    forEachIndexedString(this.loadDocument(id), true, (text) => values.push(tokenize(fold(text))));
    return values;
  }
}
