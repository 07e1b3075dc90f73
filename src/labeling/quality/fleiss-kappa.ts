/** Fleiss' kappa (1971) for a fixed number of answers per item. */
import { MloopError } from '../../errors/index.js';
import type { AnswerSet } from './answer-set.js';
import { bootstrapUnits, type BootstrapInterval, type BootstrapOptions } from './bootstrap.js';

export interface FleissKappaOptions {
  /**
   * Answers per item (k) to use; items with another number of answers are excluded and counted in
   * `itemsExcluded`. A number: exactly that k. `'uniform'` (default): every item must have the same
   * number of answers, otherwise the value is null (what `crowd_baseline.py` does). `'most-common'`:
   * the k ≥ 2 held by most items (ties to the larger k); null when no item has 2 or more answers.
   */
  k?: number | 'uniform' | 'most-common';
  /** Percentile bootstrap over the items used; omit for no interval. */
  bootstrap?: BootstrapOptions;
}

/** Fleiss' kappa; `value` is null when it does not apply (`reason` says why). */
export interface FleissKappaResult {
  /** Stable metric id. */
  metric: 'agreement:fleiss-kappa';
  /** κ = (P̄ − P̄e) / (1 − P̄e), or null. */
  value: number | null;
  /** Answers per item used, or null when no fixed k applies. */
  k: number | null;
  /** Items counted. */
  itemsUsed: number;
  /** Items left out because their number of answers is not `k`. */
  itemsExcluded: number;
  /** Mean per-item agreement P̄. */
  observedAgreement: number | null;
  /** Chance agreement P̄e = Σ p_j². */
  expectedAgreement: number | null;
  /** Why `value` is null, else null. */
  reason: string | null;
  /** Bootstrap interval over items, when asked for and defined. */
  ci: BootstrapInterval | null;
}

/**
 * Fleiss' kappa over `set`. Items with a number of answers other than `k` are excluded; by default
 * (`k: 'uniform'`) varying counts make the value null.
 *
 * @example
 * fleissKappa(set, { bootstrap: { replicates: 1000, seed: 7 } }).value;
 */
export function fleissKappa(set: AnswerSet, options: FleissKappaOptions = {}): FleissKappaResult {
  const { numItems, numClasses: nc, itemStart, voteCounts } = set;
  const base = { metric: 'agreement:fleiss-kappa' as const };
  const none = (reason: string, k: number | null, used: number): FleissKappaResult => ({
    ...base,
    value: null,
    k,
    itemsUsed: used,
    itemsExcluded: numItems - used,
    observedAgreement: null,
    expectedAgreement: null,
    reason,
    ci: null,
  });
  const rule = options.k ?? 'uniform';
  if (rule !== 'uniform' && rule !== 'most-common' && !(Number.isInteger(rule) && rule >= 2)) {
    throw MloopError.invalidArgument(`k must be an integer ≥ 2, 'uniform' or 'most-common', got ${String(rule)}`);
  }
  if (numItems === 0) return none('no items', typeof rule === 'number' ? rule : null, 0);
  const chosen = chooseK(set, rule);
  if (typeof chosen === 'string') return none(chosen, null, 0);
  const k = chosen;
  const used: number[] = [];
  for (let i = 0; i < numItems; i++) if (itemStart[i + 1]! - itemStart[i]! === k) used.push(i);
  if (used.length === 0) return none(`no item has exactly ${k} answers`, k, 0);

  const u = used.length;
  const pi = new Float64Array(u);
  const counts = new Float64Array(u * nc);
  for (let j = 0; j < u; j++) {
    const off = used[j]! * nc;
    let sq = 0;
    for (let c = 0; c < nc; c++) {
      const v = voteCounts[off + c]!;
      counts[j * nc + c] = v;
      sq += v * v;
    }
    pi[j] = (sq - k) / (k * (k - 1));
  }
  const colSums = new Float64Array(nc);
  const compute = (weights: Int32Array | null): { value: number | null; pBar: number; pe: number } => {
    colSums.fill(0);
    let wSum = 0;
    let pSum = 0;
    for (let j = 0; j < u; j++) {
      const w = weights === null ? 1 : weights[j]!;
      if (w === 0) continue;
      wSum += w;
      pSum += w * pi[j]!;
      for (let c = 0; c < nc; c++) colSums[c]! += w * counts[j * nc + c]!;
    }
    let pe = 0;
    for (let c = 0; c < nc; c++) {
      const p = colSums[c]! / (wSum * k);
      pe += p * p;
    }
    const pBar = pSum / wSum;
    return { value: 1 - pe <= 1e-15 ? null : (pBar - pe) / (1 - pe), pBar, pe };
  };
  const full = compute(null);
  if (full.value === null) return { ...none('every answer is the same class (chance agreement is 1)', k, u), observedAgreement: full.pBar, expectedAgreement: full.pe };
  const ci = options.bootstrap === undefined ? null : bootstrapUnits(u, options.bootstrap, (w) => compute(w).value);
  return {
    ...base,
    value: full.value,
    k,
    itemsUsed: u,
    itemsExcluded: numItems - u,
    observedAgreement: full.pBar,
    expectedAgreement: full.pe,
    reason: null,
    ci,
  };
}

/** The k to use under `rule`, or the reason there is none. */
function chooseK(set: AnswerSet, rule: number | 'uniform' | 'most-common'): number | string {
  if (typeof rule === 'number') return rule;
  const { numItems, itemStart } = set;
  if (rule === 'most-common') {
    const byCount = new Map<number, number>();
    for (let i = 0; i < numItems; i++) {
      const m = itemStart[i + 1]! - itemStart[i]!;
      if (m >= 2) byCount.set(m, (byCount.get(m) ?? 0) + 1);
    }
    let best = 0;
    let bestItems = 0;
    for (const [m, c] of byCount) {
      if (c > bestItems || (c === bestItems && m > best)) {
        best = m;
        bestItems = c;
      }
    }
    return best === 0 ? 'no item has 2 or more answers' : best;
  }
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < numItems; i++) {
    const m = itemStart[i + 1]! - itemStart[i]!;
    if (m < min) min = m;
    if (m > max) max = m;
  }
  if (min !== max) return `answers per item vary (${min} to ${max}); pass k (a number or 'most-common') to use the items with exactly k answers`;
  if (min < 2) return 'every item has fewer than 2 answers';
  return min;
}
