import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ThresholdPlan } from '../fairness/index.js';
import type { ModelVersion } from '../registry/index.js';
import type { Predictor } from '../training/index.js';
import { applyPlan, MicroBatcher, rowResults, storedOutOfScopeThreshold } from './inference.js';

/** The reference: the object built key by key, own properties only. */
function expected(classes: readonly string[], output: Float64Array, at: number): Record<string, number> {
  const o: Record<string, number> = {};
  classes.forEach((c, j) => Object.defineProperty(o, c, { value: output[at + j]!, enumerable: true, writable: true, configurable: true }));
  return o;
}

const predictorOf = (classes: readonly string[]) => ({ classes }) as unknown as Predictor;

describe('rowResults', () => {
  it('gives each row its probabilities by class, the best class, its confidence and the decision', () => {
    const classes = ['billing', 'refund', 'login'];
    const output = new Float64Array([0.2, 0.7, 0.1, 0.4, 0.4, 0.2]);
    const rows = rowResults(predictorOf(classes), 0.5, output, 2);
    expect(rows[0]).toEqual({ label: 'refund', probabilities: { billing: 0.2, refund: 0.7, login: 0.1 }, value: null, confidence: 0.7, decision: 'auto' });
    // A tie goes to the first class, below the threshold to review.
    expect(rows[1]).toEqual({ label: 'billing', probabilities: { billing: 0.4, refund: 0.4, login: 0.2 }, value: null, confidence: 0.4, decision: 'review' });
    expect(Object.keys(rows[0]!.probabilities!)).toEqual(classes);
    expect(rowResults(predictorOf(classes), null, output, 1)[0]!.decision).toBe('review');
  });

  it('keeps awkward class names as plain own keys (quotes, newlines, __proto__, numbers, constructor)', () => {
    const classes = ['a"b', 'x\ny', '__proto__', 'constructor', '7', '\u2028', '${x}', '`'];
    const output = new Float64Array(classes.map((_, j) => (j + 1) / 100));
    const [row] = rowResults(predictorOf(classes), 0.5, output, 1);
    expect(Object.getPrototypeOf(row!.probabilities)).toBe(Object.prototype);
    expect(Object.hasOwn(row!.probabilities!, '__proto__')).toBe(true);
    expect(row!.probabilities).toEqual(expected(classes, output, 0));
    expect(JSON.parse(JSON.stringify(row!.probabilities))).toEqual(JSON.parse(JSON.stringify(expected(classes, output, 0))));
  });

  it('equals the key-by-key object for any class names and outputs (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ maxLength: 6 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer(),
        (classes, n, seed) => {
          const output = new Float64Array(classes.length * n).map((_, i) => ((seed + i * 7919) % 1000) / 1000);
          // A fresh array each time, as a predictor might hand out.
          const rows = rowResults(predictorOf([...classes]), 0.5, output, n);
          rows.forEach((r, i) => {
            expect(r.probabilities).toEqual(expected(classes, output, i * classes.length));
            expect(JSON.stringify(r.probabilities)).toBe(JSON.stringify(expected(classes, output, i * classes.length)));
          });
        },
      ),
    );
  });
});

describe('out-of-scope rejection in serving', () => {
  // A fake classifier whose in-scope score is the row's first input value.
  const scoring = {
    classes: ['billing', 'refund'],
    inputs: [{ name: 'x', kind: 'numeric' }],
    inScopeScore: 'max_logit',
    predictProba: () => {
      throw new Error('one pass: predictWithInScope must be used');
    },
    predictWithInScope: (batch: Record<string, Float64Array>, n: number) => ({
      proba: Float64Array.from({ length: 2 * n }, (_, i) => (i % 2 === 0 ? 0.9 : 0.1)),
      inScope: Float64Array.from(batch['x']!.subarray(0, n)),
    }),
  } as unknown as Predictor;

  it('sends rows scoring below the stored threshold to review, label and confidence unchanged', async () => {
    const batcher = new MicroBatcher(scoring, 0.5, 256, 2);
    const rows = await batcher.submit({ x: Float64Array.from([1, 2, 3]) }, 3, Date.now() + 10_000);
    expect(rows.map((r) => r.decision)).toEqual(['review', 'auto', 'auto']);
    expect(rows.map((r) => [r.label, r.confidence])).toEqual([['billing', 0.9], ['billing', 0.9], ['billing', 0.9]]);
    // A mitigation plan that would automate every row keeps the rejected one in review.
    const plan = { kind: 'automation', attribute: null, thresholds: {}, baseThreshold: 0 } as unknown as ThresholdPlan;
    expect(applyPlan(plan, 0.5, rows, [null, null, null]).map((r) => r.decision)).toEqual(['review', 'auto', 'auto']);
  });

  it('reads the threshold only from a well-formed record, and rejects nothing without one', async () => {
    const version = (thresholds: unknown) => ({ record: { thresholds } }) as unknown as ModelVersion;
    expect(storedOutOfScopeThreshold(version({ out_of_scope: { score: 'max_logit', threshold: -1.5 } }))).toBe(-1.5);
    expect(storedOutOfScopeThreshold(version({ out_of_scope: { score: 'max_logit', threshold: null } }))).toBeNull();
    expect(storedOutOfScopeThreshold(version({ out_of_scope: { score: 'bogus', threshold: 1 } }))).toBeNull();
    expect(storedOutOfScopeThreshold(version(undefined))).toBeNull();
    const plain = new MicroBatcher({ ...scoring, predictProba: (_b: unknown, n: number) => new Float64Array(2 * n).fill(0.5) } as unknown as Predictor, 0.5, 256, null);
    expect((await plain.submit({ x: Float64Array.from([-9]) }, 1, Date.now() + 10_000)).map((r) => r.decision)).toEqual(['auto']);
  });
});
