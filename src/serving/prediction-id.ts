/**
 * Prediction ids: `prd_` and 32 hex digits — 12 of the time in milliseconds, 4 of a sequence
 * number within that millisecond, then 16 random (64 bits). Ids made later in a process sort later,
 * also within one millisecond, so the log's primary-key index grows at its end instead of touching a
 * random page per insert, and everything ordered by id (the review queue, training data built from
 * review answers) follows the order predictions were made instead of a coin flip per millisecond.
 */
import { randomFillSync } from 'node:crypto';

const POOL = 4096;
const pool = new Uint8Array(POOL);
let used = POOL;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
let lastMs = -1;
let sequence = 0;

/** A new prediction id, e.g. `prd_0193f1c2a7b0000f6e1d2c3b4a596877`. */
export function newPredictionId(now = Date.now()): string {
  // Monotonic: a clock that steps back, or more than 65,536 ids in one millisecond, borrow the next millisecond.
  let ms = Math.max(now, lastMs);
  if (ms === lastMs) {
    sequence++;
    if (sequence > 0xffff) {
      ms++;
      sequence = 0;
    }
  } else sequence = 0;
  lastMs = ms;
  if (used + 8 > POOL) {
    randomFillSync(pool);
    used = 0;
  }
  let id = 'prd_' + ms.toString(16).padStart(12, '0').slice(-12) + sequence.toString(16).padStart(4, '0');
  for (let i = 0; i < 8; i++) id += HEX[pool[used++]!]!;
  return id;
}
