/**
 * Classification metrics. Every function takes optional per-row weights (counts), so the same code
 * computes a metric and its bootstrap resamples.
 */

/** Predictions and truth for n rows over k classes. */
export interface ClassificationData {
  /** The model's classes, in the order of `proba` columns. */
  classes: readonly string[];
  /** Index of the true class per row; -1 when the true label is not one of `classes` (e.g. out of scope). */
  yTrue: Int32Array;
  /** Index of the predicted (arg-max) class per row. */
  yPred: Int32Array;
  /** Probability of the predicted class per row (the confidence). */
  confidence: Float64Array;
  /** Row-major n×k probabilities, when available (log loss, AUC). */
  proba?: Float32Array | Float64Array;
}

export type Weights = Uint32Array | undefined;

const w = (weights: Weights, i: number): number => (weights === undefined ? 1 : weights[i]!);

export function accuracy(d: ClassificationData, weights?: Weights): number {
  let hit = 0;
  let total = 0;
  for (let i = 0; i < d.yTrue.length; i++) {
    const wi = w(weights, i);
    total += wi;
    if (d.yTrue[i] === d.yPred[i]) hit += wi;
  }
  return total === 0 ? Number.NaN : hit / total;
}

/** k×k confusion counts (rows true, columns predicted); rows with an unknown true class are left out. */
export function confusionMatrix(d: ClassificationData, weights?: Weights): number[][] {
  const k = d.classes.length;
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < d.yTrue.length; i++) {
    const t = d.yTrue[i]!;
    if (t >= 0) m[t]![d.yPred[i]!]! += w(weights, i);
  }
  return m;
}

export interface ClassScores {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** Per-class precision, recall, F1 and support; zero when undefined (sklearn's zero_division=0). */
export function perClass(d: ClassificationData, weights?: Weights): ClassScores[] {
  const k = d.classes.length;
  const tp = new Float64Array(k);
  const predicted = new Float64Array(k);
  const support = new Float64Array(k);
  for (let i = 0; i < d.yTrue.length; i++) {
    const wi = w(weights, i);
    const t = d.yTrue[i]!;
    const p = d.yPred[i]!;
    predicted[p]! += wi;
    if (t >= 0) {
      support[t]! += wi;
      if (t === p) tp[t]! += wi;
    }
  }
  return d.classes.map((label, c) => {
    const precision = predicted[c]! > 0 ? tp[c]! / predicted[c]! : 0;
    const recall = support[c]! > 0 ? tp[c]! / support[c]! : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support: support[c]! };
  });
}

/** Unweighted mean of F1 over classes that occur in the truth or the predictions (sklearn's macro). */
export function macroF1(d: ClassificationData, weights?: Weights): number {
  const scores = perClass(d, weights);
  const predicted = new Float64Array(d.classes.length);
  for (let i = 0; i < d.yPred.length; i++) predicted[d.yPred[i]!]! += w(weights, i);
  let sum = 0;
  let count = 0;
  scores.forEach((s, c) => {
    if (s.support > 0 || predicted[c]! > 0) {
      sum += s.f1;
      count++;
    }
  });
  return count === 0 ? Number.NaN : sum / count;
}

/** Mean negative log-likelihood of the true class, probabilities clipped to [1e-15, 1]. */
export function logLoss(d: ClassificationData, weights?: Weights): number {
  if (!d.proba) return Number.NaN;
  const k = d.classes.length;
  let sum = 0;
  let total = 0;
  for (let i = 0; i < d.yTrue.length; i++) {
    const t = d.yTrue[i]!;
    if (t < 0) continue;
    const wi = w(weights, i);
    sum -= wi * Math.log(Math.min(1, Math.max(1e-15, d.proba[i * k + t]!)));
    total += wi;
  }
  return total === 0 ? Number.NaN : sum / total;
}

/** One bin of a reliability diagram. */
export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  confidence: number;
  accuracy: number;
}

/** Top-label reliability diagram over `bins` equal-width bins (lo, hi], the first bin closed at 0. */
export function reliability(d: ClassificationData, bins = 15, weights?: Weights): ReliabilityBin[] {
  const count = new Float64Array(bins);
  const conf = new Float64Array(bins);
  const hit = new Float64Array(bins);
  for (let i = 0; i < d.yTrue.length; i++) {
    const c = d.confidence[i]!;
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(c * bins) - 1));
    const wi = w(weights, i);
    count[b]! += wi;
    conf[b]! += wi * c;
    if (d.yTrue[i] === d.yPred[i]) hit[b]! += wi;
  }
  return Array.from({ length: bins }, (_, b) => ({
    lower: b / bins,
    upper: (b + 1) / bins,
    count: count[b]!,
    confidence: count[b]! > 0 ? conf[b]! / count[b]! : Number.NaN,
    accuracy: count[b]! > 0 ? hit[b]! / count[b]! : Number.NaN,
  }));
}

/** Expected calibration error: Σ (n_b / n) |accuracy_b − confidence_b| over the reliability bins. */
export function expectedCalibrationError(d: ClassificationData, bins = 15, weights?: Weights): number {
  const diagram = reliability(d, bins, weights);
  const n = diagram.reduce((s, b) => s + b.count, 0);
  if (n === 0) return Number.NaN;
  return diagram.reduce((s, b) => (b.count > 0 ? s + (b.count / n) * Math.abs(b.accuracy - b.confidence) : s), 0);
}

/** Scores of the positive class (index 1) and 0/1 truth, for binary tasks. */
function binaryScores(d: ClassificationData): { score: Float64Array; positive: Uint8Array } | undefined {
  if (d.classes.length !== 2 || !d.proba) return undefined;
  const n = d.yTrue.length;
  const score = new Float64Array(n);
  const positive = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    score[i] = d.proba[i * 2 + 1]!;
    positive[i] = d.yTrue[i] === 1 ? 1 : 0;
  }
  return { score, positive };
}

/** Row order by descending score, computed once per dataset and reused by resamples. */
const orderCache = new WeakMap<ClassificationData, Uint32Array>();
function descendingOrder(d: ClassificationData, score: Float64Array): Uint32Array {
  let order = orderCache.get(d);
  if (!order) {
    order = Uint32Array.from({ length: score.length }, (_, i) => i).sort((a, b) => score[b]! - score[a]!);
    orderCache.set(d, order);
  }
  return order;
}

/** Binary ROC-AUC (probability a positive outranks a negative; ties count half). NaN with one class. */
export function rocAuc(d: ClassificationData, weights?: Weights): number {
  const b = binaryScores(d);
  if (!b) return Number.NaN;
  const order = descendingOrder(d, b.score);
  let pos = 0;
  let neg = 0;
  let area = 0;
  let i = 0;
  while (i < order.length) {
    let j = i;
    let tiePos = 0;
    let tieNeg = 0;
    while (j < order.length && b.score[order[j]!] === b.score[order[i]!]) {
      const r = order[j]!;
      if (b.positive[r]) tiePos += w(weights, r);
      else tieNeg += w(weights, r);
      j++;
    }
    // Positives in this tie group outrank every negative seen later, and tie with this group's.
    area += tieNeg * pos + 0.5 * tiePos * tieNeg;
    pos += tiePos;
    neg += tieNeg;
    i = j;
  }
  if (pos === 0 || neg === 0) return Number.NaN;
  return area / (pos * neg);
}

/** Binary average precision (sklearn's PR-AUC: Σ (R_n − R_{n−1}) P_n over score thresholds). */
export function averagePrecision(d: ClassificationData, weights?: Weights): number {
  const b = binaryScores(d);
  if (!b) return Number.NaN;
  const order = descendingOrder(d, b.score);
  let totalPos = 0;
  for (let i = 0; i < order.length; i++) if (b.positive[i]) totalPos += w(weights, i);
  if (totalPos === 0) return Number.NaN;
  let tp = 0;
  let fp = 0;
  let prevRecall = 0;
  let ap = 0;
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j < order.length && b.score[order[j]!] === b.score[order[i]!]) {
      const r = order[j]!;
      if (b.positive[r]) tp += w(weights, r);
      else fp += w(weights, r);
      j++;
    }
    const recall = tp / totalPos;
    const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
    ap += (recall - prevRecall) * precision;
    prevRecall = recall;
    i = j;
  }
  return ap;
}
