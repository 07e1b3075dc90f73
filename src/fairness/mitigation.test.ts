import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MloopError } from '../errors/index.js';
import type { ClassificationData } from '../evaluation/index.js';
import { mulberry32 } from '../stats/index.js';
import { applyThresholdPlan, auditFairness, decideWithPlan, evaluateThresholdPlan, mitigateThresholds } from './index.js';
import { bestWithinTolerance, type Candidate } from './window-search.js';

/**
 * A calibrated binary scorer on a population where group B has a lower base rate: the single 0.5
 * threshold is accuracy-optimal and selects B far less often (a demographic parity gap).
 */
function biasedBinary(n: number, seed: number): { data: ClassificationData; group: string[] } {
  const rand = mulberry32(seed);
  const group: string[] = [];
  const yTrue: number[] = [];
  const proba: number[] = [];
  for (let i = 0; i < n; i++) {
    const g = i % 50 === 0 ? 'rare' : rand() < 0.6 ? 'A' : 'B';
    const z = (rand() + rand() + rand() - 1.5) * 4;
    const q = 1 / (1 + Math.exp(-(z + (g === 'B' ? -1.5 : 0.3))));
    group.push(g);
    yTrue.push(rand() < q ? 1 : 0);
    proba.push(1 - q, q);
  }
  const yPred = yTrue.map((_, i) => (proba[2 * i + 1]! >= 0.5 ? 1 : 0));
  const confidence = yPred.map((p, i) => proba[2 * i + p]!);
  return {
    data: {
      classes: ['deny', 'grant'],
      yTrue: Int32Array.from(yTrue),
      yPred: Int32Array.from(yPred),
      confidence: Float64Array.from(confidence),
      proba: Float64Array.from(proba),
    },
    group,
  };
}

describe('binary threshold mitigation', () => {
  const val = biasedBinary(4000, 1);
  const test = biasedBinary(4000, 2);

  it('meets demographic parity on validation, narrows the gap on test, and reports the accuracy cost', () => {
    const plan = mitigateThresholds(val.data, val.group, {
      constraint: 'demographic_parity',
      tolerance: 0.02,
      attribute: 'group',
    });
    expect(plan.feasible).toBe(true);
    expect(plan.kind).toBe('decision');
    expect(plan.positiveLabel).toBe('grant');
    expect(plan.adjusted).toEqual(['A', 'B', 'rare']);
    expect(plan.unadjusted).toEqual([]);
    const v = plan.validation;
    expect(v.before.gap!).toBeGreaterThan(0.2);
    expect(v.after.gap!).toBeLessThanOrEqual(0.02 + 1e-12);
    // The 0.5 threshold is optimal for calibrated scores, so parity costs accuracy.
    expect(v.cost.accuracy!).toBeGreaterThan(0);
    expect(v.cost.accuracy!).toBeCloseTo(v.before.accuracy! - v.after.accuracy!, 12);
    expect(plan.thresholds['B']!).toBeLessThan(0.5);
    expect(plan.message).toMatch(/demographic_parity gap 0\.\d{4} → 0\.0\d{3} .*accuracy 0\.\d{4} → 0\.\d{4}/);

    const t = evaluateThresholdPlan(plan, test.data, test.group);
    expect(t.after.gap!).toBeLessThan(t.before.gap! / 3);
    expect(t.cost.accuracy!).toBeGreaterThan(0);
    expect(t.cost.accuracy!).toBeLessThan(0.1);

    // Applying the plan and auditing gives the same selection-rate gap as the plan's figures.
    const applied = applyThresholdPlan(plan, test.data, test.group);
    const audited = auditFairness({ ...test.data, yPred: applied.yPred }, { group: test.group }, { replicates: 0 });
    expect(audited.attributes['group']!.differences.demographic_parity_difference!.value).toBeCloseTo(t.after.gap!, 12);
  });

  it('meets equal opportunity within the tolerance', () => {
    const plan = mitigateThresholds(val.data, val.group, { constraint: 'equal_opportunity', tolerance: 0.01 });
    expect(plan.validation.after.gap!).toBeLessThanOrEqual(0.01 + 1e-12);
    expect(plan.validation.before.gap!).toBeGreaterThan(plan.validation.after.gap!);
    const audited = auditFairness(
      { ...val.data, yPred: applyThresholdPlan(plan, val.data, val.group).yPred },
      { group: val.group },
      { replicates: 0 },
    );
    expect(audited.attributes['group']!.differences.equal_opportunity_difference!.value).toBeCloseTo(
      plan.validation.after.gap!,
      12,
    );
  });

  it('lists groups too small to adjust and rejects bad options', () => {
    const plan = mitigateThresholds(val.data, val.group, { constraint: 'demographic_parity', minGroupSize: 100 });
    expect(plan.unadjusted).toEqual([{ group: 'rare', reason: '80 validation rows, fewer than the minimum group size 100' }]);
    expect(plan.thresholds['rare']).toBe(0.5);
    expect(plan.adjusted).toEqual(['A', 'B']);
    expect(() => mitigateThresholds(val.data, val.group.slice(1), { constraint: 'demographic_parity' })).toThrow(MloopError);
    expect(() => mitigateThresholds(val.data, val.group, { constraint: 'equalised' as 'auto_share' })).toThrow(
      /valid: demographic_parity, equal_opportunity, auto_share, auto_precision/,
    );
    expect(() => mitigateThresholds(val.data, val.group, { constraint: 'auto_share' })).toThrow(/baseThreshold/);
  });
});

/** A 3-class model whose confidence is lower for group 'fr', so fewer of its rows are decided automatically. */
function multiclassAuto(n: number, seed: number): { data: ClassificationData; lang: string[] } {
  const rand = mulberry32(seed);
  const lang: string[] = [];
  const yTrue: number[] = [];
  const yPred: number[] = [];
  const confidence: number[] = [];
  for (let i = 0; i < n; i++) {
    const fr = rand() < 0.3;
    const c = Math.min(0.99, 0.34 + rand() * (fr ? 0.5 : 0.65));
    const t = Math.floor(rand() * 3);
    lang.push(fr ? 'fr' : 'en');
    yTrue.push(t);
    confidence.push(c);
    yPred.push(rand() < c ? t : (t + 1) % 3);
  }
  return {
    data: {
      classes: ['billing', 'tech', 'other'],
      yTrue: Int32Array.from(yTrue),
      yPred: Int32Array.from(yPred),
      confidence: Float64Array.from(confidence),
    },
    lang,
  };
}

describe('review/auto threshold mitigation (multiclass)', () => {
  const val = multiclassAuto(5000, 3);
  const test = multiclassAuto(5000, 4);

  it('equalises the automatic share across groups and reports coverage and precision before/after', () => {
    const plan = mitigateThresholds(val.data, val.lang, { constraint: 'auto_share', baseThreshold: 0.75, tolerance: 0.02 });
    expect(plan.kind).toBe('automation');
    expect(plan.targetPrecision!).toBeGreaterThan(0.75);
    const v = plan.validation;
    expect(v.before.gap!).toBeGreaterThan(0.1);
    expect(v.after.gap!).toBeLessThanOrEqual(0.02 + 1e-12);
    expect(v.cost.accuracy).toBeNull();
    expect(v.cost.coverage).toBeCloseTo(v.before.coverage! - v.after.coverage!, 12);
    expect(v.cost.precision).toBeCloseTo(v.before.precision! - v.after.precision!, 12);
    const t = evaluateThresholdPlan(plan, test.data, test.lang);
    expect(t.after.gap!).toBeLessThan(t.before.gap! / 2);
    const auto = applyThresholdPlan(plan, test.data, test.lang).auto;
    const audited = auditFairness(test.data, { lang: test.lang }, { replicates: 0, threshold: 0.75 });
    expect(audited.attributes['lang']!.differences.auto_share_difference!.value).toBeCloseTo(t.before.gap!, 12);
    expect(auto.reduce((s, x) => s + x, 0) / auto.length).toBeCloseTo(t.after.coverage!, 12);
  });

  it('needs the favourable class for a parity of decisions, and takes it as positiveLabel', () => {
    expect(() => mitigateThresholds(val.data, val.lang, { constraint: 'demographic_parity' })).toThrow(
      'demographic_parity on a model with 3 classes needs the favourable class: name a positive label (one of billing, tech, other)',
    );
    expect(() => mitigateThresholds(val.data, val.lang, { constraint: 'demographic_parity', positiveLabel: 'nope' })).toThrow(/positive label 'nope' is not a class; classes: billing, tech, other/);
    // scores of one class need the probabilities: the predicted class gets its confidence, the others share the rest
    const d = val.data;
    const proba = Float64Array.from({ length: d.yPred.length * 3 }, (_, j) => (d.yPred[Math.floor(j / 3)] === j % 3 ? d.confidence[Math.floor(j / 3)]! : (1 - d.confidence[Math.floor(j / 3)]!) / 2));
    const plan = mitigateThresholds({ ...d, proba }, val.lang, { constraint: 'demographic_parity', positiveLabel: 'tech', tolerance: 0.05 });
    expect(plan).toMatchObject({ kind: 'decision', positiveLabel: 'tech' });
  });

  it('equalises the precision of automatic decisions', () => {
    const plan = mitigateThresholds(val.data, val.lang, {
      constraint: 'auto_precision',
      baseThreshold: 0.6,
      tolerance: 0.01,
      targetPrecision: 0.7,
    });
    expect(plan.feasible).toBe(true);
    expect(plan.validation.after.gap!).toBeLessThanOrEqual(0.01 + 1e-12);
    expect(plan.validation.before.gap!).toBeGreaterThan(0.01);
  });
});

describe('bestWithinTolerance', () => {
  const candidate = fc.record({
    rate: fc.integer({ min: 0, max: 20 }).map((x) => x / 20),
    value: fc.integer({ min: -5, max: 20 }),
    threshold: fc.constant(0),
  });
  it('finds the same best total as brute force over every combination', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(candidate, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 10 }).map((x) => x / 20),
        (groups, tol) => {
          let best: number | null = null;
          const walk = (g: number, picked: Candidate[]) => {
            if (g === groups.length) {
              const rates = picked.map((c) => c.rate);
              if (Math.max(...rates) - Math.min(...rates) <= tol + 1e-12) {
                const total = picked.reduce((s, c) => s + c.value, 0);
                if (best === null || total > best) best = total;
              }
              return;
            }
            for (const c of groups[g]!) walk(g + 1, [...picked, c]);
          };
          walk(0, []);
          const got = bestWithinTolerance(groups, tol);
          expect(got?.total ?? null).toBe(best);
          if (got) expect(got.spread).toBeLessThanOrEqual(tol + 1e-12);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('decideWithPlan (one served row)', () => {
  const val = biasedBinary(4000, 1);
  const test = biasedBinary(600, 3);
  const rows = (d: ClassificationData) =>
    Array.from(d.yTrue, (_, i) => {
      const probabilities = Object.fromEntries(d.classes.map((c, k) => [c, d.proba![i * d.classes.length + k]!]));
      return { probabilities, label: d.classes[d.yPred[i]!]!, confidence: d.confidence[i]! };
    });

  it("gives applyThresholdPlan's answers row by row, for decisions and for review routing", () => {
    const decision = mitigateThresholds(val.data, val.group, { constraint: 'demographic_parity', attribute: 'group' });
    const automation = mitigateThresholds(val.data, val.group, { constraint: 'auto_share', baseThreshold: 0.8, attribute: 'group' });
    expect(decision.adjusted.length).toBeGreaterThanOrEqual(2);
    const served = rows(test.data);
    const a = applyThresholdPlan(decision, test.data, test.group);
    const b = applyThresholdPlan(automation, test.data, test.group);
    let changed = 0;
    served.forEach((row, i) => {
      const groups = { group: test.group[i]! };
      const d = decideWithPlan(decision, row, groups);
      expect(d.label).toBe(test.data.classes[a.yPred[i]!]);
      if (d.label !== row.label) changed++;
      expect(decideWithPlan(automation, row, groups).decision).toBe(b.auto[i] ? 'auto' : 'review');
    });
    expect(changed).toBeGreaterThan(0); // the plan moves some decisions
  });

  it('uses the base threshold for a missing or unseen group, and refuses a row without the positive class', () => {
    const plan = mitigateThresholds(val.data, val.group, { constraint: 'auto_share', baseThreshold: 0.8, attribute: 'group' });
    const row = { probabilities: { deny: 0.15, grant: 0.85 }, label: 'grant', confidence: 0.85 };
    expect(decideWithPlan(plan, row, null)).toMatchObject({ threshold: 0.8, group: '(missing)' });
    expect(decideWithPlan(plan, row, { group: 'martian' })).toMatchObject({ threshold: 0.8, decision: 'auto' });
    const decision = mitigateThresholds(val.data, val.group, { constraint: 'demographic_parity', attribute: 'group' });
    expect(() => decideWithPlan(decision, { probabilities: { a: 1 }, label: 'a', confidence: 1 }, { group: 'A' })).toThrow(/positive label 'grant'/);
  });
});
