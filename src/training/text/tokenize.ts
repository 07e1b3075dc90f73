/**
 * Tokenisation for the text learner, matching scikit-learn's `CountVectorizer` analyzers:
 * `analyzer='word'` (token pattern `(?u)\b\w\w+\b`) and `analyzer='char_wb'`.
 */

/** A word: two or more letters, digits, combining marks or underscores (sklearn's `\w\w+`, plus marks). */
const WORD = /[\p{L}\p{N}\p{M}_]{2,}/gu;
/** A UTF-16 surrogate: the word has code points outside the BMP (n-gram lengths count code points). */
export const SURROGATE = /[\uD800-\uDFFF]/;
/** What separates words for `char_wb`. */
export const WHITESPACE = /\s+/u;

/** An inclusive n-gram range `[min, max]`, both ≥ 1. */
export type NgramRange = readonly [number, number];

/**
 * Splits lowercased text into word tokens of at least two characters, as sklearn's default
 * `token_pattern` does; unlike sklearn, combining marks (category M) stay inside words so that
 * scripts such as Devanagari are not cut apart.
 */
export function wordTokens(text: string): string[] {
  return text.match(WORD) ?? [];
}

/**
 * Appends the word n-grams of `tokens` for n in `range` to `out` (tokens joined by one space),
 * in sklearn's order: all unigrams, then all bigrams, ….
 */
export function appendWordNgrams(tokens: readonly string[], range: NgramRange, out: string[]): void {
  const [minN, maxN] = range;
  const len = tokens.length;
  for (let n = minN; n <= Math.min(maxN, len); n++) {
    if (n === 1) {
      for (let i = 0; i < len; i++) out.push(tokens[i] as string);
      continue;
    }
    for (let i = 0; i + n <= len; i++) out.push(tokens.slice(i, i + n).join(' '));
  }
}

/**
 * Appends the `char_wb` n-grams of `text` for n in `range` to `out`: the text is split on
 * whitespace, each word is padded with one space on both sides, and a padded word shorter than n
 * contributes itself once (sklearn's `_char_wb_ngrams`). Lengths count code points.
 */
export function appendCharWbNgrams(text: string, range: NgramRange, out: string[]): void {
  const [minN, maxN] = range;
  for (const word of text.split(WHITESPACE)) {
    if (word.length === 0) continue;
    if (SURROGATE.test(word)) {
      appendCodePointNgrams(Array.from(` ${word} `), minN, maxN, out);
      continue;
    }
    const w = ` ${word} `;
    const wLen = w.length;
    for (let n = minN; n <= maxN; n++) {
      if (wLen <= n) {
        out.push(w);
        break;
      }
      for (let i = 0; i + n <= wLen; i++) out.push(w.slice(i, i + n));
    }
  }
}

function appendCodePointNgrams(w: string[], minN: number, maxN: number, out: string[]): void {
  const wLen = w.length;
  for (let n = minN; n <= maxN; n++) {
    if (wLen <= n) {
      out.push(w.join(''));
      break;
    }
    for (let i = 0; i + n <= wLen; i++) out.push(w.slice(i, i + n).join(''));
  }
}

/** The text normalisation applied before both analyzers: lowercase (sklearn's `lowercase=True`). */
export function normalizeText(text: string): string {
  return text.toLowerCase();
}
