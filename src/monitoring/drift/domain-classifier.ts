/**
 * The domain classifier for text drift: can a classifier tell reference documents from current
 * ones? Documents are sets of token ids (the reference vocabulary plus one out-of-vocabulary id);
 * an L2-regularised logistic regression, class-balanced and trained by seeded SGD, is cross-fitted
 * over two folds so that every document is scored by a model that never saw it, and the ROC-AUC of
 * those out-of-fold scores says how separable the two samples are (0.5: not at all).
 */
import { gammaQ } from '../stats/gamma.js';
import { seededRandom } from '../stats/random.js';

/** Options of the domain classifier. */
export interface DomainClassifierOptions {
  /** Most documents used from each side (evenly spaced subsample); default 1000. */
  maxDocs?: number;
  /** Passes over the training fold; default 10. */
  epochs?: number;
  /** L2 penalty per update; default 1e-4. */
  l2?: number;
  /** Learning rate of the first pass, decaying as 1/(1 + pass); default 0.2. */
  learningRate?: number;
  /** Seed of the fold assignment and the SGD order; default 42. */
  seed?: number;
}

/** What the domain classifier found. */
export interface DomainClassifierResult {
  /** ROC-AUC of the out-of-fold scores, current = positive class. */
  auc: number;
  /** One-sided p-value of AUC > 0.5 (normal approximation of Mann–Whitney U under no difference, with the tie correction). */
  p_value: number;
  n_reference: number;
  n_current: number;
}

/** Evenly spaced subsample of at most `max` items. */
function spaced<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(items[Math.floor((i * items.length) / max)] as T);
  return out;
}

/**
 * ROC-AUC of `scores` with labels `positive` (Mann–Whitney U with average ranks for ties), and the
 * one-sided normal-approximation p-value of AUC > 0.5 with the tie-corrected variance.
 */
export function aucWithPValue(scores: ArrayLike<number>, positive: ArrayLike<boolean>): { auc: number; p_value: number } {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  const ranks = new Float64Array(n);
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1] as number] === scores[order[i] as number]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k] as number] = r;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  let n1 = 0;
  let rankSum = 0;
  for (let i = 0; i < n; i++) {
    if (positive[i]) {
      n1++;
      rankSum += ranks[i] as number;
    }
  }
  const n0 = n - n1;
  if (n1 === 0 || n0 === 0) return { auc: 0.5, p_value: 1 };
  const u = rankSum - (n1 * (n1 + 1)) / 2;
  const auc = u / (n1 * n0);
  const variance = ((n1 * n0) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (!(variance > 0)) return { auc, p_value: auc > 0.5 ? 0 : 1 };
  const z = (u - (n1 * n0) / 2) / Math.sqrt(variance);
  // P(Z > z) = ½·erfc(z/√2) = ½·Q(½, z²/2) for z ≥ 0
  const tail = 0.5 * gammaQ(0.5, (z * z) / 2);
  return { auc, p_value: z >= 0 ? tail : 1 - tail };
}

/** The classifier's work on flattened documents: what the worker thread receives. */
export interface DomainJob {
  /** Token ids of every document, reference ones first, one after another. */
  ids: Int32Array;
  /** Document d's ids are ids[offsets[d]] … ids[offsets[d + 1] - 1]. */
  offsets: Int32Array;
  /** The first `nReference` documents are reference ones, the rest current ones. */
  nReference: number;
  /** Token ids are below this. */
  features: number;
  /** Passes over each training fold. */
  epochs: number;
  /** L2 penalty per update. */
  l2: number;
  /** Learning rate of the first pass, decaying as 1/(1 + pass). */
  eta0: number;
  /** Uniform draws in [0, 1) for the SGD order, used in sequence (the seeded generator's stream). */
  uniforms: Float64Array;
}

/**
 * The cross-fitted logistic regression's out-of-fold scores (current = positive). Self-contained
 * (no imports, no module-level names): a worker thread runs it from its source text.
 */
export function domainScores(job: DomainJob): Float64Array {
  const { ids, offsets, nReference, features, epochs, l2, eta0, uniforms } = job;
  const n = offsets.length - 1;
  // Each document as its distinct ids in first-seen order (presence, not counts).
  const seen = new Int32Array(features);
  const distinct = new Int32Array(ids.length);
  const docs: Int32Array[] = [];
  let at = 0;
  for (let d = 0; d < n; d++) {
    const from = at;
    for (let j = offsets[d] as number; j < (offsets[d + 1] as number); j++) {
      const id = ids[j] as number;
      if (seen[id] === d + 1) continue;
      seen[id] = d + 1;
      distinct[at++] = id;
    }
    docs.push(distinct.subarray(from, at));
  }
  const label: boolean[] = [];
  const fold: number[] = [];
  // Folds: alternate within each side, so both folds hold both classes in proportion.
  for (let i = 0; i < n; i++) {
    label.push(i >= nReference);
    fold.push((i < nReference ? i : i - nReference) % 2);
  }
  const scores = new Float64Array(n);
  const w = new Float64Array(features);
  let u = 0;
  for (let f = 0; f < 2; f++) {
    const train: number[] = [];
    for (let i = 0; i < n; i++) if (fold[i] !== f) train.push(i);
    let pos = 0;
    for (const i of train) if (label[i]) pos++;
    const neg = train.length - pos;
    if (pos === 0 || neg === 0) continue;
    // Class-balanced weights: each class carries half of the loss.
    const wPos = train.length / (2 * pos);
    const wNeg = train.length / (2 * neg);
    w.fill(0);
    let bias = 0;
    for (let e = 0; e < epochs; e++) {
      const eta = eta0 / (1 + e);
      for (let k = train.length - 1; k > 0; k--) {
        const j = Math.floor((uniforms[u++] as number) * (k + 1));
        const t = train[k] as number;
        train[k] = train[j] as number;
        train[j] = t;
      }
      for (const i of train) {
        const d = docs[i] as Int32Array;
        let z = bias;
        for (let j = 0; j < d.length; j++) z += w[d[j] as number] as number;
        const p = 1 / (1 + Math.exp(-z));
        const y = label[i] ? 1 : 0;
        const g = (p - y) * (label[i] ? wPos : wNeg);
        for (let j = 0; j < d.length; j++) {
          const id = d[j] as number;
          w[id] = (w[id] as number) * (1 - eta * l2) - eta * g;
        }
        bias -= eta * g;
      }
    }
    for (let i = 0; i < n; i++) {
      if (fold[i] !== f) continue;
      const d = docs[i] as Int32Array;
      let z = bias;
      for (let j = 0; j < d.length; j++) z += w[d[j] as number] as number;
      scores[i] = z;
    }
  }
  return scores;
}

/** The subsampled documents flattened, and the seeded draws the SGD order uses. */
export function domainJob(reference: readonly Int32Array[], current: readonly Int32Array[], features: number, options: DomainClassifierOptions = {}): DomainJob {
  const maxDocs = options.maxDocs ?? 1000;
  const epochs = options.epochs ?? 10;
  const ref = spaced(reference, maxDocs);
  const cur = spaced(current, maxDocs);
  const all = [...ref, ...cur];
  const offsets = new Int32Array(all.length + 1);
  for (let d = 0; d < all.length; d++) offsets[d + 1] = (offsets[d] as number) + (all[d] as Int32Array).length;
  const ids = new Int32Array(offsets[all.length] as number);
  for (let d = 0; d < all.length; d++) ids.set(all[d] as Int32Array, offsets[d] as number);
  // At most one draw per training document and pass in each of the two folds.
  const rng = seededRandom(options.seed ?? 42);
  const uniforms = new Float64Array(2 * epochs * all.length);
  for (let i = 0; i < uniforms.length; i++) uniforms[i] = rng.next();
  return { ids, offsets, nReference: ref.length, features, epochs, l2: options.l2 ?? 1e-4, eta0: options.learningRate ?? 0.2, uniforms };
}

/** The AUC of a job's out-of-fold scores (the first `nReference` from reference documents), with its p-value and the documents used. */
export function domainResult(nReference: number, scores: Float64Array): DomainClassifierResult {
  const n = scores.length;
  const label = Array.from({ length: n }, (_, i) => i >= nReference);
  const { auc, p_value } = aucWithPValue(scores, label);
  return { auc, p_value, n_reference: nReference, n_current: n - nReference };
}

/**
 * Cross-fitted domain classifier between reference and current documents (token-id arrays whose
 * ids are below `features`), on the calling thread. `domainClassifierOffThread` gives the same
 * result from a worker thread.
 *
 * @example
 * const r = domainClassifier(profile.documentsAsArrays, window.summary.sample, vocabularySize + 1);
 */
export function domainClassifier(reference: readonly Int32Array[], current: readonly Int32Array[], features: number, options: DomainClassifierOptions = {}): DomainClassifierResult {
  const job = domainJob(reference, current, features, options);
  return domainResult(job.nReference, domainScores(job));
}
