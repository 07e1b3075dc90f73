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
});
