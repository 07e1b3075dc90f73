import { describe, expect, it } from 'vitest';
import * as quality from './index.js';

describe('labeling/quality public surface', () => {
  it('tags every result with a registered metric id', () => {
    const set = quality.buildAnswerSet([
      { item: 'a', worker: 'x', label: 0 },
      { item: 'a', worker: 'y', label: 1 },
      { item: 'b', worker: 'x', label: 1 },
      { item: 'b', worker: 'y', label: 1 },
    ]);
    const mv = quality.majorityVote(set);
    const ds = quality.dawidSkene(set);
    const ids = [
      `consensus:${mv.method}`,
      `consensus:${ds.method}`,
      quality.cohenKappa([0, 1], [0, 1]).metric,
      quality.pairwiseCohenKappa(set, { minShared: 1 }).metric,
      quality.fleissKappa(set).metric,
      quality.krippendorffAlpha(set).metric,
      quality.annotatorQuality(set).metric,
      quality.findLabelIssues({ labels: [0], probabilities: [[1, 0]] }).metric,
    ];
    expect([...ids].sort()).toEqual([...quality.QUALITY_METRIC_IDS].sort());
  });
});
