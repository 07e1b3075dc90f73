import { describe, expect, it } from 'vitest';
import type { MloopError } from '../errors/index.js';
import { applyPoint, checkGrid, crossValidatedSearch, expandGrid, stratifiedFolds, type SearchInput } from './hyperparameter-search.js';
import type { ColumnBatch, Predictor } from './predictor.js';

const errorOf = (f: () => unknown): MloopError => {
  try {
    f();
  } catch (e) {
    return e as MloopError;
  }
  throw new Error('expected an error');
};

/** A fake learner: predicts class `params.guess` for every row whose x ≥ params.cut, else 'b'. */
function fakeTrain(): SearchInput['train'] {
  return async (_batch, _labels, _n, params) =>
    ({
      classes: ['a', 'b'],
      predictProba: (b: ColumnBatch, n: number) => {
        const x = b['x'] as Float64Array;
        const out = new Float64Array(n * 2);
        for (let i = 0; i < n; i++) out[i * 2 + (x[i]! >= (params['cut'] as number) ? 0 : 1)] = 1;
        return out;
      },
      predictValues: (b: ColumnBatch) => Float64Array.from(b['x'] as Float64Array, (v) => v * (params['slope'] as number)),
    }) as unknown as Predictor;
}

describe('grids', () => {
  it('expands every combination, the last parameter fastest', () => {
    expect(expandGrid({ a: [1, 2], 'b.c': ['x', 'y'] })).toEqual([
      { a: 1, 'b.c': 'x' },
      { a: 1, 'b.c': 'y' },
      { a: 2, 'b.c': 'x' },
      { a: 2, 'b.c': 'y' },
    ]);
  });
  it('sets dotted paths without touching the caller’s settings', () => {
    const params = { softmax: { C: 1, seed: 3 }, other: 1 };
    expect(applyPoint(params, { 'softmax.C': 30, lr: 0.1 })).toEqual({ softmax: { C: 30, seed: 3 }, other: 1, lr: 0.1 });
    expect(params.softmax.C).toBe(1);
  });
  it('refuses malformed or too large grids', () => {
    expect(errorOf(() => checkGrid([1, 2], 'g')).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => checkGrid({}, 'g')).message).toMatch(/names no parameter/);
    expect(errorOf(() => checkGrid({ a: [] }, 'g')).message).toMatch(/'a' must list at least one value/);
    expect(errorOf(() => checkGrid({ 'a..b': [1] }, 'g')).message).toMatch(/not a parameter path/);
    const big = Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((k) => [k, [1, 2]]));
    expect(errorOf(() => checkGrid(big, 'g')).message).toMatch(/128 combinations; at most 64/);
  });
});

describe('crossValidatedSearch', () => {
  // x = 0..29; class a when x ≥ 10. A cut at 10 is right on every row, at 20 on 20 of 30.
  const n = 30;
  const x = Float64Array.from({ length: n }, (_, i) => i);
  const labels = Array.from(x, (v) => (v >= 10 ? 'a' : 'b'));
  const input = (over: Partial<SearchInput> = {}): SearchInput => ({
    task: 'tabular-classification',
    labels,
    batchOf: (rows) => ({ x: Float64Array.from(rows, (i) => x[i]!) }),
    params: { keep: true },
    grid: { cut: [20, 10, 0] },
    folds: 3,
    seed: 7,
    train: fakeTrain(),
    ...over,
  });

  it('scores each combination by its fold accuracies and picks the best', async () => {
    const r = await crossValidatedSearch(input());
    expect(r.metric).toBe('accuracy');
    expect(r.candidates.map((c) => c.point)).toEqual([{ cut: 20 }, { cut: 10 }, { cut: 0 }]);
    // Folds are stratified, so each holds a third of each class: the hand-computed accuracies hold per fold.
    expect(r.candidates.map((c) => c.mean)).toEqual([20 / 30, 1, 20 / 30]);
    expect(r.candidates[1]!.std).toBe(0);
    expect(r.best).toEqual({ cut: 10 });
    expect(r.params).toEqual({ keep: true, cut: 10 });
  });

  it('minimises RMSE for regression', async () => {
    const y = Float64Array.from(x, (v) => 2 * v);
    const r = await crossValidatedSearch(input({ task: 'regression', labels: y, grid: { slope: [1, 2, 3] } }));
    expect(r.metric).toBe('rmse');
    expect(r.best).toEqual({ slope: 2 });
    // slope 1: error v on every row, RMSE over all rows = sqrt(mean v²) when folds are equal-sized.
    const rms = Math.sqrt(Array.from(x, (v) => v * v).reduce((a, b) => a + b) / n);
    expect(r.candidates[0]!.mean).toBeGreaterThan(0.9 * rms);
    expect(r.candidates[1]!.mean).toBe(0);
  });

  it('refuses too few rows or folds and stops with CANCELLED', async () => {
    await expect(crossValidatedSearch(input({ folds: 1 }))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(crossValidatedSearch(input({ labels: [...labels.slice(0, 29), 'c'] }))).rejects.toMatchObject({ message: /at least 2 training rows/ });
    await expect(crossValidatedSearch(input(), { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('deals stratified folds of near-equal size, the same for a seed', () => {
    const f = stratifiedFolds(labels, 3, 1);
    expect([0, 1, 2].map((k) => f.filter((v) => v === k).length)).toEqual([10, 10, 10]);
    expect([0, 1, 2].map((k) => labels.filter((l, i) => l === 'b' && f[i] === k).length).sort()).toEqual([3, 3, 4]);
    expect(stratifiedFolds(labels, 3, 1)).toEqual(f);
  });
});
