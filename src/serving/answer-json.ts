/**
 * The answer of `POST /v1/models/{name}:predict` as JSON text, written field by field: the same text
 * `JSON.stringify` makes of the answer object, without building that object first.
 */
import type { ServedPrediction } from './serving-runtime.js';

/**
 * `{model, model_version, predictions: [{label, probabilities, [value,] confidence, decision, model_version, prediction_id}]}`
 * (`value` only for regression rows).
 */
export function predictAnswerJson(served: Pick<ServedPrediction, 'model' | 'version' | 'rows'>): string {
  const v = JSON.stringify(served.version);
  let out = `{"model":${JSON.stringify(served.model)},"model_version":${v},"predictions":[`;
  for (let i = 0; i < served.rows.length; i++) {
    const r = served.rows[i]!;
    if (i > 0) out += ',';
    out += `{"label":${JSON.stringify(r.label)},"probabilities":${JSON.stringify(r.probabilities)}`;
    if (r.value !== null) out += `,"value":${JSON.stringify(r.value)}`;
    out += `,"confidence":${JSON.stringify(r.confidence)},"decision":${JSON.stringify(r.decision)},"model_version":${v},"prediction_id":${JSON.stringify(r.predictionId)}}`;
  }
  return `${out}]}`;
}
