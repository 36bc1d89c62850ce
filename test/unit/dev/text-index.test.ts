import { LosslessNumber } from 'lossless-json';

import { TextIndex } from '../../../dev/bigchaindb/text-index';

/** An index holding `documents` under their keys, added in key order, that loads them back from a map. */
function indexOf(documents: Record<string, unknown>): TextIndex {
  const added = new Map<string, unknown>();
  const index = new TextIndex((id) => added.get(id));
  for (const [id, document] of Object.entries(documents)) {
    added.set(id, document);
    index.add(id, document);
  }
  return index;
}

describe('#add', () => {
  it('indexes strings nested in objects and arrays', () => {
    const index = indexOf({ a: { car: { owner: { city: 'Berlin' } }, tags: ['x', ['leased']] }, b: { city: 'Paris' } });

    expect(index.search('berlin')).toEqual(['a']);
    expect(index.search('leased')).toEqual(['a']);
  });

  it('does not index keys', () => {
    expect(indexOf({ a: { city: 'Paris' } }).search('city')).toEqual([]);
  });

  it('does not index numbers or booleans, but indexes numeric strings', () => {
    const index = indexOf({ a: { temperature: 22, insured: true }, b: { t: '22' } });

    expect(index.search('22')).toEqual(['b']);
    expect(index.search('true')).toEqual([]);
  });

  it('indexes the id itself, so a document without strings is found by its id', () => {
    const id = '3b0d7e2f4c6a8e1d9b5f7a3c2e4d6f8a0b1c3d5e7f9a2b4c6d8e0f1a3b5c7d9e';
    const index = indexOf({ [id]: { year: 2024 }, other: { note: 'unrelated' } });

    expect(index.search(id)).toEqual([id]);
  });

  it('treats LosslessNumber and bigint values as numbers, without crashing', () => {
    const index = indexOf({ a: { price: new LosslessNumber('12345678901234567890'), km: 5n, model: 'Golf' } });

    expect(index.search('12345678901234567890')).toEqual([]);
    expect(index.search('5')).toEqual([]);
    expect(index.search('golf')).toEqual(['a']);
  });

  it('does not index the value of a language field', () => {
    expect(indexOf({ a: { language: 'english', note: 'car' } }).search('english')).toEqual([]);
  });

  it('counts the documents added', () => {
    expect(indexOf({ a: {}, b: null, c: 'text' }).size).toBe(3);
  });
});

describe('tokenizing', () => {
  it('keeps _ inside a token', () => {
    const index = indexOf({ a: { key: 'my_meta' } });

    expect(index.search('my_meta')).toEqual(['a']);
    expect(index.search('meta')).toEqual([]);
  });

  it('splits "0.123" into 0 and 123', () => {
    const index = indexOf({ a: { value: '0.123' } });

    expect(index.search('0')).toEqual(['a']);
    expect(index.search('123')).toEqual(['a']);
    expect(index.search('0.123')).toEqual(['a']);
  });

  it('splits on dashes, punctuation, quotes and Unicode spaces', () => {
    const index = indexOf({
      a: { s: 'alpha-beta,gamma@delta:epsilon/zeta«eta»theta\u00a0iota\u2014kappa\u30fblambda' },
    });

    const tokens = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa', 'lambda'];
    expect(tokens.map((token) => index.search(token))).toEqual(tokens.map(() => ['a']));
  });

  it('matches whole tokens only, never a prefix', () => {
    expect(indexOf({ a: { city: 'Berlin' } }).search('Berl')).toEqual([]);
  });

  it('folds case and diacritics in documents and queries', () => {
    const index = indexOf({ a: { city: 'München' }, b: { make: 'ŠKODA' }, c: { city: 'munchen' } });

    expect(index.search('MUNCHEN')).toEqual(['a', 'c']);
    expect(index.search('skoda')).toEqual(['b']);
    expect(index.search('Škoda')).toEqual(['b']);
  });
});

describe('English language rules', () => {
  it('stems words, so running finds runs and run', () => {
    const index = indexOf({ a: { note: 'it runs' }, b: { note: 'a long run' }, c: { note: 'walking' } });

    expect(index.search('running')).toEqual(['a', 'b']);
  });

  it('matches nothing for a query of stop words only', () => {
    expect(indexOf({ a: { note: 'the car is here' } }).search('the is')).toEqual([]);
  });

  it('disables stemming in a (sub)document whose language is none', () => {
    const index = indexOf({
      english: { note: 'running' },
      none: { language: 'none', note: 'running' },
      nested: { inner: { language: 'none', note: 'running' }, other: 'walking' },
    });

    expect(index.search('run')).toEqual(['english']);
    expect(index.search('walk')).toEqual(['nested']);
  });

  it('finds no stop word even in a document whose language is none, as queries are English', () => {
    const index = indexOf({ a: { language: 'none', note: 'the' }, b: { note: 'the' } });

    expect(index.search('"the"')).toEqual([]);
    expect(index.search('"the" x')).toEqual([]);
  });
});

describe('#search', () => {
  const index = indexOf({
    red: { color: 'red', kind: 'car' },
    blue: { color: 'blue', kind: 'car' },
    green: { color: 'green', kind: 'bike' },
    split: { first: 'red', second: 'car' },
    phrase: { note: 'a red car was leased' },
  });

  it('returns [] for an empty query', () => {
    expect(index.search('')).toEqual([]);
  });

  it('ORs loose terms', () => {
    expect(index.search('blue green').sort()).toEqual(['blue', 'green']);
  });

  it('requires a quoted phrase as consecutive tokens within one string value', () => {
    expect(index.search('"red car"')).toEqual(['phrase']);
    expect(index.search('"car red"')).toEqual([]);
  });

  it('matches a phrase containing a stop word in sequence', () => {
    expect(index.search('"car was leased"')).toEqual(['phrase']);
    expect(index.search('"car leased"')).toEqual([]);
  });

  it('ANDs several phrases', () => {
    expect(index.search('"red car" "was leased"')).toEqual(['phrase']);
    expect(index.search('"red car" "blue"')).toEqual([]);
  });

  it('returns only documents with the phrase when loose terms come with it', () => {
    expect(index.search('"red car" blue green')).toEqual(['phrase']);
  });

  it('excludes documents containing a -term, stemmed', () => {
    expect(index.search('car -bikes -reds').sort()).toEqual(['blue']);
  });

  it('excludes documents containing a -"phrase"', () => {
    expect(index.search('red -"red car"')).toEqual(['red', 'split']);
  });

  it('negates every token of a -word up to the next whitespace', () => {
    expect(index.search('car -red-blue')).toEqual([]);
  });

  it('does not negate after a dash inside a word', () => {
    expect(index.search('bike-green')).toEqual(['green']);
  });

  it('matches nothing for a query of negations only', () => {
    expect(index.search('-red -"blue car"')).toEqual([]);
  });
});

describe('ranking', () => {
  it('ranks documents matching more query terms first', () => {
    const index = indexOf({ one: { a: 'red bike' }, both: { a: 'red car' }, other: { a: 'blue bike' } });

    expect(index.search('red car')).toEqual(['both', 'one']);
  });

  it('ranks more occurrences of a term first', () => {
    const index = indexOf({ once: { a: 'lease contract' }, thrice: { a: 'lease lease lease contract' } });

    expect(index.search('lease')).toEqual(['thrice', 'once']);
  });

  it('ranks equal scores in order of addition', () => {
    const index = indexOf({ c: { a: 'car' }, a: { a: 'car' }, b: { a: 'car' } });

    expect(index.search('car')).toEqual(['c', 'a', 'b']);
  });

  it('limits to the first `limit` ids, treating a negative limit as its absolute value and 0 as no limit', () => {
    const index = indexOf({ d1: { a: 'car' }, d2: { a: 'car' }, d3: { a: 'car' } });

    expect(index.search('car', 2)).toEqual(['d1', 'd2']);
    expect(index.search('car', -2)).toEqual(['d1', 'd2']);
    expect(index.search('car', 0)).toEqual(['d1', 'd2', 'd3']);
    expect(index.search('car')).toEqual(['d1', 'd2', 'd3']);
  });
});

describe('with more postings than one segment holds', () => {
  // 300 documents of 1,001 distinct terms each exceed the 2^16 postings of an unsealed segment.
  const words = Array.from({ length: 1000 }, (_, k) => `w${k}`).join(' ');
  const ids = Array.from({ length: 300 }, (_, k) => `doc${k}`);
  const index = new TextIndex(() => ({ words }));
  for (const id of ids) index.add(id, { words });

  it('finds a term in sealed and unsealed postings, in order of addition', () => {
    expect(index.search('w999', 0)).toEqual(ids);
  });

  it('finds the first and the last document by id', () => {
    expect(index.search('doc0 doc299')).toEqual(['doc0', 'doc299']);
  });

  it('verifies a phrase across sealed documents', () => {
    expect(index.search('"w998 w999"', -3)).toEqual(['doc0', 'doc1', 'doc2']);
  });
});

describe('sealing postings', () => {
  // Word j of document k is its own value, repeated 1 + (j + k) % 3 times, so its score is 1.1, 1.5 or 1.75; w0 skips
  // every fifth document. 140 documents of ~1,000 postings each fill two segments.
  const ids = Array.from({ length: 140 }, (_, k) => `doc${k}`);
  const documentOf = (k: number): string[] =>
    Array.from({ length: 1000 }, (_, j) =>
      Array<string>(1 + ((j + k) % 3))
        .fill(`w${j}`)
        .join(' '),
    ).filter((_, j) => j !== 0 || k % 5 !== 0);
  const index = new TextIndex((id) => documentOf(Number(id.slice(3))));
  ids.forEach((id, k) => index.add(id, documentOf(k)));

  it('keeps the document and score of every posting', () => {
    const withW0 = ids.filter((_, k) => k % 5 !== 0);
    const repeats = (id: string): number => Number(id.slice(3)) % 3;

    expect(index.search('w0')).toEqual([2, 1, 0].flatMap((count) => withW0.filter((id) => repeats(id) === count)));
  });
});

describe('loading documents', () => {
  const loaded: string[] = [];
  const documents: Record<string, unknown> = { a: 'red car', b: 'blue bike', c: 'red bike', d: 'car red' };
  const index = new TextIndex((id) => {
    loaded.push(id);
    return documents[id];
  });
  for (const [id, document] of Object.entries(documents)) index.add(id, document);
  beforeEach(() => (loaded.length = 0));

  it('loads no document for a search without phrases', () => {
    expect(index.search('red -bike')).toEqual(['a', 'd']);
    expect(loaded).toEqual([]);
  });

  it('loads only the documents holding every word of a phrase', () => {
    expect(index.search('"red car"')).toEqual(['a']);
    expect(loaded).toEqual(['a', 'd']);
  });

  it('loads only the documents that may hold a -"phrase"', () => {
    expect(index.search('red -"red car"')).toEqual(['c', 'd']);
    expect(loaded.sort()).toEqual(['a', 'd']);
  });
});
