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
  readonly n: number;
  readonly missing: number;
  readonly counts: ReadonlyMap<string, number>;
}

/** Builds a categorical reference profile. */
export function profileCategorical(values: ArrayLike<unknown>): CategoricalProfile {
  const s = new CategoricalWindow().addAll(values).summary;
  return { kind: 'categorical', n: s.n, missing: s.missing, counts: s.counts };
}

/** Accumulates category counts; memory O(distinct values). */
export class CategoricalWindow {
  #n = 0;
  #missing = 0;
  // raw value → slot, so numbers are not stringified per row; merged by String(value) on read
  readonly #slots = new Map<unknown, number>();
  #counts = new Float64Array(16);

  /** The summary (category counts keyed by `String(value)`). */
  get summary(): CategoricalWindowSummary {
    const counts = new Map<string, number>();
    for (const [raw, slot] of this.#slots) {
      const key = typeof raw === 'string' ? raw : String(raw);
      counts.set(key, (counts.get(key) ?? 0) + (this.#counts[slot] as number));
    }
    return { kind: 'categorical', n: this.#n, missing: this.#missing, counts };
  }

  /** Adds one value; null / undefined count as missing, anything else is `String(value)`. */
  add(value: unknown): void {
    if (value === null || value === undefined) {
      this.#missing++;
      return;
    }
    let slot = this.#slots.get(value);
    if (slot === undefined) {
      slot = this.#slots.size;
      this.#slots.set(value, slot);
      if (slot >= this.#counts.length) {
        const grown = new Float64Array(this.#counts.length * 2);
        grown.set(this.#counts);
        this.#counts = grown;
      }
    }
    this.#n++;
    this.#counts[slot] = (this.#counts[slot] as number) + 1;
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
