/** Label-error detection by confident learning (Northcutt, Jiang, Chuang 2021) over out-of-fold probabilities. */
import { MloopError, type ValidationIssue } from '../../errors/index.js';

/** An example reaches a threshold within this slack (as cleanlab does), so rounding of the mean does not drop examples at the mean. */
const THRESHOLD_SLACK = 1e-6;

export interface LabelIssuesInput {
  /** Given label per example, as a class index into the probability columns. */
  labels: ArrayLike<number>;
  /** Out-of-fold predicted probabilities, one row of `numClasses` per example (not renormalised). */
  probabilities: ReadonlyArray<ArrayLike<number>>;
  /** Example ids, reported with each issue (default: none). */
  ids?: readonly string[];
  /** Class names, reported with each issue (default: the class index as a string). */
  classes?: readonly string[];
}

/** One example that is likely mislabelled. */
export interface LabelIssue {
  /** Position of the example in the input. */
  index: number;
  /** Its id, when ids were given. */
  id: string | null;
  /** Given label (class name). */
  givenLabel: string;
  /** Class the example confidently belongs to instead. */
  suggestedLabel: string;
  /** Predicted probability of the given label. */
  selfConfidence: number;
  /** Self-confidence minus the largest other probability; the lower, the likelier an error. */
  margin: number;
}

/** Confident-learning result. */
export interface LabelIssuesResult {
  /** Stable method id. */
  metric: 'label-issues:confident-learning';
  /** Class names. */
  classes: string[];
  /** Per class j: mean predicted probability of j over examples labelled j; null when no example has label j (then nothing is ever confidently j). */
  thresholds: (number | null)[];
  /** `confidentJoint[given][confident]`: counts of examples by given label and confident class. */
  confidentJoint: number[][];
  /** Examples counted in the confident joint (some class reached its threshold). */
  examplesCounted: number;
  /** Off-diagonal examples of the confident joint, likeliest errors first (by margin, then index). */
  issues: LabelIssue[];
}

/**
 * Finds likely label errors: per-class thresholds t_j = mean self-confidence of class j; an example
 * is confidently class j when p_j ≥ t_j − 1e-6 (the highest such p_j when several); examples whose confident
 * class differs from the given label (the off-diagonal of the confident joint) are issues, ranked
 * by margin p_given − max_{k≠given} p_k, lowest first.
 *
 * @example
 * findLabelIssues({ labels: [0, 1, 1], probabilities: [[0.9, 0.1], [0.8, 0.2], [0.1, 0.9]] }).issues;
 */
export function findLabelIssues(input: LabelIssuesInput): LabelIssuesResult {
  const { labels, probabilities } = input;
  const n = labels.length;
  const issues: ValidationIssue[] = [];
  if (probabilities.length !== n) {
    throw MloopError.invalidArgument(`labels (${n}) and probabilities (${probabilities.length}) differ in length`);
  }
  if (input.ids !== undefined && input.ids.length !== n) {
    throw MloopError.invalidArgument(`ids (${input.ids.length}) and labels (${n}) differ in length`);
  }
  const k = n === 0 ? (input.classes?.length ?? 0) : probabilities[0]!.length;
  if (input.classes !== undefined && input.classes.length !== k) {
    throw MloopError.invalidArgument(`classes has ${input.classes.length} names but probabilities have ${k} columns`);
  }
  if (n > 0 && k < 2) throw MloopError.invalidArgument('probabilities need at least 2 columns');
  const p = new Float64Array(n * k);
  for (let i = 0; i < n && issues.length < 20; i++) {
    const row = probabilities[i]!;
    const y = labels[i]!;
    if (!(Number.isInteger(y) && y >= 0 && y < k)) issues.push({ path: `labels.${i}`, code: 'out_of_range', message: `label must be a class index from 0 to ${k - 1}` });
    if (row.length !== k) {
      issues.push({ path: `probabilities.${i}`, code: 'invalid_length', message: `expected ${k} probabilities, got ${row.length}` });
      continue;
    }
    for (let c = 0; c < k; c++) {
      const v = row[c]!;
      if (!(Number.isFinite(v) && v >= 0 && v <= 1)) {
        issues.push({ path: `probabilities.${i}.${c}`, code: 'out_of_range', message: 'probability must be a number from 0 to 1' });
        break;
      }
      p[i * k + c] = v;
    }
  }
  if (issues.length > 0) throw MloopError.validation(`invalid confident-learning input`, issues);
  const classes = input.classes !== undefined ? [...input.classes] : Array.from({ length: k }, (_, c) => String(c));

  const sum = new Float64Array(k);
  const cnt = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    sum[y]! += p[i * k + y]!;
    cnt[y]!++;
  }
  const thresholds = Array.from({ length: k }, (_, c) => (cnt[c]! > 0 ? sum[c]! / cnt[c]! : null));
  const joint = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const found: LabelIssue[] = [];
  let counted = 0;
  for (let i = 0; i < n; i++) {
    const off = i * k;
    let best = -1;
    for (let c = 0; c < k; c++) {
      const t = thresholds[c];
      if (t === null || t === undefined || p[off + c]! < t - THRESHOLD_SLACK) continue;
      if (best < 0 || p[off + c]! > p[off + best]!) best = c;
    }
    if (best < 0) continue;
    counted++;
    const y = labels[i]!;
    joint[y]![best]!++;
    if (best === y) continue;
    let other = -Infinity;
    for (let c = 0; c < k; c++) if (c !== y && p[off + c]! > other) other = p[off + c]!;
    found.push({
      index: i,
      id: input.ids?.[i] ?? null,
      givenLabel: classes[y]!,
      suggestedLabel: classes[best]!,
      selfConfidence: p[off + y]!,
      margin: p[off + y]! - other,
    });
  }
  found.sort((a, b) => a.margin - b.margin || a.index - b.index);
  return { metric: 'label-issues:confident-learning', classes, thresholds, confidentJoint: joint, examplesCounted: counted, issues: found };
}
