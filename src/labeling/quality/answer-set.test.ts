import { describe, expect, it } from 'vitest';
import { isMloopError } from '../../errors/index.js';
import { buildAnswerSet, buildAnswerSetFromColumns, defaultClassOrder } from './answer-set.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isMloopError(err) ? err.code : 'not-mloop';
  }
  return undefined;
}

describe('buildAnswerSet', () => {
  it('maps items, workers and classes to dense sorted indices and groups answers by item', () => {
    const set = buildAnswerSet([
      { item: 'b', worker: 'w2', label: 10 },
      { item: 'a', worker: 'w1', label: '2' },
      { item: 'b', worker: 'w1', label: 2 },
      { item: 'a', worker: 'w3', label: 10 },
    ]);
    expect(set.itemIds).toEqual(['a', 'b']);
    expect(set.workerIds).toEqual(['w1', 'w2', 'w3']);
    expect(set.classes).toEqual(['2', '10']); // numeric order, not '10' < '2'
    expect(Array.from(set.itemStart)).toEqual([0, 2, 4]);
    expect(Array.from(set.answerItem)).toEqual([0, 0, 1, 1]);
    // Within an item, input order is kept.
    expect(Array.from(set.answerWorker)).toEqual([0, 2, 1, 0]);
    expect(Array.from(set.answerLabel)).toEqual([0, 1, 1, 0]);
    expect(Array.from(set.voteCounts)).toEqual([1, 1, 1, 1]);
    expect(set.numAnswers).toBe(4);
  });

  it('orders non-integer labels by code unit and honours an explicit class order', () => {
    expect(defaultClassOrder(['dog', 'cat', 'Bird'])).toEqual(['Bird', 'cat', 'dog']);
    expect(defaultClassOrder(['1', '-3', '02', '2'])).toEqual(['-3', '1', '02', '2']);
    const set = buildAnswerSet([{ item: 'x', worker: 'w', label: 'cat' }], { classes: ['dog', 'cat', 'bird'] });
    expect(set.classes).toEqual(['dog', 'cat', 'bird']);
    expect(Array.from(set.voteCounts)).toEqual([0, 1, 0]);
  });

  it('rejects a label outside the given classes', () => {
    expect(codeOf(() => buildAnswerSet([{ item: 'x', worker: 'w', label: 'fox' }], { classes: ['dog'] }))).toBe('INVALID_ARGUMENT');
  });

  it('rejects duplicate (item, worker) answers by default and keeps one on request', () => {
    const rows = [
      { item: 'x', worker: 'w', label: 'a' },
      { item: 'x', worker: 'v', label: 'a' },
      { item: 'x', worker: 'w', label: 'b' },
    ];
    expect(codeOf(() => buildAnswerSet(rows))).toBe('INVALID_ARGUMENT');
    const first = buildAnswerSet(rows, { duplicates: 'keep-first' });
    expect(first.numAnswers).toBe(2);
    expect(Array.from(first.voteCounts)).toEqual([2, 0]);
    const last = buildAnswerSet(rows, { duplicates: 'keep-last' });
    expect(Array.from(last.voteCounts)).toEqual([1, 1]);
    expect(Array.from(last.answerWorker)).toEqual([0, 1]); // v (index 0), then w's last answer (index 1)
  });

  it('reports malformed rows as validation issues', () => {
    try {
      buildAnswerSetFromColumns({ item: ['x', ''], worker: ['w', 'w'], label: ['a', Number.NaN] });
      expect.unreachable();
    } catch (err) {
      expect(isMloopError(err) && err.code).toBe('INVALID_ARGUMENT');
      const issues = (err as { details: { issues: { path: string }[] } }).details.issues;
      expect(issues.map((i) => i.path)).toEqual(['answers.1.item', 'answers.1.label']);
    }
    expect(codeOf(() => buildAnswerSetFromColumns({ item: ['x'], worker: [], label: ['a'] }))).toBe('INVALID_ARGUMENT');
  });

  it('accepts an empty input', () => {
    const set = buildAnswerSet([]);
    expect(set.numItems).toBe(0);
    expect(Array.from(set.itemStart)).toEqual([0]);
  });
});
