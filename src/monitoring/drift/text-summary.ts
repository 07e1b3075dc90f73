/**
 * Streaming summaries of a text feature: the reference vocabulary with token counts, and the
 * distribution of document lengths (tokens per document) as a numeric profile. A window counts
 * tokens over the reference vocabulary plus one out-of-vocabulary bucket, so its memory is
 * O(reference vocabulary), not O(rows) nor O(new words).
 */
import { seededRandom, type Random } from '../stats/random.js';
import { NumericWindow, profileNumeric, type NumericProfile, type NumericWindowSummary } from './numeric-summary.js';

/** Lower-cases and splits on anything that is not a letter or a digit. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((t) => t.length > 0);
}

/** Out-of-vocabulary tokens are told apart by the domain classifier through this many hash buckets. */
export const OOV_BUCKETS = 64;

/** The hash bucket of an out-of-vocabulary token (FNV-1a, 32 bits). */
export function oovBucket(token: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < token.length; i++) h = Math.imul(h ^ token.charCodeAt(i), 0x01000193);
  return (h >>> 0) % OOV_BUCKETS;
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
   * The out-of-vocabulary rate a fresh sample from the reference distribution would show, by
   * leaving one document out (Good–Turing at the document level): the share of reference tokens
   * whose every occurrence is in one document. Words repeated within a document but seen nowhere
   * else (a name, an order number, a typo) count, as they would be new in a fresh sample.
   */
  readonly expectedOovRate: number;
  /** Token-level Good–Turing rate (tokens seen once / all tokens), for comparison. */
  readonly singletonRate: number;
  /**
   * Documents kept for calibrating alarms (every document up to {@link MAX_CALIBRATION_DOCS}, else
   * an evenly spaced subsample): document d's tokens are `ids[offsets[d] … offsets[d+1])`, as
   * vocabulary indices, with the tokens that are out of vocabulary when d is left out mapped to
   * the index `tokenCounts.length`.
   */
  readonly documents: {
    readonly offsets: Int32Array;
    readonly ids: Int32Array;
    /** For each entry of `ids` mapped to the out-of-vocabulary index: its token's {@link oovBucket} (0 elsewhere). */
    readonly buckets: Uint8Array;
  };
  /** Document lengths in tokens. */
  readonly lengths: NumericProfile;
}

/** At most this many reference documents are kept for calibration. */
export const MAX_CALIBRATION_DOCS = 20_000;

/** At most this many window documents are kept, as a seeded reservoir sample, for the domain classifier. */
export const MAX_WINDOW_SAMPLE_DOCS = 1000;

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
  /**
   * A uniform sample of the window's documents (reservoir of at most {@link MAX_WINDOW_SAMPLE_DOCS},
   * seeded, so the same rows give the same sample), each as its token ids over the reference
   * vocabulary, an out-of-vocabulary token as `tokenCounts.length + 1 + oovBucket(token)`.
   */
  readonly sample: Int32Array[];
}

/** Builds a text reference profile. */
export function profileText(values: ArrayLike<string | null | undefined>): TextProfile {
  const vocabulary = new Map<string, number>();
  const counts: number[] = [];
  const lengths: number[] = [];
  let missing = 0;
  let tokens = 0;
  // Every document's token ids (needed once, to find the tokens confined to one document).
  const docIds: number[] = [];
  const docEnds: number[] = [];
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
      docIds.push(id);
    }
    docEnds.push(docIds.length);
  }
  let singletons = 0;
  for (const c of counts) if (c === 1) singletons++;
  const oovIndex = counts.length;
  const inDoc = new Map<number, number>();
  let confined = 0;
  const step = Math.max(1, Math.ceil(docEnds.length / MAX_CALIBRATION_DOCS));
  const offsets: number[] = [0];
  const ids: number[] = [];
  const buckets: number[] = [];
  const terms: string[] = new Array<string>(counts.length);
  for (const [t, id] of vocabulary) terms[id] = t;
  for (let d = 0; d < docEnds.length; d++) {
    const from = d === 0 ? 0 : (docEnds[d - 1] as number);
    const to = docEnds[d] as number;
    inDoc.clear();
    for (let j = from; j < to; j++) inDoc.set(docIds[j] as number, (inDoc.get(docIds[j] as number) ?? 0) + 1);
    const keep = d % step === 0;
    for (let j = from; j < to; j++) {
      const id = docIds[j] as number;
      const alone = inDoc.get(id) === counts[id];
      if (alone) confined++;
      if (keep) {
        ids.push(alone ? oovIndex : id);
        buckets.push(alone ? oovBucket(terms[id] as string) : 0);
      }
    }
    if (keep) offsets.push(ids.length);
  }
  return {
    kind: 'text',
    n: lengths.length,
    missing,
    vocabulary,
    tokenCounts: Float64Array.from(counts),
    tokens,
    expectedOovRate: tokens ? confined / tokens : 0,
    singletonRate: tokens ? singletons / tokens : 0,
    documents: { offsets: Int32Array.from(offsets), ids: Int32Array.from(ids), buckets: Uint8Array.from(buckets) },
    lengths: profileNumeric(lengths),
  };
}

/** Accumulates a text window. */
export class TextWindow {
  readonly summary: TextWindowSummary;
  readonly #profile: TextProfile;
  readonly #lengths: NumericWindow;
  readonly #rng: Random = seededRandom(0x5eed);
  #seen = 0;

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
      sample: [],
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
    const oov = s.tokenCounts.length;
    const ids = new Int32Array(toks.length);
    for (let j = 0; j < toks.length; j++) {
      const id = this.#profile.vocabulary.get(toks[j] as string);
      if (id === undefined) s.oovTokens++;
      else s.tokenCounts[id] = (s.tokenCounts[id] as number) + 1;
      ids[j] = id ?? oov + 1 + oovBucket(toks[j] as string);
    }
    // Reservoir sampling (Algorithm R): every document seen so far is in the sample with equal probability.
    this.#seen++;
    if (s.sample.length < MAX_WINDOW_SAMPLE_DOCS) s.sample.push(ids);
    else {
      const j = this.#rng.int(this.#seen);
      if (j < MAX_WINDOW_SAMPLE_DOCS) s.sample[j] = ids;
    }
  }

  /** Adds many documents. */
  addAll(values: ArrayLike<string | null | undefined>): this {
    for (let i = 0; i < values.length; i++) this.add(values[i]);
    return this;
  }
}
