import { describe, expect, it } from 'vitest';
import { seededRandom, normal } from '../stats/random.js';
import { calibrate, fitConfidenceCalibration, PerformanceWindow, wilsonInterval } from './performance.js';

/** A calibrated binary model: x ~ N(±mu, 1) by class; P(y = 1 | x) = σ(2·mu·x), reported as confidence. */
function simulate(seed: number, n: number, mu: number): Array<{ confidence: number; correct: boolean }> {
  const rng = seededRandom(seed);
  const out: Array<{ confidence: number; correct: boolean }> = [];
  for (let i = 0; i < n; i++) {
    const y = rng.next() < 0.5 ? 1 : 0;
    const x = (y ? mu : -mu) + normal(rng);
    const p1 = 1 / (1 + Math.exp(-2 * mu * x));
    const pred = p1 >= 0.5 ? 1 : 0;
    out.push({ confidence: Math.max(p1, 1 - p1), correct: pred === y });
  }
  return out;
}

describe('wilsonInterval', () => {
  it('matches a hand computation (statsmodels proportion_confint method=wilson)', () => {
    // 8 of 10: (0.4901624, 0.9433178)
    const w = wilsonInterval(8, 10)!;
    expect(w.value).toBe(0.8);
    expect(w.lower).toBeCloseTo(0.4901624, 6);
    expect(w.upper).toBeCloseTo(0.9433178, 6);
    expect(wilsonInterval(0, 0)).toBeNull();
  });
});

describe('confidence calibration (isotonic)', () => {
  it('is monotone and maps an overconfident model to its accuracy', () => {
    const rng = seededRandom(3);
    const conf: number[] = [];
    const correct: boolean[] = [];
    for (let i = 0; i < 4000; i++) {
      const c = 0.5 + 0.5 * rng.next();
      conf.push(c);
      correct.push(rng.next() < c - 0.2); // 20 points overconfident
    }
    const cal = fitConfidenceCalibration(conf, correct);
    for (let i = 1; i < cal.values.length; i++) expect(cal.values[i]!).toBeGreaterThanOrEqual(cal.values[i - 1]!);
    expect(calibrate(cal, 0.9)).toBeGreaterThan(0.6);
    expect(calibrate(cal, 0.9)).toBeLessThan(0.8);
    expect(calibrate(null, 0.9)).toBe(0.9);
  });

  it('refuses empty or mismatched input', () => {
    expect(() => fitConfidenceCalibration([], [])).toThrow(/no confidences/);
    expect(() => fitConfidenceCalibration([0.5], [])).toThrow(/differ in length/);
  });
});

describe('CBPE', () => {
  it('tracks realized accuracy of a calibrated model: the interval covers it in about 95 % of windows', () => {
    let covered = 0;
    const windows = 200;
    for (let s = 0; s < windows; s++) {
      const w = new PerformanceWindow(null);
      for (const r of simulate(100 + s, 500, 1)) w.add(r.confidence, r.correct);
      const p = w.result();
      expect(p.labels).toBe(500);
      if (p.realized_within_estimate) covered++;
      expect(Math.abs(p.estimation_error!)).toBeLessThan(0.08);
    }
    // Binomial(200, 0.95): mean 190, sd ≈ 3.1.
    expect(covered).toBeGreaterThan(178);
  });

  it('falls when the input drifts toward the decision boundary, without any label', () => {
    const est = (mu: number) => {
      const w = new PerformanceWindow(null);
      for (const r of simulate(7, 2000, mu)) w.add(r.confidence, null);
      return w.result();
    };
    const before = est(1.5);
    const after = est(0.5);
    expect(before.labels).toBe(0);
    expect(before.realized_accuracy).toBeNull();
    expect(after.estimated_accuracy!.upper).toBeLessThan(before.estimated_accuracy!.lower);
    // Φ(mu) is the true accuracy: 0.933 and 0.691.
    expect(before.estimated_accuracy!.value).toBeCloseTo(0.933, 1);
    expect(after.estimated_accuracy!.value).toBeCloseTo(0.691, 1);
  });

  it('uses a fitted calibration for an overconfident model', () => {
    const raw = simulate(9, 3000, 1).map((r) => ({ confidence: Math.min(1, r.confidence + 0.1), correct: r.correct }));
    const cal = fitConfidenceCalibration(raw.map((r) => r.confidence), raw.map((r) => r.correct));
    const test = simulate(10, 3000, 1).map((r) => ({ confidence: Math.min(1, r.confidence + 0.1), correct: r.correct }));
    const naive = new PerformanceWindow(null);
    const fitted = new PerformanceWindow(cal);
    for (const r of test) {
      naive.add(r.confidence, r.correct);
      fitted.add(r.confidence, r.correct);
    }
    expect(Math.abs(fitted.result().estimation_error!)).toBeLessThan(0.03);
    expect(naive.result().estimation_error!).toBeLessThan(-0.05);
  });
});
