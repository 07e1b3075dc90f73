/**
 * Automation at a target precision: the confidence threshold above which predictions are decided
 * automatically, chosen on validation data, and what it yields on evaluation data.
 */
import { MloopError } from '../errors/index.js';
import { bootstrap, wilson, type Estimate } from '../stats/index.js';
import type { ClassificationData } from './classification-metrics.js';

/** One point of the coverage–precision curve. */
export interface CurvePoint {
  /** Predictions with confidence ≥ threshold are decided automatically. */
  threshold: number;
  /** Share of rows decided automatically. */
  coverage: number;
  /** Share of automatic decisions that are correct. */
  precision: number;
  /** Number of automatic decisions. */
  auto: number;
}

/**
 * The coverage–precision curve: one point per distinct confidence, from the most confident down.
 * `maxPoints` thins it evenly for reports (the first and last points are kept).
 */
export function coveragePrecisionCurve(d: ClassificationData, maxPoints = Infinity): CurvePoint[] {
  const n = d.confidence.length;
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => d.confidence[b]! - d.confidence[a]!);
  const points: CurvePoint[] = [];
  let correct = 0;
  for (let i = 0; i < n; ) {
    const c = d.confidence[order[i]!]!;
    while (i < n && d.confidence[order[i]!] === c) {
      if (d.yTrue[order[i]!] === d.yPred[order[i]!]) correct++;
      i++;
    }
    points.push({ threshold: c, coverage: i / n, precision: correct / i, auto: i });
  }
  if (points.length <= maxPoints) return points;
  const step = (points.length - 1) / (maxPoints - 1);
  return Array.from({ length: maxPoints }, (_, j) => points[Math.round(j * step)]!);
}

/** How the threshold is chosen. */
export type ThresholdMethod =
  /** Lowest threshold whose observed precision reaches the target. */
  | 'point'
  /** Lowest threshold whose Wilson 95% lower bound on precision reaches the target (more conservative). */
  | 'wilson';

export interface ThresholdChoice {
  targetPrecision: number;
  method: ThresholdMethod;
  /** True when some threshold reaches the target on the validation data. */
  achievable: boolean;
  /**
   * The chosen threshold. When the target is not achievable, `Infinity`: nothing is decided
   * automatically (everything goes to people) until someone chooses otherwise.
   */
  threshold: number;
  /** On the validation data, at the chosen threshold (or, when not achievable, at the best point). */
  validation: { precision: number; coverage: number; auto: number };
  /** When not achievable: the best precision any threshold with at least `minAuto` decisions reaches. */
  bestAchievable?: { threshold: number; precision: number; coverage: number };
  message: string;
}

/**
 * Chooses the lowest confidence threshold at which automatic decisions reach `targetPrecision` on
 * validation data, with at least `minAuto` automatic decisions.
 */
export function chooseThreshold(
  validation: ClassificationData,
  targetPrecision: number,
  options: { method?: ThresholdMethod; minAuto?: number } = {},
): ThresholdChoice {
  if (!(targetPrecision > 0 && targetPrecision <= 1)) {
    throw MloopError.invalidArgument(`target precision must be in (0, 1], got ${targetPrecision}`);
  }
  const method = options.method ?? 'point';
  const minAuto = options.minAuto ?? 1;
  const curve = coveragePrecisionCurve(validation);
  const meets = (p: CurvePoint) =>
    p.auto >= minAuto &&
    (method === 'point' ? p.precision >= targetPrecision - 1e-12 : (wilson(Math.round(p.precision * p.auto), p.auto).lower ?? 0) >= targetPrecision);
  let chosen: CurvePoint | undefined;
  for (const p of curve) if (meets(p)) chosen = p; // curve runs from high to low thresholds: keep the lowest
  if (chosen) {
    return {
      targetPrecision,
      method,
      achievable: true,
      threshold: chosen.threshold,
      validation: { precision: chosen.precision, coverage: chosen.coverage, auto: chosen.auto },
      message: `automatic above confidence ${chosen.threshold.toFixed(4)}: ${(chosen.coverage * 100).toFixed(1)}% of validation rows at ${(chosen.precision * 100).toFixed(2)}% precision`,
    };
  }
  const eligible = curve.filter((p) => p.auto >= minAuto);
  const best = eligible.reduce<CurvePoint | undefined>((b, p) => (!b || p.precision > b.precision ? p : b), undefined);
  return {
    targetPrecision,
    method,
    achievable: false,
    threshold: Infinity,
    validation: { precision: Number.NaN, coverage: 0, auto: 0 },
    ...(best ? { bestAchievable: { threshold: best.threshold, precision: best.precision, coverage: best.coverage } } : {}),
    message: best
      ? `no threshold reaches ${(targetPrecision * 100).toFixed(2)}% precision on validation data; the best is ${(best.precision * 100).toFixed(2)}% at confidence ${best.threshold.toFixed(4)} (${(best.coverage * 100).toFixed(1)}% coverage); everything goes to review`
      : 'no validation rows to choose a threshold on; everything goes to review',
  };
}

/** What a threshold yields on evaluation data. */
export interface AutomationReport {
  threshold: number;
  /** Share of rows decided automatically, with a bootstrap interval. */
  coverage: Estimate;
  /** Share of rows sent to people. */
  reviewShare: Estimate;
  /** Precision of the automatic decisions, with a bootstrap interval (null when none). */
  precision: Estimate;
  auto: number;
  review: number;
  n: number;
}

/** Applies `threshold` to `d`: coverage, review share and precision of automatic decisions, with intervals. */
export function automationAt(
  d: ClassificationData,
  threshold: number,
  options: { replicates?: number; seed?: number; rowThresholds?: ArrayLike<number> } = {},
): AutomationReport {
  const n = d.confidence.length;
  const rows = options.rowThresholds;
  const isAuto = (i: number) => d.confidence[i]! >= (rows === undefined ? threshold : rows[i]!);
  const stats = {
    coverage: (wts: Uint32Array) => {
      let a = 0;
      let t = 0;
      for (let i = 0; i < n; i++) {
        t += wts[i]!;
        if (isAuto(i)) a += wts[i]!;
      }
      return t === 0 ? Number.NaN : a / t;
    },
    precision: (wts: Uint32Array) => {
      let a = 0;
      let c = 0;
      for (let i = 0; i < n; i++) {
        if (!isAuto(i)) continue;
        a += wts[i]!;
        if (d.yTrue[i] === d.yPred[i]) c += wts[i]!;
      }
      return a === 0 ? Number.NaN : c / a;
    },
  };
  const est = bootstrap(n, stats, { replicates: options.replicates ?? 1000, seed: options.seed ?? 0 });
  const cov = est['coverage']!;
  let auto = 0;
  for (let i = 0; i < n; i++) if (isAuto(i)) auto++;
  return {
    threshold,
    coverage: cov,
    reviewShare: { value: 1 - cov.value, lower: cov.upper === null ? null : 1 - cov.upper, upper: cov.lower === null ? null : 1 - cov.lower },
    precision: est['precision']!,
    auto,
    review: n - auto,
    n,
  };
}

/** Per-class thresholds: for each predicted class, the threshold reaching the target among its predictions. */
export function choosePerClassThresholds(
  validation: ClassificationData,
  targetPrecision: number,
  options: { method?: ThresholdMethod; minAuto?: number } = {},
): Record<string, ThresholdChoice> {
  const out: Record<string, ThresholdChoice> = {};
  validation.classes.forEach((label, c) => {
    const rows: number[] = [];
    for (let i = 0; i < validation.yPred.length; i++) if (validation.yPred[i] === c) rows.push(i);
    out[label] = chooseThreshold(subset(validation, rows), targetPrecision, options);
  });
  return out;
}

/** The rows `rows` of `d`, as a new dataset. */
export function subset(d: ClassificationData, rows: readonly number[]): ClassificationData {
  const k = d.classes.length;
  const out: ClassificationData = {
    classes: d.classes,
    yTrue: Int32Array.from(rows, (i) => d.yTrue[i]!),
    yPred: Int32Array.from(rows, (i) => d.yPred[i]!),
    confidence: Float64Array.from(rows, (i) => d.confidence[i]!),
  };
  if (d.proba) {
    const p = new Float64Array(rows.length * k);
    rows.forEach((i, r) => {
      for (let c = 0; c < k; c++) p[r * k + c] = d.proba![i * k + c]!;
    });
    out.proba = p;
  }
  return out;
}

/** Out-of-scope report: rows whose true label the model never saw should be rejected (sent to people). */
export interface OutOfScopeReport {
  threshold: number;
  /** In-scope rows that were accepted and correct, over all in-scope rows. */
  inScopeAccuracy: Estimate;
  /** Out-of-scope rows that were rejected, over all out-of-scope rows. */
  outOfScopeRecall: Estimate;
  /** In-scope rows predicted right, over all in-scope rows, rejecting nothing (the model's accuracy on its own classes). */
  inScopeAccuracyWithoutRejection: Estimate;
  inScope: number;
  outOfScope: number;
  /** The score the threshold applies to: `confidence` (the automation threshold) or a model's own in-scope score (`max_logit`). */
  score?: string;
}

/** In-scope accuracy with rejection and out-of-scope recall at `threshold` (rows with yTrue = -1 are out of scope). */
export function outOfScopeAt(d: ClassificationData, threshold: number, rowThresholds?: ArrayLike<number>): OutOfScopeReport {
  let inScope = 0;
  let inCorrect = 0;
  let inRight = 0;
  let oos = 0;
  let oosRejected = 0;
  for (let i = 0; i < d.yTrue.length; i++) {
    const accepted = d.confidence[i]! >= (rowThresholds === undefined ? threshold : rowThresholds[i]!);
    if (d.yTrue[i]! < 0) {
      oos++;
      if (!accepted) oosRejected++;
    } else {
      inScope++;
      if (d.yTrue[i] === d.yPred[i]) {
        inRight++;
        if (accepted) inCorrect++;
      }
    }
  }
  return { threshold, inScopeAccuracy: wilson(inCorrect, inScope), outOfScopeRecall: wilson(oosRejected, oos), inScopeAccuracyWithoutRejection: wilson(inRight, inScope), inScope, outOfScope: oos };
}
