import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { outputsJson, predictAnswerJson, probabilitiesJson } from './answer-json.js';
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
  it('equals JSON.stringify of the answer object, with and without the probabilities text made before', () => {
    const p = JSON.parse('{"__proto__": 0.25, "b\\"c": 0.5, "10": 0.125, "2": 0.125}') as Record<string, number>;
    const rows: ServedRow[] = [
      classifierRow(p),
      classifierRow({ a: 1 / 3, b: 2 / 3 }, { decision: 'review', predictionId: 'prd_2' }),
      { label: null, probabilities: null, value: 3.25, confidence: null, decision: 'auto', predictionId: 'prd_3' },
      classifierRow({ a: 0.5 }, { confidence: Number.NaN }),
    ];
    expect(predictAnswerJson({ model: 'm"x', version: 3, rows })).toBe(reference('m"x', 3, rows));
    const withText = rows.map((r) => ({ ...r, probabilitiesJson: r.probabilities === null ? null : probabilitiesJson(r) }));
    expect(predictAnswerJson({ model: 'm', version: 1, rows: withText })).toBe(reference('m', 1, rows));
  });

  it('matches JSON.stringify for any class names and probabilities (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.double()), fc.boolean(), (probabilities, pre) => {
        const row = classifierRow(probabilities);
        const rows = [pre ? { ...row, probabilitiesJson: probabilitiesJson(row) } : row];
        expect(predictAnswerJson({ model: 'm', version: 7, rows })).toBe(reference('m', 7, [row]));
      }),
    );
  });

  it('logs outputs as JSON.stringify would, fairness included; no text for regression rows', () => {
    const row = classifierRow({ a: 0.9, b: 0.1 });
    expect(outputsJson(row, probabilitiesJson(row))).toBe(JSON.stringify({ label: row.label, probabilities: row.probabilities }));
    const fairness = { attribute: 'region', group: 'EU', threshold: null };
    expect(outputsJson({ ...row, fairness }, probabilitiesJson(row))).toBe(JSON.stringify({ label: row.label, probabilities: row.probabilities, fairness }));
    expect(outputsJson({ label: null }, 'null')).toBeUndefined();
  });
});
