import { englishTerm, hashText } from './text-analysis';

/** English term of a stop word: it has none. */
export const NO_TERM = -1;
/** English term of a word not yet met as a token. */
const UNRESOLVED = -2;
/** Postings per sealed segment: sealing sorts them, and searching scans the unsealed tail. */
const SEGMENT_CAPACITY = 2 ** 16;
/** A posting keeps its score in steps as a uint16. */
const MAX_POSTING_STEPS = 0xffff;

type TypedArray = Int32Array | Uint16Array | Uint8Array;

/** `array` itself, or a copy 1.5 times as long (at most `limit`) when it holds fewer than `length` entries. */
function withLength<T extends TypedArray>(array: T, length: number, limit = Infinity): T {
  if (length <= array.length) return array;
  const grownLength = Math.min(limit, Math.max(length, Math.ceil(array.length * 1.5)));
  const grown = new (array.constructor as new (length: number) => T)(grownLength);
  grown.set(array);
  return grown;
}

/**
 * Words (tokens and terms alike, so that a token that is its own term is stored once) and their ids, as open
 * addressing keyed by FNV-1a. A token is looked up by its span in the value, so that tokenizing allocates no
 * substrings; a `Map` would need a string, and a hash, per token.
 */
export class Vocabulary {
  private readonly words: string[] = [];
  private hashes = new Int32Array(1024);
  /** Word id → word id of its English term, `NO_TERM` or `UNRESOLVED`; spares a stemmer call per repeated token. */
  private englishTerms = new Int32Array(1024);
  /** `id + 1` of the word in each slot, 0 where free; at most half full. Hashes stay per word, not per slot. */
  private slots = new Int32Array(4096);

  /** Id of `text[start, end)`, whose hash is `hash`, added if new. */
  intern(text: string, start: number, end: number, hash = hashText(text, start, end)): number {
    const found = this.probe(text, start, end, hash);
    if (found >= 0) return found;
    // A slice of a longer value would keep all of it alive; concatenating first yields a copy of just the word.
    const word = start === 0 && end === text.length ? text : (' ' + text.slice(start, end)).slice(1);
    const id = this.words.push(word) - 1;
    this.hashes = withLength(this.hashes, id + 1);
    this.hashes[id] = hash;
    this.englishTerms = withLength(this.englishTerms, id + 1);
    this.englishTerms[id] = UNRESOLVED;
    this.slots[-found - 1] = id + 1;
    if (this.words.length * 2 > this.slots.length) this.rehash();
    return id;
  }

  /** Id of `word`, or `undefined` if no document holds it. */
  find(word: string): number | undefined {
    const found = this.probe(word, 0, word.length, hashText(word, 0, word.length));
    return found >= 0 ? found : undefined;
  }

  /** Word id of the English term of word `wordId`, or `NO_TERM` for a stop word. */
  englishTermOf(wordId: number): number {
    let termId = this.englishTerms[wordId] ?? UNRESOLVED;
    if (termId === UNRESOLVED) {
      const word = this.words[wordId] ?? '';
      const term = englishTerm(word);
      termId = term === undefined ? NO_TERM : term === word ? wordId : this.intern(term, 0, term.length);
      this.englishTerms[wordId] = termId;
    }
    return termId;
  }

  /** The word's id, or `-(slot + 1)` for the free slot where it belongs. */
  private probe(text: string, start: number, end: number, hash: number): number {
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const id = (this.slots[slot] ?? 0) - 1;
      if (id < 0) return -slot - 1;
      if (this.hashes[id] !== hash) continue;
      const word = this.words[id] ?? '';
      if (word.length === end - start && text.startsWith(word, start)) return id;
    }
  }

  private rehash(): void {
    this.slots = new Int32Array(this.slots.length * 2);
    const mask = this.slots.length - 1;
    for (let id = 0; id < this.words.length; id++) {
      let slot = (this.hashes[id] ?? 0) & mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
      this.slots[slot] = id + 1;
    }
  }
}

/** Append-only bytes holding LEB128 varints. */
class VarintWriter {
  bytes = new Uint8Array(4096);
  length = 0;

  push(value: number): void {
    this.bytes = withLength(this.bytes, this.length + 5);
    for (; value >= 0x80; value >>>= 7) this.bytes[this.length++] = (value & 0x7f) | 0x80;
    this.bytes[this.length++] = value;
  }
}

class VarintReader {
  constructor(
    private readonly bytes: Uint8Array,
    public offset: number,
  ) {}

  next(): number {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = this.bytes[this.offset++] ?? 0;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  }
}

/**
 * A sealed run of postings grouped by term: `terms[k]` owns `bytes` from `starts[k]` up to `starts[k + 1]`. Each
 * posting there is a varint `docGap · 2 + scoreChanged`, then its steps as a varint when they differ from the
 * previous posting's; a run's first gap counts from `firstDoc`. A term held by most documents thus takes 1 byte each.
 */
interface PostingSegment {
  readonly terms: Int32Array;
  readonly starts: Int32Array;
  readonly bytes: Uint8Array;
  readonly firstDoc: number;
}

/**
 * Postings as `(term, doc, steps)`: a term's first posting sits in arrays indexed by term (6 bytes), since most terms
 * (transaction ids, VINs, keys) occur in one document only; later ones collect in a tail (10 bytes each) that is sealed
 * into a delta-coded segment every 2^16 postings.
 */
export class PostingStore {
  /** `doc + 1` of each term's first posting, 0 while it has none. */
  private firstDocs = new Int32Array(1024);
  private firstSteps = new Uint16Array(1024);
  private readonly segments: PostingSegment[] = [];
  private tailTerms = new Int32Array(1024);
  private tailDocs = new Int32Array(1024);
  private tailSteps = new Uint16Array(1024);
  private tailLength = 0;

  /** Adds a posting; `doc` may not decrease from one call to the next. Steps are capped at 65,535. */
  add(term: number, doc: number, steps: number): void {
    const capped = Math.min(steps, MAX_POSTING_STEPS);
    this.firstDocs = withLength(this.firstDocs, term + 1);
    this.firstSteps = withLength(this.firstSteps, term + 1);
    if (this.firstDocs[term] === 0) {
      this.firstDocs[term] = doc + 1;
      this.firstSteps[term] = capped;
      return;
    }
    const i = this.tailLength;
    this.tailTerms = withLength(this.tailTerms, i + 1, SEGMENT_CAPACITY);
    this.tailDocs = withLength(this.tailDocs, i + 1, SEGMENT_CAPACITY);
    this.tailSteps = withLength(this.tailSteps, i + 1, SEGMENT_CAPACITY);
    this.tailTerms[i] = term;
    this.tailDocs[i] = doc;
    this.tailSteps[i] = capped;
    if (++this.tailLength === SEGMENT_CAPACITY) {
      this.segments.push(this.seal());
      this.tailLength = 0;
    }
  }

  /** Visits the term's postings, with scores in steps, in order of addition. */
  forEach(term: number, visit: (doc: number, steps: number) => void): void {
    const first = this.firstDocs[term] ?? 0;
    if (first === 0) return;
    visit(first - 1, this.firstSteps[term] ?? 0);
    for (const segment of this.segments) forEachInSegment(segment, term, visit);
    for (let i = 0; i < this.tailLength; i++) {
      if (this.tailTerms[i] === term) visit(this.tailDocs[i] ?? 0, this.tailSteps[i] ?? 0);
    }
  }

  private seal(): PostingSegment {
    // Sorting `(term, position)` keys groups postings by term and keeps each run in order of addition.
    const tail = this.tailTerms.subarray(0, this.tailLength);
    const keys = Float64Array.from(tail, (term, i) => term * SEGMENT_CAPACITY + i);
    keys.sort();
    const firstDoc = this.tailDocs[0] ?? 0;
    const terms: number[] = [];
    const starts: number[] = [];
    const writer = new VarintWriter();
    let doc = firstDoc;
    let steps = -1;
    for (const key of keys) {
      const i = key % SEGMENT_CAPACITY;
      const term = (key - i) / SEGMENT_CAPACITY;
      if (term !== terms[terms.length - 1]) {
        terms.push(term);
        starts.push(writer.length);
        doc = firstDoc;
        steps = -1;
      }
      const nextDoc = this.tailDocs[i] ?? 0;
      const nextSteps = this.tailSteps[i] ?? 0;
      writer.push((nextDoc - doc) * 2 + Number(nextSteps !== steps));
      if (nextSteps !== steps) writer.push(nextSteps);
      doc = nextDoc;
      steps = nextSteps;
    }
    starts.push(writer.length);
    const bytes = writer.bytes.slice(0, writer.length);
    return { terms: Int32Array.from(terms), starts: Int32Array.from(starts), bytes, firstDoc };
  }
}

function forEachInSegment(segment: PostingSegment, term: number, visit: (doc: number, steps: number) => void): void {
  const k = binarySearch(segment.terms, term);
  if (k < 0) return;
  const end = segment.starts[k + 1] ?? 0;
  const reader = new VarintReader(segment.bytes, segment.starts[k] ?? 0);
  let doc = segment.firstDoc;
  let steps = 0;
  while (reader.offset < end) {
    const code = reader.next();
    doc += code >>> 1;
    if (code & 1) steps = reader.next();
    visit(doc, steps);
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
