/** Dawid–Skene (1979) EM: one confusion matrix per annotator and class priors. */
import { MloopError } from '../../errors/index.js';
import type { AnswerSet } from './answer-set.js';
import { argmaxFirst, toRows, type ConsensusResult } from './consensus.js';

/** How the EM starts. */
export type DawidSkeneInit = 'soft-mv' | 'hard-mv' | 'diagonal';

export interface DawidSkeneOptions {
  /**
   * Starting point (default `soft-mv`). `soft-mv`: item posteriors = vote shares; `hard-mv`: one-hot
   * majority vote (ties to the class listed first); both then run M-step, E-step per iteration.
   * `diagonal`: uniform priors and every confusion matrix `diagonal` on the diagonal, the rest
   * spread evenly; each iteration runs E-step, M-step (Zheng et al. 2017's setting with 0.7 / 20).
   */
  init?: DawidSkeneInit;
  /** Diagonal of the starting confusion matrices for `init: 'diagonal'` (default 0.7). */
  diagonal?: number;
  /** Maximum number of EM iterations (default 50). */
  iterations?: number;
  /**
   * Stop early when no item posterior moved by more than this in one iteration (default 0: run all
   * iterations unless the posteriors stop changing exactly, as the reference implementation does).
   */
  tolerance?: number;
  /** Added to every confusion-matrix cell and class-prior count before normalising (default 1e-6). */
  smoothing?: number;
}

/** Dawid–Skene consensus with the fitted model. */
export interface DawidSkeneResult extends ConsensusResult {
  method: 'dawid-skene';
  /** The options used, defaults filled in. */
  options: Required<DawidSkeneOptions>;
  /** Posterior ties go to the class listed first in `classes` (see `MajorityVoteResult.tieRule`). */
  tieRule: 'first-listed-label';
  /** Class priors of the last M-step. */
  priors: number[];
  /** Worker ids, aligned with `confusion`. */
  workers: string[];
  /** Per worker, `confusion[w][true][given]` = P(worker w answers `given` | true class); rows sum to 1. */
  confusion: number[][][];
  /** EM iterations run. */
  iterations: number;
  /** True when stopped because the largest posterior change was ≤ `tolerance`. */
  converged: boolean;
  /** Largest change of an item posterior in the last iteration; null when there is none to compare (one `diagonal` iteration, no items). */
  maxChange: number | null;
  /** Log-likelihood of the answers under the parameters of the last E-step. */
  logLikelihood: number;
}

/** Arrays the EM steps read and write; module-level functions keep V8's hot loops fast. */
interface Model {
  n: number;
  k: number;
  nw: number;
  na: number;
  answerItem: Int32Array;
  answerWorker: Int32Array;
  answerLabel: Int32Array;
  prior: Float64Array;
  cm: Float64Array;
  logCm: Float64Array;
  logPrior: Float64Array;
  eps: number;
}

// M-step: priors and confusion matrices from item posteriors, `eps` added to every count.
function mStepInto(m: Model, post: Float64Array): void {
  const { n, k, nw, na, answerItem, answerWorker, answerLabel, prior, cm, eps } = m;
  const kk = k * k;
  prior.fill(0);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) prior[c]! += post[i * k + c]!;
  let ps = 0;
  for (let c = 0; c < k; c++) ps += (prior[c]! += eps);
  for (let c = 0; c < k; c++) prior[c]! /= ps;
  cm.fill(eps);
  for (let a = 0; a < na; a++) {
    const base = answerWorker[a]! * kk + answerLabel[a]!;
    const off = answerItem[a]! * k;
    for (let t = 0; t < k; t++) cm[base + t * k]! += post[off + t]!;
  }
  for (let r = 0; r < nw * k; r++) {
    let s = 0;
    for (let l = 0; l < k; l++) s += cm[r * k + l]!;
    for (let l = 0; l < k; l++) cm[r * k + l]! /= s;
  }
}

// E-step: item posteriors into `out`; returns the log-likelihood of the answers.
function eStepInto(m: Model, out: Float64Array): number {
  const { n, k, nw, na, answerItem, answerWorker, answerLabel, prior, cm, logCm, logPrior } = m;
  const kk = k * k;
  for (let c = 0; c < k; c++) logPrior[c] = Math.log(prior[c]!);
  for (let j = 0; j < nw * kk; j++) logCm[j] = Math.log(cm[j]!);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) out[i * k + c] = logPrior[c]!;
  for (let a = 0; a < na; a++) {
    const base = answerWorker[a]! * kk + answerLabel[a]!;
    const off = answerItem[a]! * k;
    for (let t = 0; t < k; t++) out[off + t]! += logCm[base + t * k]!;
  }
  let ll = 0;
  for (let i = 0; i < n; i++) {
    const off = i * k;
    let mx = -Infinity;
    for (let c = 0; c < k; c++) if (out[off + c]! > mx) mx = out[off + c]!;
    if (mx === -Infinity) {
      // Every class impossible (only with smoothing 0): fall back to uniform.
      for (let c = 0; c < k; c++) out[off + c] = 1 / k;
      ll = -Infinity;
      continue;
    }
    let s = 0;
    for (let c = 0; c < k; c++) s += out[off + c] = Math.exp(out[off + c]! - mx);
    for (let c = 0; c < k; c++) out[off + c]! /= s;
    ll += mx + Math.log(s);
  }
  return ll;
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let j = 0; j < a.length; j++) {
    const d = Math.abs(a[j]! - b[j]!);
    if (d > m) m = d;
  }
  return m;
}

const INITS: readonly DawidSkeneInit[] = ['soft-mv', 'hard-mv', 'diagonal'];

function resolve(options: DawidSkeneOptions): Required<DawidSkeneOptions> {
  const r: Required<DawidSkeneOptions> = {
    init: options.init ?? 'soft-mv',
    diagonal: options.diagonal ?? 0.7,
    iterations: options.iterations ?? 50,
    tolerance: options.tolerance ?? 0,
    smoothing: options.smoothing ?? 1e-6,
  };
  if (!INITS.includes(r.init)) {
    throw MloopError.invalidArgument(`unknown Dawid-Skene init '${String(r.init)}'; valid: ${INITS.join(', ')}`);
  }
  if (!Number.isInteger(r.iterations) || r.iterations < 1 || r.iterations > 100_000) {
    throw MloopError.invalidArgument(`iterations must be an integer from 1 to 100000, got ${String(r.iterations)}`);
  }
  if (!(Number.isFinite(r.tolerance) && r.tolerance >= 0)) {
    throw MloopError.invalidArgument(`tolerance must be a finite number ≥ 0, got ${String(r.tolerance)}`);
  }
  if (!(Number.isFinite(r.smoothing) && r.smoothing >= 0)) {
    throw MloopError.invalidArgument(`smoothing must be a finite number ≥ 0, got ${String(r.smoothing)}`);
  }
  if (!(Number.isFinite(r.diagonal) && r.diagonal > 0 && r.diagonal < 1)) {
    throw MloopError.invalidArgument(`diagonal must be between 0 and 1 (exclusive), got ${String(r.diagonal)}`);
  }
  return r;
}

/**
 * Dawid–Skene EM over `set`. Prediction is the posterior argmax, ties to the class listed first.
 * With the defaults it is the variant of `crowd_baseline.py`: soft-MV start, 50 rounds of
 * M-step then E-step, 1e-6 added to every count.
 *
 * @example
 * const ds = dawidSkene(set, { iterations: 50 });
 * ds.labels[0]; ds.confidence[0]; ds.confusion[0];
 */
export function dawidSkene(set: AnswerSet, options: DawidSkeneOptions = {}): DawidSkeneResult {
  const opts = resolve(options);
  const { numItems: n, numClasses: k, numWorkers: nw, numAnswers: na } = set;
  const { answerItem, answerWorker, answerLabel, voteCounts } = set;
  const kk = k * k;
  let T = new Float64Array(n * k);
  let next = new Float64Array(n * k);
  const prior = new Float64Array(k);
  const cm = new Float64Array(nw * kk);
  const logCm = new Float64Array(nw * kk);
  const logPrior = new Float64Array(k);
  const eps = opts.smoothing;

  const model: Model = { n, k, nw, na, answerItem, answerWorker, answerLabel, prior, cm, logCm, logPrior, eps };
  const mStep = (post: Float64Array): void => mStepInto(model, post);
  const eStep = (out: Float64Array): number => eStepInto(model, out);

  let iterations = 0;
  let converged = false;
  let maxChange = Infinity;
  let logLikelihood = 0;
  if (n > 0 && k > 0) {
    if (opts.init === 'diagonal') {
      prior.fill(1 / k);
      const off = (1 - opts.diagonal) / Math.max(k - 1, 1);
      for (let w = 0; w < nw; w++) {
        for (let t = 0; t < k; t++) for (let l = 0; l < k; l++) cm[w * kk + t * k + l] = t === l ? opts.diagonal : off;
      }
      let first = true;
      while (iterations < opts.iterations) {
        logLikelihood = eStep(next);
        maxChange = first ? Infinity : maxAbsDiff(next, T);
        first = false;
        [T, next] = [next, T];
        mStep(T);
        iterations++;
        if (maxChange <= opts.tolerance) {
          converged = true;
          break;
        }
      }
    } else {
      for (let i = 0; i < n; i++) {
        const off = i * k;
        let total = 0;
        for (let c = 0; c < k; c++) total += voteCounts[off + c]!;
        if (opts.init === 'soft-mv') {
          for (let c = 0; c < k; c++) T[off + c] = voteCounts[off + c]! / total;
        } else {
          T[off + argmaxFirst(voteCounts, off, k)] = 1;
        }
      }
      while (iterations < opts.iterations) {
        mStep(T);
        logLikelihood = eStep(next);
        maxChange = maxAbsDiff(next, T);
        [T, next] = [next, T];
        iterations++;
        if (maxChange <= opts.tolerance) {
          converged = true;
          break;
        }
      }
    }
  }

  const labelIndex = new Array<number>(n);
  const confidence = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const best = argmaxFirst(T, i * k, k);
    labelIndex[i] = best;
    confidence[i] = T[i * k + best]!;
  }
  const confusion: number[][][] = new Array<number[][]>(nw);
  for (let w = 0; w < nw; w++) confusion[w] = toRows(cm.subarray(w * kk, (w + 1) * kk), k, k);
  return {
    method: 'dawid-skene',
    options: opts,
    tieRule: 'first-listed-label',
    classes: [...set.classes],
    items: [...set.itemIds],
    labels: labelIndex.map((c) => set.classes[c]!),
    labelIndex,
    confidence,
    posterior: toRows(T, n, k),
    priors: n > 0 ? Array.from(prior) : new Array<number>(k).fill(k > 0 ? 1 / k : 0),
    workers: [...set.workerIds],
    confusion,
    iterations,
    converged,
    maxChange: Number.isFinite(maxChange) ? maxChange : null,
    logLikelihood,
  };
}
