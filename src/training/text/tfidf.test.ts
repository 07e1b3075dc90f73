import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMloopError } from '../../errors/index.js';
import { fitTfidf, TfidfVectorizer, type CsrMatrix, type TfidfOptions, type TfidfState } from './tfidf.js';
import { appendCharWbNgrams, appendWordNgrams, normalizeText, wordTokens } from './tokenize.js';

const DOCS = [
  'Reset my password, please!',
  'I forgot my password',
  'Where is my parcel?',
  'parcel delayed again',
  'my parcel, my password',
];
const OPTIONS: TfidfOptions = {
  blocks: [
    { analyzer: 'word', ngramRange: [1, 2], minDf: 2 },
    { analyzer: 'char_wb', ngramRange: [2, 5], minDf: 2 },
  ],
  sublinearTf: true,
};

/** Row `r` of block `b` as term → value. */
function rowOf(state: TfidfState, m: CsrMatrix, r: number, b: number): Record<string, number> {
  const offset = state.blocks.slice(0, b).reduce((s, x) => s + x.terms.length, 0);
  const terms = state.blocks[b]!.terms;
  const out: Record<string, number> = {};
  for (let p = m.indptr[r]!; p < m.indptr[r + 1]!; p++) {
    const col = m.indices[p]! - offset;
    if (col >= 0 && col < terms.length) out[terms[col]!] = m.data[p]!;
  }
  return out;
}

describe('fitTfidf', () => {
  // Reference: scikit-learn 1.2.1, TfidfVectorizer(ngram_range=(1,2), sublinear_tf=True, min_df=2) and
  // TfidfVectorizer(analyzer='char_wb', ngram_range=(2,5), sublinear_tf=True, min_df=2) fitted on DOCS.
  const { state, matrix } = fitTfidf(DOCS, OPTIONS);

  it('builds the same vocabularies and idf as scikit-learn', () => {
    expect(state.blocks[0]!.terms).toEqual(['my', 'my parcel', 'my password', 'parcel', 'password']);
    expect(Array.from(state.blocks[0]!.idf)).toEqual(
      [1.182321557, 1.693147181, 1.405465108, 1.405465108, 1.405465108].map((v) => expect.closeTo(v, 6)),
    );
    expect(state.blocks[1]!.terms).toHaveLength(55);
    expect(matrix.cols).toBe(60);
  });

  it('gives the same sublinear, L2-normalised values as scikit-learn', () => {
    const w0 = rowOf(state, matrix, 0, 0);
    expect(w0).toEqual({
      'my password': expect.closeTo(0.607717993, 6),
      password: expect.closeTo(0.607717993, 6),
      my: expect.closeTo(0.511231534, 6),
    });
    const w4 = rowOf(state, matrix, 4, 0);
    expect(w4['my parcel']).toBeCloseTo(0.473246715, 6);
    expect(w4['my']).toBeCloseTo(0.559529792, 6);
    expect(w4['parcel']).toBeCloseTo(0.392837523, 6);
    const c0 = rowOf(state, matrix, 0, 1);
    expect(Object.keys(c0)).toHaveLength(35);
    expect(c0[' my ']).toBeCloseTo(0.140341076, 6);
    expect(c0[' p']).toBeCloseTo(0.200975864, 6);
    expect(c0[' pas']).toBeCloseTo(0.166828122, 6);
    const c4 = rowOf(state, matrix, 4, 1);
    expect(Object.keys(c4)).toHaveLength(52);
    expect(c4[' par']).toBeCloseTo(0.127690711, 6);
    const charNnz = [0, 1, 2, 3, 4].map((r) => Object.keys(rowOf(state, matrix, r, 1)).length);
    expect(charNnz).toEqual([35, 38, 26, 19, 52]);
  });

  it('transforms the training texts exactly as fitting did', () => {
    const again = new TfidfVectorizer(state).transform(DOCS);
    expect(again.indptr).toEqual(matrix.indptr);
    expect(again.indices).toEqual(matrix.indices);
    expect(again.data).toEqual(matrix.data);
  });

  it('gives the same rows on every call of one vectorizer (its reused counts start at zero), also after a failed call', () => {
    const v = new TfidfVectorizer(state);
    for (let i = 0; i < DOCS.length; i++) {
      const one = v.transform([DOCS[i]!]);
      const fresh = new TfidfVectorizer(state).transform([DOCS[i]!]);
      expect(one.indices).toEqual(fresh.indices);
      expect(one.data).toEqual(fresh.data);
    }
    // A row that throws half-way (not a string) must not leave its counts to the next call.
    expect(() => v.transform([DOCS[0]!, 42 as unknown as string])).toThrow();
    const after = v.transform(DOCS);
    expect(after.indices).toEqual(matrix.indices);
    expect(after.data).toEqual(matrix.data);
  });

  it('maps unseen texts to empty rows and keeps blocks side by side', () => {
    const m = new TfidfVectorizer(state).transform(['zzz qqq', '']);
    expect(m.indptr[2]).toBe(0);
    expect(m.cols).toBe(60);
  });

  it('keeps the most frequent terms under maxFeatures', () => {
    const { state: s } = fitTfidf(DOCS, {
      blocks: [{ analyzer: 'word', ngramRange: [1, 1], minDf: 1, maxFeatures: 2 }],
      sublinearTf: false,
    });
    // my: 5 occurrences; parcel and password: 3 each, the tie goes to the smaller string.
    expect(s.blocks[0]!.terms).toEqual(['my', 'parcel']);
  });

  it('rejects bad options with INVALID_ARGUMENT', () => {
    const bad = (o: TfidfOptions): unknown => {
      try {
        fitTfidf(DOCS, o);
      } catch (err) {
        return err;
      }
      return undefined;
    };
    for (const o of [
      { blocks: [], sublinearTf: true },
      { blocks: [{ analyzer: 'word' as const, ngramRange: [2, 1] as [number, number], minDf: 1 }], sublinearTf: true },
      { blocks: [{ analyzer: 'word' as const, ngramRange: [1, 1] as [number, number], minDf: 0 }], sublinearTf: true },
    ]) {
      const err = bad(o);
      expect(isMloopError(err) && err.code === 'INVALID_ARGUMENT').toBe(true);
    }
  });
});

/** Transform through the string analyzers (slice every n-gram, look it up): what transform must equal bit for bit. */
function referenceTransform(state: TfidfState, texts: readonly string[]): CsrMatrix {
  const indptr = new Int32Array(texts.length + 1);
  const indices: number[] = [];
  const data: number[] = [];
  const vocabs = state.blocks.map((b) => new Map(b.terms.map((t, i) => [t, i])));
  texts.forEach((text, r) => {
    let offset = 0;
    state.blocks.forEach((block, b) => {
      const grams: string[] = [];
      const lowered = normalizeText(text);
      if (block.analyzer === 'word') appendWordNgrams(wordTokens(lowered), block.ngramRange, grams);
      else appendCharWbNgrams(lowered, block.ngramRange, grams);
      const tf = new Map<number, number>();
      for (const g of grams) {
        const col = vocabs[b]!.get(g);
        if (col !== undefined) tf.set(col, (tf.get(col) ?? 0) + 1);
      }
      const cols = [...tf.keys()].sort((x, y) => x - y);
      const values = cols.map((c) => (state.sublinearTf ? 1 + Math.log(tf.get(c)!) : tf.get(c)!) * block.idf[c]!);
      let sq = 0;
      for (const v of values) sq += v * v;
      const inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
      cols.forEach((c, i) => {
        indices.push(c + offset);
        data.push(values[i]! * inv);
      });
      offset += block.terms.length;
    });
    indptr[r + 1] = indices.length;
  });
  return { rows: texts.length, cols: state.blocks.reduce((n, b) => n + b.terms.length, 0), indptr, indices: Int32Array.from(indices), data: Float32Array.from(data) };
}

describe('TfidfVectorizer.transform (char_wb through a trie)', () => {
  // Short words, long words, tabs and newlines, accents, non-BMP characters (emoji), digits.
  const alphabet = ['a', 'b', 'e', 'ab', 'é', 'ß', 'İ', '😀', '1', '_', ' ', '  ', '\t', '\n', '.', ',', 'ka', 'ü'];
  const text = fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }).map((parts) => parts.join(''));

  it('equals the string analyzers bit for bit on random texts, for several n-gram ranges and vocabularies', () => {
    fc.assert(
      fc.property(
        fc.array(text, { minLength: 1, maxLength: 12 }),
        fc.array(text, { minLength: 1, maxLength: 6 }),
        fc.constantFrom<[number, number]>([2, 5], [1, 1], [1, 3], [3, 6], [4, 4]),
        fc.integer({ min: 1, max: 2 }),
        fc.boolean(),
        (corpus, unseen, ngramRange, minDf, sublinearTf) => {
          const opts: TfidfOptions = { blocks: [{ analyzer: 'word', ngramRange: [1, 2], minDf: 1 }, { analyzer: 'char_wb', ngramRange, minDf }], sublinearTf };
          const { state, matrix } = fitTfidf(corpus, opts);
          const v = new TfidfVectorizer(state);
          const again = v.transform(corpus);
          expect(again.indptr).toEqual(matrix.indptr);
          expect(again.indices).toEqual(matrix.indices);
          expect(again.data).toEqual(matrix.data);
          const got = v.transform(unseen);
          const want = referenceTransform(state, unseen);
          expect(got.indptr).toEqual(want.indptr);
          expect(got.indices).toEqual(want.indices);
          expect(got.data).toEqual(want.data);
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });

  it('equals the string analyzers on generated support requests', () => {
    const docs = Array.from({ length: 400 }, (_, i) => `Ticket ${i}: my card was charged twice — refund? ${'x'.repeat(i % 7)} naïve café 😀 ${i % 3 ? 'ok' : 'a'}`);
    const { state } = fitTfidf(docs.slice(0, 300), OPTIONS);
    const got = new TfidfVectorizer(state).transform(docs.slice(300));
    const want = referenceTransform(state, docs.slice(300));
    expect(got.indices).toEqual(want.indices);
    expect(got.data).toEqual(want.data);
  });
});

describe('TfidfVectorizer.transform (word and char_wb n-grams through tries, no strings)', () => {
  // No surrogates, so every row takes the code-unit path: ASCII, accents, a combining mark, dotted İ
  // (lowercases to two code units), final sigma, ß, unicode spaces (no-break, ideographic, line
  // separator), digits, underscores and punctuation.
  const alphabet = ['a', 'b', 'e', 'ab', 'AB', 'é', 'e\u0301', 'ß', 'İ', 'ΣΑΣ', 'σ', '1', '_', ' ', '  ', '\t', '\n', '\u00a0', '\u3000', '\u2028', '.', ',', "'", 'ka', 'ü', '中文'];
  const text = fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }).map((parts) => parts.join(''));

  it('equals the string analyzers bit for bit for any word and char_wb n-gram ranges', () => {
    fc.assert(
      fc.property(
        fc.array(text, { minLength: 1, maxLength: 12 }),
        fc.array(text, { minLength: 1, maxLength: 6 }),
        fc.constantFrom<[number, number]>([1, 2], [1, 1], [2, 2], [1, 3], [2, 4]),
        fc.constantFrom<[number, number]>([2, 5], [1, 1], [1, 3], [3, 6], [4, 4]),
        fc.integer({ min: 1, max: 2 }),
        fc.boolean(),
        (corpus, unseen, wordRange, charRange, minDf, sublinearTf) => {
          const opts: TfidfOptions = { blocks: [{ analyzer: 'word', ngramRange: wordRange, minDf }, { analyzer: 'char_wb', ngramRange: charRange, minDf }], sublinearTf };
          const { state, matrix } = fitTfidf(corpus, opts);
          const v = new TfidfVectorizer(state);
          const again = v.transform(corpus);
          expect(again.indptr).toEqual(matrix.indptr);
          expect(again.indices).toEqual(matrix.indices);
          expect(again.data).toEqual(matrix.data);
          const got = v.transform(unseen);
          const want = referenceTransform(state, unseen);
          expect(got.indptr).toEqual(want.indptr);
          expect(got.indices).toEqual(want.indices);
          expect(got.data).toEqual(want.data);
        },
      ),
      { numRuns: 300, seed: 13 },
    );
  });

  it('equals the string analyzers on empty, very long and mixed texts, one at a time and together', () => {
    const docs = Array.from({ length: 300 }, (_, i) => `Ticket ${i}: My card was charged twice, refund? ${'x'.repeat(i % 9)} naïve café ${i % 3 ? 'OK' : 'a'} ${i % 5 ? '' : '😀'}`);
    const { state } = fitTfidf(docs, OPTIONS);
    const long = `${docs.join(' ')} ${'refund '.repeat(5000)}${'y'.repeat(20000)}`;
    const texts = ['', ' ', '\t\n', 'a', 'x', long, long.replace(/😀/g, ''), 'CHARGED TWICE', 'ΣΑΣ charged', ...docs.slice(0, 20)];
    const v = new TfidfVectorizer(state);
    for (const t of texts) {
      const got = v.transform([t]);
      const want = referenceTransform(state, [t]);
      expect(got.indices).toEqual(want.indices);
      expect(got.data).toEqual(want.data);
    }
    const all = v.transform(texts);
    const want = referenceTransform(state, texts);
    expect(all.indptr).toEqual(want.indptr);
    expect(all.indices).toEqual(want.indices);
    expect(all.data).toEqual(want.data);
  });
});

describe('fitTfidf char_wb vocabulary (fitted through a growing trie)', () => {
  const alphabet = ['a', 'b', 'e', 'ab', 'é', 'ß', 'İ', '😀', '1', '_', ' ', '  ', '\t', '\n', '.', 'ka', 'ü'];
  const text = fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }).map((parts) => parts.join(''));

  /** The string path: every n-gram string of `appendCharWbNgrams`, document frequency by Set. */
  function referenceVocabulary(corpus: string[], ngramRange: [number, number], minDf: number): { terms: string[]; idf: number[] } {
    const df = new Map<string, number>();
    for (const doc of corpus) {
      const grams: string[] = [];
      appendCharWbNgrams(normalizeText(doc), ngramRange, grams);
      for (const g of new Set(grams)) df.set(g, (df.get(g) ?? 0) + 1);
    }
    const terms = [...df.keys()].filter((t) => df.get(t)! >= minDf).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return { terms, idf: terms.map((t) => Math.fround(Math.log((1 + corpus.length) / (1 + df.get(t)!)) + 1)) };
  }

  it('has the terms and idf of the string analyzer for any texts, n-gram range and min_df', () => {
    fc.assert(
      fc.property(
        fc.array(text, { minLength: 1, maxLength: 12 }),
        fc.constantFrom<[number, number]>([2, 5], [1, 1], [1, 3], [3, 6], [4, 4]),
        fc.integer({ min: 1, max: 3 }),
        (corpus, ngramRange, minDf) => {
          const { state } = fitTfidf(corpus, { blocks: [{ analyzer: 'char_wb', ngramRange, minDf }], sublinearTf: true });
          const want = referenceVocabulary(corpus, ngramRange, minDf);
          expect(state.blocks[0]!.terms).toEqual(want.terms);
          expect(Array.from(state.blocks[0]!.idf)).toEqual(want.idf);
        },
      ),
      { numRuns: 300, seed: 11 },
    );
  });
});
