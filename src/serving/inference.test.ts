import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Predictor } from '../training/index.js';
import { rowResults } from './inference.js';

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
