/**
 * Fairness metrics as data: a frozen table of across-group comparisons with stable ids (the ids gate
 * rules name), kept apart from their calculation over a table of per-group rates.
 * Definitions follow Fairlearn's `between_groups` method; see docs/fairness.md.
 */
import { MloopError } from '../errors/index.js';
import { PER_CLASS_RATES, type RateName } from './group-counts.js';

/** Every across-group comparison, by the key it has in a report. */
export const FAIRNESS_METRIC_KEYS = Object.freeze([
  'demographic_parity_difference',
  'demographic_parity_ratio',
  'equalized_odds_difference',
  'equal_opportunity_difference',
  'fpr_difference',
  'accuracy_difference',
  'auto_share_difference',
  'auto_precision_difference',
] as const);

export type FairnessMetricKey = (typeof FAIRNESS_METRIC_KEYS)[number];

/** One group's value of a rate. */
export interface GroupRate {
  group: string;
  value: number;
}

/** Rates of the compared groups for `rate` and class index `cls` (ignored for rates that are not per class). */
export type RateLookup = (rate: RateName, cls: number) => GroupRate[];

/** The value of one comparison and where it comes from. */
export interface Comparison {
  value: number;
  /** For per-class metrics on multiclass models: the class with the largest gap (smallest ratio). */
  class: string | null;
  /** The groups at the extremes of the deciding rate. */
  min: GroupRate;
  max: GroupRate;
  /** The rate that decided the value (`tpr` or `fpr` for equalized odds). */
  rate: RateName;
}

/** A registered fairness metric. */
export interface FairnessMetricSpec {
  /** Stable id used in gate rules: `fairness.<key>`. */
  readonly id: `fairness.${FairnessMetricKey}`;
  /** Key in a report's `differences`. */
  readonly key: FairnessMetricKey;
  /** Whether higher values are better (only ratios). */
  readonly direction: 'higher' | 'lower';
  /** What the metric needs besides predictions and groups. */
  readonly needs: 'predictions' | 'truth' | 'threshold';
  /** Whether it is computed one-vs-rest per class (the maximum gap or minimum ratio across classes is reported). */
  readonly perClass: boolean;
  readonly doc: string;
  readonly formula: string;
  /** The comparison over `classes` (class indices) given the compared groups' rates; null when fewer than two groups can be compared. */
  calculate(rates: RateLookup, classes: readonly number[], labels: readonly string[]): Comparison | null;
}

/** The smallest and largest finite rate (first and last on ties); null with fewer than two groups to compare. */
function extremes(entries: GroupRate[]): { min: GroupRate; max: GroupRate } | null {
  let min: GroupRate | undefined;
  let max: GroupRate | undefined;
  let count = 0;
  for (const e of entries) {
    if (!Number.isFinite(e.value)) continue;
    count++;
    if (!min || e.value < min.value) min = e;
    if (!max || e.value >= max.value) max = e;
  }
  return count >= 2 && min && max ? { min, max } : null;
}

/** max − min of `rate` over the compared groups, the largest over `classes`. */
function gap(rate: RateName): FairnessMetricSpec['calculate'] {
  return (rates, classes, labels) => {
    let best: Comparison | null = null;
    for (const c of classes) {
      const ext = extremes(rates(rate, c));
      if (!ext) continue;
      const value = ext.max.value - ext.min.value;
      // a rate of the whole group (accuracy, automatic share) is about no class
      if (!best || value > best.value) best = { value, class: PER_CLASS_RATES.has(rate) ? (labels[c] ?? null) : null, ...ext, rate };
    }
    return best;
  };
}

/** min / max of `rate` over the compared groups, the smallest over `classes`; undefined where every rate is 0. */
function ratio(rate: RateName): FairnessMetricSpec['calculate'] {
  return (rates, classes, labels) => {
    let best: Comparison | null = null;
    for (const c of classes) {
      const ext = extremes(rates(rate, c));
      if (!ext) continue;
      if (ext.max.value === 0) continue;
      const value = ext.min.value / ext.max.value;
      if (!best || value < best.value) best = { value, class: labels[c] ?? null, ...ext, rate };
    }
    return best;
  };
}

/** max(TPR gap, FPR gap) per class, the largest over classes; a class counts only when both gaps are defined. */
const equalizedOdds: FairnessMetricSpec['calculate'] = (rates, classes, labels) => {
  let best: Comparison | null = null;
  for (const c of classes) {
    const t = gap('tpr')(rates, [c], labels);
    const f = gap('fpr')(rates, [c], labels);
    if (!t || !f) continue;
    const pick = f.value > t.value ? f : t;
    if (!best || pick.value > best.value) best = pick;
  }
  return best;
};

function spec(s: Omit<FairnessMetricSpec, 'id'>): FairnessMetricSpec {
  return Object.freeze({ ...s, id: `fairness.${s.key}` as const });
}

/** The registered fairness metrics, by key. */
export const FAIRNESS_METRICS: Readonly<Record<FairnessMetricKey, FairnessMetricSpec>> = Object.freeze({
  demographic_parity_difference: spec({
    key: 'demographic_parity_difference',
    direction: 'lower',
    needs: 'predictions',
    perClass: true,
    doc: 'largest minus smallest selection rate (share predicted positive; per class: share routed to the class) over groups',
    formula: 'max_g P(ŷ=c | A=g) − min_g P(ŷ=c | A=g)',
    calculate: gap('selection_rate'),
  }),
  demographic_parity_ratio: spec({
    key: 'demographic_parity_ratio',
    direction: 'higher',
    needs: 'predictions',
    perClass: true,
    doc: 'smallest over largest selection rate over groups (1 = parity)',
    formula: 'min_g P(ŷ=c | A=g) / max_g P(ŷ=c | A=g)',
    calculate: ratio('selection_rate'),
  }),
  equalized_odds_difference: spec({
    key: 'equalized_odds_difference',
    direction: 'lower',
    needs: 'truth',
    perClass: true,
    doc: 'the larger of the TPR gap and the FPR gap over groups',
    formula: 'max( max_g TPR_g − min_g TPR_g , max_g FPR_g − min_g FPR_g )',
    calculate: equalizedOdds,
  }),
  equal_opportunity_difference: spec({
    key: 'equal_opportunity_difference',
    direction: 'lower',
    needs: 'truth',
    perClass: true,
    doc: 'TPR gap over groups (equals the FNR gap)',
    formula: 'max_g TPR_g − min_g TPR_g = max_g FNR_g − min_g FNR_g',
    calculate: gap('tpr'),
  }),
  fpr_difference: spec({
    key: 'fpr_difference',
    direction: 'lower',
    needs: 'truth',
    perClass: true,
    doc: 'FPR gap over groups',
    formula: 'max_g FPR_g − min_g FPR_g',
    calculate: gap('fpr'),
  }),
  accuracy_difference: spec({
    key: 'accuracy_difference',
    direction: 'lower',
    needs: 'truth',
    perClass: false,
    doc: 'largest minus smallest accuracy over groups',
    formula: 'max_g P(ŷ=y | A=g) − min_g P(ŷ=y | A=g)',
    calculate: gap('accuracy'),
  }),
  auto_share_difference: spec({
    key: 'auto_share_difference',
    direction: 'lower',
    needs: 'threshold',
    perClass: false,
    doc: 'largest minus smallest share decided automatically (confidence ≥ threshold) over groups; the review-share gap is the same',
    formula: 'max_g P(conf ≥ t | A=g) − min_g P(conf ≥ t | A=g)',
    calculate: gap('auto_share'),
  }),
  auto_precision_difference: spec({
    key: 'auto_precision_difference',
    direction: 'lower',
    needs: 'threshold',
    perClass: false,
    doc: 'largest minus smallest precision of the automatic decisions over groups',
    formula: 'max_g P(ŷ=y | conf ≥ t, A=g) − min_g P(ŷ=y | conf ≥ t, A=g)',
    calculate: gap('auto_precision'),
  }),
});

/** The id of every registered metric (`fairness.demographic_parity_difference`, …). */
export const FAIRNESS_METRIC_IDS: readonly string[] = Object.freeze(Object.values(FAIRNESS_METRICS).map((m) => m.id));

/** The spec of metric `id` (`fairness.<key>` or `<key>`); INVALID_ARGUMENT listing the valid ids otherwise. */
export function getFairnessMetric(id: string): FairnessMetricSpec {
  const key = id.startsWith('fairness.') ? id.slice('fairness.'.length) : id;
  const s = Object.hasOwn(FAIRNESS_METRICS, key) ? FAIRNESS_METRICS[key as FairnessMetricKey] : undefined;
  if (!s) throw MloopError.invalidArgument(`unknown fairness metric '${id}'; valid: ${FAIRNESS_METRIC_IDS.join(', ')}`);
  return s;
}

/** True when `id` names a registered fairness metric (`fairness.…`). */
export function isFairnessMetric(id: string): boolean {
  return FAIRNESS_METRIC_IDS.includes(id);
}
