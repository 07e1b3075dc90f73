/**
 * Prediction ids: `prd_` and 32 hex digits — 12 of the time in milliseconds, then 20 random (80
 * bits). Ids made later sort later, so the log's primary-key index grows at its end instead of
 * touching a random page per insert (random ids made every batch rewrite hundreds of index pages).
 */
import { randomFillSync } from 'node:crypto';

const POOL = 4096;
const pool = new Uint8Array(POOL);
let used = POOL;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A new prediction id, e.g. `prd_0193f1c2a7b04f6e1d2c3b4a59687766`. */
export function newPredictionId(now = Date.now()): string {
  if (used + 10 > POOL) {
    randomFillSync(pool);
    used = 0;
  }
  let id = 'prd_' + now.toString(16).padStart(12, '0').slice(-12);
  for (let i = 0; i < 10; i++) id += HEX[pool[used++]!]!;
  return id;
}
