/** From raw model scores to class probabilities, shared by every tabular learner. */
import { applyCalibrator, type Calibrator } from './calibration.js';

/** Index of the largest value (the first on ties). */
export function argmax(p: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < p.length; k++) if (p[k]! > p[best]!) best = k;
  return best;
}

/** Raw scores → probability rows (sigmoid + calibrator for one output, softmax otherwise). */
export function probabilities(raw: Float64Array, K: number, cal: Calibrator): Float64Array[] {
  const n = raw.length / K;
  const out: Float64Array[] = new Array(n);
  for (let i = 0; i < n; i++) {
    if (K === 1) {
      const p = applyCalibrator(cal, raw[i]!);
      out[i] = Float64Array.of(1 - p, p);
    } else {
      let mx = -Infinity;
      for (let k = 0; k < K; k++) mx = Math.max(mx, raw[i * K + k]!);
      const row = new Float64Array(K);
      let z = 0;
      for (let k = 0; k < K; k++) z += row[k] = Math.exp(raw[i * K + k]! - mx);
      for (let k = 0; k < K; k++) row[k] = row[k]! / z;
      out[i] = row;
    }
  }
  return out;
}
