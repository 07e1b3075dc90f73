import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MloopError } from '../errors/index.js';
import { chooseRejectionThreshold, outOfScopeAt, REJECTION_RULES, type ClassificationData } from './index.js';

/** Rows as [score, kind]: 'ok' in scope and predicted right, 'wrong' in scope and predicted wrong, 'oos' out of scope. */
function rows(spec: [number, 'ok' | 'wrong' | 'oos'][]): ClassificationData {
  return {
    classes: ['a', 'b'],
    yTrue: Int32Array.from(spec, ([, k]) => (k === 'oos' ? -1 : 0)),
    yPred: Int32Array.from(spec, ([, k]) => (k === 'wrong' ? 1 : 0)),
    confidence: Float64Array.from(spec, ([s]) => s),
  };
}

// Five in-scope rows (one predicted wrong) and three out-of-scope rows. By hand, rejecting below t:
//   t       -inf  0.3   0.4   0.5   0.6   0.7   0.75  0.8   0.9
//   in acc  4/5   4/5   4/5   3/5   3/5   2/5   2/5   2/5   1/5
//   recall  0     0     1/3   1/3   2/3   2/3   2/3   1     1
//   bal     .400  .400  .567  .467  .633  .533  .533  .700  .600
//   acc     4/8   4/8   5/8   4/8   5/8   4/8   4/8   5/8   4/8
const example = rows([
  [0.9, 'ok'],
  [0.8, 'ok'],
  [0.7, 'wrong'],
  [0.6, 'ok'],
  [0.4, 'ok'],
  [0.75, 'oos'],
  [0.5, 'oos'],
  [0.3, 'oos'],
]);

describe('chooseRejectionThreshold', () => {
  it('balanced: maximises ½ (in-scope accuracy + OOS recall), as hand-computed', () => {
    const c = chooseRejectionThreshold(example, { rule: 'balanced' });
    expect(c.threshold).toBe(0.8);
    expect(c.validation).toEqual({ inScopeAccuracy: 0.4, outOfScopeRecall: 1, objective: 0.7, inScope: 5, outOfScope: 3 });
    expect(c.achievable).toBe(true);
    expect(c.message).toMatch(/reject below score 0\.8000 \(balanced\)/);
  });

  it('balanced is the default rule', () => {
    expect(chooseRejectionThreshold(example).threshold).toBe(0.8);
  });

  it('accuracy: ties go to the lowest threshold (0.4, 0.6 and 0.8 all reach 5/8)', () => {
    const c = chooseRejectionThreshold(example, { rule: 'accuracy' });
    expect(c.threshold).toBe(0.4);
    expect(c.validation.objective).toBeCloseTo(5 / 8, 12);
    expect(c.validation.outOfScopeRecall).toBeCloseTo(1 / 3, 12);
  });

  it('min-in-scope-accuracy: the highest threshold that keeps the floor (the best recall it allows)', () => {
    const at = (floor: number) => chooseRejectionThreshold(example, { rule: 'min-in-scope-accuracy', minInScopeAccuracy: floor });
    expect(at(0.6).threshold).toBe(0.6);
    expect(at(0.6).validation.outOfScopeRecall).toBeCloseTo(2 / 3, 12);
    expect(at(0.8).threshold).toBe(0.4);
    expect(at(0.7).threshold).toBe(0.4);
    // 0.6 already reaches recall 2/3 with 3/5 kept, but the floor 0.4 allows up to 0.8 (recall 1)
    expect(at(0.4).threshold).toBe(0.8);
    expect(at(0.2).threshold).toBe(0.9);
    expect(at(0.6).minInScopeAccuracy).toBe(0.6);
    // rejecting a wrong prediction costs no in-scope accuracy: the threshold climbs past it to 0.9
    const wrongTop = rows([
      [0.9, 'ok'],
      [0.3, 'ok'],
      [0.6, 'wrong'],
      [0.5, 'oos'],
    ]);
    const c = chooseRejectionThreshold(wrongTop, { rule: 'min-in-scope-accuracy', minInScopeAccuracy: 0.3 });
    expect(c.threshold).toBe(0.9);
    expect(c.validation.inScopeAccuracy).toBeCloseTo(1 / 3, 12);
    expect(c.validation.outOfScopeRecall).toBe(1);
  });

  it('min-in-scope-accuracy above the accuracy without rejection: nothing is rejected, and it says so', () => {
    const c = chooseRejectionThreshold(example, { rule: 'min-in-scope-accuracy', minInScopeAccuracy: 0.9 });
    expect(c.achievable).toBe(false);
    expect(c.threshold).toBe(-Infinity);
    expect(c.validation.outOfScopeRecall).toBe(0);
    expect(c.message).toMatch(/no threshold keeps in-scope accuracy at 90\.0% \(it is 80\.0% without rejection\)/);
  });

  it('the chosen threshold gives the same figures through outOfScopeAt', () => {
    for (const rule of REJECTION_RULES) {
      const c = chooseRejectionThreshold(example, rule === 'min-in-scope-accuracy' ? { rule, minInScopeAccuracy: 0.6 } : { rule });
      const r = outOfScopeAt(example, c.threshold);
      expect(r.inScopeAccuracy.value).toBeCloseTo(c.validation.inScopeAccuracy, 12);
      expect(r.outOfScopeRecall.value).toBeCloseTo(c.validation.outOfScopeRecall, 12);
    }
  });

  it('refuses data without out-of-scope or in-scope rows, NaN scores, unknown rules and bad floors', () => {
    const only = rows([
      [0.9, 'ok'],
      [0.2, 'wrong'],
    ]);
    expect(() => chooseRejectionThreshold(only)).toThrow(/needs in-scope and out-of-scope validation rows.*got 2 in scope and 0 out of scope/);
    expect(() => chooseRejectionThreshold(rows([[0.5, 'oos']]))).toThrow(/got 0 in scope and 1 out of scope/);
    expect(() => chooseRejectionThreshold(rows([[Number.NaN, 'ok'], [0.1, 'oos']]))).toThrow(/validation row 0 has no score/);
    expect(() => chooseRejectionThreshold(example, { rule: 'youden' as never })).toThrow(/unknown rejection rule 'youden'; known rules: balanced, accuracy, min-in-scope-accuracy/);
    expect(() => chooseRejectionThreshold(example, { rule: 'min-in-scope-accuracy' })).toThrow(/needs minInScopeAccuracy in \(0, 1\], got undefined/);
    expect(() => chooseRejectionThreshold(example, { rule: 'min-in-scope-accuracy', minInScopeAccuracy: 1.5 })).toThrow(/got 1\.5/);
    expect(() => chooseRejectionThreshold(example, { rule: 'balanced', minInScopeAccuracy: 0.9 })).toThrow(/applies only to rule 'min-in-scope-accuracy'/);
    try {
      chooseRejectionThreshold(only);
    } catch (e) {
      expect(e).toBeInstanceOf(MloopError);
      expect((e as MloopError).code).toBe('INVALID_ARGUMENT');
    }
  });

  it('agrees with a brute-force search over every candidate threshold (property)', () => {
    const row = fc.tuple(fc.integer({ min: 0, max: 20 }), fc.constantFrom<'ok' | 'wrong' | 'oos'>('ok', 'wrong', 'oos'));
    fc.assert(
      fc.property(fc.array(row, { minLength: 2, maxLength: 40 }), fc.integer({ min: 1, max: 10 }), (raw, f) => {
        const spec = raw.map(([s, k]) => [s / 20, k] as [number, 'ok' | 'wrong' | 'oos']);
        if (!spec.some(([, k]) => k === 'oos') || spec.every(([, k]) => k === 'oos')) return;
        const d = rows(spec);
        const cands = [-Infinity, ...new Set(spec.map(([s]) => s))].sort((a, b) => a - b);
        const figs = cands.map((t) => {
          const r = outOfScopeAt(d, t);
          return { t, a: r.inScopeAccuracy.value, rec: r.outOfScopeRecall.value };
        });
        const bal = chooseRejectionThreshold(d, { rule: 'balanced' });
        const bestBal = Math.max(...figs.map((x) => 0.5 * (x.a + x.rec)));
        expect(bal.validation.objective).toBeCloseTo(bestBal, 12);
        expect(bal.threshold).toBe(figs.find((x) => Math.abs(0.5 * (x.a + x.rec) - bestBal) < 1e-12)!.t);
        const floor = f / 10;
        const np = chooseRejectionThreshold(d, { rule: 'min-in-scope-accuracy', minInScopeAccuracy: floor });
        const feasible = figs.filter((x) => x.a >= floor - 1e-12);
        if (feasible.length === 0) {
          expect(np.achievable).toBe(false);
        } else {
          expect(np.validation.inScopeAccuracy).toBeGreaterThanOrEqual(floor - 1e-12);
          expect(np.validation.outOfScopeRecall).toBeCloseTo(Math.max(...feasible.map((x) => x.rec)), 12);
          expect(np.threshold).toBe(feasible[feasible.length - 1]!.t);
        }
      }),
    );
  });
});
