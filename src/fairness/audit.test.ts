import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MloopError } from '../errors/index.js';
import type { ClassificationData } from '../evaluation/index.js';
import { mulberry32 } from '../stats/index.js';
import {
  auditFairness,
  FAIRNESS_METRIC_KEYS,
  FAIRNESS_METRICS,
  getFairnessMetric,
  isFairnessMetric,
  splitAttributes,
  type FairnessReport,
} from './index.js';

function binaryData(yTrue: number[], yPred: number[], confidence?: number[]): ClassificationData {
  return {
    classes: ['no', 'yes'],
    yTrue: Int32Array.from(yTrue),
    yPred: Int32Array.from(yPred),
    confidence: Float64Array.from(confidence ?? yPred.map(() => 0.9)),
  };
}

const close = (v: number) => expect.closeTo(v, 12);

describe('auditFairness: Fairlearn definitions', () => {
  it("reproduces Fairlearn's documented example (common_fairness_metrics.rst)", () => {
    // Fairlearn's user guide prints demographic_parity_difference 0.25, ratio 0.666…, equalized_odds_difference 1.0 for these arrays.
    const yTrue = [0, 1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1];
    const yPred = [0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0];
    const sf = ['b', 'b', 'a', 'b', 'b', 'c', 'c', 'c', 'a', 'a', 'c', 'a', 'b', 'c', 'c', 'b', 'c', 'c'];
    const r = auditFairness(binaryData(yTrue, yPred), { sf }, { minGroupSize: 1, replicates: 0 });
    const d = r.attributes['sf']!.differences;
    expect(d.demographic_parity_difference!.value).toBeCloseTo(0.25, 12);
    expect(d.demographic_parity_ratio!.value).toBeCloseTo(2 / 3, 12);
    expect(d.equalized_odds_difference!.value).toBeCloseTo(1, 12);
    expect(d.equalized_odds_difference!.rate).toBe('fpr');
    expect(d.equalized_odds_difference!.min).toEqual({ group: 'b', value: 0 });
    expect(d.equalized_odds_difference!.max).toEqual({ group: 'a', value: 1 });
  });

  // Hand computation (see comments): group X of 6 rows and group Y of 4 rows.
  const hand = binaryData(
    [1, 1, 1, 0, 0, 0, 1, 0, 0, 0],
    [1, 1, 0, 1, 0, 0, 0, 0, 0, 1],
    [0.9, 0.8, 0.6, 0.7, 0.9, 0.6, 0.8, 0.8, 0.8, 0.8],
  );
  const handGroups = { g: ['X', 'X', 'X', 'X', 'X', 'X', 'Y', 'Y', 'Y', 'Y'] };

  it('builds the group table by hand', () => {
    const r = auditFairness(hand, handGroups, { minGroupSize: 1, threshold: 0.75, replicates: 0 });
    const [x, y] = r.attributes['g']!.groups;
    // X: TP 2, FN 1, FP 1, TN 2.
    expect(x).toMatchObject({ group: 'X', n: 6, status: 'ok', positives: 3, negatives: 3, auto: 3 });
    expect([
      x!.selectionRate!.value,
      x!.accuracy.value,
      x!.tpr!.value,
      x!.fpr!.value,
      x!.fnr!.value,
      x!.precision!.value,
    ]).toEqual([0.5, close(4 / 6), close(2 / 3), close(1 / 3), close(1 / 3), close(2 / 3)]);
    // ECE: bins {0.9: 2 right} {0.8: 1 right} {0.7: 1 wrong} {0.6: 1 wrong, 1 right} → (0.2 + 0.2 + 0.7 + 0.2) / 6.
    expect(x!.calibrationError).toBeCloseTo(1.3 / 6, 12);
    expect([x!.autoShare!.value, x!.reviewShare!.value, x!.autoPrecision!.value]).toEqual([0.5, 0.5, 1]);
    // Y: TP 0, FN 1, FP 1, TN 2; all confidences 0.8 with accuracy 0.5.
    expect(y).toMatchObject({ group: 'Y', n: 4, positives: 1, negatives: 3, auto: 4 });
    expect([
      y!.selectionRate!.value,
      y!.accuracy.value,
      y!.tpr!.value,
      y!.fpr!.value,
      y!.fnr!.value,
      y!.precision!.value,
    ]).toEqual([0.25, 0.5, 0, close(1 / 3), 1, 0]);
    expect(y!.calibrationError).toBeCloseTo(0.3, 12);
    expect([y!.autoShare!.value, y!.autoPrecision!.value]).toEqual([1, 0.5]);
    // Wilson interval on a proportion.
    expect(x!.selectionRate!.lower).toBeCloseTo(0.1876163063291083, 10);

    const d = r.attributes['g']!.differences;
    expect(d.demographic_parity_difference!.value).toBeCloseTo(0.25, 12);
    expect(d.demographic_parity_ratio!.value).toBeCloseTo(0.5, 12);
    expect(d.equal_opportunity_difference!.value).toBeCloseTo(2 / 3, 12);
    expect(d.fpr_difference!.value).toBeCloseTo(0, 12);
    expect(d.equalized_odds_difference!.value).toBeCloseTo(2 / 3, 12);
    expect(d.accuracy_difference!.value).toBeCloseTo(1 / 6, 12);
    expect(d.auto_share_difference!.value).toBeCloseTo(0.5, 12);
    expect(d.auto_precision_difference!.value).toBeCloseTo(0.5, 12);
  });

  it('honours a configurable positive label', () => {
    const r = auditFairness(hand, handGroups, { minGroupSize: 1, replicates: 0, positiveLabel: 'no' });
    const x = r.attributes['g']!.groups[0]!;
    expect(r.positiveLabel).toBe('no');
    expect(x.selectionRate!.value).toBe(0.5); // 3 of 6 predicted 'no'
    expect(x.tpr!.value).toBeCloseTo(2 / 3, 12); // true 'no' rows of X are predicted yes, no, no
    expect(r.attributes['g']!.differences.demographic_parity_difference!.value).toBeCloseTo(0.25, 12);
  });

  it('rejects an unknown positive label and mismatched columns, naming the valid values', () => {
    expect(() => auditFairness(hand, handGroups, { positiveLabel: 'maybe' })).toThrow(/classes: no, yes/);
    expect(() => auditFairness(hand, { g: ['X'] })).toThrow(MloopError);
    expect(() => auditFairness(hand, {})).toThrow(/at least one sensitive attribute/);
    expect(() => auditFairness(hand, handGroups, { intersections: [['g', 'race']] })).toThrow(/unknown attribute 'race'/);
  });
});

describe('insufficient groups', () => {
  it('marks small groups, leaves them out of every comparison and says why', () => {
    const yTrue = [...Array(40).fill(1), ...Array(40).fill(0), 1, 0, 1];
    const yPred = [...Array(30).fill(1), ...Array(10).fill(0), ...Array(35).fill(0), ...Array(5).fill(1), 0, 0, 0];
    const group = [
      ...Array(20).fill('A'),
      ...Array(20).fill('B'),
      ...Array(20).fill('A'),
      ...Array(20).fill('B'),
      'tiny',
      'tiny',
      'tiny',
    ];
    const r = auditFairness(binaryData(yTrue, yPred), { group }, { replicates: 0, minGroupSize: 30 });
    const a = r.attributes['group']!;
    expect(a.groups.find((g) => g.group === 'tiny')!.status).toBe('insufficient');
    expect(a.compared).toEqual(['A', 'B']);
    expect(a.excluded).toEqual([
      { group: 'tiny', from: 'all', class: null, reason: '3 rows, fewer than the minimum group size 30' },
    ]);
    // 'tiny' selects nobody: compared, it would make the DP difference max(A,B) − 0.
    const selA = a.groups.find((g) => g.group === 'A')!.selectionRate!.value;
    const selB = a.groups.find((g) => g.group === 'B')!.selectionRate!.value;
    expect(a.differences.demographic_parity_difference!.value).toBeCloseTo(Math.abs(selA - selB), 12);
  });

  it('leaves a group without positives out of TPR (and equalized odds) but not out of DP', () => {
    const yTrue = [1, 1, 0, 0, 0, 0, 0, 0];
    const yPred = [1, 0, 1, 0, 1, 0, 0, 0];
    const g = ['A', 'A', 'A', 'A', 'B', 'B', 'B', 'B'];
    const r = auditFairness(binaryData(yTrue, yPred), { g }, { minGroupSize: 1, replicates: 0 });
    const a = r.attributes['g']!;
    expect(a.excluded).toEqual([
      { group: 'B', from: 'tpr', class: 'yes', reason: "0 rows of true class 'yes', need ≥ 1 for a TPR" },
    ]);
    expect(a.differences.equal_opportunity_difference!.value).toBeNull();
    expect(a.differences.equalized_odds_difference!.value).toBeNull();
    expect(a.differences.fpr_difference!.value).toBeCloseTo(0.5 - 0.25, 12);
    expect(a.differences.demographic_parity_difference!.value).toBeCloseTo(0.5 - 0.25, 12);
  });

  it('gives null comparisons when fewer than two groups are large enough', () => {
    const r = auditFairness(binaryData([1, 0, 1, 0], [1, 1, 0, 0]), { g: ['A', 'A', 'B', 'B'] }, { replicates: 50 });
    const d = r.attributes['g']!.differences.demographic_parity_difference!;
    expect(d).toMatchObject({ value: null, lower: null, upper: null });
  });
});

/** A random binary dataset with up to four groups; truth -1 (unknown, e.g. out of scope) counts in selection and accuracy only. */
const binaryCase = fc
  .array(
    fc.record({
      t: fc.constantFrom(0, 1, 0, 1, -1),
      p: fc.integer({ min: 0, max: 1 }),
      g: fc.constantFrom('a', 'b', 'c', 'd'),
      c: fc.double({ min: 0.5, max: 1, noNaN: true }),
    }),
    { minLength: 2, maxLength: 80 },
  )
  .map((rows) => ({
    data: binaryData(
      rows.map((r) => r.t),
      rows.map((r) => r.p),
      rows.map((r) => r.c),
    ),
    groups: rows.map((r) => r.g),
  }));

/** Fairlearn-style numbers computed directly with filters, as the numpy reference does. */
function direct(yTrue: number[], yPred: number[], groups: string[]) {
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const by = [...new Set(groups)].map((g) => {
    const idx = groups.map((x, i) => (x === g ? i : -1)).filter((i) => i >= 0);
    const pos = idx.filter((i) => yTrue[i] === 1);
    const neg = idx.filter((i) => yTrue[i] === 0);
    return {
      sel: mean(idx.map((i) => yPred[i]!)),
      tpr: pos.length ? mean(pos.map((i) => yPred[i]!)) : Number.NaN,
      fpr: neg.length ? mean(neg.map((i) => yPred[i]!)) : Number.NaN,
      acc: mean(idx.map((i) => (yPred[i] === yTrue[i] ? 1 : 0))),
    };
  });
  const spread = (xs: number[]) => (xs.length < 2 ? null : Math.max(...xs) - Math.min(...xs));
  const defined = (xs: number[]) => xs.filter(Number.isFinite);
  const sel = by.map((b) => b.sel);
  const tpr = spread(defined(by.map((b) => b.tpr)));
  const fpr = spread(defined(by.map((b) => b.fpr)));
  return {
    dp: spread(sel),
    ratio: sel.length < 2 || Math.max(...sel) === 0 ? null : Math.min(...sel) / Math.max(...sel),
    tpr,
    fpr,
    eo: tpr === null || fpr === null ? null : Math.max(tpr, fpr),
    acc: spread(by.map((b) => b.acc)),
  };
}

describe('properties', () => {
  it('differences equal a direct computation of the definitions', () => {
    fc.assert(
      fc.property(binaryCase, ({ data, groups }) => {
        const d = auditFairness(data, { g: groups }, { minGroupSize: 1, replicates: 0 }).attributes['g']!.differences;
        const ref = direct([...data.yTrue], [...data.yPred], groups);
        expect(d.demographic_parity_difference!.value).toBe(ref.dp);
        expect(d.demographic_parity_ratio!.value).toBe(ref.ratio);
        expect(d.equal_opportunity_difference!.value).toBe(ref.tpr);
        expect(d.fpr_difference!.value).toBe(ref.fpr);
        expect(d.equalized_odds_difference!.value).toBe(ref.eo);
        expect(d.accuracy_difference!.value).toBe(ref.acc);
      }),
      { numRuns: 150 },
    );
  });

  it('differences are ≥ 0 and ratios lie in [0, 1]; intervals are ordered', () => {
    fc.assert(
      fc.property(binaryCase, fc.integer({ min: 0, max: 1000 }), ({ data, groups }, seed) => {
        const a = auditFairness(data, { g: groups }, { minGroupSize: 1, replicates: 40, seed, threshold: 0.8 }).attributes['g']!;
        for (const key of FAIRNESS_METRIC_KEYS) {
          const d = a.differences[key]!;
          for (const v of [d.value, d.lower, d.upper]) {
            if (v === null) continue;
            expect(v).toBeGreaterThanOrEqual(0);
            if (key === 'demographic_parity_ratio') expect(v).toBeLessThanOrEqual(1);
          }
          if (d.lower !== null && d.upper !== null) expect(d.lower).toBeLessThanOrEqual(d.upper);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('is unchanged by relabelling groups (values and intervals) and by row order (values)', () => {
    fc.assert(
      fc.property(binaryCase, fc.integer({ min: 0, max: 2 ** 31 }), ({ data, groups }, seed) => {
        const opts = { minGroupSize: 1, replicates: 30, seed: 7, threshold: 0.75 };
        const base = auditFairness(data, { g: groups }, opts).attributes['g']!.differences;
        const renamed = auditFairness(data, { g: groups.map((g) => `group ${g.toUpperCase()}!`) }, opts).attributes['g']!
          .differences;
        const rand = mulberry32(seed);
        const perm = Array.from(groups, (_, i) => i).sort(() => rand() - 0.5);
        const shuffled = auditFairness(
          {
            classes: data.classes,
            yTrue: Int32Array.from(perm, (i) => data.yTrue[i]!),
            yPred: Int32Array.from(perm, (i) => data.yPred[i]!),
            confidence: Float64Array.from(perm, (i) => data.confidence[i]!),
          },
          { g: perm.map((i) => groups[i]!) },
          opts,
        ).attributes['g']!.differences;
        for (const key of FAIRNESS_METRIC_KEYS) {
          expect([renamed[key]!.value, renamed[key]!.lower, renamed[key]!.upper]).toEqual([
            base[key]!.value,
            base[key]!.lower,
            base[key]!.upper,
          ]);
          expect(shuffled[key]!.value).toBe(base[key]!.value);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('bootstrap intervals', () => {
  const rand = mulberry32(3);
  const n = 400;
  const g = Array.from({ length: n }, () => (rand() < 0.4 ? 'F' : 'M'));
  const yTrue = g.map((x) => (rand() < (x === 'F' ? 0.3 : 0.5) ? 1 : 0));
  const yPred = yTrue.map((t, i) => (rand() < (t ? 0.8 : 0.2) + (g[i] === 'M' ? 0.1 : 0) ? 1 : 0));
  const data = binaryData(
    yTrue,
    yPred,
    yPred.map(() => 0.5 + rand() / 2),
  );

  it('are deterministic for a seed and differ across seeds', () => {
    const a = auditFairness(data, { g }, { replicates: 300, seed: 11, threshold: 0.7 });
    const b = auditFairness(data, { g }, { replicates: 300, seed: 11, threshold: 0.7 });
    const c = auditFairness(data, { g }, { replicates: 300, seed: 12, threshold: 0.7 });
    expect(b).toEqual(a);
    const da = a.attributes['g']!.differences.equalized_odds_difference!;
    const dc = c.attributes['g']!.differences.equalized_odds_difference!;
    expect([da.lower, da.upper]).not.toEqual([dc.lower, dc.upper]);
    expect(da.lower!).toBeLessThanOrEqual(da.value!);
    expect(da.upper!).toBeGreaterThanOrEqual(da.value!);
    expect(da.upper! - da.lower!).toBeGreaterThan(0.02);
  });

  it('are omitted with zero replicates', () => {
    const a = auditFairness(data, { g }, { replicates: 0 });
    expect(a.attributes['g']!.differences.demographic_parity_difference).toMatchObject({ lower: null, upper: null });
    expect(a.attributes['g']!.differences.demographic_parity_difference!.value).not.toBeNull();
  });
});

describe('multiclass and intersections', () => {
  // Classes a, b, c; groups P (rows 0-5) and Q (rows 6-11).
  const data: ClassificationData = {
    classes: ['a', 'b', 'c'],
    yTrue: Int32Array.from([0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2]),
    yPred: Int32Array.from([0, 0, 1, 2, 2, 2, 0, 1, 1, 1, 1, 2]),
    confidence: Float64Array.from([0.9, 0.9, 0.6, 0.5, 0.9, 0.7, 0.9, 0.5, 0.8, 0.8, 0.6, 0.9]),
  };
  const grp = ['P', 'P', 'P', 'P', 'P', 'P', 'Q', 'Q', 'Q', 'Q', 'Q', 'Q'];

  it('computes one-vs-rest rates per class and reports the largest gap', () => {
    const r = auditFairness(data, { grp }, { minGroupSize: 1, replicates: 0 });
    expect(r.task).toBe('multiclass');
    expect(r.positiveLabel).toBeNull();
    const a = r.attributes['grp']!;
    const p = a.groups.find((x) => x.group === 'P')!;
    // P routes 2/6 to a, 1/6 to b, 3/6 to c; Q routes 1/6, 4/6, 1/6.
    expect(p.classes!.map((c) => c.selectionRate.value)).toEqual([close(2 / 6), close(1 / 6), 0.5]);
    expect(p.selectionRate).toBeNull();
    // Per class: DP gaps |2-1|/6, |1-4|/6, |3-1|/6; TPR gaps (FNR gaps): a 1 vs 0.5, b 0.5 vs 1, c 1 vs 0.5.
    expect(a.perClass!.map((c) => c.demographic_parity_difference)).toEqual([close(1 / 6), close(0.5), close(2 / 6)]);
    expect(a.perClass!.map((c) => c.equal_opportunity_difference)).toEqual([0.5, 0.5, 0.5]);
    // FPR of b: P 0/4, Q 2/4 → 0.5; FPR of c: P 1/4, Q 0/4 → 0.25.
    expect(a.perClass!.map((c) => c.fpr_difference)).toEqual([0, 0.5, 0.25]);
    expect(a.differences.demographic_parity_difference).toMatchObject({
      value: close(0.5),
      class: 'b',
      min: { group: 'P' },
      max: { group: 'Q' },
    });
    expect(a.differences.equalized_odds_difference!.value).toBe(0.5);
    expect(a.differences.demographic_parity_ratio).toMatchObject({ value: close(0.25), class: 'b' });
  });

  it('audits intersections of attributes', () => {
    const lang = ['en', 'fr', 'en', 'fr', 'en', 'fr', 'en', 'fr', 'en', 'fr', 'en', 'fr'];
    const r = auditFairness(data, { grp, lang }, { minGroupSize: 1, replicates: 0, intersections: true });
    expect(Object.keys(r.attributes)).toEqual(['grp', 'lang', 'grp&lang']);
    expect(r.attributes['grp&lang']!.groups.map((g) => g.group).sort()).toEqual(['P&en', 'P&fr', 'Q&en', 'Q&fr']);
    expect(r.attributes['grp&lang']!.groups.every((g) => g.n === 3)).toBe(true);
  });

  it('splits attribute names into columns and intersections, as gate rules and --sensitive write them', () => {
    expect(splitAttributes(['sex', 'race&sex', 'sex', 'race&sex', 'age'])).toEqual({ columns: ['sex', 'race', 'age'], intersections: [['race', 'sex']] });
    const { columns, intersections } = splitAttributes(['lang&grp']);
    const byName: Record<string, string[]> = { grp, lang: grp.map((_, i) => (i % 2 ? 'fr' : 'en')) };
    const r = auditFairness(data, Object.fromEntries(columns.map((c) => [c, byName[c]!])), { minGroupSize: 1, replicates: 0, intersections });
    expect(Object.keys(r.attributes)).toEqual(['lang', 'grp', 'lang&grp']);
    expect(() => splitAttributes(['sex&'])).toThrow(/attribute 'sex&' has an empty column name/);
    expect(() => splitAttributes(['&'])).toThrow(MloopError);
    expect(() => splitAttributes(['sex&race&sex'])).toThrow("attribute 'sex&race&sex' names 'sex' twice");
  });

  it('reports automatic shares per group and their gap', () => {
    const r = auditFairness(data, { grp }, { minGroupSize: 1, replicates: 0, threshold: 0.8 });
    const a = r.attributes['grp']!;
    expect(a.groups.map((g) => [g.group, g.auto, g.autoShare!.value])).toEqual([
      ['P', 3, 0.5],
      ['Q', 4, close(4 / 6)],
    ]);
    expect(a.differences.auto_share_difference!.value).toBeCloseTo(1 / 6, 12);
  });
});

describe('fairness metric registry', () => {
  it('registers every comparison a report carries, and no other', () => {
    const r: FairnessReport = auditFairness(
      binaryData([1, 0, 1, 0], [1, 1, 0, 0]),
      { g: ['A', 'A', 'B', 'B'] },
      { minGroupSize: 1, replicates: 0, threshold: 0.5 },
    );
    expect(Object.keys(r.attributes['g']!.differences).sort()).toEqual([...FAIRNESS_METRIC_KEYS].sort());
    expect(Object.keys(FAIRNESS_METRICS).sort()).toEqual([...FAIRNESS_METRIC_KEYS].sort());
    for (const m of Object.values(FAIRNESS_METRICS)) expect(isFairnessMetric(m.id)).toBe(true);
    const noThreshold = auditFairness(
      binaryData([1, 0, 1, 0], [1, 1, 0, 0]),
      { g: ['A', 'A', 'B', 'B'] },
      { minGroupSize: 1, replicates: 0 },
    );
    expect(Object.keys(noThreshold.attributes['g']!.differences)).not.toContain('auto_share_difference');
  });

  it('names the valid metrics for an unknown id', () => {
    expect(getFairnessMetric('fairness.equalized_odds_difference').key).toBe('equalized_odds_difference');
    expect(() => getFairnessMetric('fairness.disparate_vibes')).toThrow(/valid: fairness\.demographic_parity_difference/);
  });
});
