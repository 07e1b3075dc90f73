import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMloopError } from '../../errors/index.js';
import { buildAnswerSet, type Answer } from './answer-set.js';
import { createRng } from './bootstrap.js';
import { adjudicationQueue } from './consensus.js';
import { dawidSkene } from './dawid-skene.js';
import { majorityVote } from './majority-vote.js';

const rows = (spec: Record<string, Record<string, string>>): Answer[] =>
  Object.entries(spec).flatMap(([item, byWorker]) => Object.entries(byWorker).map(([worker, label]) => ({ item, worker, label })));

describe('majorityVote', () => {
  it('takes the most frequent class, ties to the first listed class, and reports vote shares', () => {
    const set = buildAnswerSet(
      rows({
        i1: { a: '1', b: '1', c: '0' },
        i2: { a: '1', b: '0' }, // tie → '0'
        i3: { a: '2', b: '1', c: '2', d: '1' }, // tie → '1'
      }),
    );
    const mv = majorityVote(set);
    expect(mv.method).toBe('majority-vote');
    expect(mv.tieRule).toBe('first-listed-label');
    expect(mv.labels).toEqual(['1', '0', '1']);
    // Listed in another order, ties follow that order: the rule is the listing, not the size.
    const listed = majorityVote(buildAnswerSet(rows({ i2: { a: '1', b: '0' } }), { classes: ['1', '0'] }));
    expect(listed.labels).toEqual(['1']);
    expect(mv.tied).toEqual([false, true, true]);
    expect(mv.numTied).toBe(2);
    expect(mv.confidence[0]).toBeCloseTo(2 / 3, 12);
    expect(mv.posterior[2]).toEqual([0, 0.5, 0.5]);
    expect(JSON.parse(JSON.stringify(mv))).toEqual(mv);
  });
});

/** Binary items; honest workers right with `acc`, one adversary right with 0.1. */
function simulate(seed: number, items: number): { answers: Answer[]; truth: Map<string, string> } {
  const rng = createRng(seed);
  const answers: Answer[] = [];
  const truth = new Map<string, string>();
  const workers = [
    { id: 'h1', acc: 0.75 },
    { id: 'h2', acc: 0.75 },
    { id: 'adv', acc: 0.1 },
  ];
  for (let i = 0; i < items; i++) {
    const y = rng() < 0.4 ? 1 : 0;
    truth.set(`it${i}`, String(y));
    for (const w of workers) answers.push({ item: `it${i}`, worker: w.id, label: String(rng() < w.acc ? y : 1 - y) });
  }
  return { answers, truth };
}

const accuracy = (labels: string[], items: string[], truth: Map<string, string>): number =>
  labels.filter((l, i) => truth.get(items[i]!) === l).length / labels.length;

describe('dawidSkene', () => {
  it('recovers the truth better than majority vote when one annotator is adversarial', () => {
    const { answers, truth } = simulate(42, 400);
    const set = buildAnswerSet(answers);
    const mv = majorityVote(set);
    const ds = dawidSkene(set);
    const mvAcc = accuracy(mv.labels, mv.items, truth);
    const dsAcc = accuracy(ds.labels, ds.items, truth);
    expect(mvAcc).toBeLessThan(0.7);
    expect(dsAcc).toBeGreaterThan(0.85);
    expect(dsAcc - mvAcc).toBeGreaterThan(0.15);
    // The adversary's confusion matrix is learnt as inverted.
    const adv = ds.confusion[ds.workers.indexOf('adv')]!;
    expect(adv[0]![1]!).toBeGreaterThan(0.8);
    expect(adv[1]![0]!).toBeGreaterThan(0.8);
    expect(ds.priors[1]!).toBeGreaterThan(0.3);
    expect(ds.priors[1]!).toBeLessThan(0.5);
  });

  it('returns normalised posteriors, confusion rows and priors, and is serialisable', () => {
    const set = buildAnswerSet(simulate(7, 60).answers);
    for (const init of ['soft-mv', 'hard-mv', 'diagonal'] as const) {
      const ds = dawidSkene(set, { init, iterations: 15 });
      expect(ds.iterations).toBe(15);
      for (const row of ds.posterior) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      for (const m of ds.confusion) for (const row of m) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(ds.priors.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      ds.confidence.forEach((c, i) => expect(c).toBe(Math.max(...ds.posterior[i]!)));
      expect(JSON.parse(JSON.stringify(ds))).toEqual(ds);
    }
  });

  it('stops early once the posteriors move less than the tolerance', () => {
    const set = buildAnswerSet(simulate(3, 200).answers);
    const ds = dawidSkene(set, { iterations: 500, tolerance: 1e-8 });
    expect(ds.converged).toBe(true);
    expect(ds.iterations).toBeLessThan(500);
    expect(ds.maxChange!).toBeLessThanOrEqual(1e-8);
    const capped = dawidSkene(set, { iterations: 2, tolerance: 1e-8 });
    expect(capped.converged).toBe(false);
    expect(capped.iterations).toBe(2);
  });

  it('does not decrease the log-likelihood across iterations', () => {
    const set = buildAnswerSet(simulate(11, 150).answers);
    let prev = -Infinity;
    for (let it = 1; it <= 12; it++) {
      const ll = dawidSkene(set, { iterations: it, smoothing: 0 }).logLikelihood;
      expect(ll).toBeGreaterThanOrEqual(prev - 1e-9);
      prev = ll;
    }
  });

  it('rejects bad options with INVALID_ARGUMENT', () => {
    const set = buildAnswerSet(simulate(1, 5).answers);
    for (const bad of [{ iterations: 0 }, { tolerance: -1 }, { smoothing: Number.NaN }, { init: 'random' }, { diagonal: 1 }]) {
      try {
        dawidSkene(set, bad as never);
        expect.unreachable();
      } catch (err) {
        expect(isMloopError(err) && err.code).toBe('INVALID_ARGUMENT');
      }
    }
  });
});

describe('consensus is unchanged by relabelling annotators', () => {
  const answersArb = fc.uniqueArray(
    fc.record({ item: fc.integer({ min: 0, max: 7 }), worker: fc.integer({ min: 0, max: 5 }), label: fc.integer({ min: 0, max: 2 }) }),
    { minLength: 1, maxLength: 40, selector: (a) => `${a.item}/${a.worker}` },
  );
  it('majority vote and Dawid–Skene give the same labels and posteriors after permuting worker ids', () => {
    fc.assert(
      fc.property(answersArb, fc.shuffledSubarray([0, 1, 2, 3, 4, 5], { minLength: 6, maxLength: 6 }), (raw, perm) => {
        const original = raw.map((a) => ({ item: `i${a.item}`, worker: `w${a.worker}`, label: a.label }));
        const renamed = raw.map((a) => ({ item: `i${a.item}`, worker: `z${perm[a.worker]}`, label: a.label }));
        const s1 = buildAnswerSet(original);
        const s2 = buildAnswerSet(renamed);
        const mv1 = majorityVote(s1);
        const mv2 = majorityVote(s2);
        expect(mv2.labels).toEqual(mv1.labels);
        expect(mv2.posterior).toEqual(mv1.posterior);
        for (const init of ['soft-mv', 'diagonal'] as const) {
          const d1 = dawidSkene(s1, { init, iterations: 10 });
          const d2 = dawidSkene(s2, { init, iterations: 10 });
          expect(d2.labels).toEqual(d1.labels);
          expect(d2.posterior).toEqual(d1.posterior);
          // Worker w's confusion matrix is the renamed worker's.
          d1.workers.forEach((w, idx) => {
            const z = `z${perm[Number(w.slice(1))]}`;
            expect(d2.confusion[d2.workers.indexOf(z)]).toEqual(d1.confusion[idx]);
          });
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('adjudicationQueue', () => {
  it('queues items below the threshold, least confident first', () => {
    const set = buildAnswerSet(
      rows({
        sure: { a: 'x', b: 'x', c: 'x' },
        split: { a: 'x', b: 'y' },
        lean: { a: 'y', b: 'y', c: 'x' },
      }),
    );
    const q = adjudicationQueue(majorityVote(set), 0.9);
    expect(q.items.map((i) => i.item)).toEqual(['split', 'lean']);
    expect(q.items[0]).toEqual({ item: 'split', label: 'x', confidence: 0.5 });
    expect(adjudicationQueue(majorityVote(set), 0).items).toEqual([]);
    expect(() => adjudicationQueue(majorityVote(set), 1.5)).toThrow(/threshold/);
  });
});
