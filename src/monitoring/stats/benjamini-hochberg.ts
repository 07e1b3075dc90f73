/** Benjamini–Hochberg step-up procedure for false discovery rate control. */

/** Result of {@link benjaminiHochberg}, in the input order. */
export interface BenjaminiHochbergResult {
  /** Whether each hypothesis is rejected at level q. */
  rejected: boolean[];
  /** BH-adjusted p-values min_{j ≥ i} (m / j) p_(j), capped at 1. */
  adjusted: number[];
}

/**
 * Rejects the k smallest p-values where k = max{ i : p_(i) ≤ i q / m }; controls the FDR at q for
 * independent or positively dependent tests. NaN p-values are never rejected and do not count in m.
 */
export function benjaminiHochberg(pValues: readonly number[], q: number): BenjaminiHochbergResult {
  const idx = pValues.map((p, i) => [p, i] as const).filter(([p]) => !Number.isNaN(p));
  idx.sort((a, b) => a[0] - b[0]);
  const m = idx.length;
  const rejected = pValues.map(() => false);
  const adjusted = pValues.map(() => Number.NaN);
  let k = 0;
  for (let i = 0; i < m; i++) if ((idx[i] as readonly [number, number])[0] <= ((i + 1) * q) / m) k = i + 1;
  let running = 1;
  for (let i = m - 1; i >= 0; i--) {
    const [p, orig] = idx[i] as readonly [number, number];
    running = Math.min(running, (p * m) / (i + 1));
    adjusted[orig] = running;
    if (i < k) rejected[orig] = true;
  }
  return { rejected, adjusted };
}
