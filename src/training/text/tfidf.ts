/**
 * TF-IDF features as scikit-learn computes them in
 * `FeatureUnion([TfidfVectorizer(word), TfidfVectorizer(char_wb)])`: each block has its own
 * vocabulary, smooth idf, optional sublinear tf and its own L2 normalisation, and the blocks are
 * placed side by side (so a row with both blocks non-empty has norm √2).
 */
import { MloopError } from '../../errors/index.js';
import { appendCharWbNgrams, appendWordNgrams, normalizeText, SURROGATE, WHITESPACE, wordTokens, type NgramRange } from './tokenize.js';
import { checkCancelled, type TrainHooks } from './progress.js';

/** A sparse matrix in compressed sparse row form. */
export interface CsrMatrix {
  /** Number of rows. */
  rows: number;
  /** Number of columns. */
  cols: number;
  /** Row `i` occupies `indices/data[indptr[i] .. indptr[i+1])`; length `rows + 1`. */
  indptr: Int32Array;
  /** Column of each stored value. */
  indices: Int32Array;
  /** The stored values. */
  data: Float32Array;
}

/** The analyzer of one feature block. */
export type TfidfAnalyzer = 'word' | 'char_wb';

/** Settings of one feature block. */
export interface TfidfBlockOptions {
  /** `word`: word n-grams of `\w\w+` tokens; `char_wb`: character n-grams inside padded words. */
  analyzer: TfidfAnalyzer;
  /** Inclusive n-gram range. */
  ngramRange: NgramRange;
  /** Keep terms found in at least this many training documents; ≥ 1. */
  minDf: number;
  /** Keep at most this many terms, the most frequent over the corpus; unlimited when absent. */
  maxFeatures?: number;
}

/** Settings of the vectoriser. */
export interface TfidfOptions {
  /** The feature blocks, side by side in this order; at least one. */
  blocks: TfidfBlockOptions[];
  /** Use 1 + ln(tf) instead of the raw count. */
  sublinearTf: boolean;
}

/** Defaults tuned for short texts (intents, tickets): word 1–2-grams and char_wb 2–5-grams, min_df 2. */
export const DEFAULT_TFIDF_OPTIONS: Readonly<TfidfOptions> = Object.freeze<TfidfOptions>({
  blocks: [
    { analyzer: 'word', ngramRange: [1, 2], minDf: 2 },
    { analyzer: 'char_wb', ngramRange: [2, 5], minDf: 2 },
  ],
  sublinearTf: true,
});

/** The fitted state of one block: plain data. */
export interface TfidfBlockState {
  analyzer: TfidfAnalyzer;
  ngramRange: [number, number];
  /** The vocabulary; column `j` of the block is `terms[j]`. Sorted by UTF-16 code units. */
  terms: string[];
  /** Smooth idf per column: ln((1 + n) / (1 + df)) + 1. */
  idf: Float32Array;
}

/** The fitted state of a vectoriser: plain data, safe to serialise. */
export interface TfidfState {
  sublinearTf: boolean;
  blocks: TfidfBlockState[];
}

function analyze(block: { analyzer: TfidfAnalyzer; ngramRange: NgramRange }, lowered: string, out: string[]): void {
  if (block.analyzer === 'word') appendWordNgrams(wordTokens(lowered), block.ngramRange, out);
  else appendCharWbNgrams(lowered, block.ngramRange, out);
}

/** Per-document term ids of one block, in one flat array. */
interface DocTerms {
  ptr: Int32Array;
  ids: Int32Array;
}

/** Checks the options and throws `INVALID_ARGUMENT` naming the first bad value. */
export function validateTfidfOptions(options: TfidfOptions): void {
  if (options.blocks.length === 0) throw MloopError.invalidArgument('tfidf needs at least one feature block');
  options.blocks.forEach((b, i) => {
    const [lo, hi] = b.ngramRange;
    if (b.analyzer !== 'word' && b.analyzer !== 'char_wb') {
      throw MloopError.invalidArgument(`tfidf block ${i}: analyzer must be 'word' or 'char_wb', got '${String(b.analyzer)}'`);
    }
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi < lo || hi > 10) {
      throw MloopError.invalidArgument(`tfidf block ${i}: ngramRange must be integers 1 ≤ min ≤ max ≤ 10, got [${lo}, ${hi}]`);
    }
    if (!Number.isInteger(b.minDf) || b.minDf < 1) {
      throw MloopError.invalidArgument(`tfidf block ${i}: minDf must be an integer ≥ 1, got ${b.minDf}`);
    }
    if (b.maxFeatures !== undefined && (!Number.isInteger(b.maxFeatures) || b.maxFeatures < 1)) {
      throw MloopError.invalidArgument(`tfidf block ${i}: maxFeatures must be an integer ≥ 1, got ${b.maxFeatures}`);
    }
  });
}

/**
 * Fits the vocabularies and idf on `texts` and returns the state with the training matrix
 * (one tokenisation pass serves both).
 *
 * @example
 * const { state, matrix } = fitTfidf(['reset my password', 'where is my parcel'], DEFAULT_TFIDF_OPTIONS);
 */
export function fitTfidf(
  texts: readonly string[],
  options: TfidfOptions = DEFAULT_TFIDF_OPTIONS,
  hooks: TrainHooks = {},
): { state: TfidfState; matrix: CsrMatrix } {
  validateTfidfOptions(options);
  const n = texts.length;
  const lowered = texts.map(normalizeText);
  const blocks: TfidfBlockState[] = [];
  const parts: CsrMatrix[] = [];
  const total = n * options.blocks.length;
  options.blocks.forEach((opts, b) => {
    if (opts.analyzer === 'char_wb') {
      const fitted = fitCharWbBlock(lowered, opts, options.sublinearTf, hooks, b * n, total);
      blocks.push(fitted.state);
      parts.push(fitted.matrix);
      return;
    }
    const ids = new Map<string, number>();
    let df = new Int32Array(1024);
    let count = new Float64Array(1024);
    let lastDoc = new Int32Array(1024);
    const ptr = new Int32Array(n + 1);
    let flat = new Int32Array(Math.max(1024, n * 32));
    let nnz = 0;
    const grams: string[] = [];
    for (let d = 0; d < n; d++) {
      if ((d & 1023) === 0) {
        checkCancelled(hooks.signal);
        hooks.onProgress?.({ stage: 'vectorize', done: b * n + d, total });
      }
      grams.length = 0;
      analyze(opts, lowered[d] as string, grams);
      if (nnz + grams.length > flat.length) flat = grow(flat, nnz + grams.length);
      for (const g of grams) {
        let id = ids.get(g);
        if (id === undefined) {
          id = ids.size;
          ids.set(g, id);
          if (id >= df.length) {
            df = grow(df, id + 1);
            count = grow(count, id + 1);
            lastDoc = grow(lastDoc, id + 1);
          }
          lastDoc[id] = -1;
        }
        if (lastDoc[id] !== d) {
          lastDoc[id] = d;
          df[id]! += 1;
        }
        count[id]! += 1;
        flat[nnz++] = id;
      }
      ptr[d + 1] = nnz;
    }
    const { terms, remap } = selectTerms(ids, df, count, opts);
    const idf = new Float32Array(terms.length);
    for (const [term, oldId] of ids) {
      const col = remap[oldId] as number;
      if (col >= 0) idf[col] = Math.log((1 + n) / (1 + (df[oldId] as number))) + 1;
      void term;
    }
    const state: TfidfBlockState = { analyzer: opts.analyzer, ngramRange: [opts.ngramRange[0], opts.ngramRange[1]], terms, idf };
    blocks.push(state);
    parts.push(weigh({ ptr, ids: flat.subarray(0, nnz) }, remap, idf, options.sublinearTf));
  });
  hooks.onProgress?.({ stage: 'vectorize', done: total, total });
  return { state: { sublinearTf: options.sublinearTf, blocks }, matrix: hstack(parts) };
}

/**
 * A trie over UTF-16 code units that grows while a `char_wb` vocabulary is fitted: every n-gram is
 * a node reached by walking its characters, so no n-gram string is built or hashed until the
 * vocabulary is known (then only for the kept terms). Edges live in one open-addressing table keyed
 * by (node, code unit), doubled when half full.
 */
class GrowingGramTrie {
  private parent: Int32Array;
  private code: Uint16Array;
  private child: Int32Array;
  private mask: number;
  /** Per node: its parent node and last code unit, to spell its string. */
  private up = new Int32Array(1024);
  private last = new Uint16Array(1024);
  size = 1;

  constructor() {
    this.mask = 4095;
    this.parent = new Int32Array(4096).fill(-1);
    this.code = new Uint16Array(4096);
    this.child = new Int32Array(4096);
  }

  /** The node reached from `node` by `code`, made when missing. */
  step(node: number, code: number): number {
    const parent = this.parent;
    const mask = this.mask;
    let h = (Math.imul(node, 0x9e3779b1) ^ Math.imul(code, 0x85ebca6b)) & mask;
    for (;;) {
      const p = parent[h] as number;
      if (p === -1) break;
      if (p === node && this.code[h] === code) return this.child[h] as number;
      h = (h + 1) & mask;
    }
    const id = this.size++;
    parent[h] = node;
    this.code[h] = code;
    this.child[h] = id;
    if (id >= this.up.length) {
      this.up = grow(this.up, id + 1);
      const l = new Uint16Array(this.up.length);
      l.set(this.last);
      this.last = l;
    }
    this.up[id] = node;
    this.last[id] = code;
    if (this.size * 2 > mask + 1) this.rehash();
    return id;
  }

  private rehash(): void {
    const { parent, code, child } = this;
    const size = (this.mask + 1) * 2;
    this.mask = size - 1;
    this.parent = new Int32Array(size).fill(-1);
    this.code = new Uint16Array(size);
    this.child = new Int32Array(size);
    for (let s = 0; s < parent.length; s++) {
      const p = parent[s] as number;
      if (p === -1) continue;
      let h = (Math.imul(p, 0x9e3779b1) ^ Math.imul(code[s] as number, 0x85ebca6b)) & this.mask;
      while (this.parent[h] !== -1) h = (h + 1) & this.mask;
      this.parent[h] = p;
      this.code[h] = code[s] as number;
      this.child[h] = child[s] as number;
    }
  }

  /** The node of a string, made when missing. */
  stepString(text: string): number {
    let node = 0;
    for (let i = 0; i < text.length; i++) node = this.step(node, text.charCodeAt(i));
    return node;
  }

  /** The string a node spells. */
  spell(node: number): string {
    const codes: number[] = [];
    for (let v = node; v !== 0; v = this.up[v] as number) codes.push(this.last[v] as number);
    return String.fromCharCode(...codes.reverse());
  }
}

/**
 * Fits one `char_wb` block: the same n-grams as {@link appendCharWbNgrams}, counted the same number
 * of times, found by walking a {@link GrowingGramTrie} instead of slicing strings (words with code
 * points outside the BMP take the string path, whose n-gram lengths count code points).
 */
function fitCharWbBlock(
  lowered: readonly string[],
  opts: TfidfBlockOptions,
  sublinear: boolean,
  hooks: TrainHooks,
  progressBase: number,
  progressTotal: number,
): { state: TfidfBlockState; matrix: CsrMatrix } {
  const n = lowered.length;
  const [minN, maxN] = opts.ngramRange;
  const trie = new GrowingGramTrie();
  let df = new Int32Array(4096);
  let count = new Float64Array(4096);
  let lastDoc = new Int32Array(4096).fill(-1);
  const ptr = new Int32Array(n + 1);
  let flat = new Int32Array(Math.max(1024, n * 64));
  let nnz = 0;
  let d = 0;
  const grams: string[] = [];
  const add = (id: number): void => {
    if (id >= df.length) {
      const old = lastDoc.length;
      df = grow(df, id + 1);
      count = grow(count, id + 1);
      lastDoc = grow(lastDoc, id + 1);
      lastDoc.fill(-1, old);
    }
    if (lastDoc[id] !== d) {
      lastDoc[id] = d;
      df[id]! += 1;
    }
    count[id]! += 1;
    if (nnz === flat.length) flat = grow(flat, nnz + 1);
    flat[nnz++] = id;
  };
  for (d = 0; d < n; d++) {
    if ((d & 1023) === 0) {
      checkCancelled(hooks.signal);
      hooks.onProgress?.({ stage: 'vectorize', done: progressBase + d, total: progressTotal });
    }
    for (const word of (lowered[d] as string).split(WHITESPACE)) {
      if (word.length === 0) continue;
      if (SURROGATE.test(word)) {
        grams.length = 0;
        appendCharWbNgrams(word, opts.ngramRange, grams);
        for (const g of grams) add(trie.stepString(g));
        continue;
      }
      const wLen = word.length + 2;
      if (wLen < minN) {
        // A padded word shorter than the smallest n contributes itself once.
        let node = 0;
        for (let i = 0; i < wLen; i++) node = trie.step(node, paddedCode(word, i, wLen));
        add(node);
        continue;
      }
      // Every substring of length n in [minN, min(maxN, wLen)]: for n = wLen that is the padded word, once.
      for (let i = 0; i < wLen; i++) {
        const top = Math.min(maxN, wLen - i);
        let node = 0;
        for (let k = 1; k <= top; k++) {
          node = trie.step(node, paddedCode(word, i + k - 1, wLen));
          if (k >= minN) add(node);
        }
      }
    }
    ptr[d + 1] = nnz;
  }
  // Only grams that reach min_df get their string spelled.
  const ids = new Map<string, number>();
  for (let id = 1; id < trie.size; id++) if ((df[id] ?? 0) >= opts.minDf) ids.set(trie.spell(id), id);
  const { terms, remap } = selectTerms(ids, df, count, opts, trie.size);
  const idf = new Float32Array(terms.length);
  for (const oldId of ids.values()) {
    const col = remap[oldId] as number;
    if (col >= 0) idf[col] = Math.log((1 + n) / (1 + (df[oldId] as number))) + 1;
  }
  const state: TfidfBlockState = { analyzer: opts.analyzer, ngramRange: [minN, maxN], terms, idf };
  return { state, matrix: weigh({ ptr, ids: flat.subarray(0, nnz) }, remap, idf, sublinear) };
}

function grow<T extends Int32Array | Float64Array>(a: T, min: number): T {
  let size = a.length * 2;
  while (size < min) size *= 2;
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

/** Applies min_df and max_features; returns sorted terms and old id → column (or -1). */
function selectTerms(
  ids: Map<string, number>,
  df: Int32Array,
  count: Float64Array,
  opts: TfidfBlockOptions,
  idSpace = ids.size,
): { terms: string[]; remap: Int32Array } {
  let kept: string[] = [];
  for (const [term, id] of ids) if ((df[id] as number) >= opts.minDf) kept.push(term);
  if (opts.maxFeatures !== undefined && kept.length > opts.maxFeatures) {
    kept.sort((a, b) => (count[ids.get(b) as number] as number) - (count[ids.get(a) as number] as number) || cmp(a, b));
    kept = kept.slice(0, opts.maxFeatures);
  }
  kept.sort(cmp);
  const remap = new Int32Array(idSpace).fill(-1);
  kept.forEach((term, col) => {
    remap[ids.get(term) as number] = col;
  });
  return { terms: kept, remap };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Turns per-document term ids into L2-normalised tf-idf rows of one block. */
function weigh(docs: DocTerms, remap: Int32Array, idf: Float32Array, sublinear: boolean): CsrMatrix {
  const rows = docs.ptr.length - 1;
  const tf = new Int32Array(idf.length);
  const touched: number[] = [];
  const indptr = new Int32Array(rows + 1);
  let indices = new Int32Array(Math.max(16, docs.ids.length));
  let data = new Float32Array(indices.length);
  let nnz = 0;
  for (let r = 0; r < rows; r++) {
    touched.length = 0;
    for (let p = docs.ptr[r] as number; p < (docs.ptr[r + 1] as number); p++) {
      const col = remap[docs.ids[p] as number] as number;
      if (col < 0) continue;
      if (tf[col] === 0) touched.push(col);
      tf[col]! += 1;
    }
    if (nnz + touched.length > indices.length) {
      indices = grow(indices, nnz + touched.length);
      const d2 = new Float32Array(indices.length);
      d2.set(data);
      data = d2;
    }
    nnz = writeRow(touched, tf, idf, sublinear, indices, data, nnz);
    indptr[r + 1] = nnz;
  }
  return { rows, cols: idf.length, indptr, indices: indices.slice(0, nnz), data: data.slice(0, nnz) };
}

/** Scratch space of {@link writeRow}: the columns sorted as numbers, and their weights. */
let sortedScratch = new Int32Array(256);
let valueScratch = new Float64Array(256);

/** Writes one normalised row (columns ascending) and resets `tf` for the touched columns. */
function writeRow(
  touched: number[],
  tf: Int32Array,
  idf: Float32Array,
  sublinear: boolean,
  indices: Int32Array,
  data: Float32Array,
  start: number,
): number {
  const m = touched.length;
  if (m > sortedScratch.length) {
    sortedScratch = new Int32Array(m * 2);
    valueScratch = new Float64Array(m * 2);
  }
  // A typed array sorts numbers natively (no comparator calls); same order as (a, b) => a - b.
  const cols = sortedScratch.subarray(0, m);
  for (let i = 0; i < m; i++) cols[i] = touched[i] as number;
  cols.sort();
  const values = valueScratch;
  let sq = 0;
  for (let i = 0; i < m; i++) {
    const col = cols[i] as number;
    const t = tf[col] as number;
    const v = (sublinear ? 1 + Math.log(t) : t) * (idf[col] as number);
    values[i] = v;
    sq += v * v;
    tf[col] = 0;
  }
  const inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
  for (let i = 0; i < m; i++) {
    indices[start + i] = cols[i] as number;
    data[start + i] = (values[i] as number) * inv;
  }
  return start + m;
}

/**
 * A block's vocabulary as a trie over UTF-16 code units, so that transform finds the column of
 * every n-gram by walking its characters, without building n-gram strings or hashing them (word
 * n-grams walk their tokens joined by a space, as the vocabulary spells them). Edges live in one
 * open-addressing table of 4-int entries (parent, code unit, child, child's column or -1) keyed by
 * (parent, code unit), so a step reads one cache line; the root's children are a dense table.
 */
class GramTrie {
  /** Entry `e` at `4e`: parent node (-1 = empty), code unit, child node, the child's column (-1 = only a prefix). */
  private readonly table: Int32Array;
  private readonly mask: number;
  /** Per code unit: the table offset of the root's edge, or -1. */
  private readonly root: Int32Array;
  private nodes = 1;

  constructor(terms: readonly string[]) {
    let units = 0;
    for (const t of terms) units += t.length;
    let size = 1024;
    while (size < units * 2) size *= 2;
    this.mask = size - 1;
    this.table = new Int32Array(size * 4);
    for (let e = 0; e < this.table.length; e += 4) this.table[e] = -1;
    this.root = new Int32Array(65536).fill(-1);
    terms.forEach((t, c) => {
      let at = -1;
      let node = 0;
      for (let i = 0; i < t.length; i++) {
        const code = t.charCodeAt(i);
        at = this.step(node, code);
        if (at < 0) at = this.add(node, code);
        node = this.table[at + 2] as number;
      }
      if (at >= 0) this.table[at + 3] = c;
    });
  }

  private add(node: number, code: number): number {
    const t = this.table;
    let h = (Math.imul(node, 0x9e3779b1) ^ Math.imul(code, 0x85ebca6b)) & this.mask;
    while (t[h * 4] !== -1) h = (h + 1) & this.mask;
    const e = h * 4;
    t[e] = node;
    t[e + 1] = code;
    t[e + 2] = this.nodes++;
    t[e + 3] = -1;
    if (node === 0) this.root[code] = e;
    return e;
  }

  /** The offset of the edge from `node` by `code` (its child at +2, the child's column at +3), or -1. */
  step(node: number, code: number): number {
    if (node === 0) return this.root[code] as number;
    const t = this.table;
    const mask = this.mask;
    for (let h = (Math.imul(node, 0x9e3779b1) ^ Math.imul(code, 0x85ebca6b)) & mask; ; h = (h + 1) & mask) {
      const e = h * 4;
      const p = t[e] as number;
      if (p === -1) return -1;
      if (p === node && t[e + 1] === code) return e;
    }
  }

  /** The child node of the edge at `e`. */
  child(e: number): number {
    return this.table[e + 2] as number;
  }

  /** The column of the string ending at the edge `e`, or -1. */
  column(e: number): number {
    return this.table[e + 3] as number;
  }
}

/** Code unit `i` of ` ${word} `. */
function paddedCode(word: string, i: number, wLen: number): number {
  return i === 0 || i === wLen - 1 ? 32 : word.charCodeAt(i - 1);
}

/** Code-unit classes of the transform's scan (0 = not classified yet): 0x80 | 1 word character, | 2 whitespace. */
const UNIT_CLASS = new Uint8Array(65536);
/** sklearn's `\w` plus marks, as `wordTokens` matches it. */
const WORD_UNIT = /^[\p{L}\p{N}\p{M}_]$/u;
/** What `char_wb` splits words on (`WHITESPACE`). */
const SPACE_UNIT = /^\s$/u;

/** The class of a code unit outside the surrogate range, classified by the analyzers' own patterns once. */
function unitClass(code: number): number {
  const k = UNIT_CLASS[code] as number;
  if (k !== 0) return k;
  const ch = String.fromCharCode(code);
  const made = 0x80 | (WORD_UNIT.test(ch) ? 1 : 0) | (SPACE_UNIT.test(ch) ? 2 : 0);
  UNIT_CLASS[code] = made;
  return made;
}

/**
 * Scratch space of one vectorizer's transform (it is synchronous, so one set serves every call):
 * the lowered text's code units, token bounds, the columns a row touched, and the output row.
 */
interface TransformScratch {
  codes: Uint16Array;
  indptr: Int32Array;
  tokStart: Int32Array;
  tokEnd: Int32Array;
  touched: Int32Array;
  indices: Int32Array;
  data: Float32Array;
}

/** Counts column `col` (when ≥ 0) into `tf`, noting it in `s.touched[m]` when new; returns the new `m`. */
function countColumn(col: number, tf: Int32Array, s: TransformScratch, m: number): number {
  if (col < 0) return m;
  if (tf[col] === 0) {
    if (m === s.touched.length) s.touched = grow(s.touched, m + 1);
    s.touched[m++] = col;
  }
  tf[col]! += 1;
  return m;
}

/**
 * Counts the word n-grams of the code units `s.codes[0..len)` found in `trie` (tokens: runs of two
 * or more word characters, as {@link wordTokens}; n-grams: consecutive tokens joined by one space,
 * as {@link appendWordNgrams}). The text has no surrogates. Returns the number of touched columns.
 */
function countWordsFast(s: TransformScratch, len: number, range: NgramRange, trie: GramTrie, tf: Int32Array): number {
  const codes = s.codes;
  let tokens = 0;
  for (let i = 0; i < len; ) {
    if ((unitClass(codes[i] as number) & 1) === 0) {
      i++;
      continue;
    }
    const start = i;
    while (i < len && (unitClass(codes[i] as number) & 1) !== 0) i++;
    if (i - start < 2) continue;
    if (tokens === s.tokStart.length) {
      s.tokStart = grow(s.tokStart, tokens + 1);
      s.tokEnd = grow(s.tokEnd, tokens + 1);
    }
    s.tokStart[tokens] = start;
    s.tokEnd[tokens++] = i;
  }
  const minN = range[0];
  const maxN = range[1];
  let m = 0;
  for (let t = 0; t < tokens; t++) {
    let node = 0;
    for (let n = 1; n <= maxN && t + n <= tokens; n++) {
      let e = -1;
      if (n > 1) {
        e = trie.step(node, 32);
        if (e < 0) break;
        node = trie.child(e);
      }
      const end = s.tokEnd[t + n - 1] as number;
      for (let i = s.tokStart[t + n - 1] as number; i < end; i++) {
        e = trie.step(node, codes[i] as number);
        if (e < 0) break;
        node = trie.child(e);
      }
      if (e < 0) break;
      if (n >= minN) m = countColumn(trie.column(e), tf, s, m);
    }
  }
  return m;
}

/**
 * Counts the `char_wb` n-grams of the code units `s.codes[0..len)` found in `trie`: the same n-grams
 * as {@link appendCharWbNgrams} (words split on whitespace, padded with one space each side), counted
 * the same number of times. The text has no surrogates. Returns the number of touched columns.
 */
function countCharWbFast(s: TransformScratch, len: number, range: NgramRange, trie: GramTrie, tf: Int32Array): number {
  const codes = s.codes;
  const minN = range[0];
  const maxN = range[1];
  let m = 0;
  for (let i = 0; i < len; ) {
    if ((unitClass(codes[i] as number) & 2) !== 0) {
      i++;
      continue;
    }
    const start = i;
    while (i < len && (unitClass(codes[i] as number) & 2) === 0) i++;
    // The padded word ` word `: code unit p is a space at both ends, else codes[start + p - 1].
    const wLen = i - start + 2;
    if (wLen < minN) {
      // A padded word shorter than the smallest n contributes itself once.
      let node = 0;
      let e = -1;
      for (let p = 0; p < wLen; p++) {
        e = trie.step(node, p === 0 || p === wLen - 1 ? 32 : (codes[start + p - 1] as number));
        if (e < 0) break;
        node = trie.child(e);
      }
      if (e >= 0) m = countColumn(trie.column(e), tf, s, m);
      continue;
    }
    // Every substring of length n in [minN, min(maxN, wLen)]: for n = wLen that is the padded word, once.
    for (let p = 0; p < wLen; p++) {
      const top = Math.min(maxN, wLen - p);
      let node = 0;
      for (let n = 1; n <= top; n++) {
        const q = p + n - 1;
        const e = trie.step(node, q === 0 || q === wLen - 1 ? 32 : (codes[start + q - 1] as number));
        if (e < 0) break;
        node = trie.child(e);
        if (n >= minN) m = countColumn(trie.column(e), tf, s, m);
      }
    }
  }
  return m;
}

/**
 * Counts a text's n-grams of one block through the string analyzers (slice every n-gram, look it
 * up): the path of texts with code points outside the BMP, whose n-gram lengths count code points.
 */
function countByStrings(lowered: string, block: TfidfBlockState, vocab: Map<string, number>, tf: Int32Array, s: TransformScratch, grams: string[]): number {
  grams.length = 0;
  analyze(block, lowered, grams);
  let m = 0;
  for (const g of grams) m = countColumn(vocab.get(g) ?? -1, tf, s, m);
  return m;
}

/**
 * Writes one normalised row from the `m` touched columns in `s.touched` (sorted here, ascending)
 * into `s.indices/s.data` at `start`, shifted by `offset`, and resets `tf` for them: the same
 * arithmetic, in the same order, as {@link writeRow}.
 */
function writeTouchedRow(s: TransformScratch, m: number, tf: Int32Array, idf: Float32Array, sublinear: boolean, start: number, offset: number): number {
  if (start + m > s.indices.length) {
    s.indices = grow(s.indices, start + m);
    const d2 = new Float32Array(s.indices.length);
    d2.set(s.data);
    s.data = d2;
  }
  if (m > valueScratch.length) valueScratch = new Float64Array(m * 2);
  const cols = s.touched;
  if (m > 1) cols.subarray(0, m).sort();
  const values = valueScratch;
  let sq = 0;
  for (let i = 0; i < m; i++) {
    const col = cols[i] as number;
    const t = tf[col] as number;
    // ln(1) is exactly 0: most n-grams occur once, and skipping the call changes no bit.
    const v = (sublinear ? (t === 1 ? 1 : 1 + Math.log(t)) : t) * (idf[col] as number);
    values[i] = v;
    sq += v * v;
    tf[col] = 0;
  }
  const inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
  const indices = s.indices;
  const data = s.data;
  for (let i = 0; i < m; i++) {
    indices[start + i] = (cols[i] as number) + offset;
    data[start + i] = (values[i] as number) * inv;
  }
  return start + m;
}

/** Places CSR blocks with the same rows side by side. */
export function hstack(parts: readonly CsrMatrix[]): CsrMatrix {
  const first = parts[0];
  if (first === undefined) throw MloopError.invalidArgument('hstack needs at least one matrix');
  const rows = first.rows;
  let nnzTotal = 0;
  let cols = 0;
  for (const p of parts) {
    nnzTotal += p.indices.length;
    cols += p.cols;
  }
  if (parts.length === 1) return first;
  const indptr = new Int32Array(rows + 1);
  const indices = new Int32Array(nnzTotal);
  const data = new Float32Array(nnzTotal);
  let nnz = 0;
  for (let r = 0; r < rows; r++) {
    let offset = 0;
    for (const p of parts) {
      const s = p.indptr[r] as number;
      const e = p.indptr[r + 1] as number;
      for (let k = s; k < e; k++) {
        indices[nnz] = (p.indices[k] as number) + offset;
        data[nnz] = p.data[k] as number;
        nnz++;
      }
      offset += p.cols;
    }
    indptr[r + 1] = nnz;
  }
  return { rows, cols, indptr, indices, data };
}

/** Applies a fitted {@link TfidfState} to new texts. */
export class TfidfVectorizer {
  /** The fitted state (shared, not copied). */
  readonly state: TfidfState;
  /** Per block: term → column, made on first use (only texts with code points outside the BMP need it). */
  private vocab: Array<Map<string, number> | null>;
  /** Per block: its vocabulary as a trie. */
  private readonly tries: GramTrie[];
  private readonly offsets: number[];
  /**
   * Per block: term counts of the row being vectorised, all zero between rows (a written row resets
   * what it touched). Kept across calls: allocating and zeroing vocabulary-sized arrays per call cost
   * serving more than vectorising its one-row batches.
   */
  private tfScratch: Int32Array[] | null = null;
  private readonly scratch: TransformScratch = {
    codes: new Uint16Array(256),
    indptr: new Int32Array(2),
    tokStart: new Int32Array(64),
    tokEnd: new Int32Array(64),
    touched: new Int32Array(256),
    indices: new Int32Array(512),
    data: new Float32Array(512),
  };
  private readonly grams: string[] = [];
  /** Total number of columns. */
  readonly numFeatures: number;

  constructor(state: TfidfState) {
    this.state = state;
    this.vocab = state.blocks.map(() => null);
    this.tries = state.blocks.map((b) => new GramTrie(b.terms));
    this.offsets = [];
    let off = 0;
    for (const b of state.blocks) {
      this.offsets.push(off);
      off += b.terms.length;
    }
    this.numFeatures = off;
  }

  private vocabOf(b: number): Map<string, number> {
    let v = this.vocab[b];
    if (!v) {
      v = new Map(this.state.blocks[b]!.terms.map((t, i) => [t, i]));
      this.vocab[b] = v;
    }
    return v;
  }

  /**
   * Vectorises `texts` into L2-normalised (per block) tf-idf rows: the n-grams of the string
   * analyzers ({@link appendWordNgrams}, {@link appendCharWbNgrams}), found by walking each block's
   * vocabulary trie over the lowered text's code units, without building n-gram strings.
   */
  transform(texts: readonly string[]): CsrMatrix {
    const indptr = new Int32Array(texts.length + 1);
    const nnz = this.vectorise(texts, indptr);
    // One buffer for both arrays: a typed array over 64 bytes lives outside V8's heap, and each
    // allocation (or slice) of one costs ~0.5-2 µs, more than vectorising a short text's row.
    const buffer = new ArrayBuffer(nnz * 8);
    const indices = new Int32Array(buffer, 0, nnz);
    const data = new Float32Array(buffer, nnz * 4, nnz);
    indices.set(this.scratch.indices.subarray(0, nnz));
    data.set(this.scratch.data.subarray(0, nnz));
    return { rows: texts.length, cols: this.numFeatures, indptr, indices, data };
  }

  /**
   * The rows of {@link transform} in arrays the vectorizer owns and overwrites on its next call:
   * for a caller that consumes them at once (the model's logits), so predicting one short text
   * allocates no typed arrays outside V8's heap.
   */
  transformTransient(texts: readonly string[]): CsrMatrix {
    const s = this.scratch;
    if (texts.length + 1 > s.indptr.length) s.indptr = new Int32Array(texts.length + 1);
    const nnz = this.vectorise(texts, s.indptr);
    return { rows: texts.length, cols: this.numFeatures, indptr: s.indptr.subarray(0, texts.length + 1), indices: s.indices.subarray(0, nnz), data: s.data.subarray(0, nnz) };
  }

  /** Writes the rows of `texts` into the scratch arrays and `indptr`; returns the number of values. */
  private vectorise(texts: readonly string[], indptr: Int32Array): number {
    const rows = texts.length;
    const s = this.scratch;
    const blocks = this.state.blocks;
    const sublinear = this.state.sublinearTf;
    let nnz = 0;
    indptr[0] = 0;
    const tfs = this.tfScratch ?? blocks.map((b) => new Int32Array(b.terms.length));
    // Taken for this call (it is synchronous); given back only after the rows completed, so a call
    // that threw never leaves counts behind for the next one.
    this.tfScratch = null;
    for (let r = 0; r < rows; r++) {
      const lowered = normalizeText(texts[r] as string);
      const len = lowered.length;
      if (len > s.codes.length) s.codes = new Uint16Array(len * 2);
      const codes = s.codes;
      let bmp = true;
      for (let i = 0; i < len; i++) {
        const c = lowered.charCodeAt(i);
        if ((c & 0xf800) === 0xd800) {
          bmp = false;
          break;
        }
        codes[i] = c;
      }
      for (let b = 0; b < blocks.length; b++) {
        const block = blocks[b]!;
        const tf = tfs[b]!;
        const trie = this.tries[b]!;
        const m = !bmp
          ? countByStrings(lowered, block, this.vocabOf(b), tf, s, this.grams)
          : block.analyzer === 'char_wb'
            ? countCharWbFast(s, len, block.ngramRange, trie, tf)
            : countWordsFast(s, len, block.ngramRange, trie, tf);
        nnz = writeTouchedRow(s, m, tf, block.idf, sublinear, nnz, this.offsets[b]!);
      }
      indptr[r + 1] = nnz;
    }
    this.tfScratch = tfs;
    return nnz;
  }
}
