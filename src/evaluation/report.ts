/** Evaluation reports: headline metrics with bootstrap intervals, per class, per slice, calibration, automation. */
import { MloopError } from '../errors/index.js';
import { bootstrap, wilson, type Estimate } from '../stats/index.js';
import { automationAt, coveragePrecisionCurve, outOfScopeAt, subset, type AutomationReport, type CurvePoint, type OutOfScopeReport } from './automation.js';
import { confusionMatrix, perClass, reliability, type ClassificationData, type ClassScores, type ReliabilityBin } from './classification-metrics.js';
import { METRICS, type ClassificationMetricSpec, type RegressionMetricSpec } from './metrics.js';
import type { RegressionData } from './regression-metrics.js';

export interface SliceReport {
  column: string;
  value: string;
  n: number;
  /** False when the slice has fewer rows than `minSliceSize`: shown, never gated. */
  trusted: boolean;
  metrics: Record<string, Estimate>;
}

export interface ClassificationReport {
  task: 'classification';
  n: number;
  metrics: Record<string, Estimate>;
  perClass: ClassScores[];
  confusion: { labels: readonly string[]; matrix: number[][] };
  reliability: ReliabilityBin[];
  slices: SliceReport[];
  automation?: AutomationReport;
  outOfScope?: OutOfScopeReport;
  curve: CurvePoint[];
}

export interface RegressionReport {
  task: 'regression';
  n: number;
  metrics: Record<string, Estimate>;
  slices: SliceReport[];
}

export interface ReportOptions {
  /** Slice columns: per-row values by column name. */
  slices?: Record<string, ReadonlyArray<string | null>>;
  /** Slices with fewer rows are marked untrusted (default 30). */
  minSliceSize?: number;
  replicates?: number;
  seed?: number;
  /** Automation threshold to report (chosen on validation data). */
  threshold?: number;
  /** Per-row automation thresholds (a mitigation plan's group thresholds) used instead of `threshold`, which is still reported. */
  rowThresholds?: ArrayLike<number>;
  /**
   * Out-of-scope rejection on its own score (a model's stored rejection threshold): rows whose
   * `scores[i]` is below `threshold` are rejected. When the data hold out-of-scope rows
   * (`yTrue` = -1), the report's `outOfScope` is computed with it instead of the automation threshold.
   */
  outOfScope?: { scores: ArrayLike<number>; threshold: number; score: string };
}

function classificationSpecs(d: ClassificationData): ClassificationMetricSpec[] {
  return Object.values(METRICS).filter(
    (m): m is ClassificationMetricSpec => m.task === 'classification' && (!m.binaryOnly || d.classes.length === 2) && (m.id !== 'log_loss' || d.proba !== undefined),
  );
}

function estimateAll<D>(n: number, d: D, specs: Array<{ id: string; calculate(d: D, w?: Uint32Array): number }>, options: ReportOptions) {
  return bootstrap(n, Object.fromEntries(specs.map((s) => [s.id, (w: Uint32Array) => s.calculate(d, w)])), {
    replicates: options.replicates ?? 1000,
    seed: options.seed ?? 0,
  });
}

/**
 * `metrics` with accuracy's interval replaced by Wilson's score interval. Accuracy is a proportion
 * of rows, and the percentile bootstrap collapses where that matters most, at small n and at 0 or
 * 1 (3 rows of 3 right gave 100.0–100.0 %, Wilson 43.9–100 %); the other metrics keep theirs.
 */
function withWilsonAccuracy(metrics: Record<string, Estimate>, d: ClassificationData): Record<string, Estimate> {
  if (metrics['accuracy'] === undefined) return metrics;
  let k = 0;
  for (let i = 0; i < d.yTrue.length; i++) if (d.yTrue[i] === d.yPred[i]) k += 1;
  return { ...metrics, accuracy: wilson(k, d.yTrue.length) };
}

function sliceRows(values: ReadonlyArray<string | null>): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  values.forEach((v, i) => {
    const key = v ?? '(missing)';
    let rows = groups.get(key);
    if (!rows) groups.set(key, (rows = []));
    rows.push(i);
  });
  return new Map([...groups.entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0])));
}

/**
 * Evaluates a classifier's predictions.
 *
 * @example
 * const report = evaluateClassification(data, { threshold: 0.83, slices: { region } });
 */
export function evaluateClassification(d: ClassificationData, options: ReportOptions = {}): ClassificationReport {
  const n = d.yTrue.length;
  const specs = classificationSpecs(d);
  const minSlice = options.minSliceSize ?? 30;
  const slices: SliceReport[] = [];
  for (const [column, values] of Object.entries(options.slices ?? {})) {
    for (const [value, rows] of sliceRows(values)) {
      const sd = subset(d, rows);
      const sliceSpecs = specs.filter((s) => s.id === 'accuracy' || s.id === 'macro_f1');
      const metrics = estimateAll(rows.length, sd, sliceSpecs, { ...options, replicates: Math.min(options.replicates ?? 1000, 300) });
      slices.push({ column, value, n: rows.length, trusted: rows.length >= minSlice, metrics: withWilsonAccuracy(metrics, sd) });
    }
  }
  const hasOos = d.yTrue.some((t) => t < 0);
  const report: ClassificationReport = {
    task: 'classification',
    n,
    metrics: withWilsonAccuracy(estimateAll(n, d, specs, options), d),
    perClass: perClass(d),
    confusion: { labels: d.classes, matrix: confusionMatrix(d) },
    reliability: reliability(d),
    slices,
    curve: coveragePrecisionCurve(d, 200),
  };
  if (options.outOfScope !== undefined && options.outOfScope.scores.length !== n) {
    throw MloopError.invalidArgument(`outOfScope.scores has ${options.outOfScope.scores.length} values for ${n} rows`);
  }
  if (options.outOfScope !== undefined && hasOos) {
    const o = options.outOfScope;
    report.outOfScope = { ...outOfScopeAt({ ...d, confidence: Float64Array.from(o.scores) }, o.threshold), score: o.score };
  }
  if (options.threshold !== undefined) {
    report.automation = automationAt(d, options.threshold, {
      replicates: options.replicates ?? 1000,
      seed: options.seed ?? 0,
      ...(options.rowThresholds === undefined ? {} : { rowThresholds: options.rowThresholds }),
    });
    if (hasOos && report.outOfScope === undefined) report.outOfScope = { ...outOfScopeAt(d, options.threshold, options.rowThresholds), score: 'confidence' };
  }
  return report;
}

/** Evaluates a regressor's predictions. */
export function evaluateRegression(d: RegressionData, options: ReportOptions = {}): RegressionReport {
  const specs = Object.values(METRICS).filter((m): m is RegressionMetricSpec => m.task === 'regression');
  const minSlice = options.minSliceSize ?? 30;
  const slices: SliceReport[] = [];
  for (const [column, values] of Object.entries(options.slices ?? {})) {
    for (const [value, rows] of sliceRows(values)) {
      const sd: RegressionData = { yTrue: Float64Array.from(rows, (i) => d.yTrue[i]!), yPred: Float64Array.from(rows, (i) => d.yPred[i]!) };
      slices.push({ column, value, n: rows.length, trusted: rows.length >= minSlice, metrics: estimateAll(rows.length, sd, specs, { ...options, replicates: Math.min(options.replicates ?? 1000, 300) }) });
    }
  }
  return { task: 'regression', n: d.yTrue.length, metrics: estimateAll(d.yTrue.length, d, specs, options), slices };
}
