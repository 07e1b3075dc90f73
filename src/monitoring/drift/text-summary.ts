/**
 * Streaming summaries of a text feature: the reference vocabulary with token counts, and the
 * distribution of document lengths (tokens per document) as a numeric profile. A window counts
 * tokens over the reference vocabulary plus one out-of-vocabulary bucket, so its memory is
 * O(reference vocabulary), not O(rows) nor O(new words).
 */
import { NumericWindow, profileNumeric, type NumericProfile, type NumericWindowSummary } from './numeric-summary.js';

/** Lower-cases and splits on anything that is not a letter or a digit. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((t) => t.length > 0);
}

/** Reference profile of one text feature. */
export interface TextProfile {
  readonly kind: 'text';
  /** Documents (non-missing). */
  readonly n: number;
  readonly missing: number;
  /** Token → vocabulary index. */
  readonly vocabulary: ReadonlyMap<string, number>;
  /** Reference token count per vocabulary index. */
  readonly tokenCounts: Float64Array;
  /** Total reference tokens. */
  readonly tokens: number;
  /**
   * Good–Turing estimate of the out-of-vocabulary rate a fresh sample from the reference
   * distribution would show: tokens seen once / all tokens.
   */
  readonly expectedOovRate: number;
  /** Document lengths in tokens. */
  readonly lengths: NumericProfile;
}

/** A window's text summary. */
export interface TextWindowSummary {
  readonly kind: 'text';
  n: number;
  missing: number;
  /** Count per reference vocabulary index. */
  readonly tokenCounts: Float64Array;
  /** Tokens not in the reference vocabulary. */
  oovTokens: number;
  /** All tokens. */
  tokens: number;
  readonly lengths: NumericWindowSummary;
}

/** Builds a text reference profile. */
export function profileText(values: ArrayLike<string | null | undefined>): TextProfile {
  const vocabulary = new Map<string, number>();
  const counts: number[] = [];
  const lengths: number[] = [];
  let missing = 0;
  let tokens = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      missing++;
      continue;
    }
    const toks = tokenize(v);
    lengths.push(toks.length);
    tokens += toks.length;
    for (const t of toks) {
      let id = vocabulary.get(t);
      if (id === undefined) {
        id = counts.length;
        vocabulary.set(t, id);
        counts.push(0);
      }
      counts[id] = (counts[id] as number) + 1;
    }
  }
  let singletons = 0;
  for (const c of counts) if (c === 1) singletons++;
  return {
    kind: 'text',
    n: lengths.length,
    missing,
    vocabulary,
    tokenCounts: Float64Array.from(counts),
    tokens,
    expectedOovRate: tokens ? singletons / tokens : 0,
    lengths: profileNumeric(lengths),
  };
}

/** Accumulates a text window. */
export class TextWindow {
  readonly summary: TextWindowSummary;
  readonly #profile: TextProfile;
  readonly #lengths: NumericWindow;

  constructor(profile: TextProfile) {
    this.#profile = profile;
    this.#lengths = new NumericWindow(profile.lengths);
    this.summary = {
      kind: 'text',
      n: 0,
      missing: 0,
      tokenCounts: new Float64Array(profile.tokenCounts.length),
      oovTokens: 0,
      tokens: 0,
      lengths: this.#lengths.summary,
    };
  }

  /** Adds one document (null / undefined count as missing). */
  add(value: string | null | undefined): void {
    const s = this.summary;
    if (value === null || value === undefined) {
      s.missing++;
      return;
    }
    const toks = tokenize(value);
    s.n++;
    s.tokens += toks.length;
    this.#lengths.add(toks.length);
    for (const t of toks) {
      const id = this.#profile.vocabulary.get(t);
      if (id === undefined) s.oovTokens++;
      else s.tokenCounts[id] = (s.tokenCounts[id] as number) + 1;
    }
  }

  /** Adds many documents. */
  addAll(values: ArrayLike<string | null | undefined>): this {
    for (let i = 0; i < values.length; i++) this.add(values[i]);
    return this;
  }
}
