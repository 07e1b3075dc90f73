import { describe, expect, it } from 'vitest';
import { isMloopError } from '../../errors/index.js';
import { createRng } from './bootstrap.js';
import { findLabelIssues } from './confident-learning.js';

/** Out-of-fold-like probabilities peaked on the true class, with `flips` given labels changed. */
function simulate(seed: number, n: number, k: number, flips: number) {
  const rng = createRng(seed);
  const truth: number[] = [];
  const probabilities: number[][] = [];
  for (let i = 0; i < n; i++) {
    const y = Math.floor(rng() * k);
    const pTrue = 0.55 + 0.45 * rng();
    const rest = Array.from({ length: k - 1 }, () => rng() + 1e-9);
    const restSum = rest.reduce((a, b) => a + b, 0);
    const row: number[] = [];
    for (let c = 0, r = 0; c < k; c++) row.push(c === y ? pTrue : ((1 - pTrue) * rest[r++]!) / restSum);
    truth.push(y);
    probabilities.push(row);
  }
  const labels = [...truth];
  const flipped = new Set<number>();
  while (flipped.size < flips) flipped.add(Math.floor(rng() * n));
  for (const i of flipped) labels[i] = (truth[i]! + 1 + Math.floor(rng() * (k - 1))) % k;
  return { labels, probabilities, flipped };
}

describe('findLabelIssues (confident learning)', () => {
  it('finds planted label flips with high precision and ranks them first', () => {
    const { labels, probabilities, flipped } = simulate(5, 800, 3, 40);
    const r = findLabelIssues({ labels, probabilities });
    const found = r.issues.map((i) => i.index);
    const hits = found.filter((i) => flipped.has(i)).length;
    expect(hits / found.length).toBeGreaterThanOrEqual(0.95); // precision
    expect(hits / flipped.size).toBeGreaterThanOrEqual(0.5); // recall (only confidently-other examples count)
    expect(found.slice(0, 10).every((i) => flipped.has(i))).toBe(true);
    for (let j = 1; j < r.issues.length; j++) expect(r.issues[j]!.margin).toBeGreaterThanOrEqual(r.issues[j - 1]!.margin);
    const offDiagonal = r.confidentJoint.flatMap((row, g) => row.filter((_, c) => c !== g)).reduce((a, b) => a + b, 0);
    expect(offDiagonal).toBe(r.issues.length);
  });

  it('flags almost nothing when no label was flipped', () => {
    const { labels, probabilities } = simulate(6, 800, 3, 0);
    expect(findLabelIssues({ labels, probabilities }).issues.length).toBeLessThanOrEqual(4);
  });

  it('uses per-class thresholds, not the argmax (hand example)', () => {
    // t0 = (0.95 + 0.9 + 0.55) / 3 = 0.8, t1 = 0.4. Example 2 is labelled 0 but only reaches class 1's threshold.
    const r = findLabelIssues({
      labels: [0, 0, 0, 1, 1, 1],
      probabilities: [
        [0.95, 0.05],
        [0.9, 0.1],
        [0.55, 0.45],
        [0.6, 0.4],
        [0.6, 0.4],
        [0.6, 0.4],
      ],
      ids: ['a', 'b', 'c', 'd', 'e', 'f'],
      classes: ['neg', 'pos'],
    });
    expect(r.thresholds[0]!).toBeCloseTo(0.8, 12);
    expect(r.thresholds[1]!).toBeCloseTo(0.4, 12);
    expect(r.confidentJoint).toEqual([
      [2, 1],
      [0, 3],
    ]);
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toMatchObject({ index: 2, id: 'c', givenLabel: 'neg', suggestedLabel: 'pos', selfConfidence: 0.55 });
    expect(r.issues[0]!.margin).toBeCloseTo(0.1, 12);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('gives a null threshold to a class nobody was labelled with', () => {
    const r = findLabelIssues({ labels: [0, 0], probabilities: [[0.9, 0.1, 0], [0.2, 0.1, 0.7]] });
    expect(r.thresholds).toEqual([0.55, null, null]);
    // Example 1 leans to class 2, but no example is labelled 2, so nothing is ever confidently 2.
    expect(r.issues).toEqual([]);
    expect(r.examplesCounted).toBe(1);
    expect(r.confidentJoint[0]).toEqual([1, 0, 0]);
  });

  it('rejects malformed input with INVALID_ARGUMENT and lists the issues', () => {
    const bad = [
      { labels: [0], probabilities: [] },
      { labels: [2], probabilities: [[0.5, 0.5]] },
      { labels: [0], probabilities: [[1.5, -0.5]] },
      { labels: [0, 1], probabilities: [[0.5, 0.5], [1]] },
      { labels: [0], probabilities: [[1]] },
    ];
    for (const input of bad) {
      try {
        findLabelIssues(input);
        expect.unreachable();
      } catch (err) {
        expect(isMloopError(err) && err.code).toBe('INVALID_ARGUMENT');
      }
    }
  });
});
