/** Pearson's chi-square test of independence on a contingency table, as `scipy.stats.chi2_contingency`. */
import { chi2LogSf, chi2Sf } from './gamma.js';

/** Result of {@link chi2Contingency}. */
export interface Chi2ContingencyResult {
  /** Pearson's X² (after Yates' correction when it applied). */
  statistic: number;
  /** Survival function of χ²(dof) at the statistic; 1 when dof = 0. */
  pvalue: number;
  /** log of the p-value computed in log space: finite when `pvalue` underflows to 0; NaN when dof = 0 (as scipy). */
  logPvalue: number;
  /** (rows − 1)(columns − 1). */
  dof: number;
  /** Whether Yates' continuity correction was applied (only when requested and dof = 1). */
  yates: boolean;
}

/**
 * Chi-square test of a rows × columns table of counts. Like scipy: dof = 0 gives statistic 0 and
 * p = 1; Yates' correction (observed moved toward expected by min(0.5, |diff|)) only when dof = 1;
 * any zero expected frequency is an error (drop all-zero rows/columns first).
 */
export function chi2Contingency(table: readonly (ArrayLike<number>)[], correction = true): Chi2ContingencyResult {
  const { statistic, dof, yates } = chi2Statistic(table, correction);
  if (dof === 0) return { statistic: 0, pvalue: 1, logPvalue: Number.NaN, dof, yates: false };
  return { statistic, pvalue: chi2Sf(statistic, dof), logPvalue: chi2LogSf(statistic, dof), dof, yates };
}

/** The statistic and dof of {@link chi2Contingency} without the p-value (bootstrap inner loops). */
export function chi2Statistic(
  table: readonly (ArrayLike<number>)[],
  correction = true,
): { statistic: number; dof: number; yates: boolean } {
  const r = table.length;
  const c = r === 0 ? 0 : (table[0] as ArrayLike<number>).length;
  if (r === 0 || c === 0) throw new RangeError('chi2Contingency: empty table');
  const rowSums = new Float64Array(r);
  const colSums = new Float64Array(c);
  let total = 0;
  for (let i = 0; i < r; i++) {
    const row = table[i] as ArrayLike<number>;
    if (row.length !== c) throw new RangeError('chi2Contingency: ragged table');
    for (let j = 0; j < c; j++) {
      const v = row[j] as number;
      if (!(v >= 0)) throw new RangeError('chi2Contingency: counts must be non-negative');
      rowSums[i] = (rowSums[i] as number) + v;
      colSums[j] = (colSums[j] as number) + v;
      total += v;
    }
  }
  for (const s of [...rowSums, ...colSums]) {
    if (s === 0) throw new RangeError('chi2Contingency: a row or column sums to zero (expected frequency 0)');
  }
  const dof = (r - 1) * (c - 1);
  if (dof === 0) return { statistic: 0, dof, yates: false };
  const yates = correction && dof === 1;
  let stat = 0;
  for (let i = 0; i < r; i++) {
    const row = table[i] as ArrayLike<number>;
    for (let j = 0; j < c; j++) {
      const expected = ((rowSums[i] as number) * (colSums[j] as number)) / total;
      let observed = row[j] as number;
      if (yates) {
        const diff = expected - observed;
        observed += Math.sign(diff) * Math.min(0.5, Math.abs(diff));
      }
      stat += (observed - expected) ** 2 / expected;
    }
  }
  return { statistic: stat, dof, yates };
}
