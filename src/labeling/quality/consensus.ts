/** What every consensus method returns, and the adjudication queue built from it. */
import { MloopError } from '../../errors/index.js';

/** Stable ids of the consensus methods. */
export type ConsensusMethod = 'majority-vote' | 'dawid-skene';

/** Per-item consensus, column-oriented (position `i` is item `items[i]`). JSON-serialisable. */
export interface ConsensusResult {
  /** Which method produced it. */
  method: ConsensusMethod;
  /** Class values, in the tie-breaking order. */
  classes: string[];
  /** Item ids. */
  items: string[];
  /** Consensus class value per item. */
  labels: string[];
  /** Consensus class index per item (into `classes`). */
  labelIndex: number[];
  /** Posterior probability of the consensus class per item (for majority vote, its vote share). */
  confidence: number[];
  /** Posterior over classes per item; each row sums to 1. */
  posterior: number[][];
}

/** One item waiting for a human decision. */
export interface AdjudicationItem {
  /** Item id. */
  item: string;
  /** The consensus label the item would otherwise get. */
  label: string;
  /** Its confidence, below the threshold. */
  confidence: number;
}

/** Items whose consensus is too uncertain to accept. */
export interface AdjudicationQueue {
  /** Method of the consensus the queue was built from. */
  method: ConsensusMethod;
  /** Items with confidence strictly below this go to the queue. */
  threshold: number;
  /** Queued items, least confident first (ties by item id). */
  items: AdjudicationItem[];
}

/**
 * The adjudication queue: items whose consensus confidence is strictly below `threshold`,
 * least confident first.
 *
 * @example
 * const queue = adjudicationQueue(dawidSkene(set), 0.9);
 */
export function adjudicationQueue(consensus: ConsensusResult, threshold: number): AdjudicationQueue {
  if (!(Number.isFinite(threshold) && threshold >= 0 && threshold <= 1)) {
    throw MloopError.invalidArgument(`adjudication threshold must be between 0 and 1, got ${String(threshold)}`);
  }
  const items: AdjudicationItem[] = [];
  consensus.items.forEach((item, i) => {
    const confidence = consensus.confidence[i]!;
    if (confidence < threshold) items.push({ item, label: consensus.labels[i]!, confidence });
  });
  items.sort((a, b) => a.confidence - b.confidence || (a.item < b.item ? -1 : a.item > b.item ? 1 : 0));
  return { method: consensus.method, threshold, items };
}

/** Index of the largest value in `row[off .. off+k)`, the smallest index on ties. */
export function argmaxFirst(row: ArrayLike<number>, off: number, k: number): number {
  let best = 0;
  let bestValue = row[off]!;
  for (let c = 1; c < k; c++) {
    const v = row[off + c]!;
    if (v > bestValue) {
      bestValue = v;
      best = c;
    }
  }
  return best;
}

/** Converts a row-major `n × k` matrix to nested arrays for serialisable results. */
export function toRows(flat: ArrayLike<number>, n: number, k: number): number[][] {
  const rows: number[][] = new Array<number[]>(n);
  for (let i = 0; i < n; i++) {
    const row = new Array<number>(k);
    for (let c = 0; c < k; c++) row[c] = flat[i * k + c]!;
    rows[i] = row;
  }
  return rows;
}
