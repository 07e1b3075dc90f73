/** Fairness entities: audit options and the typed, JSON-safe shape of a fairness report. */
import type { Estimate } from '../stats/index.js';
import type { FairnessMetricKey, GroupRate } from './fairness-metrics.js';
import type { RateName } from './group-counts.js';

/** Options of {@link auditFairness}. */
export interface FairnessOptions {
  /** Binary models: the favourable ("selected") class. Default: the second class (`classes[1]`). Set on a multiclass model to audit that class one-vs-rest only. */
  positiveLabel?: string;
  /** Also audit intersections: `true` = all attributes together, or explicit lists such as `[['sex', 'race']]`. Default none. */
  intersections?: boolean | ReadonlyArray<readonly string[]>;
  /** Groups with fewer rows are marked `insufficient` and left out of every comparison (default 30). */
  minGroupSize?: number;
  /** A group is left out of a TPR (FPR) comparison when it has fewer true positives (negatives) than this, and out of the automatic-precision comparison with fewer automatic decisions (default 1). */
  minOutcomeCount?: number;
  /** Automation threshold: confidence ≥ threshold is decided automatically, else sent to people. Enables the `auto_*` metrics. */
  threshold?: number;
  /** Per-row automation thresholds (a mitigation plan's group thresholds), used instead of `threshold` for the `auto_*` counts; `threshold` must still be given. */
  rowThresholds?: ArrayLike<number>;
  /** Bootstrap resamples for the intervals of the differences (default 1000; 0 = no intervals). */
  replicates?: number;
  /** Seed of the bootstrap (default 0). */
  seed?: number;
  /** Two-sided interval level (default 0.95). */
  level?: number;
  /** Equal-width bins of the per-group calibration error (default 15, as evaluation's `ece`). */
  calibrationBins?: number;
}

/** One class's one-vs-rest rates within a group. */
export interface ClassRates {
  label: string;
  /** Rows of the group whose true class is this class. */
  support: number;
  /** Share of the group routed to this class, with a Wilson interval. */
  selectionRate: Estimate;
  /** Recall of the class within the group; null without true rows of the class. */
  tpr: Estimate | null;
  /** 1 − TPR. */
  fnr: Estimate | null;
  /** Share of the group's rows of other classes routed to this class; null without such rows. */
  fpr: Estimate | null;
  /** Share of the group's rows routed to this class that belong to it; null when none is routed to it. */
  precision: Estimate | null;
}

/** Metrics of one group. Proportions carry Wilson 95% intervals. */
export interface GroupMetrics {
  group: string;
  n: number;
  /** `insufficient` when the group has fewer rows than `minGroupSize`: shown, never compared. */
  status: 'ok' | 'insufficient';
  accuracy: Estimate;
  /** Expected calibration error of the top-label confidence within the group; null when empty. */
  calibrationError: number | null;
  /** Positive-class figures (binary, or a multiclass model audited for `positiveLabel`); null otherwise. */
  positives: number | null;
  negatives: number | null;
  selectionRate: Estimate | null;
  tpr: Estimate | null;
  fpr: Estimate | null;
  fnr: Estimate | null;
  precision: Estimate | null;
  /** Multiclass: one-vs-rest rates per class. */
  classes?: ClassRates[];
  /** With a threshold: rows decided automatically, their share, the share sent to people, and the automatic decisions' precision. */
  auto?: number;
  autoShare?: Estimate;
  reviewShare?: Estimate;
  autoPrecision?: Estimate | null;
}

/** Why a group is left out of a comparison. */
export interface Exclusion {
  group: string;
  /** `all` when it is left out of every comparison; otherwise the rate it cannot be compared on. */
  from: 'all' | RateName;
  /** The class concerned, for per-class rates. */
  class: string | null;
  reason: string;
}

/** An across-group comparison with its bootstrap interval. */
export interface FairnessDifference {
  /** The value; null when fewer than two groups can be compared. */
  value: number | null;
  /** Percentile bootstrap interval (rows resampled, the comparison recomputed per resample); null when unavailable. */
  lower: number | null;
  upper: number | null;
  /** Multiclass: the class that decides the value. */
  class: string | null;
  /** The groups with the smallest and largest rate. */
  min: GroupRate | null;
  max: GroupRate | null;
  /** The rate that decides the value (`tpr` or `fpr` for equalized odds). */
  rate: RateName | null;
}

/** Per-class comparisons of a multiclass audit (one-vs-rest). */
export interface ClassComparison {
  label: string;
  demographic_parity_difference: number | null;
  demographic_parity_ratio: number | null;
  equal_opportunity_difference: number | null;
  fpr_difference: number | null;
  equalized_odds_difference: number | null;
}

/** The audit of one sensitive attribute (or intersection). */
export interface AttributeReport {
  /** `sex`, or `sex&race` for an intersection. */
  attribute: string;
  columns: string[];
  /** Every group, largest first. */
  groups: GroupMetrics[];
  /** Groups compared (status `ok`). */
  compared: string[];
  /** Groups (or group × rate × class) left out of comparisons, and why. */
  excluded: Exclusion[];
  /** Across-group comparisons; the `auto_*` ones only with a threshold. */
  differences: Partial<Record<FairnessMetricKey, FairnessDifference>>;
  /** Multiclass: the comparisons of each class. */
  perClass?: ClassComparison[];
}

/** A fairness audit: saved with an evaluation, rendered in model cards, checked by gates. */
export interface FairnessReport {
  kind: 'fairness';
  task: 'binary' | 'multiclass';
  classes: readonly string[];
  /** The favourable class the binary figures are about; null for a multiclass audit of every class. */
  positiveLabel: string | null;
  threshold: number | null;
  n: number;
  minGroupSize: number;
  minOutcomeCount: number;
  level: number;
  replicates: number;
  seed: number;
  attributes: Record<string, AttributeReport>;
}
