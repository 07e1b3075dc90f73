import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { predictAnswerJson } from './answer-json.js';
import type { ServedRow } from './serving-runtime.js';

/** The answer as the route built it before: JSON.stringify of the object. */
function reference(model: string, version: number, rows: ServedRow[]): string {
  return JSON.stringify({
    model,
    model_version: version,
    predictions: rows.map((r) =>
      r.value === null
        ? { label: r.label, probabilities: r.probabilities, confidence: r.confidence, decision: r.decision, model_version: version, prediction_id: r.predictionId }
        : { label: r.label, probabilities: r.probabilities, value: r.value, confidence: r.confidence, decision: r.decision, model_version: version, prediction_id: r.predictionId },
    ),
  });
}

const classifierRow = (probabilities: Record<string, number>, extra: Partial<ServedRow> = {}): ServedRow => ({
  label: Object.keys(probabilities)[0] ?? null,
  probabilities,
  value: null,
  confidence: Object.values(probabilities)[0] ?? null,
  decision: 'auto',
  predictionId: 'prd_1',
  ...extra,
});

describe('answer JSON', () => {
  it('equals JSON.stringify of the answer object', () => {
    const p = JSON.parse('{"__proto__": 0.25, "b\\"c": 0.5, "10": 0.125, "2": 0.125}') as Record<string, number>;
    const rows: ServedRow[] = [
      classifierRow(p),
      classifierRow({ a: 1 / 3, b: 2 / 3 }, { decision: 'review', predictionId: 'prd_2' }),
      { label: null, probabilities: null, value: 3.25, confidence: null, decision: 'auto', predictionId: 'prd_3' },
      classifierRow({ a: 0.5 }, { confidence: Number.NaN }),
    ];
    expect(predictAnswerJson({ model: 'm"x', version: 3, rows })).toBe(reference('m"x', 3, rows));
  });

  it('matches JSON.stringify for any class names and probabilities (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.double()), (probabilities) => {
        const row = classifierRow(probabilities);
        expect(predictAnswerJson({ model: 'm', version: 7, rows: [row] })).toBe(reference('m', 7, [row]));
      }),
    );
  });
});
