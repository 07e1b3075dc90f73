import { describe, expect, it } from 'vitest';
import { binTable, categoricalBin, fitBinners, numericBin, numericEdges } from './binning.js';

const all = (n: number): Uint32Array => Uint32Array.from({ length: n }, (_, i) => i);

describe('numericEdges', () => {
  it('cuts 1..1000 into four equal-count bins at the quartiles', () => {
    const v = Float64Array.from({ length: 1000 }, (_, i) => i + 1);
    // hand computation: 250 values per bin, cut midway between 250|251, 500|501, 750|751
    expect(Array.from(numericEdges(v, 4))).toEqual([250.5, 500.5, 750.5]);
  });

  it('gives each distinct value its own bin when there are few', () => {
    expect(Array.from(numericEdges(Float64Array.of(3, 1, 1, 2, NaN), 255))).toEqual([1.5, 2.5]);
  });

  it('keeps a heavy value in a bin of its own', () => {
    const v = Float64Array.from({ length: 1000 }, (_, i) => (i < 900 ? 0 : i));
    const edges = numericEdges(v, 10);
    expect(edges[0]).toBeGreaterThan(0);
    expect(edges[0]).toBeLessThan(900);
    expect(edges.length).toBeLessThanOrEqual(9);
  });

  it('uses float32-representable cut points', () => {
    const e = numericEdges(Float64Array.of(0.1, 0.2), 255)[0]!;
    expect(Math.fround(e)).toBe(e);
    expect(e).toBeGreaterThanOrEqual(0.1);
    expect(e).toBeLessThan(0.2);
  });
});

describe('numericBin', () => {
  const edges = Float64Array.of(1.5, 2.5);
  it('maps values so that bin ≤ k ⇔ value ≤ edges[k-1]', () => {
    expect([1, 1.5, 2, 2.5, 3].map((v) => numericBin(v, edges))).toEqual([1, 1, 2, 2, 3]);
  });
  it('sends NaN to bin 0 and clips ±Infinity to the outer bins', () => {
    expect(numericBin(NaN, edges)).toBe(0);
    expect(numericBin(-Infinity, edges)).toBe(1);
    expect(numericBin(Infinity, edges)).toBe(3);
  });
});

describe('fitBinners', () => {
  it('orders categories by frequency, pools rare ones, keeps missing apart', () => {
    const c = ['b', 'a', 'b', 'a', 'b', 'z', null, 'c', 'c'];
    const { binners } = fitBinners({ columns: { c } }, [{ name: 'c', kind: 'categorical' }], all(c.length), { minCategoryCount: 2 });
    const b = binners[0]!;
    if (b.kind !== 'categorical') throw new Error('expected categorical');
    expect(b.categories).toEqual(['b', 'a', 'c']);
    expect([null, 'zzz', 'z', 'b', 'a', 'c'].map((v) => categoricalBin(v, b.index))).toEqual([0, 1, 1, 2, 3, 4]);
    const m = binTable({ columns: { c } }, binners);
    expect(Array.from(m.bins)).toEqual([2, 3, 2, 3, 2, 1, 0, 4, 4]);
  });

  it('bins the same with a category code cache shared by fitting and binning', () => {
    const c = ['b', 1, 'b', '1', true, null, 'c', 'c', NaN, 'true'];
    const table = { columns: { c } };
    const spec = [{ name: 'c', kind: 'categorical' as const }];
    const cache = new Map();
    const withCache = fitBinners(table, spec, all(c.length), { minCategoryCount: 2 }, cache);
    const without = fitBinners(table, spec, all(c.length), { minCategoryCount: 2 });
    expect(cache.size).toBe(1);
    const b = withCache.binners[0]!;
    if (b.kind !== 'categorical') throw new Error('expected categorical');
    // 1 and '1' are the same label, as are true and 'true'; null and NaN are missing
    expect(b.categories).toEqual(['1', 'b', 'c', 'true']);
    expect(withCache.binners).toEqual(without.binners);
    const rows = Uint32Array.of(9, 0, 5, 1);
    expect(Array.from(binTable(table, withCache.binners, rows, cache).bins)).toEqual(Array.from(binTable(table, without.binners, rows).bins));
    expect(Array.from(binTable(table, withCache.binners, rows, cache).bins)).toEqual([5, 3, 0, 2]);
  });

  it('drops all-missing and constant features with a warning', () => {
    const table = { columns: { a: [NaN, NaN, NaN], k: [5, 5, 5], s: [null, null, null], x: [1, 2, 3] } };
    const { binners, warnings } = fitBinners(
      table,
      [
        { name: 'a', kind: 'numeric' },
        { name: 'k', kind: 'numeric' },
        { name: 's', kind: 'categorical' },
        { name: 'x', kind: 'numeric' },
      ],
      all(3),
    );
    expect(binners.map((b) => b.name)).toEqual(['x']);
    expect(warnings.map((w) => `${w.path}:${w.code}`)).toEqual(['a:all_missing', 'k:constant', 's:all_missing']);
  });

  it('rejects an out-of-range maxBins', () => {
    expect(() => fitBinners({ columns: { x: [1, 2] } }, [{ name: 'x', kind: 'numeric' }], all(2), { maxBins: 300 })).toThrow(/maxBins/);
  });
});
