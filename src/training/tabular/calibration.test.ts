import { describe, expect, it } from 'vitest';
import { applyCalibrator, chooseCalibrator, expectedCalibrationError, fitIsotonic, fitPlatt, reliabilityDiagram } from './calibration.js';
import { binaryLogLoss } from './metrics.js';
import { seededRandom } from './random.js';

/** Scores that are 3× too confident: the true log-odds are score / 3. */
function overconfident(n: number, seed: number): { s: Float64Array; y: Float64Array } {
  const rand = seededRandom(seed);
  const s = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const z = (rand() - 0.5) * 8;
    s[i] = 3 * z;
    y[i] = rand() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { s, y };
}

describe('calibration', () => {
  const fit = overconfident(4000, 1);
  const test = overconfident(4000, 2);
  const loss = (c: Parameters<typeof applyCalibrator>[0]): number => binaryLogLoss(Array.from(test.s, (s) => applyCalibrator(c, s)), test.y);

  it('Platt scaling recovers the slope and lowers log loss', () => {
    const platt = fitPlatt(fit.s, fit.y);
    expect(platt.a).toBeGreaterThan(0.28);
    expect(platt.a).toBeLessThan(0.39);
    expect(loss(platt)).toBeLessThan(loss({ method: 'none' }) - 0.05);
  });

  it("Platt uses Platt's smoothed targets: equal to scikit-learn's sigmoid calibration, finite on separable rows", () => {
    // references: sklearn.calibration._sigmoid_calibration(s, y) (scikit-learn 1.2.1) → p = 1/(1+exp(A·s+B)), so a = −A, b = −B
    const s = [-2, -1.5, -1.2, -0.9, -0.5, -0.3, 0.2, 0.4, 0.8, 1.1, 1.6, 2.4];
    const separable = fitPlatt(s, [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    expect(separable.a).toBeCloseTo(1.5349124911311813, 5);
    expect(separable.b).toBeCloseTo(0.04858814851384639, 5);
    // one wrong row at the edge of what was seen costs a bounded log loss, not tens of nats
    expect(-Math.log(1 - applyCalibrator(separable, 2.4))).toBeLessThan(4);
    const noisy = fitPlatt([...s, 0.1, -0.2], [0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 1, 1, 0, 1]);
    expect(noisy.a).toBeCloseTo(0.9239198632007996, 5);
    expect(noisy.b).toBeCloseTo(0.018969552796650996, 5);
  });

  it('isotonic regression lowers log loss and is monotone', () => {
    const iso = fitIsotonic(fit.s, fit.y);
    expect(loss(iso)).toBeLessThan(loss({ method: 'none' }) - 0.05);
    for (let i = 1; i < iso.y.length; i++) expect(iso.y[i]!).toBeGreaterThanOrEqual(iso.y[i - 1]!);
  });

  it('pool-adjacent-violators matches a hand computation', () => {
    // labels in score order 1,0,1,1 → blocks {1,0} mean 0.5, then 1, 1 (merged, same value allowed)
    const iso = fitIsotonic([-3, -1, 1, 3], [1, 0, 1, 1]);
    expect(iso.y[0]).toBe(0.5);
    expect(applyCalibrator(iso, -2)).toBeCloseTo(0.5, 12);
    expect(applyCalibrator(iso, 3)).toBe(1);
  });

  it('auto picks a calibrator other than none on miscalibrated scores', () => {
    const r = chooseCalibrator(fit.s, fit.y, 'auto', 0);
    expect(r.calibrator.method).not.toBe('none');
    expect(r.cvLogLoss.none!).toBeGreaterThan(r.cvLogLoss[r.calibrator.method as 'platt' | 'isotonic']!);
  });

  it('ECE matches a hand computation over 15 bins', () => {
    // two rows in bin [0.8, 0.8667): mean p 0.85, fraction 0.5 → |0.35|·2/4; two in bin 0: mean 0.01, 0 → 0.01·2/4
    const p = [0.84, 0.86, 0.0, 0.02];
    const y = [1, 0, 0, 0];
    expect(expectedCalibrationError(p, y)).toBeCloseTo((0.35 * 2) / 4 + (0.01 * 2) / 4, 12);
    const bins = reliabilityDiagram(p, y);
    expect(bins).toHaveLength(15);
    expect(bins[12]!.count).toBe(2);
  });

  it('calibration shrinks ECE on the miscalibrated synthetic', () => {
    const platt = fitPlatt(fit.s, fit.y);
    const raw = Array.from(test.s, (s) => applyCalibrator({ method: 'none' }, s));
    const cal = Array.from(test.s, (s) => applyCalibrator(platt, s));
    expect(expectedCalibrationError(cal, test.y)).toBeLessThan(expectedCalibrationError(raw, test.y) / 2);
  });

  it('isotonic orders tied scores by row, −0 and 0 as one value, as a comparator sort does', () => {
    // reference: pool-adjacent-violators over sort((i, j) => s[i] - s[j] || i - j)
    const reference = (sc: number[], yy: number[]): { x: number[]; y: number[] } => {
      const order = sc.map((_, i) => i).sort((i, j) => sc[i]! - sc[j]! || i - j);
      const blocks: { w: number; y: number; x0: number; x1: number }[] = [];
      for (const i of order) {
        const x = 1 / (1 + Math.exp(-sc[i]!));
        const last = blocks[blocks.length - 1];
        if (last && last.x1 === x) {
          last.y = (last.y * last.w + yy[i]!) / (last.w + 1);
          last.w++;
        } else blocks.push({ w: 1, y: yy[i]!, x0: x, x1: x });
        while (blocks.length > 1 && blocks[blocks.length - 2]!.y >= blocks[blocks.length - 1]!.y) {
          const t = blocks.pop()!;
          const u = blocks[blocks.length - 1]!;
          u.y = (u.y * u.w + t.y * t.w) / (u.w + t.w);
          u.w += t.w;
          u.x1 = t.x1;
        }
      }
      const out = { x: [] as number[], y: [] as number[] };
      for (const b of blocks) {
        out.x.push(b.x0);
        out.y.push(b.y);
        if (b.x1 > b.x0) {
          out.x.push(b.x1);
          out.y.push(b.y);
        }
      }
      return out;
    };
    const rand = seededRandom(7);
    const sc = Array.from({ length: 3001 }, (_, i) => (i % 97 === 0 ? (i % 2 === 0 ? -0 : 0) : Math.round((rand() - 0.5) * 40) / 4));
    const yy = sc.map((v) => (rand() < 1 / (1 + Math.exp(-v)) ? 1 : 0));
    const want = reference(sc, yy);
    const got = fitIsotonic(sc, yy);
    expect(got.x).toEqual(want.x);
    expect(got.y).toEqual(want.y);
    expect(fitIsotonic(Float64Array.from(sc), Float64Array.from(yy))).toEqual(got);
    expect(fitIsotonic([], [])).toEqual({ method: 'isotonic', x: [], y: [] });
  });

  it('Platt gives the same fit for plain and typed arrays', () => {
    const s = Array.from(fit.s);
    const y = Array.from(fit.y);
    expect(fitPlatt(s, y)).toEqual(fitPlatt(fit.s, fit.y));
  });
});
