import { describe, expect, it } from 'vitest';
import { isMloopError } from '../../errors/index.js';
import { calibrationBins, calibrationReport, fitTemperature, negativeLogLikelihood } from './calibration.js';

describe('calibrationBins', () => {
  it('computes ECE and reliability bins as by hand', () => {
    // 15 bins of width 1/15. Bin 14 (0.933, 1]: 0.95 ✓, 0.94 ✗ → |0.5 − 0.945| · 2; bin 13: 0.90 ✗ → 0.90;
    // bin 9: 0.62 ✓ → 0.38; bin 8: 0.55 ✓ → 0.45; bin 4: 0.30 ✗ → 0.30. ECE = (0.89 + 0.9 + 0.38 + 0.45 + 0.3) / 6.
    const { ece, bins } = calibrationBins([0.95, 0.94, 0.9, 0.62, 0.55, 0.3], [true, false, false, true, true, false]);
    expect(ece).toBeCloseTo(2.92 / 6, 12);
    expect(bins).toHaveLength(15);
    expect(bins[14]).toEqual({ lower: 14 / 15, upper: 1, count: 2, meanConfidence: expect.closeTo(0.945, 12), accuracy: 0.5 });
    expect(bins.map((b) => b.count)).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 2]);
  });

  it('rejects confidences outside [0, 1]', () => {
    expect(() => calibrationBins([1.5], [true])).toThrow(/outside \[0, 1\]/);
  });
});

describe('fitTemperature', () => {
  // Three classes; labels drawn from softmax(z), then logits inflated 3× (overconfident).
  let s = 12345;
  const rnd = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const n = 3000;
  const logits = new Float64Array(n * 3);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const z = [rnd() * 4 - 2, rnd() * 4 - 2, rnd() * 4 - 2];
    const e = z.map(Math.exp);
    const sum = e[0]! + e[1]! + e[2]!;
    const u = rnd() * sum;
    y[i] = u < e[0]! ? 0 : u < e[0]! + e[1]! ? 1 : 2;
    z.forEach((v, c) => (logits[i * 3 + c] = 3 * v));
  }

  it('recovers the inflation and lowers NLL and ECE', () => {
    const t = fitTemperature(logits, y, 3);
    expect(t).toBeGreaterThan(2.6);
    expect(t).toBeLessThan(3.4);
    const before = calibrationReport(logits, y, 3, 1);
    const after = calibrationReport(logits, y, 3, t);
    expect(after.nll).toBeLessThan(before.nll - 0.1);
    expect(after.ece).toBeLessThan(before.ece / 2);
  });

  it('finds the minimum of the NLL over a fine grid', () => {
    const t = fitTemperature(logits, y, 3);
    let best = Infinity;
    let argBest = 0;
    for (let g = 1; g <= 600; g++) {
      const nll = negativeLogLikelihood(logits, y, 3, g / 100);
      if (nll < best) {
        best = nll;
        argBest = g / 100;
      }
    }
    expect(Math.abs(t - argBest)).toBeLessThanOrEqual(0.01);
    expect(negativeLogLikelihood(logits, y, 3, t)).toBeLessThanOrEqual(best + 1e-12);
  });

  it('rejects mismatched shapes with INVALID_ARGUMENT', () => {
    let err: unknown;
    try {
      fitTemperature(new Float64Array(5), new Int32Array(2), 3);
    } catch (e) {
      err = e;
    }
    expect(isMloopError(err) && err.code === 'INVALID_ARGUMENT').toBe(true);
  });
});
