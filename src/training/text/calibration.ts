/**
 * Probability calibration by temperature scaling (Guo et al., 2017) and its measures: negative
 * log-likelihood, expected calibration error (top-label, equal-width bins) and reliability bins.
 */
import { MloopError } from '../../errors/index.js';

/** One bin of a reliability diagram over top-label confidence. */
export interface ReliabilityBin {
  /** Bin interval (lower, upper]; the first bin also holds confidence 0. */
  lower: number;
  upper: number;
  /** Rows whose top confidence falls in the bin. */
  count: number;
  /** Mean top confidence of those rows; 0 when empty. */
  meanConfidence: number;
  /** Share of those rows whose top label is right; 0 when empty. */
  accuracy: number;
}

/** Calibration quality of a set of predictions. */
export interface CalibrationReport {
  /** Mean negative log-likelihood of the true class. */
  nll: number;
  /** Expected calibration error: Σ (count/n)·|accuracy − meanConfidence| over the bins. */
  ece: number;
  bins: ReliabilityBin[];
}

function check(logits: ArrayLike<number>, y: ArrayLike<number>, k: number): number {
  if (!Number.isInteger(k) || k < 2) throw MloopError.invalidArgument(`need at least 2 classes, got ${k}`);
  if (logits.length !== y.length * k)
    throw MloopError.invalidArgument(`logits length ${logits.length} is not rows (${y.length}) × classes (${k})`);
  if (y.length === 0) throw MloopError.invalidArgument('calibration needs at least one row');
  return y.length;
}

/**
 * Mean cross-entropy of softmax(logits / T) and its first two derivatives in β = 1/T, against
 * targets giving each row's true class `target` of the mass and the other classes equal shares of
 * the rest (`target` 1: the NLL).
 */
function nllAndDerivatives(logits: ArrayLike<number>, y: ArrayLike<number>, k: number, beta: number, target = 1): [number, number, number] {
  const other = (1 - target) / (k - 1);
  const n = y.length;
  let f = 0;
  let d1 = 0;
  let d2 = 0;
  for (let i = 0; i < n; i++) {
    const o = i * k;
    let m = -Infinity;
    for (let c = 0; c < k; c++) m = Math.max(m, beta * (logits[o + c] as number));
    let s = 0;
    let s1 = 0;
    let s2 = 0;
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const zc = logits[o + c] as number;
      const e = Math.exp(beta * zc - m);
      s += e;
      s1 += e * zc;
      s2 += e * zc * zc;
      sum += zc;
    }
    const zy = logits[o + (y[i] as number)] as number;
    // The targets' mean logit: zy when target is 1.
    const zt = target === 1 ? zy : target * zy + other * (sum - zy);
    const mean = s1 / s;
    f += Math.log(s) + m - beta * zt;
    d1 += mean - zt;
    d2 += s2 / s - mean * mean;
  }
  return [f / n, d1 / n, d2 / n];
}

/**
 * The share of the probability mass {@link fitTemperature} gives each row's true class among `n`
 * held-out rows: (n + 1) / (n + 2), Laplace's rule of succession, as Platt (1999) smooths the
 * targets of a sigmoid fit (scikit-learn's `_sigmoid_calibration` does the same).
 */
export function calibrationTarget(n: number): number {
  return (n + 1) / (n + 2);
}

/**
 * The temperature T > 0 minimising the cross-entropy of softmax(logits / T) on `n` held-out rows
 * against smoothed targets: each row's true class gets {@link calibrationTarget}(n) of the mass,
 * the other classes share the rest. On rows the logits separate perfectly (every top label right),
 * the plain NLL keeps falling as T → 0 and every confidence would become 1, an error included, so
 * no threshold could send anything to review; with the smoothed targets the minimum is finite and a
 * confidence stays below 1. With thousands of rows T moves by a fraction of a percent. The loss is
 * convex in β = 1/T, so a safeguarded Newton iteration on β converges in a few steps.
 *
 * @param logits row-major `rows × k`
 * @param y true class of each row, in [0, k)
 */
export function fitTemperature(logits: ArrayLike<number>, y: ArrayLike<number>, k: number): number {
  const n = check(logits, y, k);
  const target = calibrationTarget(n);
  const MIN_BETA = 1e-3;
  const MAX_BETA = 1e3;
  let lo = MIN_BETA;
  let hi = MAX_BETA;
  let beta = 1;
  for (let iter = 0; iter < 100; iter++) {
    const [, d1, d2] = nllAndDerivatives(logits, y, k, beta, target);
    if (Math.abs(d1) < 1e-10) break;
    if (d1 > 0) hi = beta;
    else lo = beta;
    let next = d2 > 0 ? beta - d1 / d2 : NaN;
    // Fall back to bisection (geometric, as β spans decades) when Newton leaves the bracket.
    if (!(next > lo && next < hi)) next = Math.sqrt(lo * hi);
    if (Math.abs(next - beta) < 1e-12 * beta) {
      beta = next;
      break;
    }
    beta = next;
  }
  return 1 / beta;
}

/** Mean NLL of softmax(logits / temperature); with `target` below 1, the cross-entropy against targets smoothed as {@link fitTemperature}'s. */
export function negativeLogLikelihood(logits: ArrayLike<number>, y: ArrayLike<number>, k: number, temperature = 1, target = 1): number {
  check(logits, y, k);
  return nllAndDerivatives(logits, y, k, 1 / temperature, target)[0];
}

/**
 * ECE and reliability bins of top-label confidences: `bins` equal-width bins over [0, 1],
 * bin b = (b/bins, (b+1)/bins] (confidence 0 goes to the first bin).
 *
 * @param confidence top probability of each row
 * @param correct whether each row's top label is right
 */
export function calibrationBins(
  confidence: ArrayLike<number>,
  correct: ArrayLike<boolean>,
  bins = 15,
): { ece: number; bins: ReliabilityBin[] } {
  if (confidence.length !== correct.length) throw MloopError.invalidArgument('confidence and correct differ in length');
  if (!Number.isInteger(bins) || bins < 1) throw MloopError.invalidArgument(`bins must be a positive integer, got ${bins}`);
  const count = new Float64Array(bins);
  const conf = new Float64Array(bins);
  const hits = new Float64Array(bins);
  const n = confidence.length;
  for (let i = 0; i < n; i++) {
    const p = confidence[i] as number;
    if (!(p >= 0 && p <= 1)) throw MloopError.invalidArgument(`confidence ${p} of row ${i} is outside [0, 1]`);
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(p * bins) - 1));
    count[b]! += 1;
    conf[b]! += p;
    if (correct[i] === true) hits[b]! += 1;
  }
  let ece = 0;
  const out: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    const c = count[b] as number;
    const meanConfidence = c > 0 ? (conf[b] as number) / c : 0;
    const accuracy = c > 0 ? (hits[b] as number) / c : 0;
    if (n > 0) ece += (c / n) * Math.abs(accuracy - meanConfidence);
    out.push({ lower: b / bins, upper: (b + 1) / bins, count: c, meanConfidence, accuracy });
  }
  return { ece, bins: out };
}

/** NLL, ECE and reliability bins of softmax(logits / temperature) against `y`. */
export function calibrationReport(
  logits: ArrayLike<number>,
  y: ArrayLike<number>,
  k: number,
  temperature = 1,
  bins = 15,
): CalibrationReport {
  const n = check(logits, y, k);
  const confidence = new Float64Array(n);
  const correct: boolean[] = new Array<boolean>(n);
  for (let i = 0; i < n; i++) {
    const o = i * k;
    let best = 0;
    let m = -Infinity;
    for (let c = 0; c < k; c++) {
      const v = (logits[o + c] as number) / temperature;
      if (v > m) {
        m = v;
        best = c;
      }
    }
    let s = 0;
    for (let c = 0; c < k; c++) s += Math.exp((logits[o + c] as number) / temperature - m);
    confidence[i] = 1 / s;
    correct[i] = best === y[i];
  }
  return { nll: negativeLogLikelihood(logits, y, k, temperature), ...calibrationBins(confidence, correct, bins) };
}
