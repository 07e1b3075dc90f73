import { describe, expect, it } from 'vitest';
import { newPredictionId } from './prediction-id.js';

describe('newPredictionId', () => {
  it('makes prd_ and 32 hex digits, distinct, sorting by time', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => newPredictionId(1_700_000_000_000 + Math.floor(i / 10)));
    for (const id of ids.slice(0, 50)) expect(id).toMatch(/^prd_[0-9a-f]{32}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]!.slice(4, 16)).toBe((1_700_000_000_000).toString(16).padStart(12, '0'));
    // Ids of a later millisecond sort after every id of an earlier one.
    for (let i = 10; i < ids.length; i += 10) expect(ids[i]! > ids[i - 1]!).toBe(true);
  });

  it('sorts in creation order within one millisecond and when the clock steps back', () => {
    const t = 1_800_000_000_000;
    const ids = [...Array.from({ length: 1000 }, () => newPredictionId(t)), newPredictionId(t - 5000), newPredictionId(t + 1)];
    expect([...ids].sort()).toEqual(ids);
    expect(ids[1]!.slice(16, 20)).toBe('0001');
    // past 65,536 in one millisecond the next millisecond is borrowed, still in order
    const burst = Array.from({ length: 70_000 }, () => newPredictionId(t + 10));
    expect([...burst].sort()).toEqual(burst);
    expect(new Set(burst).size).toBe(burst.length);
  });
});
