/**
 * Parity-constrained choice: each group offers candidates (a rate and a value); pick one per group
 * so that all picked rates lie within `tolerance` of each other and the summed value is largest.
 * The optimum's smallest rate is some candidate's rate, so trying each as the window's lower edge
 * and taking each group's best candidate inside the window is exact.
 */

/** One option of a group: the rate it yields, the value it earns, and the threshold that gives it. */
export interface Candidate {
  rate: number;
  value: number;
  threshold: number;
}

export interface WindowChoice {
  /** The chosen candidate of each group. */
  picks: Candidate[];
  total: number;
  /** Largest minus smallest picked rate (≤ tolerance). */
  spread: number;
}

/** Range-maximum over `values` (sparse table of arg-max indices). */
function sparseArgMax(values: readonly number[]): (lo: number, hi: number) => number {
  const n = values.length;
  const table: Int32Array[] = [Int32Array.from({ length: n }, (_, i) => i)];
  for (let span = 1; 2 * span <= n; span *= 2) {
    const prev = table[table.length - 1]!;
    const next = new Int32Array(n - 2 * span + 1);
    for (let i = 0; i < next.length; i++) {
      const a = prev[i]!;
      const b = prev[i + span]!;
      next[i] = values[b]! > values[a]! ? b : a;
    }
    table.push(next);
  }
  return (lo, hi) => {
    const level = Math.floor(Math.log2(hi - lo + 1));
    const a = table[level]![lo]!;
    const b = table[level]![hi - (1 << level) + 1]!;
    return values[b]! > values[a]! ? b : a;
  };
}

/** First index whose rate is ≥ x in an ascending array (length when none). */
function lowerBound(rates: readonly number[], x: number): number {
  let lo = 0;
  let hi = rates.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rates[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The best pick per group with all rates within `tolerance`; null when no window holds a candidate of every group. */
export function bestWithinTolerance(groups: ReadonlyArray<readonly Candidate[]>, tolerance: number): WindowChoice | null {
  const eps = 1e-12;
  const sorted = groups.map((g) => [...g].filter((c) => Number.isFinite(c.rate)).sort((a, b) => a.rate - b.rate));
  if (sorted.length === 0 || sorted.some((g) => g.length === 0)) return null;
  const rates = sorted.map((g) => g.map((c) => c.rate));
  const argmax = sorted.map((g) => sparseArgMax(g.map((c) => c.value)));
  const edges = [...new Set(rates.flat())].sort((a, b) => a - b);
  let best: WindowChoice | null = null;
  for (const low of edges) {
    const picks: Candidate[] = [];
    let total = 0;
    for (let g = 0; g < sorted.length; g++) {
      const lo = lowerBound(rates[g]!, low - eps);
      const hi = lowerBound(rates[g]!, low + tolerance + eps) - 1;
      if (lo > hi) break;
      const c = sorted[g]![argmax[g]!(lo, hi)]!;
      picks.push(c);
      total += c.value;
    }
    if (picks.length < sorted.length) continue;
    const spread = Math.max(...picks.map((c) => c.rate)) - Math.min(...picks.map((c) => c.rate));
    if (!best || total > best.total + 1e-9 || (Math.abs(total - best.total) <= 1e-9 && spread < best.spread))
      best = { picks, total, spread };
  }
  return best;
}
