import { describe, expect, it } from 'vitest';
import type { MloopError } from '../errors/index.js';
import { checkLearnerParams, closestName, LEARNER_PARAMS } from './learner-params.js';
import { DEFAULT_GRIDS } from './hyperparameter-search.js';

const thrown = (f: () => void): MloopError => {
  try {
    f();
  } catch (e) {
    return e as MloopError;
  }
  throw new Error('expected an error');
};

describe('checkLearnerParams', () => {
  it('accepts the documented settings, nested ones and the default grids', () => {
    expect(() => checkLearnerParams('gbdt', { learningRate: 0.05, maxLeaves: 63, refitOnAllRows: true, binning: { maxBins: 64 }, calibration: 'platt' })).not.toThrow();
    expect(() => checkLearnerParams('linear', { l2: 0.5, binning: { maxCategories: 20 } })).not.toThrow();
    expect(() => checkLearnerParams('text-softmax', { tfidf: { blocks: [{ analyzer: 'word', ngramRange: [1, 2], minDf: 2 }] }, softmax: { C: 5, kernel: 'js' }, holdoutFraction: 0.1 })).not.toThrow();
    expect(() => checkLearnerParams('gbdt', {}, { learningRate: [0.05], 'binning.maxBins': [32, 64] })).not.toThrow();
    for (const [learner, grid] of Object.entries(DEFAULT_GRIDS)) expect(() => checkLearnerParams(learner, {}, grid)).not.toThrow();
    // Imported models have no parameters to check.
    expect(() => checkLearnerParams('onnx', { anything: 1 })).not.toThrow();
  });

  it('refuses a misspelt name, suggesting the known one and listing the valid ones', () => {
    const e = thrown(() => checkLearnerParams('gbdt', { learning_rate: 0.5, max_leaves: 4 }));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toContain("unknown gbdt parameters 'learning_rate' (did you mean 'learningRate'?), 'max_leaves' (did you mean 'maxLeaves'?)");
    expect(e.message).toContain(`valid parameters: ${Object.keys(LEARNER_PARAMS['gbdt']!).join(', ')}`);
    expect(e.details?.['issues']).toEqual([
      { path: 'learning_rate', code: 'unknown_parameter', message: "unknown gbdt parameter 'learning_rate'; did you mean 'learningRate'?" },
      { path: 'max_leaves', code: 'unknown_parameter', message: "unknown gbdt parameter 'max_leaves'; did you mean 'maxLeaves'?" },
    ]);
  });

  it('names unknown nested settings by their path, and names without a close match plainly', () => {
    const e = thrown(() => checkLearnerParams('text-softmax', { softmax: { c: 5 }, bogus: 1 }));
    expect(e.message).toContain("'softmax.c' (did you mean 'softmax.C'?)");
    expect(e.message).toContain("'bogus';");
    expect(e.message).toContain('softmax.{C, maxEpochs');
  });

  it('refuses unknown names in a search grid, and says where seed is set', () => {
    const e = thrown(() => checkLearnerParams('gbdt', { seed: 3 }, { maxLeaves: [15], bogusParam: [1, 2] }));
    expect(e.message).toMatch(/^unknown gbdt parameters 'seed' \(set it with --seed\); 'bogusParam' in the search grid; valid parameters: learningRate, /);
    expect(thrown(() => checkLearnerParams('linear', {}, { 'binning.maxBins': [2] })).message).toContain("'binning.maxBins' in the search grid; valid parameters: binning.{minCategoryCount, maxCategories}");
  });
});

describe('closestName', () => {
  it('matches case and separators, and small typos, but not unrelated names', () => {
    expect(closestName('learning_rate', ['maxLeaves', 'learningRate'])).toBe('learningRate');
    expect(closestName('maxLeafs', ['maxLeaves', 'maxDepth'])).toBe('maxLeaves');
    expect(closestName('bogusParam', ['maxLeaves', 'learningRate'])).toBeUndefined();
    expect(closestName('x', ['l2'])).toBeUndefined();
  });
});
