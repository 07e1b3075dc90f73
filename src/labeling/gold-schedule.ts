/**
 * When an annotator's next item is a gold question: evenly spaced at the project's rate, with a
 * phase per annotator drawn from the project's secret seed, so the sequence is reproducible for the
 * project but neither shared between annotators nor predictable by them.
 */
import { createHash } from 'node:crypto';

/** The annotator's phase in [0, 1): the first 48 bits of sha256(seed, annotator). */
export function goldPhase(seed: string, annotator: string): number {
  const h = createHash('sha256').update(seed).update('\0').update(annotator).digest();
  return h.readUIntBE(0, 6) / 2 ** 48;
}

/**
 * Whether request `n` (0-based: items served so far) is a gold turn: floor(n·rate + φ) steps up
 * between n − 1 and n. Any N consecutive requests hold floor(N·rate) or ceil(N·rate) gold turns,
 * spaced floor(1/rate) or ceil(1/rate) apart. (The phase is added after scaling by the rate, i.e.
 * floor((n + φ/rate)·rate): a phase inside floor((n + φ)·rate) would make request 0 gold for
 * everyone and, when 1/rate is a whole number, give every annotator the same turns.)
 */
export function isGoldTurn(n: number, rate: number, phase: number): boolean {
  if (rate <= 0) return false;
  return Math.floor(n * rate + phase) > Math.floor((n - 1) * rate + phase);
}
