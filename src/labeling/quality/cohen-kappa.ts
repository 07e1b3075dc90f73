/** Cohen's kappa for two raters, and for every pair of annotators in an answer set. */
import { MloopError } from '../../errors/index.js';
import type { AnswerSet } from './answer-set.js';
import { bootstrapUnits, type BootstrapInterval, type BootstrapOptions } from './bootstrap.js';

/** Cohen's kappa of two raters; `value` is null when it does not apply (`reason` says why). */
export interface CohenKappaResult {
  /** Stable metric id. */
  metric: 'agreement:cohen-kappa';
  /** κ = (p_o − p_e) / (1 − p_e), or null. */
  value: number | null;
  /** Items both raters labelled. */
  n: number;
  /** Share of those items with the same label, p_o. */
  observedAgreement: number | null;
  /** Chance agreement from the two raters' marginals, p_e. */
  expectedAgreement: number | null;
  /** Why `value` is null, else null. */
  reason: string | null;
  /** Bootstrap interval over the shared items, when asked for and defined. */
  ci: BootstrapInterval | null;
}

export interface CohenKappaOptions {
  /** Percentile bootstrap over the shared items; omit for no interval. */
  bootstrap?: BootstrapOptions;
}

type Missing = null | undefined;

/**
 * Cohen's kappa (unweighted) of two parallel label arrays; positions where either is null or
 * undefined are skipped.
 *
 * @example
 * cohenKappa(['a', 'b', 'a'], ['a', 'b', 'b']).value; // 0.4
 */
export function cohenKappa(
  a: readonly (string | number | Missing)[],
  b: readonly (string | number | Missing)[],
  options: CohenKappaOptions = {},
): CohenKappaResult {
  if (a.length !== b.length) throw MloopError.invalidArgument(`rater arrays differ in length (${a.length} and ${b.length})`);
  const index = new Map<string, number>();
  const la: number[] = [];
  const lb: number[] = [];
  const id = (v: string | number): number => {
    const key = String(v);
    let i = index.get(key);
    if (i === undefined) index.set(key, (i = index.size));
    return i;
  };
  for (let j = 0; j < a.length; j++) {
    const x = a[j];
    const y = b[j];
    if (x === null || x === undefined || y === null || y === undefined) continue;
    la.push(id(x));
    lb.push(id(y));
  }
  return kappaOf(Int32Array.from(la), Int32Array.from(lb), Math.max(index.size, 1), options.bootstrap);
}

function kappaOf(la: Int32Array, lb: Int32Array, k: number, bootstrap: BootstrapOptions | undefined): CohenKappaResult {
  const n = la.length;
  const row = new Float64Array(k);
  const col = new Float64Array(k);
  const compute = (weights: Int32Array | null): { value: number | null; po: number; pe: number } => {
    row.fill(0);
    col.fill(0);
    let total = 0;
    let agree = 0;
    for (let j = 0; j < n; j++) {
      const w = weights === null ? 1 : weights[j]!;
      if (w === 0) continue;
      total += w;
      row[la[j]!]! += w;
      col[lb[j]!]! += w;
      if (la[j] === lb[j]) agree += w;
    }
    let chance = 0;
    for (let c = 0; c < k; c++) chance += row[c]! * col[c]!;
    const n2 = total * total;
    // Integer arithmetic until the division, so p_e = 1 is detected exactly.
    return { value: chance === n2 ? null : (agree * total - chance) / (n2 - chance), po: agree / total, pe: chance / n2 };
  };
  const base = { metric: 'agreement:cohen-kappa' as const, n };
  if (n === 0) return { ...base, value: null, observedAgreement: null, expectedAgreement: null, reason: 'no item labelled by both raters', ci: null };
  const full = compute(null);
  if (full.value === null) {
    return { ...base, value: null, observedAgreement: full.po, expectedAgreement: full.pe, reason: 'both raters used one and the same class throughout (chance agreement is 1)', ci: null };
  }
  const ci = bootstrap === undefined ? null : bootstrapUnits(n, bootstrap, (w) => compute(w).value);
  return { ...base, value: full.value, observedAgreement: full.po, expectedAgreement: full.pe, reason: null, ci };
}

export interface PairwiseCohenKappaOptions {
  /** Pairs sharing fewer items are skipped (default 10). */
  minShared?: number;
  /** Bootstrap each pair over its shared items (costly with many pairs); omit for no intervals. */
  bootstrap?: BootstrapOptions;
}

/** Cohen's kappa of one annotator pair. */
export interface AnnotatorPairKappa extends CohenKappaResult {
  /** First worker id (the smaller in code-unit order). */
  workerA: string;
  /** Second worker id. */
  workerB: string;
}

/** Cohen's kappa for every annotator pair with enough shared items. */
export interface PairwiseCohenKappaResult {
  /** Stable metric id. */
  metric: 'agreement:cohen-kappa-pairwise';
  /** The threshold used. */
  minShared: number;
  /** Pairs with at least `minShared` shared items, ordered by (workerA, workerB). */
  pairs: AnnotatorPairKappa[];
  /** Pairs that share at least one item but fewer than `minShared`. */
  pairsSkipped: number;
  /** Unweighted mean of the defined pair values, or null when there is none. */
  meanKappa: number | null;
}

/**
 * Cohen's kappa for each pair of annotators over the items both answered.
 *
 * @example
 * pairwiseCohenKappa(set, { minShared: 20 }).pairs;
 */
export function pairwiseCohenKappa(set: AnswerSet, options: PairwiseCohenKappaOptions = {}): PairwiseCohenKappaResult {
  const minShared = options.minShared ?? 10;
  if (!(Number.isInteger(minShared) && minShared >= 1)) {
    throw MloopError.invalidArgument(`minShared must be an integer ≥ 1, got ${String(minShared)}`);
  }
  const { numItems, numWorkers: nw, itemStart, answerWorker, answerLabel } = set;
  // Pass 1: shared-item count per pair key (a * nw + b, a < b).
  const count = new Map<number, number>();
  for (let i = 0; i < numItems; i++) {
    for (let p = itemStart[i]!; p < itemStart[i + 1]!; p++) {
      for (let q = p + 1; q < itemStart[i + 1]!; q++) {
        const x = answerWorker[p]!;
        const y = answerWorker[q]!;
        const key = x < y ? x * nw + y : y * nw + x;
        count.set(key, (count.get(key) ?? 0) + 1);
      }
    }
  }
  const keys = [...count.keys()].sort((x, y) => x - y);
  const offset = new Map<number, number>();
  let total = 0;
  let skipped = 0;
  for (const key of keys) {
    const c = count.get(key)!;
    if (c < minShared) {
      skipped++;
      continue;
    }
    offset.set(key, total);
    total += c;
  }
  // Pass 2: the label pairs of kept pairs, grouped by key.
  const la = new Int32Array(total);
  const lb = new Int32Array(total);
  const fill = new Map(offset);
  for (let i = 0; i < numItems; i++) {
    for (let p = itemStart[i]!; p < itemStart[i + 1]!; p++) {
      for (let q = p + 1; q < itemStart[i + 1]!; q++) {
        const x = answerWorker[p]!;
        const y = answerWorker[q]!;
        const key = x < y ? x * nw + y : y * nw + x;
        const at = fill.get(key);
        if (at === undefined) continue;
        la[at] = x < y ? answerLabel[p]! : answerLabel[q]!;
        lb[at] = x < y ? answerLabel[q]! : answerLabel[p]!;
        fill.set(key, at + 1);
      }
    }
  }
  const pairs: AnnotatorPairKappa[] = [];
  let sum = 0;
  let defined = 0;
  for (const [key, start] of offset) {
    const c = count.get(key)!;
    const r = kappaOf(la.subarray(start, start + c), lb.subarray(start, start + c), Math.max(set.numClasses, 1), options.bootstrap);
    if (r.value !== null) {
      sum += r.value;
      defined++;
    }
    pairs.push({ workerA: set.workerIds[Math.floor(key / nw)]!, workerB: set.workerIds[key % nw]!, ...r });
  }
  return { metric: 'agreement:cohen-kappa-pairwise', minShared, pairs, pairsSkipped: skipped, meanKappa: defined === 0 ? null : sum / defined };
}
