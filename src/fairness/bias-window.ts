/**
 * Bias drift: fairness metrics of a window of served predictions, for monitoring over time.
 * Counts are kept per attribute and group (bounded by groups × classes, not by rows). Gaps use the
 * audit's definitions (`FAIRNESS_METRICS`); where ground truth has not arrived only the
 * prediction-side gaps (selection rates, review share) are defined. Each gap carries a
 * simultaneous confidence bound, so a small window cannot look unfair by chance alone.
 */
import { MloopError } from '../errors/index.js';
import { wilson } from '../stats/index.js';
import type { Exclusion } from './fairness.js';
import { FAIRNESS_METRICS, type FairnessMetricKey, type GroupRate } from './fairness-metrics.js';
import { MISSING_GROUP, PER_CLASS_RATES, type GroupCounts, type RateName } from './group-counts.js';

/** One served prediction as bias monitoring reads it. */
export interface BiasRow {
  /** Sensitive attribute → group value; a missing or null value is the group `(missing)`. */
  groups: Readonly<Record<string, string | null | undefined>> | null;
  /** The predicted class (rows without one are not counted). */
  prediction: string | null;
  /** Whether the prediction was decided automatically or sent to people. */
  decision: 'auto' | 'review';
  /** Ground truth, when it has arrived. */
  truth?: string | null;
}

/** Options of {@link BiasWindow}. */
export interface BiasWindowOptions {
  /** Attributes to track (default: every attribute the rows carry, in name order). */
  attributes?: readonly string[];
  /** The model's classes; with two, the figures are about `positiveLabel` (default `classes[1]`), as in the audit. */
  classes?: readonly string[];
  /** The favourable class of a binary model, or one class of a multiclass model to audit one-vs-rest. */
  positiveLabel?: string;
  /**
   * A group enters the prediction-side comparisons with at least this many rows, and the
   * ground-truth comparisons with at least this many labelled rows (default 30, as the audit).
   */
  minGroupSize?: number;
  /** Confidence of the simultaneous bounds (default 0.95). */
  level?: number;
}

/** The metrics tracked over time: prediction-side ones need no ground truth. */
export const BIAS_METRIC_KEYS = Object.freeze([
  'demographic_parity_difference',
  'auto_share_difference',
  'accuracy_difference',
  'equal_opportunity_difference',
  'fpr_difference',
  'equalized_odds_difference',
] as const satisfies readonly FairnessMetricKey[]);
export type BiasMetricKey = (typeof BIAS_METRIC_KEYS)[number];

/** Metrics that need ground truth (the others are defined on every window). */
export const BIAS_METRICS_NEEDING_TRUTH: ReadonlySet<BiasMetricKey> = new Set(['accuracy_difference', 'equal_opportunity_difference', 'fpr_difference', 'equalized_odds_difference']);
const RATES: Readonly<Record<BiasMetricKey, readonly RateName[]>> = {
  demographic_parity_difference: ['selection_rate'],
  auto_share_difference: ['auto_share'],
  accuracy_difference: ['accuracy'],
  equal_opportunity_difference: ['tpr'],
  fpr_difference: ['fpr'],
  equalized_odds_difference: ['tpr', 'fpr'],
};

/** One gap in one window. */
export interface BiasGap {
  /** max − min of the rate over the compared groups (the audit's value); null with fewer than two. */
  value: number | null;
  /**
   * Simultaneous bounds at `level`: Wilson intervals at level 1 − (1 − level)/M for the M group
   * rates involved (Bonferroni), lower = max(0, max_g L_g − min_g U_g), upper = max_g U_g − min_g L_g,
   * the largest over classes (and over TPR/FPR for equalized odds). The true gap lies within both
   * with probability ≥ level.
   */
  lower: number | null;
  upper: number | null;
  /** Multiclass: the class deciding the value. */
  class: string | null;
  /** The rate deciding the value (`tpr` or `fpr` for equalized odds). */
  rate: RateName | null;
  /** The groups with the smallest and the largest rate. */
  min: GroupRate | null;
  max: GroupRate | null;
  /** Groups compared (the most over the rates and classes involved). */
  compared: number;
}

/** One group's rates in one window (`selection_rate` for the positive class of a binary model; accuracy, TPR, FPR over labelled rows). */
export interface BiasGroupRates {
  /** The group's value (`(missing)` for rows without one). */
  group: string;
  /** Predictions of the group in the window. */
  n: number;
  /** Of which with ground truth. */
  labelled: number;
  /** Share sent to people. */
  review_share: number;
  /** Share predicted as the positive class; null without one (multiclass). */
  selection_rate: number | null;
  /** Over labelled rows; null without any. */
  accuracy: number | null;
  /** Positive class, over labelled rows; null without a positive class or without the rows it needs. */
  tpr: number | null;
  fpr: number | null;
}

/** The bias figures of one attribute in one window. */
export interface BiasAttribute {
  /** The group column. */
  attribute: string;
  /** Every group seen, largest first. */
  groups: BiasGroupRates[];
  /** Each tracked gap (null values where it is not defined). */
  gaps: Record<BiasMetricKey, BiasGap>;
  /** Groups left out of a comparison, and why. */
  excluded: Exclusion[];
}

/** The bias figures of a window: a JSON-safe snapshot. */
export interface BiasWindowResult {
  /** Predictions counted (those with a predicted class). */
  rows: number;
  /** Of which with ground truth. */
  labelled: number;
  /** The favourable class (binary), or null when every class is compared one-vs-rest. */
  positive_label: string | null;
  /** Confidence of the simultaneous bounds. */
  level: number;
  /** Smallest group compared (rows; labelled rows for the ground-truth gaps). */
  min_group_size: number;
  /** One entry per group column, by name. */
  attributes: BiasAttribute[];
}

interface Counter {
  n: number;
  known: number;
  correct: number;
  auto: number;
  autoCorrect: number;
  predicted: Map<string, number>;
  predictedKnown: Map<string, number>;
  truth: Map<string, number>;
  hits: Map<string, number>;
}

const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

/** Successes and trials of a rate, with the audit's definitions except accuracy, which is over labelled rows. */
function parts(c: GroupCounts, rate: RateName, cls: number): [number, number] {
  switch (rate) {
    case 'selection_rate':
      return [c.predicted[cls]!, c.n];
    case 'tpr':
      return [c.hits[cls]!, c.truth[cls]!];
    case 'fpr':
      return [c.predictedKnown[cls]! - c.hits[cls]!, c.known - c.truth[cls]!];
    case 'accuracy':
      return [c.correct, c.known];
    case 'auto_share':
      return [c.auto, c.n];
    case 'auto_precision':
      return [c.autoCorrect, c.auto];
  }
}

/**
 * Bias figures of a window of predictions, fed one row at a time.
 *
 * @example
 * const w = new BiasWindow({ classes: model.classes });
 * for (const p of predictions) w.add({ groups: p.groups, prediction: p.label, decision: p.decision, truth: p.truth });
 * w.result().attributes[0].gaps.accuracy_difference; // { value, lower, upper, min, max, … }
 */
export class BiasWindow {
  readonly #counters = new Map<string, Map<string, Counter>>();
  readonly #options: BiasWindowOptions;
  #rows = 0;
  #labelled = 0;

  constructor(options: BiasWindowOptions = {}) {
    const level = options.level ?? 0.95;
    if (!(level > 0 && level < 1)) throw MloopError.invalidArgument(`bias monitoring: level must lie in (0, 1), got ${level}`);
    if (options.positiveLabel !== undefined && options.classes && !options.classes.includes(options.positiveLabel)) {
      throw MloopError.invalidArgument(`bias monitoring: positive label '${options.positiveLabel}' is not a class; classes: ${options.classes.join(', ')}`);
    }
    this.#options = options;
    for (const a of options.attributes ?? []) this.#counters.set(a, new Map());
  }

  /** Rows counted so far. */
  get rows(): number {
    return this.#rows;
  }

  /** Counts one prediction (ignored when it has no predicted class). */
  add(row: BiasRow): void {
    if (row.prediction === null) return;
    this.#rows++;
    const truth = row.truth ?? null;
    if (truth !== null) this.#labelled++;
    const attrs = this.#options.attributes ?? Object.keys(row.groups ?? {});
    for (const a of attrs) {
      let byGroup = this.#counters.get(a);
      if (!byGroup) this.#counters.set(a, (byGroup = new Map()));
      const g = row.groups?.[a] ?? MISSING_GROUP;
      let c = byGroup.get(g);
      if (!c) {
        c = { n: 0, known: 0, correct: 0, auto: 0, autoCorrect: 0, predicted: new Map(), predictedKnown: new Map(), truth: new Map(), hits: new Map() };
        byGroup.set(g, c);
      }
      c.n++;
      bump(c.predicted, row.prediction);
      const auto = row.decision === 'auto';
      if (auto) c.auto++;
      if (truth !== null) {
        c.known++;
        bump(c.truth, truth);
        bump(c.predictedKnown, row.prediction);
        if (truth === row.prediction) {
          c.correct++;
          bump(c.hits, truth);
          if (auto) c.autoCorrect++;
        }
      }
    }
  }

  /** The figures of the rows added so far. */
  result(): BiasWindowResult {
    const o = this.#options;
    const level = o.level ?? 0.95;
    const minGroupSize = o.minGroupSize ?? 30;
    // Classes: the model's, then any other label seen (a new intent in the truth), in order.
    const seen = new Set<string>(o.classes ?? []);
    const extra = new Set<string>();
    for (const byGroup of this.#counters.values()) {
      for (const c of byGroup.values()) for (const m of [c.predicted, c.truth]) for (const k of m.keys()) if (!seen.has(k)) extra.add(k);
    }
    const classes = [...seen, ...[...extra].sort()];
    const index = new Map(classes.map((k, i) => [k, i]));
    const binary = o.classes?.length === 2;
    const positive = o.positiveLabel ?? (binary ? o.classes![1]! : null);
    const compareClasses = positive === null ? classes.map((_, i) => i) : [index.get(positive) ?? -1].filter((i) => i >= 0);
    const attributes: BiasAttribute[] = [...this.#counters.keys()].sort().map((attribute) => {
      const entries = [...this.#counters.get(attribute)!.entries()].sort((a, b) => b[1].n - a[1].n || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      const counts = entries.map(([, c]) => toGroupCounts(c, index, classes.length));
      const labels = entries.map(([g]) => g);
      const excluded: Exclusion[] = [];
      const eligible = (rate: RateName, g: number, cls: number): boolean => {
        const c = counts[g]!;
        const base = rate === 'selection_rate' || rate === 'auto_share' ? c.n : c.known;
        return base >= minGroupSize && parts(c, rate, cls)[1] > 0;
      };
      for (const [g, c] of counts.entries()) {
        if (c.n < minGroupSize) excluded.push({ group: labels[g]!, from: 'all', class: null, reason: `${c.n} rows, fewer than the minimum group size ${minGroupSize}` });
        else if (c.known < minGroupSize) {
          for (const from of ['accuracy', 'tpr', 'fpr'] as const) {
            excluded.push({ group: labels[g]!, from, class: null, reason: `${c.known} labelled rows, fewer than the minimum group size ${minGroupSize}` });
          }
        }
      }
      const gaps = Object.fromEntries(BIAS_METRIC_KEYS.map((key) => [key, gapOf(key, counts, labels, classes, compareClasses, eligible, level)])) as Record<BiasMetricKey, BiasGap>;
      const posIndex = positive === null ? -1 : (index.get(positive) ?? -1);
      const ratio = (k: number, n: number) => (n > 0 ? k / n : null);
      const groups = counts.map((c, g): BiasGroupRates => ({
        group: labels[g]!,
        n: c.n,
        labelled: c.known,
        review_share: c.n > 0 ? 1 - c.auto / c.n : 0,
        selection_rate: posIndex >= 0 ? ratio(c.predicted[posIndex]!, c.n) : null,
        accuracy: ratio(c.correct, c.known),
        tpr: posIndex >= 0 ? ratio(...parts(c, 'tpr', posIndex)) : null,
        fpr: posIndex >= 0 ? ratio(...parts(c, 'fpr', posIndex)) : null,
      }));
      return { attribute, groups, gaps, excluded };
    });
    return { rows: this.#rows, labelled: this.#labelled, positive_label: positive, level, min_group_size: minGroupSize, attributes };
  }
}

function toGroupCounts(c: Counter, index: Map<string, number>, k: number): GroupCounts {
  const arr = (m: Map<string, number>) => {
    const out = new Float64Array(k);
    for (const [label, v] of m) out[index.get(label)!] = v;
    return out;
  };
  return { n: c.n, correct: c.correct, known: c.known, auto: c.auto, autoCorrect: c.autoCorrect, predicted: arr(c.predicted), predictedKnown: arr(c.predictedKnown), truth: arr(c.truth), hits: arr(c.hits) };
}

function gapOf(
  key: BiasMetricKey,
  counts: GroupCounts[],
  labels: string[],
  classes: string[],
  compareClasses: number[],
  eligible: (rate: RateName, g: number, cls: number) => boolean,
  level: number,
): BiasGap {
  const spec = FAIRNESS_METRICS[key];
  const rates = RATES[key];
  const perClass = rates.some((r) => PER_CLASS_RATES.has(r));
  const cls = perClass ? compareClasses : [0];
  // The compared groups of each (rate, class), as the audit's rate lookup wants them.
  const compared = new Map<string, number[]>();
  for (const r of rates) for (const c of cls) compared.set(`${r}:${c}`, counts.map((_, g) => g).filter((g) => eligible(r, g, c)));
  const lookup = (rate: RateName, c: number): GroupRate[] =>
    (compared.get(`${rate}:${PER_CLASS_RATES.has(rate) ? c : 0}`) ?? []).map((g) => {
      const [k, n] = parts(counts[g]!, rate, PER_CLASS_RATES.has(rate) ? c : 0);
      return { group: labels[g]!, value: k / n };
    });
  const point = spec.calculate(lookup, cls, classes);
  // Bonferroni over every group rate that can enter the value.
  let m = 0;
  for (const [slot, groups] of compared) {
    const c = Number(slot.split(':')[1]);
    if (key === 'equalized_odds_difference' && !bothDefined(compared, c)) continue;
    if (groups.length >= 2) m += groups.length;
  }
  let lower: number | null = null;
  let upper: number | null = null;
  if (point && m > 0) {
    const each = 1 - (1 - level) / m;
    for (const [slot, groups] of compared) {
      const [rate, cText] = slot.split(':') as [RateName, string];
      const c = Number(cText);
      if (groups.length < 2 || (key === 'equalized_odds_difference' && !bothDefined(compared, c))) continue;
      let maxL = -Infinity;
      let minU = Infinity;
      let maxU = -Infinity;
      let minL = Infinity;
      for (const g of groups) {
        const [k, n] = parts(counts[g]!, rate, c);
        const w = wilson(k, n, each);
        maxL = Math.max(maxL, w.lower!);
        minU = Math.min(minU, w.upper!);
        maxU = Math.max(maxU, w.upper!);
        minL = Math.min(minL, w.lower!);
      }
      lower = Math.max(lower ?? 0, maxL - minU);
      upper = Math.max(upper ?? 0, maxU - minL);
    }
  }
  let n = 0;
  for (const groups of compared.values()) n = Math.max(n, groups.length);
  return {
    value: point?.value ?? null,
    lower: point ? lower : null,
    upper: point ? upper : null,
    class: perClass && point ? point.class : null,
    rate: point?.rate ?? null,
    min: point?.min ?? null,
    max: point?.max ?? null,
    compared: n,
  };
}

function bothDefined(compared: Map<string, number[]>, c: number): boolean {
  return (compared.get(`tpr:${c}`)?.length ?? 0) >= 2 && (compared.get(`fpr:${c}`)?.length ?? 0) >= 2;
}
