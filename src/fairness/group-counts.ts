/**
 * Grouping rows by sensitive attributes and counting, per group, what every fairness rate needs.
 * Counts take optional per-row weights so the same pass serves the point estimate and each
 * bootstrap resample.
 */
import { MloopError } from '../errors/index.js';
import type { ClassificationData } from '../evaluation/index.js';

/** Label used for rows whose attribute value is missing. */
export const MISSING_GROUP = '(missing)';
/** Joins column names and values of an intersectional attribute (`sex&race`, `Female&White`). */
export const INTERSECTION_SEPARATOR = '&';

/** One attribute to audit: its name, the columns it combines and each row's group index. */
export interface Grouping {
  /** `sex`, or `sex&race` for an intersection. */
  attribute: string;
  columns: string[];
  /** Group labels, in a canonical order (largest first, then by name). */
  labels: string[];
  /** Group index per row. */
  index: Int32Array;
}

/** Columns to read and intersections to audit for a list of attribute names; see `splitAttributes`. */
export interface AttributeSplit {
  /** Every column named, alone or inside an intersection, in first-seen order. */
  columns: string[];
  /** Each intersection named (`sex&race` → `['sex', 'race']`), once, in the order written. */
  intersections: string[][];
}

/**
 * The problem with one attribute name as written in a gate rule or `--sensitive`, or null when it is
 * usable: a column (`sex`) or an intersection of distinct columns (`sex&race`).
 */
export function attributeNameProblem(name: string): string | null {
  const parts = name.split(INTERSECTION_SEPARATOR);
  if (parts.some((p) => p.trim() === '')) return `attribute '${name}' has an empty column name; write a column (sex) or columns joined by '${INTERSECTION_SEPARATOR}' (sex${INTERSECTION_SEPARATOR}race)`;
  const twice = parts.find((p, i) => parts.indexOf(p) !== i);
  if (twice !== undefined) return `attribute '${name}' names '${twice}' twice`;
  return null;
}

/**
 * Splits attribute names (`['sex', 'sex&race']`) into the columns to read (`['sex', 'race']`) and the
 * intersections to audit (`[['sex', 'race']]`), for `auditFairness`'s `intersections` option. An
 * intersection keeps the order written, so its audited name is the one given. INVALID_ARGUMENT for a
 * name with an empty part (`sex&`) or a column named twice (`sex&sex`).
 *
 * @example
 * const { columns, intersections } = splitAttributes(['sex', 'sex&race']);
 */
export function splitAttributes(names: readonly string[]): AttributeSplit {
  const columns: string[] = [];
  const intersections: string[][] = [];
  const seen = new Set<string>();
  for (const name of names) {
    const problem = attributeNameProblem(name);
    if (problem !== null) throw MloopError.invalidArgument(problem);
    const parts = name.split(INTERSECTION_SEPARATOR);
    for (const c of parts) if (!columns.includes(c)) columns.push(c);
    if (parts.length >= 2 && !seen.has(name)) {
      seen.add(name);
      intersections.push(parts);
    }
  }
  return { columns, intersections };
}

/** Builds the groupings: one per column, plus the requested intersections. */
export function buildGroupings(
  sensitive: Readonly<Record<string, ReadonlyArray<string | null>>>,
  n: number,
  intersections: boolean | ReadonlyArray<readonly string[]> = false,
): Grouping[] {
  const names = Object.keys(sensitive);
  if (names.length === 0) throw MloopError.invalidArgument('fairness: at least one sensitive attribute is required');
  for (const name of names) {
    if (name.includes(INTERSECTION_SEPARATOR))
      throw MloopError.invalidArgument(`fairness: attribute name '${name}' must not contain '${INTERSECTION_SEPARATOR}'`);
    const len = sensitive[name]!.length;
    if (len !== n) throw MloopError.invalidArgument(`fairness: attribute '${name}' has ${len} values for ${n} predictions`);
  }
  const sets: string[][] = names.map((c) => [c]);
  const extra: ReadonlyArray<readonly string[]> =
    intersections === true ? (names.length > 1 ? [names] : []) : intersections === false ? [] : intersections;
  for (const combo of extra) {
    for (const c of combo) {
      if (!Object.hasOwn(sensitive, c))
        throw MloopError.invalidArgument(`fairness: intersection names unknown attribute '${c}'; known: ${names.join(', ')}`);
    }
    if (combo.length >= 2) sets.push([...combo]);
  }
  return sets.map((columns) => {
    const raw = Array.from({ length: n }, (_, i) =>
      columns.map((c) => sensitive[c]![i] ?? MISSING_GROUP).join(INTERSECTION_SEPARATOR),
    );
    const sizes = new Map<string, number>();
    for (const v of raw) sizes.set(v, (sizes.get(v) ?? 0) + 1);
    const labels = [...sizes.keys()].sort((a, b) => sizes.get(b)! - sizes.get(a)! || (a < b ? -1 : a > b ? 1 : 0));
    const pos = new Map(labels.map((l, g) => [l, g]));
    return { attribute: columns.join(INTERSECTION_SEPARATOR), columns, labels, index: Int32Array.from(raw, (v) => pos.get(v)!) };
  });
}

/** Weighted counts of one group. Arrays are indexed by class. */
export interface GroupCounts {
  /** Rows (weighted). */
  n: number;
  /** Rows whose prediction equals the truth. */
  correct: number;
  /** Rows whose true class is known (yTrue ≥ 0). */
  known: number;
  /** Rows predicted as each class (all rows: the selection rate's numerator). */
  predicted: Float64Array;
  /** Rows with known truth predicted as each class (precision and FPR numerators). */
  predictedKnown: Float64Array;
  /** Rows whose true class is each class. */
  truth: Float64Array;
  /** Rows whose true and predicted class are each class. */
  hits: Float64Array;
  /** Rows decided automatically (confidence ≥ threshold); 0 without a threshold. */
  auto: number;
  /** Automatic decisions that are correct. */
  autoCorrect: number;
}

/** One pass over the rows: counts per group under `weights` (each row once when undefined). */
export function countGroups(d: ClassificationData, grouping: Grouping, threshold?: number, weights?: Uint32Array, rowThresholds?: ArrayLike<number>): GroupCounts[] {
  const k = d.classes.length;
  const out: GroupCounts[] = grouping.labels.map(() => ({
    n: 0,
    correct: 0,
    known: 0,
    predicted: new Float64Array(k),
    predictedKnown: new Float64Array(k),
    truth: new Float64Array(k),
    hits: new Float64Array(k),
    auto: 0,
    autoCorrect: 0,
  }));
  const n = d.yTrue.length;
  for (let i = 0; i < n; i++) {
    const w = weights === undefined ? 1 : weights[i]!;
    if (w === 0) continue;
    const c = out[grouping.index[i]!]!;
    const t = d.yTrue[i]!;
    const p = d.yPred[i]!;
    c.n += w;
    c.predicted[p]! += w;
    const hit = t === p;
    if (hit) c.correct += w;
    if (t >= 0) {
      c.known += w;
      c.truth[t]! += w;
      c.predictedKnown[p]! += w;
      if (hit) c.hits[t]! += w;
    }
    if (threshold !== undefined && d.confidence[i]! >= (rowThresholds === undefined ? threshold : rowThresholds[i]!)) {
      c.auto += w;
      if (hit) c.autoCorrect += w;
    }
  }
  return out;
}

/** The rates fairness compares across groups. */
export type RateName = 'selection_rate' | 'tpr' | 'fpr' | 'accuracy' | 'auto_share' | 'auto_precision';

/** The rate `name` (for class `cls` where it is per class) of one group; NaN when undefined. */
export function rateOf(c: GroupCounts, name: RateName, cls: number): number {
  switch (name) {
    case 'selection_rate':
      return c.n > 0 ? c.predicted[cls]! / c.n : Number.NaN;
    case 'tpr':
      return c.truth[cls]! > 0 ? c.hits[cls]! / c.truth[cls]! : Number.NaN;
    case 'fpr': {
      const negatives = c.known - c.truth[cls]!;
      return negatives > 0 ? (c.predictedKnown[cls]! - c.hits[cls]!) / negatives : Number.NaN;
    }
    case 'accuracy':
      return c.n > 0 ? c.correct / c.n : Number.NaN;
    case 'auto_share':
      return c.n > 0 ? c.auto / c.n : Number.NaN;
    case 'auto_precision':
      return c.auto > 0 ? c.autoCorrect / c.auto : Number.NaN;
  }
}

/** The count a rate is a share of (its denominator), used to judge whether a group can be compared. */
export function denominatorOf(c: GroupCounts, name: RateName, cls: number): number {
  switch (name) {
    case 'tpr':
      return c.truth[cls]!;
    case 'fpr':
      return c.known - c.truth[cls]!;
    case 'auto_precision':
      return c.auto;
    default:
      return c.n;
  }
}

/** Whether a rate is computed once per class (one-vs-rest) or once per group. */
export const PER_CLASS_RATES: ReadonlySet<RateName> = new Set<RateName>(['selection_rate', 'tpr', 'fpr']);
