import { expect } from 'vitest';

/** Asserts |actual − expected| ≤ max(rtol·|expected|, atol), with a message showing both. */
export function expectClose(actual: number, expected: number, rtol: number, atol = 0): void {
  if (actual === expected) return;
  const err = Math.abs(actual - expected);
  const ok = err <= Math.max(rtol * Math.abs(expected), atol);
  expect(ok, `expected ${actual} to be within rtol ${rtol} of ${expected} (abs err ${err})`).toBe(true);
}
