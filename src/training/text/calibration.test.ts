import { describe, expect, it } from 'vitest';
import { isMloopError } from '../../errors/index.js';
import { calibrationBins, calibrationReport, calibrationTarget, fitTemperature, negativeLogLikelihood } from './calibration.js';

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

  it('finds the minimum of its smoothed cross-entropy over a fine grid, next to the NLL minimum on 3,000 rows', () => {
    const t = fitTemperature(logits, y, 3);
    const target = calibrationTarget(n);
    const argmin = (loss: (temperature: number) => number) => {
      let best = Infinity;
      let argBest = 0;
      for (let g = 1; g <= 600; g++) {
        const l = loss(g / 100);
        if (l < best) [best, argBest] = [l, g / 100];
      }
      return { best, argBest };
    };
    const smoothed = argmin((temperature) => negativeLogLikelihood(logits, y, 3, temperature, target));
    expect(Math.abs(t - smoothed.argBest)).toBeLessThanOrEqual(0.01);
    expect(negativeLogLikelihood(logits, y, 3, t, target)).toBeLessThanOrEqual(smoothed.best + 1e-12);
    // With 3,000 rows the smoothing moves T by well under 1 % from the plain NLL's minimum.
    const plain = argmin((temperature) => negativeLogLikelihood(logits, y, 3, temperature));
    expect(Math.abs(t - plain.argBest) / plain.argBest).toBeLessThan(0.01);
  });

  it('keeps a finite temperature and confidences below 1 when the held-out rows are perfectly separated', () => {
    // 121 rows, 8 classes, the true class's logit the largest in every row by a margin of 0.5–3:
    // the plain NLL falls all the way to T → 0 (every confidence 1, an error included).
    const k = 8;
    const rows = 121;
    const z = new Float64Array(rows * k);
    const truth = new Int32Array(rows);
    for (let i = 0; i < rows; i++) {
      truth[i] = i % k;
      for (let c = 0; c < k; c++) z[i * k + c] = rnd() * 2 - 1;
      let max = -Infinity;
      for (let c = 0; c < k; c++) if (c !== truth[i]) max = Math.max(max, z[i * k + c]!);
      z[i * k + truth[i]!] = max + 0.5 + rnd() * 2.5;
    }
    expect(negativeLogLikelihood(z, truth, k, 0.01)).toBeLessThan(negativeLogLikelihood(z, truth, k, 0.1));
    const t = fitTemperature(z, truth, k);
    // An independent reference: the smoothed cross-entropy written out, minimised over a log grid of T.
    const target = (rows + 1) / (rows + 2);
    const loss = (temperature: number) => {
      let sum = 0;
      for (let i = 0; i < rows; i++) {
        const row = Array.from(z.subarray(i * k, (i + 1) * k), (v) => v / temperature);
        const m = Math.max(...row);
        const logZ = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
        for (let c = 0; c < k; c++) sum -= (c === truth[i] ? target : (1 - target) / (k - 1)) * (row[c]! - logZ);
      }
      return sum / rows;
    };
    let argBest = 0;
    let best = Infinity;
    for (let g = 0; g <= 2000; g++) {
      const temperature = 10 ** (-3 + (g / 2000) * 4);
      const l = loss(temperature);
      if (l < best) [best, argBest] = [l, temperature];
    }
    expect(Math.abs(t - argBest) / argBest).toBeLessThan(0.01);
    expect(t).toBeGreaterThan(0.1);
    // Every calibrated confidence stays below 1 by a margin a double can hold.
    for (let i = 0; i < rows; i++) {
      const row = Array.from(z.subarray(i * k, (i + 1) * k), (v) => v / t);
      const m = Math.max(...row);
      const top = 1 / row.reduce((a, v) => a + Math.exp(v - m), 0);
      expect(top).toBeLessThan(1 - 1e-6);
    }
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
