import { describe, expect, it } from 'vitest';
import { isMloopError } from '../../errors/index.js';
import { annotatorQuality } from './annotator-quality.js';
import { buildAnswerSet, type Answer } from './answer-set.js';
import { majorityVote } from './majority-vote.js';
import { normalQuantile, wilsonInterval } from './intervals.js';

describe('wilsonInterval', () => {
  it('matches published values', () => {
    // 8/10 at 95%: [0.4902, 0.9433] (Wilson 1927; statsmodels proportion_confint method='wilson').
    const ci = wilsonInterval(8, 10)!;
    expect(ci.lower).toBeCloseTo(0.4902, 4);
    expect(ci.upper).toBeCloseTo(0.9433, 4);
    expect(wilsonInterval(0, 0)).toBeNull();
    expect(wilsonInterval(0, 5)!.lower).toBe(0);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 8);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306, 7);
  });
});

describe('annotatorQuality', () => {
  const answers: Answer[] = [];
  const gold = new Map<string, string>();
  for (let i = 0; i < 10; i++) {
    gold.set(`g${i}`, i % 2 === 0 ? 'cat' : 'dog');
    answers.push({ item: `g${i}`, worker: 'ann', label: i < 8 ? (i % 2 === 0 ? 'cat' : 'dog') : 'bird' });
    answers.push({ item: `g${i}`, worker: 'bob', label: i % 2 === 0 ? 'cat' : 'dog' });
  }
  answers.push({ item: 'free', worker: 'cy', label: 'cat' }, { item: 'free', worker: 'bob', label: 'dog' });
  const set = buildAnswerSet(answers);

  it('gives accuracy on gold items with a Wilson interval and agreement with consensus', () => {
    const mv = majorityVote(set);
    const r = annotatorQuality(set, { gold, consensus: mv });
    expect(r.goldItems).toBe(10);
    expect(r.consensusMethod).toBe('majority-vote');
    const by = Object.fromEntries(r.workers.map((w) => [w.worker, w]));
    expect(by.ann!.gold).toMatchObject({ answers: 10, correct: 8, accuracy: 0.8 });
    expect(by.ann!.gold!.ci!.lower).toBeCloseTo(0.4902, 4);
    expect(by.bob!.gold).toMatchObject({ answers: 10, correct: 10, accuracy: 1 });
    expect(by.cy!.gold).toEqual({ answers: 0, correct: 0, accuracy: null, ci: null });
    // 'free' is a 1-1 tie between cat and dog → 'bird' < 'cat' < 'dog', so the tie goes to cat.
    expect(mv.labels[mv.items.indexOf('free')]).toBe('cat');
    expect(by.cy!.consensus).toEqual({ answers: 1, agreeing: 1, rate: 1 });
    // g8, g9: ann's 'bird' ties bob's answer and wins the tie; 'free': bob's 'dog' loses to 'cat'.
    expect(by.bob!.consensus).toEqual({ answers: 11, agreeing: 8, rate: 8 / 11 });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('leaves out what was not asked for and counts gold outside the classes as missed', () => {
    const r = annotatorQuality(set, { gold: { g0: 'lion', nowhere: 'cat' } });
    expect(r.goldItems).toBe(1);
    expect(r.workers.find((w) => w.worker === 'bob')!.gold).toMatchObject({ answers: 1, correct: 0 });
    expect(r.workers[0]!.consensus).toBeNull();
    expect(annotatorQuality(set).workers.every((w) => w.gold === null && w.consensus === null)).toBe(true);
  });

  it('rejects a consensus from another answer set', () => {
    const other = majorityVote(buildAnswerSet([{ item: 'x', worker: 'w', label: 'cat' }]));
    try {
      annotatorQuality(set, { consensus: other });
      expect.unreachable();
    } catch (err) {
      expect(isMloopError(err) && err.code).toBe('INVALID_ARGUMENT');
    }
  });
});
