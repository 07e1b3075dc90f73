import { describe, expect, it } from 'vitest';
import { goldPhase, isGoldTurn } from './gold-schedule.js';

const sequence = (seed: string, annotator: string, rate: number, n: number) =>
  Array.from({ length: n }, (_, i) => isGoldTurn(i, rate, goldPhase(seed, annotator)));

describe('gold schedule', () => {
  it('serves gold at the rate, within one item over any 200 requests, and evenly spaced', () => {
    for (const rate of [0.05, 0.1, 0.15, 0.333, 0.5]) {
      for (const who of ['ana', 'ben', 'dan-careless']) {
        const s = sequence('project-secret', who, rate, 200);
        const gold = s.filter(Boolean).length;
        expect(Math.abs(gold - 200 * rate)).toBeLessThanOrEqual(1);
        // Evenly spaced: no gap between gold turns is longer than ceil(1 / rate).
        const at = s.flatMap((g, i) => (g ? [i] : []));
        for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeLessThanOrEqual(Math.ceil(1 / rate));
        expect(at[0]!).toBeLessThan(Math.ceil(1 / rate));
      }
    }
  });

  it('never serves gold at rate 0', () => {
    expect(sequence('s', 'ana', 0, 50).some(Boolean)).toBe(false);
  });

  it('gives annotators different phases, and the same seed the same sequence', () => {
    expect(goldPhase('seed', 'ana')).not.toBe(goldPhase('seed', 'ben'));
    expect(goldPhase('seed', 'ana')).not.toBe(goldPhase('other', 'ana'));
    expect(sequence('seed', 'ana', 0.1, 200)).toEqual(sequence('seed', 'ana', 0.1, 200));
    const phases = ['ana', 'ben', 'chloe', 'dan'].map((w) => goldPhase('seed', w));
    for (const p of phases) expect(p >= 0 && p < 1).toBe(true);
    // Over a handful of annotators, the first gold turn is not the same for everyone (even at a rate of 1/10).
    const firsts = new Set(['ana', 'ben', 'chloe', 'dan', 'eve', 'fay'].map((w) => sequence('seed', w, 0.1, 20).indexOf(true)));
    expect(firsts.size).toBeGreaterThan(1);
  });
});
