/** Streaming summaries of a categorical feature: category counts (memory O(categories)). */

/** Reference profile of one categorical feature. */
export interface CategoricalProfile {
  readonly kind: 'categorical';
  /** Non-missing reference values. */
  readonly n: number;
  /** Missing (null / undefined) reference values. */
  readonly missing: number;
  /** Count per category (values are stringified, as `pandas.Series.astype(str)`). */
  readonly counts: ReadonlyMap<string, number>;
}

/** A window's category counts. */
export interface CategoricalWindowSummary {
  readonly kind: 'categorical';
  n: number;
  missing: number;
  readonly counts: Map<string, number>;
}

/** Builds a categorical reference profile. */
export function profileCategorical(values: ArrayLike<unknown>): CategoricalProfile {
  const w = new CategoricalWindow();
  w.addAll(values);
  return { kind: 'categorical', n: w.summary.n, missing: w.summary.missing, counts: w.summary.counts };
}

/** Accumulates category counts. */
export class CategoricalWindow {
  readonly summary: CategoricalWindowSummary = { kind: 'categorical', n: 0, missing: 0, counts: new Map() };

  /** Adds one value; null / undefined count as missing, anything else is `String(value)`. */
  add(value: unknown): void {
    if (value === null || value === undefined) {
      this.summary.missing++;
      return;
    }
    const key = typeof value === 'string' ? value : String(value);
    this.summary.n++;
    this.summary.counts.set(key, (this.summary.counts.get(key) ?? 0) + 1);
  }

  /** Adds many values. */
  addAll(values: ArrayLike<unknown>): this {
    for (let i = 0; i < values.length; i++) this.add(values[i]);
    return this;
  }
}

/** Aligned count vectors over the sorted union of categories (JS string order, like Python's sorted). */
export function alignCategories(
  ref: ReadonlyMap<string, number>,
  cur: ReadonlyMap<string, number>,
): { categories: string[]; refCounts: Float64Array; curCounts: Float64Array } {
  const categories = [...new Set([...ref.keys(), ...cur.keys()])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const refCounts = Float64Array.from(categories, (c) => ref.get(c) ?? 0);
  const curCounts = Float64Array.from(categories, (c) => cur.get(c) ?? 0);
  return { categories, refCounts, curCounts };
}
