import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../stats/index.js';
import { auditFairness, BiasWindow, BIAS_METRIC_KEYS, type BiasRow } from './index.js';

/** Random predictions: groups with their own accuracy, confidence, and every row labelled. */
function simulate(n: number, classes: string[], groupAcc: Record<string, number>, seed: number) {
  const rand = mulberry32(seed);
  const names = Object.keys(groupAcc);
  const rows: Array<{ group: string; truth: number; pred: number; conf: number }> = [];
  for (let i = 0; i < n; i++) {
    const group = names[Math.floor(rand() * names.length)]!;
    const truth = Math.floor(rand() * classes.length);
    const right = rand() < groupAcc[group]!;
    const pred = right ? truth : (truth + 1 + Math.floor(rand() * (classes.length - 1))) % classes.length;
    rows.push({ group, truth, pred, conf: 0.4 + 0.6 * rand() });
  }
  return rows;
}

describe('BiasWindow', () => {
  for (const classes of [['no', 'yes'], ['a', 'b', 'c', 'd']]) {
    it(`gives the audit's values when every row is labelled (${classes.length} classes)`, () => {
      const rows = simulate(900, classes, { north: 0.9, south: 0.7, west: 0.8 }, classes.length);
      const threshold = 0.7;
      const w = new BiasWindow({ classes });
      for (const r of rows) w.add({ groups: { region: r.group }, prediction: classes[r.pred]!, decision: r.conf >= threshold ? 'auto' : 'review', truth: classes[r.truth]! });
      const audit = auditFairness(
        { classes, yTrue: Int32Array.from(rows, (r) => r.truth), yPred: Int32Array.from(rows, (r) => r.pred), confidence: Float64Array.from(rows, (r) => r.conf) },
        { region: rows.map((r) => r.group) },
        { threshold, replicates: 0 },
      ).attributes['region']!.differences;
      const got = w.result();
      expect(got.rows).toBe(900);
      expect(got.labelled).toBe(900);
      const gaps = got.attributes[0]!.gaps;
      for (const key of BIAS_METRIC_KEYS) {
        expect(gaps[key].value, key).toBeCloseTo(audit[key]!.value!, 12);
        expect(gaps[key].min?.group).toBe(audit[key]!.min?.group);
        expect(gaps[key].max?.group).toBe(audit[key]!.max?.group);
        expect(gaps[key].lower!).toBeLessThanOrEqual(gaps[key].value!);
        expect(gaps[key].upper!).toBeGreaterThanOrEqual(gaps[key].value!);
      }
      expect(gaps.accuracy_difference.min?.group).toBe('south');
    });
  }

  it('bounds a gap with Bonferroni-adjusted Wilson intervals (scipy norm.ppf by hand)', () => {
    const w = new BiasWindow({ classes: ['no', 'yes'] });
    const add = (group: string, right: number, n: number) => {
      for (let i = 0; i < n; i++) w.add({ groups: { sex: group }, prediction: 'yes', decision: 'auto', truth: i < right ? 'yes' : 'no' });
    };
    add('A', 90, 100);
    add('B', 30, 50);
    const gap = w.result().attributes[0]!.gaps.accuracy_difference;
    // Wilson at level 1 − 0.05/2: A (0.8125186193409795, 0.9492128581756338), B (0.4425582666849074, 0.7391809868087033)
    expect(gap.value).toBeCloseTo(0.3, 12);
    expect(gap.lower).toBeCloseTo(0.07333763253227621, 8);
    expect(gap.upper).toBeCloseTo(0.5066545914907264, 8);
  });

  it('covers the true gap in at least 95% of windows and rarely bounds an absent gap away from 0', () => {
    const rand = mulberry32(11);
    let covered = 0;
    let falseAlarm = 0;
    const windows = 300;
    for (let k = 0; k < windows; k++) {
      const equal = new BiasWindow();
      const unequal = new BiasWindow();
      for (let i = 0; i < 240; i++) {
        const g = i % 3 === 0 ? 'a' : i % 3 === 1 ? 'b' : 'c';
        equal.add({ groups: { g }, prediction: 'x', decision: rand() < 0.8 ? 'auto' : 'review', truth: 'x' });
        // true accuracies 0.9, 0.8, 0.75: gap 0.15
        const p = g === 'a' ? 0.9 : g === 'b' ? 0.8 : 0.75;
        unequal.add({ groups: { g }, prediction: 'x', decision: 'auto', truth: rand() < p ? 'x' : 'y' });
      }
      const e = equal.result().attributes[0]!.gaps.auto_share_difference;
      if (e.lower! > 0) falseAlarm++;
      const u = unequal.result().attributes[0]!.gaps.accuracy_difference;
      if (u.lower! <= 0.15 && 0.15 <= u.upper!) covered++;
    }
    expect(covered / windows).toBeGreaterThanOrEqual(0.95);
    expect(falseAlarm / windows).toBeLessThanOrEqual(0.05);
  });

  it('tracks prediction-side gaps without ground truth and names groups too small to compare', () => {
    const w = new BiasWindow({ classes: ['no', 'yes'], minGroupSize: 30 });
    const rows: BiasRow[] = [];
    for (let i = 0; i < 100; i++) rows.push({ groups: { region: 'north' }, prediction: i < 60 ? 'yes' : 'no', decision: i < 90 ? 'auto' : 'review' });
    for (let i = 0; i < 100; i++) rows.push({ groups: { region: 'south' }, prediction: i < 30 ? 'yes' : 'no', decision: i < 50 ? 'auto' : 'review' });
    for (let i = 0; i < 10; i++) rows.push({ groups: { region: null }, prediction: 'yes', decision: 'auto' });
    rows.push({ groups: null, prediction: null, decision: 'review' });
    for (const r of rows) w.add(r);
    const r = w.result();
    expect(r.rows).toBe(210);
    expect(r.labelled).toBe(0);
    const a = r.attributes[0]!;
    expect(a.gaps.demographic_parity_difference).toMatchObject({ value: expect.closeTo(0.3, 12), min: { group: 'south' }, max: { group: 'north' }, compared: 2 });
    expect(a.gaps.auto_share_difference.value).toBeCloseTo(0.4, 12);
    expect(a.gaps.auto_share_difference.lower).toBeGreaterThan(0.2);
    for (const key of ['accuracy_difference', 'equal_opportunity_difference', 'fpr_difference', 'equalized_odds_difference'] as const) {
      expect(a.gaps[key]).toMatchObject({ value: null, lower: null, upper: null });
    }
    expect(a.groups.map((g) => [g.group, g.n, g.review_share])).toEqual([['north', 100, expect.closeTo(0.1, 12)], ['south', 100, expect.closeTo(0.5, 12)], ['(missing)', 10, 0]]);
    expect(a.excluded).toContainEqual({ group: '(missing)', from: 'all', class: null, reason: '10 rows, fewer than the minimum group size 30' });
  });

  it('property: bounds enclose the value, which does not depend on how groups are named', () => {
    const group = fc.record({ n: fc.integer({ min: 1, max: 80 }), right: fc.double({ min: 0, max: 1, noNaN: true }), auto: fc.double({ min: 0, max: 1, noNaN: true }) });
    fc.assert(
      fc.property(fc.array(group, { minLength: 2, maxLength: 5 }), (groups) => {
        const run = (name: (g: number) => string) => {
          const w = new BiasWindow({ minGroupSize: 1 });
          groups.forEach((g, k) => {
            for (let i = 0; i < g.n; i++) {
              w.add({ groups: { a: name(k) }, prediction: 'x', decision: i < g.auto * g.n ? 'auto' : 'review', truth: i < g.right * g.n ? 'x' : 'y' });
            }
          });
          return w.result().attributes[0]!.gaps;
        };
        const a = run((k) => `g${k}`);
        const b = run((k) => `z${groups.length - k}`);
        for (const key of BIAS_METRIC_KEYS) {
          const g = a[key];
          if (g.value === null) continue;
          expect(g.lower!).toBeLessThanOrEqual(g.value + 1e-12);
          expect(g.upper!).toBeGreaterThanOrEqual(g.value - 1e-12);
          expect(g.lower!).toBeGreaterThanOrEqual(0);
          expect(b[key].value).toBeCloseTo(g.value, 12);
          expect(b[key].lower).toBeCloseTo(g.lower!, 12);
        }
      }),
      { numRuns: 100, seed: 7 },
    );
  });

  it('counts a row without a tracked attribute in the (missing) group', () => {
    const w = new BiasWindow({ attributes: ['region', 'sex'], minGroupSize: 1 });
    w.add({ groups: { region: 'north' }, prediction: 'a', decision: 'auto' });
    w.add({ groups: null, prediction: 'a', decision: 'review' });
    const r = w.result();
    expect(r.attributes.map((a) => [a.attribute, a.groups.map((g) => [g.group, g.n])])).toEqual([
      ['region', [['(missing)', 1], ['north', 1]]],
      ['sex', [['(missing)', 2]]],
    ]);
  });

  it('refuses a level outside (0, 1) and a positive label that is not a class', () => {
    expect(() => new BiasWindow({ level: 1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new BiasWindow({ classes: ['a', 'b'], positiveLabel: 'c' })).toThrow(/not a class/);
  });
});
