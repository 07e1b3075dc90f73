/** The fairness audit: group tables and across-group comparisons with bootstrap intervals. */
import { MloopError } from '../errors/index.js';
import { expectedCalibrationError, type ClassificationData } from '../evaluation/index.js';
import { bootstrap, wilson, type Estimate } from '../stats/index.js';
import type {
  AttributeReport,
  ClassComparison,
  ClassRates,
  Exclusion,
  FairnessDifference,
  FairnessOptions,
  FairnessReport,
  GroupMetrics,
} from './fairness.js';
import {
  FAIRNESS_METRICS,
  type FairnessMetricKey,
  type FairnessMetricSpec,
  type GroupRate,
  type RateLookup,
} from './fairness-metrics.js';
import {
  buildGroupings,
  countGroups,
  denominatorOf,
  PER_CLASS_RATES,
  rateOf,
  type GroupCounts,
  type Grouping,
  type RateName,
} from './group-counts.js';

const RATES: readonly RateName[] = ['selection_rate', 'tpr', 'fpr', 'accuracy', 'auto_share', 'auto_precision'];

/** Validates predictions and options; returns the resolved positive class index (or null). */
function resolve(d: ClassificationData, options: FairnessOptions): number | null {
  const n = d.yTrue.length;
  const k = d.classes.length;
  if (k < 2) throw MloopError.invalidArgument(`fairness: a classifier needs at least two classes, got ${k}`);
  if (d.yPred.length !== n || d.confidence.length !== n)
    throw MloopError.invalidArgument('fairness: yTrue, yPred and confidence must have the same length');
  for (let i = 0; i < n; i++) {
    const p = d.yPred[i]!;
    const t = d.yTrue[i]!;
    if (p < 0 || p >= k || t >= k || t < -1)
      throw MloopError.invalidArgument(`fairness: row ${i} has a class index outside 0..${k - 1}`);
  }
  for (const [name, v] of [
    ['minGroupSize', options.minGroupSize],
    ['minOutcomeCount', options.minOutcomeCount],
    ['replicates', options.replicates],
  ] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 0))
      throw MloopError.invalidArgument(`fairness: ${name} must be a non-negative integer, got ${v}`);
  }
  if (options.positiveLabel !== undefined) {
    const pos = d.classes.indexOf(options.positiveLabel);
    if (pos < 0)
      throw MloopError.invalidArgument(
        `fairness: positive label '${options.positiveLabel}' is not a class; classes: ${d.classes.join(', ')}`,
      );
    return pos;
  }
  return k === 2 ? 1 : null;
}

const nullable = (k: number, n: number): Estimate | null => (n > 0 ? wilson(k, n) : null);

/** The per-group table of one attribute. */
function groupTable(
  d: ClassificationData,
  grouping: Grouping,
  counts: GroupCounts[],
  pos: number | null,
  options: Required<Pick<FairnessOptions, 'minGroupSize' | 'calibrationBins'>> & FairnessOptions,
): GroupMetrics[] {
  return grouping.labels.map((group, g) => {
    const c = counts[g]!;
    const mask = Uint32Array.from(grouping.index, (x) => (x === g ? 1 : 0));
    const ece = expectedCalibrationError(d, options.calibrationBins, mask);
    const row: GroupMetrics = {
      group,
      n: c.n,
      status: c.n >= options.minGroupSize ? 'ok' : 'insufficient',
      accuracy: wilson(c.correct, c.n),
      calibrationError: Number.isFinite(ece) ? ece : null,
      positives: null,
      negatives: null,
      selectionRate: null,
      tpr: null,
      fpr: null,
      fnr: null,
      precision: null,
    };
    const classRates = (cls: number): ClassRates => {
      const negatives = c.known - c.truth[cls]!;
      const tpr = nullable(c.hits[cls]!, c.truth[cls]!);
      return {
        label: d.classes[cls]!,
        support: c.truth[cls]!,
        selectionRate: wilson(c.predicted[cls]!, c.n),
        tpr,
        fnr: tpr && nullable(c.truth[cls]! - c.hits[cls]!, c.truth[cls]!),
        fpr: nullable(c.predictedKnown[cls]! - c.hits[cls]!, negatives),
        precision: nullable(c.hits[cls]!, c.predictedKnown[cls]!),
      };
    };
    if (pos !== null) {
      const r = classRates(pos);
      Object.assign(row, {
        positives: r.support,
        negatives: c.known - r.support,
        selectionRate: r.selectionRate,
        tpr: r.tpr,
        fpr: r.fpr,
        fnr: r.fnr,
        precision: r.precision,
      });
    } else {
      row.classes = d.classes.map((_, cls) => classRates(cls));
    }
    if (options.threshold !== undefined) {
      row.auto = c.auto;
      row.autoShare = wilson(c.auto, c.n);
      const share = row.autoShare;
      row.reviewShare = {
        value: 1 - share.value,
        lower: share.upper === null ? null : 1 - share.upper,
        upper: share.lower === null ? null : 1 - share.lower,
      };
      row.autoPrecision = nullable(c.autoCorrect, c.auto);
    }
    return row;
  });
}

/** Which groups each (rate, class) comparison may use, and the exclusions that follow. */
function eligibility(
  d: ClassificationData,
  grouping: Grouping,
  counts: GroupCounts[],
  classes: readonly number[],
  options: { minGroupSize: number; minOutcomeCount: number; threshold?: number },
) {
  const excluded: Exclusion[] = [];
  const eligible = new Map<string, number[]>();
  const sized = grouping.labels.map((_, g) => counts[g]!.n >= options.minGroupSize);
  grouping.labels.forEach((group, g) => {
    if (!sized[g])
      excluded.push({
        group,
        from: 'all',
        class: null,
        reason: `${counts[g]!.n} rows, fewer than the minimum group size ${options.minGroupSize}`,
      });
  });
  const need = Math.max(1, options.minOutcomeCount);
  const why: Partial<Record<RateName, (cls: string, have: number) => string>> = {
    tpr: (cls, have) => `${have} rows of true class '${cls}', need ≥ ${need} for a TPR`,
    fpr: (cls, have) => `${have} rows of classes other than '${cls}', need ≥ ${need} for an FPR`,
    auto_precision: (_, have) => `${have} automatic decisions, need ≥ ${need} for their precision`,
  };
  for (const rate of RATES) {
    if ((rate === 'auto_share' || rate === 'auto_precision') && options.threshold === undefined) continue;
    const perClass = PER_CLASS_RATES.has(rate);
    for (const cls of perClass ? classes : [0]) {
      const ok: number[] = [];
      grouping.labels.forEach((group, g) => {
        if (!sized[g]) return;
        const reason = why[rate];
        const have = denominatorOf(counts[g]!, rate, cls);
        if (reason && have < need) {
          const label = d.classes[cls]!;
          excluded.push({ group, from: rate, class: perClass ? label : null, reason: reason(label, have) });
          return;
        }
        ok.push(g);
      });
      eligible.set(`${rate}:${cls}`, ok);
    }
  }
  return { eligible, excluded };
}

function lookupFor(grouping: Grouping, counts: GroupCounts[], eligible: Map<string, number[]>): RateLookup {
  return (rate, cls) => {
    const key = `${rate}:${PER_CLASS_RATES.has(rate) ? cls : 0}`;
    return (eligible.get(key) ?? []).map((g): GroupRate => ({
      group: grouping.labels[g]!,
      value: rateOf(counts[g]!, rate, cls),
    }));
  };
}

/** Reuses the last result while the weight vector is unchanged, so one count pass serves every statistic of a resample. */
function memoByWeights<T>(f: (w: Uint32Array) => T): (w: Uint32Array) => T {
  let last: Uint32Array | undefined;
  let value!: T;
  return (w) => {
    if (last !== undefined && last.length === w.length && last.every((x, i) => x === w[i])) return value;
    value = f(w);
    last = Uint32Array.from(w);
    return value;
  };
}

function auditAttribute(d: ClassificationData, grouping: Grouping, pos: number | null, o: ResolvedOptions): AttributeReport {
  const classes = pos === null ? d.classes.map((_, c) => c) : [pos];
  const counts = countGroups(d, grouping, o.threshold, undefined, o.rowThresholds);
  const { eligible, excluded } = eligibility(d, grouping, counts, classes, o);
  const specs: FairnessMetricSpec[] = Object.values(FAIRNESS_METRICS).filter(
    (m) => m.needs !== 'threshold' || o.threshold !== undefined,
  );
  const lookup = lookupFor(grouping, counts, eligible);
  const point = new Map(specs.map((s) => [s.key, s.calculate(lookup, classes, d.classes)]));
  const resampled = memoByWeights((w) => lookupFor(grouping, countGroups(d, grouping, o.threshold, w, o.rowThresholds), eligible));
  const intervals = bootstrap(
    d.yTrue.length,
    Object.fromEntries(
      specs.map((s) => [s.key, (w: Uint32Array) => s.calculate(resampled(w), classes, d.classes)?.value ?? Number.NaN]),
    ),
    { replicates: o.replicates, seed: o.seed, level: o.level },
  );
  const differences: Partial<Record<FairnessMetricKey, FairnessDifference>> = {};
  for (const s of specs) {
    const p = point.get(s.key) ?? null;
    const e = intervals[s.key];
    differences[s.key] = {
      value: p?.value ?? null,
      lower: p ? (e?.lower ?? null) : null,
      upper: p ? (e?.upper ?? null) : null,
      class: pos === null ? (p?.class ?? null) : null,
      min: p?.min ?? null,
      max: p?.max ?? null,
      rate: p?.rate ?? null,
    };
  }
  const report: AttributeReport = {
    attribute: grouping.attribute,
    columns: grouping.columns,
    groups: groupTable(d, grouping, counts, pos, o),
    compared: grouping.labels.filter((_, g) => counts[g]!.n >= o.minGroupSize),
    excluded,
    differences,
  };
  if (pos === null) {
    const one = (key: FairnessMetricKey, c: number) => FAIRNESS_METRICS[key].calculate(lookup, [c], d.classes)?.value ?? null;
    report.perClass = classes.map((c): ClassComparison => ({
      label: d.classes[c]!,
      demographic_parity_difference: one('demographic_parity_difference', c),
      demographic_parity_ratio: one('demographic_parity_ratio', c),
      equal_opportunity_difference: one('equal_opportunity_difference', c),
      fpr_difference: one('fpr_difference', c),
      equalized_odds_difference: one('equalized_odds_difference', c),
    }));
  }
  return report;
}

type ResolvedOptions = FairnessOptions & {
  minGroupSize: number;
  minOutcomeCount: number;
  replicates: number;
  seed: number;
  level: number;
  calibrationBins: number;
};

/**
 * Audits a classifier's predictions for each sensitive attribute: a table per group and the
 * across-group comparisons (Fairlearn's definitions) with percentile bootstrap intervals. Groups too
 * small to judge are marked `insufficient`, left out of comparisons, and listed under `excluded`.
 *
 * @example
 * const report = auditFairness(data, { sex, race }, { threshold: 0.83, intersections: true });
 * report.attributes['sex']!.differences.equalized_odds_difference; // { value, lower, upper, … }
 */
export function auditFairness(
  d: ClassificationData,
  sensitive: Readonly<Record<string, ReadonlyArray<string | null>>>,
  options: FairnessOptions = {},
): FairnessReport {
  const pos = resolve(d, options);
  const o: ResolvedOptions = {
    ...options,
    minGroupSize: options.minGroupSize ?? 30,
    minOutcomeCount: options.minOutcomeCount ?? 1,
    replicates: options.replicates ?? 1000,
    seed: options.seed ?? 0,
    level: options.level ?? 0.95,
    calibrationBins: options.calibrationBins ?? 15,
  };
  const groupings = buildGroupings(sensitive, d.yTrue.length, options.intersections);
  return {
    kind: 'fairness',
    task: d.classes.length === 2 ? 'binary' : 'multiclass',
    classes: d.classes,
    positiveLabel: pos === null ? null : d.classes[pos]!,
    threshold: options.threshold ?? null,
    n: d.yTrue.length,
    minGroupSize: o.minGroupSize,
    minOutcomeCount: o.minOutcomeCount,
    level: o.level,
    replicates: o.replicates,
    seed: o.seed,
    attributes: Object.fromEntries(groupings.map((g) => [g.attribute, auditAttribute(d, g, pos, o)])),
  };
}
