/**
 * Performance per window: realized accuracy where ground truth has arrived (with a Wilson
 * interval and the number of labels it rests on), and accuracy estimated from calibrated
 * confidence where it has not (confidence-based performance estimation, as NannyML's CBPE).
 *
 * CBPE: if p_i is the calibrated probability that prediction i is right, the number of right
 * predictions is Poisson-binomial with mean Σp_i and variance Σp_i(1 − p_i); the expected
 * accuracy is Σp_i / n with standard error √Σp_i(1 − p_i) / n.
 */
import { MloopError } from '../../errors/index.js';

/** z of a two-sided 95 % interval. */
const Z95 = 1.959963984540054;

/** An estimate with a 95 % interval. */
export interface IntervalEstimate {
  value: number;
  lower: number;
  upper: number;
}

/** Wilson score interval of k successes in n trials (null when n = 0). */
export function wilsonInterval(k: number, n: number, z = Z95): IntervalEstimate | null {
  if (n <= 0) return null;
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return { value: p, lower: Math.max(0, center - half), upper: Math.min(1, center + half) };
}

/**
 * A monotone map from a model's top confidence to the probability that its prediction is right,
 * fitted by isotonic regression (pool-adjacent-violators) on held-out predictions.
 */
export interface ConfidenceCalibration {
  /** Block lower edges (ascending) and the accuracy of each block. */
  readonly edges: number[];
  readonly values: number[];
  /** Held-out predictions it was fitted on. */
  readonly n: number;
}

/** Fits the isotonic calibration of `correct` on `confidence` (pool-adjacent-violators). */
export function fitConfidenceCalibration(confidence: ArrayLike<number>, correct: ArrayLike<boolean | number>): ConfidenceCalibration {
  if (confidence.length !== correct.length) throw MloopError.invalidArgument('confidence and correctness differ in length');
  const idx = Array.from({ length: confidence.length }, (_, i) => i).filter((i) => Number.isFinite(confidence[i]!));
  if (idx.length === 0) throw MloopError.invalidArgument('no confidences to calibrate on');
  idx.sort((a, b) => confidence[a]! - confidence[b]!);
  const blocks: Array<{ lo: number; sum: number; w: number }> = [];
  for (const i of idx) {
    const x = confidence[i]!;
    const y = Number(correct[i]!) ? 1 : 0;
    const last = blocks.at(-1);
    // Equal confidences share one block so the map is a function of confidence.
    if (last && last.lo === x) {
      last.sum += y;
      last.w++;
    } else blocks.push({ lo: x, sum: y, w: 1 });
    while (blocks.length > 1) {
      const b = blocks[blocks.length - 1]!;
      const a = blocks[blocks.length - 2]!;
      if (a.sum / a.w < b.sum / b.w) break;
      a.sum += b.sum;
      a.w += b.w;
      blocks.pop();
    }
  }
  return { edges: blocks.map((b) => b.lo), values: blocks.map((b) => b.sum / b.w), n: idx.length };
}

/** The calibrated probability of being right at `confidence` (identity without a calibration). */
export function calibrate(c: ConfidenceCalibration | null, confidence: number): number {
  if (c === null) return Math.min(1, Math.max(0, confidence));
  let lo = 0;
  let hi = c.edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (c.edges[mid]! <= confidence) lo = mid + 1;
    else hi = mid;
  }
  return c.values[Math.max(0, lo - 1)]!;
}

/** Streams one window's predictions into realized and estimated accuracy. */
export class PerformanceWindow {
  #n = 0;
  #p = 0;
  #var = 0;
  #labels = 0;
  #correct = 0;
  #pLabelled = 0;
  #varLabelled = 0;

  constructor(private readonly calibration: ConfidenceCalibration | null) {}

  /** Adds a prediction: its top confidence (null: not estimable) and, when known, whether it was right. */
  add(confidence: number | null, correct: boolean | null): void {
    const p = confidence === null || !Number.isFinite(confidence) ? null : calibrate(this.calibration, confidence);
    if (p !== null) {
      this.#n++;
      this.#p += p;
      this.#var += p * (1 - p);
    }
    if (correct !== null) {
      this.#labels++;
      if (correct) this.#correct++;
      if (p !== null) {
        this.#pLabelled += p;
        this.#varLabelled += p * (1 - p);
      }
    }
  }

  /** The window's performance snapshot. */
  result(): WindowPerformance {
    const est = (sum: number, variance: number, n: number): IntervalEstimate | null => {
      if (n === 0) return null;
      const value = sum / n;
      const se = Math.sqrt(variance) / n;
      return { value, lower: Math.max(0, value - Z95 * se), upper: Math.min(1, value + Z95 * se) };
    };
    const realized = wilsonInterval(this.#correct, this.#labels);
    const onLabelled = est(this.#pLabelled, this.#varLabelled, this.#labels);
    return {
      predictions: this.#n,
      labels: this.#labels,
      label_coverage: this.#n === 0 ? 0 : this.#labels / this.#n,
      realized_accuracy: realized,
      estimated_accuracy: est(this.#p, this.#var, this.#n),
      estimated_on_labelled: onLabelled,
      estimation_error: realized && onLabelled ? realized.value - onLabelled.value : null,
      realized_within_estimate: realized && onLabelled ? realized.value >= onLabelled.lower && realized.value <= onLabelled.upper : null,
    };
  }
}

/** Performance of one window. */
export interface WindowPerformance {
  /** Predictions with a confidence (the estimate rests on them). */
  predictions: number;
  /** Predictions with ground truth (the realized accuracy rests on them). */
  labels: number;
  label_coverage: number;
  /** Share of labelled predictions that were right, with a Wilson 95 % interval; null without labels. */
  realized_accuracy: IntervalEstimate | null;
  /** CBPE: mean calibrated confidence of every prediction, with a Poisson-binomial 95 % interval. */
  estimated_accuracy: IntervalEstimate | null;
  /** CBPE on the labelled predictions only: what realized accuracy is compared against. */
  estimated_on_labelled: IntervalEstimate | null;
  /** realized − estimated on the same predictions. */
  estimation_error: number | null;
  /** Whether realized accuracy falls inside the estimate's interval. */
  realized_within_estimate: boolean | null;
}
