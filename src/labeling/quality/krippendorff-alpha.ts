/** Krippendorff's alpha for nominal data, any number of answers per item. */
import type { AnswerSet } from './answer-set.js';
import { bootstrapUnits, type BootstrapInterval, type BootstrapOptions } from './bootstrap.js';

export interface KrippendorffAlphaOptions {
  /** Percentile bootstrap over the pairable items; omit for no interval. */
  bootstrap?: BootstrapOptions;
}

/** Krippendorff's alpha (nominal); `value` is null when it does not apply (`reason` says why). */
export interface KrippendorffAlphaResult {
  /** Stable metric id. */
  metric: 'agreement:krippendorff-alpha-nominal';
  /** α = 1 − D_o / D_e, or null. */
  value: number | null;
  /** Items with at least 2 answers (pairable). */
  itemsUsed: number;
  /** Items with fewer than 2 answers, ignored. */
  itemsExcluded: number;
  /** Pairable values n (answers on pairable items). */
  pairableValues: number;
  /** Observed disagreement D_o. */
  observedDisagreement: number | null;
  /** Expected disagreement D_e. */
  expectedDisagreement: number | null;
  /** Why `value` is null, else null. */
  reason: string | null;
  /** Bootstrap interval over items, when asked for and defined. */
  ci: BootstrapInterval | null;
}

/**
 * Krippendorff's alpha, nominal metric, from the coincidence matrix: items with fewer than 2
 * answers are ignored, every other item contributes its m(m−1) ordered pairs weighted 1/(m−1).
 *
 * @example
 * krippendorffAlpha(set).value;
 */
export function krippendorffAlpha(set: AnswerSet, options: KrippendorffAlphaOptions = {}): KrippendorffAlphaResult {
  const { numItems, numClasses: nc, itemStart, voteCounts } = set;
  const used: number[] = [];
  for (let i = 0; i < numItems; i++) if (itemStart[i + 1]! - itemStart[i]! >= 2) used.push(i);
  const u = used.length;
  const m = new Float64Array(u);
  const agree = new Float64Array(u);
  const counts = new Float64Array(u * nc);
  for (let j = 0; j < u; j++) {
    const i = used[j]!;
    const mu = itemStart[i + 1]! - itemStart[i]!;
    let a = 0;
    for (let c = 0; c < nc; c++) {
      const v = voteCounts[i * nc + c]!;
      counts[j * nc + c] = v;
      a += v * (v - 1);
    }
    m[j] = mu;
    agree[j] = a / (mu - 1);
  }
  const nC = new Float64Array(nc);
  const compute = (weights: Int32Array | null): { value: number | null; dO: number; dE: number; n: number } => {
    nC.fill(0);
    let n = 0;
    let tr = 0;
    for (let j = 0; j < u; j++) {
      const w = weights === null ? 1 : weights[j]!;
      if (w === 0) continue;
      n += w * m[j]!;
      tr += w * agree[j]!;
      for (let c = 0; c < nc; c++) nC[c]! += w * counts[j * nc + c]!;
    }
    let sq = 0;
    for (let c = 0; c < nc; c++) sq += nC[c]! * nC[c]!;
    const dO = (n - tr) / n;
    const dE = (n * n - sq) / (n * (n - 1));
    return { value: n * n - sq <= 0 ? null : 1 - dO / dE, dO, dE, n };
  };
  const base = {
    metric: 'agreement:krippendorff-alpha-nominal' as const,
    itemsUsed: u,
    itemsExcluded: numItems - u,
  };
  if (u === 0) {
    return { ...base, value: null, pairableValues: 0, observedDisagreement: null, expectedDisagreement: null, reason: 'no item has 2 or more answers', ci: null };
  }
  const full = compute(null);
  if (full.value === null) {
    return { ...base, value: null, pairableValues: full.n, observedDisagreement: full.dO, expectedDisagreement: 0, reason: 'every pairable answer is the same class (expected disagreement is 0)', ci: null };
  }
  const ci = options.bootstrap === undefined ? null : bootstrapUnits(u, options.bootstrap, (w) => compute(w).value);
  return { ...base, value: full.value, pairableValues: full.n, observedDisagreement: full.dO, expectedDisagreement: full.dE, reason: null, ci };
}
