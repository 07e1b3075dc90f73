/** Majority vote with a deterministic tie rule. */
import type { AnswerSet } from './answer-set.js';
import { argmaxFirst, toRows, type ConsensusResult } from './consensus.js';

/** Majority vote per item. */
export interface MajorityVoteResult extends ConsensusResult {
  method: 'majority-vote';
  /**
   * Ties go to the class listed first in `classes`: a project's `--labels` order, or sorted order
   * (numeric for integer labels) when the answer set was built without `classes`.
   */
  tieRule: 'first-listed-label';
  /** Whether the top vote count was shared by two or more classes. */
  tied: boolean[];
  /** Number of tied items. */
  numTied: number;
}

/**
 * Majority vote: each item gets the class with most votes; ties go to the class listed first
 * in `set.classes`. Posterior = vote shares, confidence = the winner's share.
 *
 * @example
 * const mv = majorityVote(buildAnswerSet(rows));
 * mv.labels[0];
 */
export function majorityVote(set: AnswerSet): MajorityVoteResult {
  const { numItems: n, numClasses: k, voteCounts } = set;
  const shares = new Float64Array(n * k);
  const labelIndex = new Array<number>(n);
  const confidence = new Array<number>(n);
  const tied = new Array<boolean>(n);
  let numTied = 0;
  for (let i = 0; i < n; i++) {
    const off = i * k;
    let total = 0;
    for (let c = 0; c < k; c++) total += voteCounts[off + c]!;
    for (let c = 0; c < k; c++) shares[off + c] = voteCounts[off + c]! / total;
    const best = argmaxFirst(voteCounts, off, k);
    let ties = 0;
    for (let c = 0; c < k; c++) if (voteCounts[off + c] === voteCounts[off + best]) ties++;
    labelIndex[i] = best;
    confidence[i] = shares[off + best]!;
    tied[i] = ties > 1;
    if (ties > 1) numTied++;
  }
  return {
    method: 'majority-vote',
    tieRule: 'first-listed-label',
    classes: [...set.classes],
    items: [...set.itemIds],
    labels: labelIndex.map((c) => set.classes[c]!),
    labelIndex,
    confidence,
    posterior: toRows(shares, n, k),
    tied,
    numTied,
  };
}
