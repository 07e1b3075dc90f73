// The first-fit rewrites (one-loop coding, inlined shuffles, counting-sort hold-out, integer sort)
// must reproduce the straightforward versions they replaced exactly, or trained models would change.
import { describe, expect, it } from 'vitest';
import { MloopError } from '../../errors/index.js';
import { fitBinners, numericEdges, type NumericBinner } from './binning.js';
import { randomStream, seededRandom, shuffledIndices, shuffleStream } from './random.js';
import { categoricalValues, labelCodes, type ColumnValues } from './table.js';
import { encodeTarget, holdOut } from './target.js';

/** The hold-out split as written before (growing arrays per class, a closure per draw). */
function referenceHoldOut(y: Float64Array, nClasses: number, fraction: number, seed: number): { train: number[]; valid: number[] } {
  const rand = seededRandom(seed ^ 0x5bd1e995);
  const isValid = new Uint8Array(y.length);
  if (nClasses > 0) {
    const byClass: number[][] = Array.from({ length: nClasses }, () => []);
    y.forEach((c, i) => byClass[c]!.push(i));
    for (const rows of byClass) {
      if (rows.length < 2) continue;
      const take = Math.max(1, Math.round(fraction * rows.length));
      const order = shuffledIndices(rows.length, rand);
      for (let k = 0; k < take; k++) isValid[rows[order[k]!]!] = 1;
    }
  } else {
    const take = Math.round(fraction * y.length);
    const order = shuffledIndices(y.length, rand);
    for (let k = 0; k < take; k++) isValid[order[k]!] = 1;
  }
  const train: number[] = [];
  const valid: number[] = [];
  isValid.forEach((v, i) => (v ? valid : train).push(i));
  return { train, valid };
}

describe('shuffleStream', () => {
  it('draws the permutations of shuffledIndices with seededRandom, call after call', () => {
    for (const seed of [0, 1, 12345, 2 ** 32 - 1]) {
      const rand = seededRandom(seed);
      const stream = randomStream(seed);
      for (const n of [0, 1, 2, 17, 1000]) expect(Array.from(shuffleStream(n, stream))).toEqual(Array.from(shuffledIndices(n, rand)));
    }
  });
});

describe('holdOut', () => {
  it('matches the reference split for several classes, seeds and fractions', () => {
    const r = seededRandom(7);
    const y = Float64Array.from({ length: 2000 }, () => Math.floor(r() * 3.2)); // class 3 rare
    y[5] = 4; // a class of one row stays in training
    for (const seed of [0, 3]) {
      for (const fraction of [0.1, 0.25]) {
        const got = holdOut(y, 5, fraction, seed);
        const want = referenceHoldOut(y, 5, fraction, seed);
        expect(Array.from(got.train)).toEqual(want.train);
        expect(Array.from(got.valid)).toEqual(want.valid);
      }
    }
  });

  it('matches the reference split for regression and is empty at fraction 0', () => {
    const y = Float64Array.from({ length: 301 }, (_, i) => i * 0.5);
    const got = holdOut(y, 0, 0.2, 9);
    const want = referenceHoldOut(y, 0, 0.2, 9);
    expect(Array.from(got.valid)).toEqual(want.valid);
    expect(holdOut(y, 0, 0, 9).valid.length).toBe(0);
  });
});

describe('labelCodes', () => {
  it('codes labels in first-seen order as categoricalValues gives them, missing as −1', () => {
    const col: ColumnValues = ['b', null, 'a', 3, 'b', undefined, Number.NaN, true, '3'];
    const codes = new Int32Array(col.length);
    const labels = labelCodes(col, codes);
    expect(labels).toEqual(['b', 'a', '3', 'true']);
    expect(Array.from(codes)).toEqual([0, -1, 1, 2, 0, -1, -1, 3, 2]);
    const values = categoricalValues(col);
    values.forEach((v, i) => expect(v === null ? -1 : labels.indexOf(v)).toBe(codes[i]));
  });

  it('codes typed-array columns too', () => {
    const codes = new Int32Array(4);
    expect(labelCodes(Float64Array.of(2, Number.NaN, 2, 1.5), codes)).toEqual(['2', '1.5']);
    expect(Array.from(codes)).toEqual([0, -1, 0, 1]);
  });

  it('leaves a target with a missing label an error naming the row', () => {
    expect(() => encodeTarget({ columns: { y: ['a', 'b', null, 'a'] } }, 'y', 'classification')).toThrow(MloopError);
    expect(() => encodeTarget({ columns: { y: ['a', 'b', null, 'a'] } }, 'y', 'classification')).toThrow(/first at row 2/);
  });
});

describe('fitBinners on integer columns', () => {
  it('gives the edges of the double path (numericEdges), −0, negatives and ties included', () => {
    const r = seededRandom(11);
    const v = Float64Array.from({ length: 5000 }, () => Math.floor(r() * 2000) - 700);
    v[3] = -0;
    v[4] = Number.NaN;
    const rows = Uint32Array.from({ length: v.length }, (_, i) => i);
    for (const maxBins of [255, 16]) {
      const { binners } = fitBinners({ columns: { x: v } }, [{ name: 'x', kind: 'numeric' }], rows, { maxBins });
      expect(Array.from((binners[0] as NumericBinner).edges)).toEqual(Array.from(numericEdges(v, maxBins)));
    }
  });

  it('falls back to the double sort when a value is not a 32-bit integer', () => {
    const v = Float64Array.of(3, 1, 2 ** 31, 2, 0.5, 1);
    const rows = Uint32Array.from({ length: v.length }, (_, i) => i);
    const { binners } = fitBinners({ columns: { x: v } }, [{ name: 'x', kind: 'numeric' }], rows);
    expect(Array.from((binners[0] as NumericBinner).edges)).toEqual(Array.from(numericEdges(v)));
  });
});
