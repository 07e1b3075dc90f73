/** A small seeded PRNG (mulberry32) so every random choice in training is reproducible. */

/** Returns a function giving uniform floats in [0, 1), fully determined by `seed`. */
export function seededRandom(seed: number): () => number {
  let a = (seed >>> 0) ^ 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of `0..n-1` with the given generator. */
export function shuffledIndices(n: number, rand: () => number): Uint32Array {
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx;
}

/** The state of a mulberry32 stream, advanced in place by {@link shuffleStream}. */
export interface RandomStream {
  state: number;
}

/** A stream that draws the same numbers as {@link seededRandom}(seed). */
export function randomStream(seed: number): RandomStream {
  return { state: (seed >>> 0) ^ 0x9e3779b9 };
}

/**
 * Fisher–Yates shuffle of `0..n-1` drawing from `stream` (advanced in place): the same permutation
 * as {@link shuffledIndices} with {@link seededRandom} over the same draws, with the generator
 * inlined: a fresh process (what `mloop train` is) runs a loop's first ~10⁴ iterations unoptimised,
 * where a closure call per draw cost ~10 ms on Adult's 32,561-row split.
 */
export function shuffleStream(n: number, stream: RandomStream): Uint32Array {
  // one loop here (identity is its own function), the state read before it and written in it: V8
  // compiles a long loop on the fly and threw that code away at code after it that had not run yet
  let a = stream.state;
  const idx = new Uint32Array(n);
  identity(idx, n);
  for (let i = n - 1; i > 0; i--) {
    a = (a + 0x6d2b79f5) | 0;
    stream.state = a;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    const j = Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * (i + 1));
    const v = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = v;
  }
  return idx;
}

/** idx[i] = i for i < n (one function for the shuffles and the booster's rounds: one compile). */
export function identity(idx: Uint32Array, n: number): void {
  for (let i = 0; i < n; i++) idx[i] = i;
}
