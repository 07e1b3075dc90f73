/**
 * Probability calibration for binary classifiers: Platt scaling (a sigmoid on the raw score)
 * and isotonic regression (pool-adjacent-violators), chosen by cross-validated log loss on
 * held-out data; plus expected calibration error (ECE) and reliability-diagram data.
 */
import { MloopError } from '../../errors/index.js';
import { binaryLogLoss } from './metrics.js';
import { randomStream, shuffleStream } from './random.js';
import { fitTemperature, negativeLogLikelihood } from '../text/calibration.js';

/** A fitted calibration map from a raw score (log-odds) to a probability. Data only. */
export type Calibrator =
  | { method: 'none' }
  /** p = 1 / (1 + exp(-(a * score + b))). */
  | { method: 'platt'; a: number; b: number }
  /**
   * Non-decreasing map of the uncalibrated probability sigmoid(score): linear interpolation
   * through (x[i], y[i]), constant beyond the ends (as scikit-learn's IsotonicRegression).
   */
  | { method: 'isotonic'; x: number[]; y: number[] };

/**
 * Calibration method names; `auto` picks the one with the lowest cross-validated log loss.
 * `platt` and `isotonic` apply to two classes, `temperature` to more.
 */
export type CalibrationChoice = 'auto' | 'none' | 'platt' | 'isotonic' | 'temperature';

const sigmoid = (m: number): number => 1 / (1 + Math.exp(-m));

/** Probability for one raw score under a calibrator. */
export function applyCalibrator(c: Calibrator, score: number): number {
  if (c.method === 'none') return sigmoid(score);
  if (c.method === 'platt') return sigmoid(c.a * score + c.b);
  const x = sigmoid(score);
  const xs = c.x;
  const ys = c.y;
  const n = xs.length;
  if (n === 0) return x;
  if (x <= xs[0]!) return ys[0]!;
  if (x >= xs[n - 1]!) return ys[n - 1]!;
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! <= x) lo = mid;
    else hi = mid;
  }
  const x0 = xs[lo]!;
  const x1 = xs[hi]!;
  return x1 > x0 ? ys[lo]! + ((ys[hi]! - ys[lo]!) * (x - x0)) / (x1 - x0) : ys[hi]!;
}

/** Tiny ridge on a in Platt's loss, so separable data still converges. */
const PLATT_RIDGE = 1e-9;

/** The values as a Float64Array (the same array when it already is one). */
function asFloat64(v: ArrayLike<number>): Float64Array {
  return v instanceof Float64Array ? v : Float64Array.from(v as ArrayLike<number>);
}

/**
 * Mean log loss of sigmoid(a·s + b) plus the ridge: a module function, not a closure per fit, so
 * the optimised caller does not deoptimise on "wrong call target" at every new fit.
 */
function plattLoss(scores: Float64Array, y: Float64Array, a: number, b: number): number {
  const n = scores.length;
  let f = 0.5 * PLATT_RIDGE * a * a;
  for (let i = 0; i < n; i++) {
    const m = a * scores[i]! + b;
    // log(1 + e^m) − y·m, stable, with no operation that only one branch runs (see booster's meanLoss)
    f += ((m > 0 ? m : 0) + Math.log1p(Math.exp(-Math.abs(m))) - y[i]! * m) / n;
  }
  return f;
}

/**
 * Row indices ordered by score, ties by index: the order of `sort((i, j) => s[i] - s[j] || i - j)`
 * (−0 and 0 tie, as there), by a stable bottom-up merge sort over typed arrays instead of calling
 * a comparator ~n·log n times, which a fresh process (what `mloop train` is) runs unoptimised.
 */
function orderByScore(scores: Float64Array): Uint32Array {
  const n = scores.length;
  let a = new Uint32Array(n);
  let b = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  for (let w = 1; w < n; w *= 2) {
    mergePass(scores, a, b, w);
    const t = a;
    a = b;
    b = t;
  }
  return a;
}

/** One merge pass: runs of `w` in `src` (each ordered) merged pairwise into `dst`, left first on ties. */
function mergePass(scores: Float64Array, src: Uint32Array, dst: Uint32Array, w: number): void {
  const n = src.length;
  let k = 0;
  for (let lo = 0; lo < n; lo += 2 * w) {
    const mid = Math.min(lo + w, n);
    const hi = Math.min(lo + 2 * w, n);
    let i = lo;
    let j = mid;
    while (i < mid && j < hi) {
      if (scores[src[j]!]! < scores[src[i]!]!) dst[k++] = src[j++]!;
      else dst[k++] = src[i++]!;
    }
    while (i < mid) dst[k++] = src[i++]!;
    while (j < hi) dst[k++] = src[j++]!;
  }
}

/**
 * Gradient and Hessian of Platt's loss at (a, b) into sums = [ga, gb, haa, hab, hbb]: the row loop
 * in a function of its own, so V8's on-the-fly (OSR) compile of it is not thrown away by the
 * Newton step after it.
 */
function plattSums(scores: Float64Array, y: Float64Array, a: number, b: number, sums: Float64Array): void {
  const n = scores.length;
  // accumulated in `sums` itself (the same additions in the same order): stores after the loop,
  // not yet run when V8 compiled the loop on the fly, threw that code away at every fit
  sums[0] = PLATT_RIDGE * a;
  sums[1] = 0;
  sums[2] = PLATT_RIDGE;
  sums[3] = 0;
  sums[4] = 1e-12;
  for (let i = 0; i < n; i++) {
    const s = scores[i]!;
    const p = sigmoid(a * s + b);
    const d = p - y[i]!;
    const w = p * (1 - p);
    sums[0] += (d * s) / n;
    sums[1] += d / n;
    sums[2] += (w * s * s) / n;
    sums[3] += (w * s) / n;
    sums[4] += w / n;
  }
}

/**
 * Platt scaling by Newton's method on the mean log loss of sigmoid(a·s + b) against Platt's (1999)
 * smoothed targets — (N₊ + 1)/(N₊ + 2) for positives and 1/(N₋ + 2) for negatives, as LIBSVM and
 * scikit-learn's `CalibratedClassifierCV(method='sigmoid')` use — with a tiny ridge (1e-9) so
 * separable data still converges. Without the smoothing, a few dozen separable held-out rows drive
 * the slope up until the calibrated probabilities are 0 or 1, and one wrong row costs a huge log loss.
 */
export function fitPlatt(scoresIn: ArrayLike<number>, yIn: ArrayLike<number>): { method: 'platt'; a: number; b: number } {
  // Float64Array inputs keep the loops monomorphic: a fresh process (what `mloop train` is) runs
  // them optimised sooner, and a plain array or a typed array no longer deoptimises the other.
  const scores = asFloat64(scoresIn);
  const y = plattTargets(yIn);
  const sums = new Float64Array(5);
  let a = 1;
  let b = 0;
  let f = plattLoss(scores, y, a, b);
  for (let it = 0; it < 100; it++) {
    plattSums(scores, y, a, b, sums);
    const ga = sums[0]!;
    const gb = sums[1]!;
    const haa = sums[2]!;
    const hab = sums[3]!;
    const hbb = sums[4]!;
    const det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    // backtracking keeps Newton monotone far from the optimum
    let step = 1;
    let fNew = plattLoss(scores, y, a - da, b - db);
    while (fNew > f && step > 1e-10) {
      step /= 2;
      fNew = plattLoss(scores, y, a - step * da, b - step * db);
    }
    if (!(fNew <= f)) break;
    a -= step * da;
    b -= step * db;
    const gained = f - fNew;
    f = fNew;
    if (Math.abs(step * da) + Math.abs(step * db) < 1e-12 || gained < 1e-16) break;
  }
  return { method: 'platt', a, b };
}

/** Platt's smoothed targets for 0/1 labels (a fresh array; the labels are not changed). */
function plattTargets(yIn: ArrayLike<number>): Float64Array {
  const n = yIn.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += yIn[i] === 1 ? 1 : 0;
  const hi = (pos + 1) / (pos + 2);
  const lo = 1 / (n - pos + 2);
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) t[i] = yIn[i] === 1 ? hi : lo;
  return t;
}

/** Isotonic regression of labels on sigmoid(score) by pool-adjacent-violators. */
export function fitIsotonic(scoresIn: ArrayLike<number>, yIn: ArrayLike<number>): { method: 'isotonic'; x: number[]; y: number[] } {
  const scores = asFloat64(scoresIn);
  const y = asFloat64(yIn);
  const n = scores.length;
  // NaN scores have no order: keep the comparator's (implementation-defined) one for them
  const order = scores.includes(NaN)
    ? Uint32Array.from(Array.from({ length: n }, (_, i) => i).sort((i, j) => scores[i]! - scores[j]! || i - j))
    : orderByScore(scores);
  // blocks: weight, mean y, x range
  const bw = new Float64Array(n);
  const by = new Float64Array(n);
  const bx0 = new Float64Array(n);
  const bx1 = new Float64Array(n);
  const m = poolAdjacent(order, scores, y, bw, by, bx0, bx1);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let t = 0; t < m; t++) {
    xs.push(bx0[t]!);
    ys.push(by[t]!);
    if (bx1[t]! > bx0[t]!) {
      xs.push(bx1[t]!);
      ys.push(by[t]!);
    }
  }
  return { method: 'isotonic', x: xs, y: ys };
}

/**
 * Pool-adjacent-violators over rows in score order: blocks (weight bw, mean y by, x range
 * bx0..bx1) on stacks of typed arrays; returns the number of blocks. Typed stacks instead of
 * growing plain arrays: one element kind (no deoptimisation when a block mean first turns
 * fractional) and no garbage, which a fresh process (what `mloop train` is) pays for.
 */
function poolAdjacent(order: Uint32Array, scores: Float64Array, y: Float64Array, bw: Float64Array, by: Float64Array, bx0: Float64Array, bx1: Float64Array): number {
  const n = order.length;
  let m = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    const x = sigmoid(scores[i]!);
    // equal x values share one block so the fit is a function of x
    if (m > 0 && bx1[m - 1] === x) {
      const t = m - 1;
      by[t] = (by[t]! * bw[t]! + y[i]!) / (bw[t]! + 1);
      bw[t]!++;
    } else {
      bw[m] = 1;
      by[m] = y[i]!;
      bx0[m] = x;
      bx1[m] = x;
      m++;
    }
    while (m > 1 && by[m - 2]! >= by[m - 1]!) {
      const t = m - 1;
      const w = bw[t - 1]! + bw[t]!;
      by[t - 1] = (by[t - 1]! * bw[t - 1]! + by[t]! * bw[t]!) / w;
      bw[t - 1] = w;
      bx1[t - 1] = bx1[t]!;
      m--;
    }
  }
  return m;
}

/** Result of {@link chooseCalibrator}. */
export interface CalibrationChoiceResult {
  /** The calibrator fitted on all given rows with the chosen method. */
  calibrator: Calibrator;
  /** Cross-validated mean log loss per method tried (lower is better). */
  cvLogLoss: Partial<Record<'none' | 'platt' | 'isotonic', number>>;
}

/**
 * Fits the requested calibrator on held-out scores; with `auto`, compares none / Platt /
 * isotonic by `folds`-fold cross-validated log loss on these rows and keeps the best
 * (fewer than 100 rows: Platt or none only, as isotonic overfits small sets).
 */
export function chooseCalibrator(
  scores: ArrayLike<number>,
  y: ArrayLike<number>,
  choice: CalibrationChoice = 'auto',
  seed = 0,
  folds = 5,
): CalibrationChoiceResult {
  const n = scores.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += y[i]! === 1 ? 1 : 0;
  if (choice !== 'none' && (pos === 0 || pos === n)) {
    throw MloopError.invalidArgument('calibration needs held-out rows of both classes', { details: { rows: n, positives: pos } });
  }
  if (choice === 'none') return { calibrator: { method: 'none' }, cvLogLoss: {} };
  if (choice === 'platt') return { calibrator: fitPlatt(scores, y), cvLogLoss: {} };
  if (choice === 'isotonic') return { calibrator: fitIsotonic(scores, y), cvLogLoss: {} };
  const methods: ('none' | 'platt' | 'isotonic')[] = n >= 100 ? ['none', 'platt', 'isotonic'] : ['none', 'platt'];
  const order = shuffleStream(n, randomStream(seed));
  const loss: Record<string, number> = {};
  for (const m of methods) loss[m] = 0;
  for (let f = 0; f < folds; f++) {
    // typed arrays, as the final fit gets: one shape for every call of the fitters
    const nTe = Math.floor((n - 1 - f) / folds) + 1;
    const trS = new Float64Array(n - nTe);
    const trY = new Float64Array(n - nTe);
    const teS = new Float64Array(nTe);
    const teY = new Float64Array(nTe);
    let a = 0;
    let b = 0;
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      if (k % folds === f) {
        teS[b] = scores[i]!;
        teY[b++] = y[i]!;
      } else {
        trS[a] = scores[i]!;
        trY[a++] = y[i]!;
      }
    }
    for (const m of methods) {
      const c: Calibrator = m === 'none' ? { method: 'none' } : m === 'platt' ? fitPlatt(trS, trY) : fitIsotonic(trS, trY);
      const p = new Float64Array(teS.length);
      for (let k = 0; k < p.length; k++) p[k] = applyCalibrator(c, teS[k]!);
      loss[m]! += (binaryLogLoss(p, teY) * teS.length) / n;
    }
  }
  let best: 'none' | 'platt' | 'isotonic' = 'none';
  for (const m of methods) if (loss[m]! < loss[best]! - 1e-12) best = m;
  const calibrator: Calibrator = best === 'none' ? { method: 'none' } : best === 'platt' ? fitPlatt(scores, y) : fitIsotonic(scores, y);
  return { calibrator, cvLogLoss: loss };
}

/** Result of {@link chooseTemperature}. */
export interface TemperatureChoiceResult {
  /** Divide the raw multiclass scores by this before the softmax; 1 = unchanged. */
  temperature: number;
  /** Cross-validated mean multiclass log loss of `none` (T = 1) and `temperature`. */
  cvLogLoss: Partial<Record<'none' | 'temperature', number>>;
}

/**
 * Temperature scaling of multiclass raw scores (row-major n × k, labels 0…k−1) on held-out rows:
 * one T minimising the log loss of softmax(score / T). With `auto`, keeps it only when its
 * `folds`-fold cross-validated log loss beats T = 1.
 */
export function chooseTemperature(
  scores: ArrayLike<number>,
  y: ArrayLike<number>,
  k: number,
  choice: 'auto' | 'none' | 'temperature' = 'auto',
  seed = 0,
  folds = 5,
): TemperatureChoiceResult {
  const n = y.length;
  if (choice === 'none' || n === 0) return { temperature: 1, cvLogLoss: {} };
  if (choice === 'temperature' || n < 2 * folds) return { temperature: choice === 'temperature' ? fitTemperature(scores, y, k) : 1, cvLogLoss: {} };
  const order = shuffleStream(n, randomStream(seed));
  const loss = { none: 0, temperature: 0 };
  for (let f = 0; f < folds; f++) {
    const tr: number[] = [];
    const te: number[] = [];
    for (let j = 0; j < n; j++) (j % folds === f ? te : tr).push(order[j]!);
    const rows = (idx: number[]): [Float64Array, Float64Array] => {
      const s = new Float64Array(idx.length * k);
      idx.forEach((i, r) => {
        for (let c = 0; c < k; c++) s[r * k + c] = scores[i * k + c]!;
      });
      return [s, Float64Array.from(idx, (i) => y[i]!)];
    };
    const [trS, trY] = rows(tr);
    const [teS, teY] = rows(te);
    const t = fitTemperature(trS, trY, k);
    loss.none += (negativeLogLikelihood(teS, teY, k, 1) * te.length) / n;
    loss.temperature += (negativeLogLikelihood(teS, teY, k, t) * te.length) / n;
  }
  return { temperature: loss.temperature < loss.none - 1e-12 ? fitTemperature(scores, y, k) : 1, cvLogLoss: loss };
}

/** One bin of a reliability diagram. */
export interface ReliabilityBin {
  /** Bin bounds on predicted probability: [lower, upper) (the last bin includes 1). */
  lower: number;
  upper: number;
  /** Rows in the bin. */
  count: number;
  /** Mean predicted probability in the bin (NaN when empty). */
  meanPredicted: number;
  /** Fraction of positives in the bin (NaN when empty). */
  fractionPositive: number;
}

/** Reliability-diagram data for positive-class probabilities `p` and 0/1 labels, equal-width bins. */
export function reliabilityDiagram(p: ArrayLike<number>, y: ArrayLike<number>, nBins = 15): ReliabilityBin[] {
  const cnt = new Float64Array(nBins);
  const sp = new Float64Array(nBins);
  const sy = new Float64Array(nBins);
  for (let i = 0; i < p.length; i++) {
    const b = Math.min(nBins - 1, Math.max(0, Math.floor(p[i]! * nBins)));
    cnt[b]!++;
    sp[b]! += p[i]!;
    sy[b]! += y[i]!;
  }
  return Array.from({ length: nBins }, (_, b) => ({
    lower: b / nBins,
    upper: (b + 1) / nBins,
    count: cnt[b]!,
    meanPredicted: cnt[b]! > 0 ? sp[b]! / cnt[b]! : NaN,
    fractionPositive: cnt[b]! > 0 ? sy[b]! / cnt[b]! : NaN,
  }));
}

/**
 * Expected calibration error of positive-class probabilities: Σ_b (n_b / n) · |mean p_b − mean y_b|
 * over `nBins` equal-width bins (default 15). For multiclass top-label ECE pass the top
 * probability as `p` and 1/0 for "top class was right" as `y`.
 */
export function expectedCalibrationError(p: ArrayLike<number>, y: ArrayLike<number>, nBins = 15): number {
  const n = p.length;
  if (n === 0) return NaN;
  let e = 0;
  for (const b of reliabilityDiagram(p, y, nBins)) {
    if (b.count > 0) e += (b.count / n) * Math.abs(b.meanPredicted - b.fractionPositive);
  }
  return e;
}
