import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MloopError } from '../errors/index.js';
import {
  accuracy,
  automationAt,
  averagePrecision,
  checkGate,
  chooseThreshold,
  confusionMatrix,
  coveragePrecisionCurve,
  evaluateClassification,
  evaluateRegression,
  expectedCalibrationError,
  getMetric,
  logLoss,
  macroF1,
  mae,
  outOfScopeAt,
  parseGate,
  perClass,
  r2,
  rmse,
  rocAuc,
  type ClassificationData,
} from './index.js';

function fromProba(classes: string[], yTrue: number[], proba: number[][]): ClassificationData {
  const yPred = proba.map((row) => row.indexOf(Math.max(...row)));
  return {
    classes,
    yTrue: Int32Array.from(yTrue),
    yPred: Int32Array.from(yPred),
    confidence: Float64Array.from(proba.map((row) => Math.max(...row))),
    proba: Float64Array.from(proba.flat()),
  };
}

// Reference values: scikit-learn 1.2.1 (Debian python3-sklearn) on the same arrays.
const multi = fromProba(['a', 'b', 'c'], [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 0, 1], [
  [0.7, 0.2, 0.1], [0.4, 0.5, 0.1], [0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.1, 0.8, 0.1], [0.5, 0.4, 0.1],
  [0.3, 0.3, 0.4], [0.1, 0.1, 0.8], [0.2, 0.5, 0.3], [0.05, 0.15, 0.8], [0.9, 0.05, 0.05], [0.25, 0.5, 0.25],
]);
const yb = [0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0];
const sb = [0.1, 0.4, 0.35, 0.8, 0.7, 0.4, 0.9, 0.4, 0.2, 0.35, 0.6, 0.05];
const binary = fromProba(['no', 'yes'], yb, sb.map((s) => [1 - s, s]));

describe('classification metrics match scikit-learn', () => {
  it('accuracy, macro-F1, per class, confusion, log loss', () => {
    expect(accuracy(multi)).toBeCloseTo(0.6666666666666666, 12);
    expect(macroF1(multi)).toBeCloseTo(0.6722222222222222, 12);
    const pc = perClass(multi);
    expect(pc.map((c) => c.precision)).toEqual([0.75, 0.6, expect.closeTo(0.6666666666666666, 12)]);
    expect(pc.map((c) => c.recall)).toEqual([0.75, 0.6, expect.closeTo(0.6666666666666666, 12)]);
    expect(pc.map((c) => c.support)).toEqual([4, 5, 3]);
    expect(confusionMatrix(multi)).toEqual([[3, 1, 0], [1, 3, 1], [0, 1, 2]]);
    expect(logLoss(multi)).toBeCloseTo(0.5777200778503365, 12);
  });

  it('ROC-AUC and average precision with tied scores', () => {
    expect(rocAuc(binary)).toBeCloseTo(0.7916666666666667, 12);
    expect(averagePrecision(binary)).toBeCloseTo(0.751984126984127, 12);
    expect(rocAuc(multi)).toBeNaN();
  });

  it('regression metrics', () => {
    const d = { yTrue: Float64Array.from([3, -0.5, 2, 7, 4.2]), yPred: Float64Array.from([2.5, 0, 2, 8, 3.9]) };
    expect(mae(d)).toBeCloseTo(0.46, 12);
    expect(rmse(d)).toBeCloseTo(0.5639148871948674, 12);
    expect(r2(d)).toBeCloseTo(0.9480256276150627, 12);
  });

  it('ECE by hand: two bins', () => {
    // confidences 0.95 (correct), 0.95 (wrong), 0.55 (correct), 0.55 (correct)
    const d: ClassificationData = { classes: ['a', 'b'], yTrue: Int32Array.from([0, 1, 0, 0]), yPred: Int32Array.from([0, 0, 0, 0]), confidence: Float64Array.from([0.95, 0.95, 0.55, 0.55]) };
    // bin of 0.95: accuracy 0.5, |0.5-0.95| = 0.45; bin of 0.55: accuracy 1, |1-0.55| = 0.45; ECE = 0.45
    expect(expectedCalibrationError(d)).toBeCloseTo(0.45, 12);
  });

  it('weights equal to duplicating rows', () => {
    const w = Uint32Array.from([2, 0, 1, 3, 1, 1, 0, 2, 1, 1, 1, 1]);
    const rows: number[] = [];
    w.forEach((c, i) => {
      for (let j = 0; j < c; j++) rows.push(i);
    });
    const dup = fromProba(['a', 'b', 'c'], rows.map((i) => multi.yTrue[i]!), rows.map((i) => Array.from(multi.proba!.slice(i * 3, i * 3 + 3))));
    expect(macroF1(multi, w)).toBeCloseTo(macroF1(dup), 12);
    expect(logLoss(multi, w)).toBeCloseTo(logLoss(dup), 12);
  });

  it('AUC is in [0, 1] and flips with the labels (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 10 })), { minLength: 2, maxLength: 40 }), (rows) => {
        const y = rows.map((r) => (r[0] ? 1 : 0));
        if (!y.includes(0) || !y.includes(1)) return true;
        const s = rows.map((r) => r[1] / 10);
        const a = rocAuc(fromProba(['n', 'p'], y, s.map((v) => [1 - v, v])));
        const flipped = rocAuc(fromProba(['n', 'p'], y.map((v) => 1 - v), s.map((v) => [1 - v, v])));
        return a >= 0 && a <= 1 && Math.abs(a + flipped - 1) < 1e-9;
      }),
    );
  });
});

describe('automation at a target precision', () => {
  // 10 rows by descending confidence; correctness pattern C C C C W C C W W W
  const conf = [0.99, 0.97, 0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4];
  const correct = [1, 1, 1, 1, 0, 1, 1, 0, 0, 0];
  const d: ClassificationData = {
    classes: ['x', 'y'],
    yTrue: Int32Array.from(correct.map((c) => (c ? 0 : 1))),
    yPred: Int32Array.from(correct.map(() => 0)),
    confidence: Float64Array.from(conf),
  };

  it('builds the coverage–precision curve from the most confident down', () => {
    const curve = coveragePrecisionCurve(d);
    expect(curve).toHaveLength(10);
    expect(curve[3]).toEqual({ threshold: 0.9, coverage: 0.4, precision: 1, auto: 4 });
    expect(curve[6]!.precision).toBeCloseTo(6 / 7, 12);
  });

  it('chooses the lowest threshold that reaches the target', () => {
    expect(chooseThreshold(d, 1).threshold).toBe(0.9);
    const c = chooseThreshold(d, 0.85);
    expect(c.threshold).toBe(0.7); // 6/7 = 0.857 at 0.7; 6/8 = 0.75 at 0.6
    expect(c.validation.coverage).toBeCloseTo(0.7, 12);
    expect(chooseThreshold(d, 0.85, { method: 'wilson' }).achievable).toBe(false); // too few rows for a 95% bound
  });

  it('says so when no threshold reaches the target, and reports the best achievable', () => {
    const worse = { ...d, yTrue: Int32Array.from([1, ...d.yTrue.slice(1)]) }; // the top row is now wrong
    const c = chooseThreshold(worse, 0.95);
    expect(c.achievable).toBe(false);
    expect(c.threshold).toBe(Infinity);
    expect(c.bestAchievable!.precision).toBeCloseTo(0.75, 12);
    expect(c.message).toMatch(/no threshold reaches 95.00% precision/);
    expect(() => chooseThreshold(d, 1.5)).toThrow(MloopError);
  });

  it('reports coverage, review share and precision with intervals', () => {
    const a = automationAt(d, 0.7, { replicates: 500, seed: 1 });
    expect(a.auto).toBe(7);
    expect(a.coverage.value).toBeCloseTo(0.7, 12);
    expect(a.reviewShare.value).toBeCloseTo(0.3, 12);
    expect(a.precision.value).toBeCloseTo(6 / 7, 12);
    expect(a.coverage.lower!).toBeLessThanOrEqual(0.7);
    expect(a.coverage.upper!).toBeGreaterThanOrEqual(0.7);
    expect(automationAt(d, 0.7, { replicates: 500, seed: 1 })).toEqual(a);
  });

  it('out-of-scope: in-scope accuracy with rejection and out-of-scope recall', () => {
    const o: ClassificationData = {
      classes: ['a', 'b'],
      yTrue: Int32Array.from([0, 1, 0, -1, -1, -1]),
      yPred: Int32Array.from([0, 1, 1, 0, 1, 0]),
      confidence: Float64Array.from([0.9, 0.4, 0.8, 0.95, 0.3, 0.2]),
    };
    const r = outOfScopeAt(o, 0.5);
    expect(r.inScopeAccuracy.value).toBeCloseTo(1 / 3, 12); // row 0 only: row 1 rejected, row 2 wrong
    expect(r.outOfScopeRecall.value).toBeCloseTo(2 / 3, 12);
  });

  it('out-of-scope on a model score of its own: the report thresholds that score, not the confidence', () => {
    const o: ClassificationData = {
      classes: ['a', 'b'],
      yTrue: Int32Array.from([0, 1, 0, -1, -1, -1]),
      yPred: Int32Array.from([0, 1, 1, 0, 1, 0]),
      confidence: Float64Array.from([0.9, 0.4, 0.8, 0.95, 0.3, 0.2]),
    };
    // Max logits: rows 0-2 in scope score 3, 2.5, 1; out-of-scope rows 0.5, 2.8, -1. Accepted at ≥ 2: rows 0, 1, 4.
    const scores = [3, 2.5, 1, 0.5, 2.8, -1];
    const r = evaluateClassification(o, { replicates: 20, threshold: 0.5, outOfScope: { scores, threshold: 2, score: 'max_logit' } }).outOfScope!;
    expect(r.score).toBe('max_logit');
    expect(r.threshold).toBe(2);
    expect(r.inScopeAccuracy.value).toBeCloseTo(2 / 3, 12); // rows 0 and 1 accepted and right; row 2 rejected
    expect(r.outOfScopeRecall.value).toBeCloseTo(2 / 3, 12); // rows 3 and 5 rejected, row 4 accepted
    expect(r.inScopeAccuracyWithoutRejection.value).toBeCloseTo(2 / 3, 12); // rows 0 and 1 right, row 2 wrong
    expect(evaluateClassification(o, { replicates: 20, threshold: 0.5 }).outOfScope!.score).toBe('confidence');
    expect(() => evaluateClassification(o, { outOfScope: { scores: [1, 2], threshold: 0, score: 'max_logit' } })).toThrow(/2 values for 6 rows/);
  });
});

describe('reports and gates', () => {
  const region = ['n', 'n', 'n', 's', 's', 's', 'n', 'n', 's', 's', 'n', 's'];
  const report = evaluateClassification(multi, { slices: { region }, minSliceSize: 5, replicates: 200, threshold: 0.6 });

  it('has headline metrics with intervals, per-slice metrics and automation', () => {
    expect(report.metrics['accuracy']!.value).toBeCloseTo(2 / 3, 12);
    expect(report.metrics['accuracy']!.lower!).toBeLessThan(2 / 3);
    expect(report.metrics['roc_auc']).toBeUndefined();
    expect(report.slices.map((s) => [s.value, s.n, s.trusted])).toEqual([['n', 6, true], ['s', 6, true]]);
    expect(report.automation!.auto).toBe(7);
    expect(evaluateRegression({ yTrue: Float64Array.from([1, 2, 3]), yPred: Float64Array.from([1, 2, 4]) }).metrics['mae']!.value).toBeCloseTo(1 / 3, 12);
  });

  it("gives accuracy Wilson's score interval, which does not collapse at small n or at 0 and 1 as the bootstrap does", () => {
    // 3 rows, all right: the percentile bootstrap's every resample is 1 (an interval of 100–100 %).
    // Wilson (95 %): centre (1 + z²/6)/(1 + z²/3), half-width (z·√(z²/36))/(1 + z²/3), z = 1.959964.
    const z = 1.959963984540054;
    const three = fromProba(['a', 'b'], [0, 1, 0], [[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]]);
    const r = evaluateClassification(three, { replicates: 200, slices: { g: ['x', 'x', 'y'] }, minSliceSize: 1 });
    const lower = (1 + (z * z) / 6 - z * Math.sqrt((z * z) / 36)) / (1 + (z * z) / 3);
    expect(r.metrics['accuracy']).toEqual({ value: 1, lower: expect.closeTo(lower, 9), upper: 1 });
    expect(r.metrics['accuracy']!.lower!).toBeCloseTo(0.4385, 4);
    // The other metrics keep their bootstrap intervals; the slices get Wilson's too (1 of 1 right: 20.7–100 %).
    expect(r.metrics['macro_f1']).toEqual({ value: 1, lower: 1, upper: 1 });
    expect(r.slices.find((s) => s.value === 'y')!.metrics['accuracy']!.lower!).toBeCloseTo(0.2065, 4);
    // statsmodels' proportion_confint(k, n, method='wilson') gives 0.43850, 0.20655 and, for 8 of 12 right (the report above), 0.39062–0.86188.
    expect(report.metrics['accuracy']!.lower!).toBeCloseTo(0.3906, 4);
    expect(report.metrics['accuracy']!.upper!).toBeCloseTo(0.8619, 4);
  });

  it('checks floors, ceilings, bounds, slices and the champion', () => {
    const gate = parseGate({
      name: 'release',
      rules: [
        { metric: 'accuracy', min: 0.6 },
        { metric: 'accuracy', min: 0.6, bound: 'lower' },
        { metric: 'ece', max: 0.5 },
        { metric: 'accuracy', min: 0.5, slice: 'region' },
        { metric: 'automation.coverage', min: 0.5 },
        { metric: 'macro_f1', beats_champion_by: 0.01 },
      ],
    });
    const noChampion = checkGate(gate, report);
    expect(noChampion.rules.map((r) => r.status)).toEqual(['pass', 'fail', 'pass', 'pass', 'pass', 'skip']);
    expect(noChampion.passed).toBe(false);
    const worse = evaluateClassification({ ...multi, yPred: Int32Array.from(multi.yTrue.map(() => 0)) }, { replicates: 50 });
    const better = checkGate(parseGate({ rules: [{ metric: 'macro_f1', beats_champion_by: 0.1 }] }), report, worse);
    expect(better.passed).toBe(true);
    expect(checkGate(parseGate({ rules: [{ metric: 'macro_f1', beats_champion_by: 0.1 }] }), worse, report).passed).toBe(false);
  });

  it('rejects malformed gates with one issue per problem', () => {
    try {
      parseGate({ rules: [{ metric: 'acuracy', min: 1 }, { metric: 'ece', min: 0.1, max: 0.2 }, { metric: 'ece', max: 'x' }], extra: true });
      expect.unreachable();
    } catch (err) {
      const issues = (err as MloopError).details!['issues'] as Array<{ path: string }>;
      expect(issues.map((i) => i.path)).toEqual(['extra', 'rules.0.metric', 'rules.1', 'rules.2.max']);
    }
    expect(() => getMetric('f2')).toThrow(/valid metrics: accuracy/);
  });
});
