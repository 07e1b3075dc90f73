/**
 * The parameter names each learner reads from `--config` and `--grid`, so a misspelt one is
 * refused instead of silently ignored (and then recorded as the version's `params`).
 */
import { MloopError } from '../errors/index.js';
import type { SoftmaxOptions, TextClassifierOptions, TfidfOptions } from './text/index.js';
import type { BinningOptions, GbdtOptions, LinearOptions } from './tabular/index.js';

/** Parameter name → `true` (a value) or the names of its nested settings. */
export type ParamSchema = { readonly [key: string]: true | ParamSchema };

const BINNING = { maxBins: true, sampleSize: true, minCategoryCount: true, maxCategories: true, seed: true } as const satisfies Record<keyof BinningOptions, true>;

// `task`, `features` and `seed` come from the command line (`--task`, `--features`, `--seed`) and override the file.
const GBDT = {
  learningRate: true,
  maxRounds: true,
  maxLeaves: true,
  maxDepth: true,
  minSamplesLeaf: true,
  minChildWeight: true,
  lambda: true,
  minSplitGain: true,
  subsample: true,
  colsample: true,
  validationFraction: true,
  earlyStoppingRounds: true,
  earlyStoppingTol: true,
  catSmooth: true,
  catL2: true,
  maxCatThreshold: true,
  minDataPerGroup: true,
  maxCatToOnehot: true,
  binning: BINNING,
  calibration: true,
  refitOnAllRows: true,
  threads: true,
} as const satisfies Record<Exclude<keyof GbdtOptions, 'task' | 'features' | 'seed'>, true | ParamSchema>;

const LINEAR = {
  l2: true,
  maxIter: true,
  tolerance: true,
  validationFraction: true,
  calibration: true,
  binning: { minCategoryCount: true, maxCategories: true },
} as const satisfies Record<Exclude<keyof LinearOptions, 'task' | 'features' | 'seed'>, true | ParamSchema>;

const SOFTMAX = {
  C: true,
  maxEpochs: true,
  tol: true,
  patience: true,
  batchSize: true,
  learningRate: true,
  lrDecay: true,
  averageFrom: true,
  seed: true,
  refreshEvery: true,
  workers: true,
  kernel: true,
} as const satisfies Record<keyof SoftmaxOptions, true>;

// `validation` is the held-out rows themselves, given by `--validation`, not a setting.
const TEXT = {
  tfidf: { blocks: true, sublinearTf: true } satisfies Record<keyof TfidfOptions, true>,
  softmax: SOFTMAX,
  holdoutFraction: true,
  calibrationBins: true,
} as const satisfies Record<Exclude<keyof TextClassifierOptions, 'validation'>, true | ParamSchema>;

/** The settings each trainable learner reads, by learner id. */
export const LEARNER_PARAMS: Readonly<Record<string, ParamSchema>> = Object.freeze({ 'text-softmax': TEXT, gbdt: GBDT, linear: LINEAR });

/** Where a command-line option, not the config file, sets a name some users put in it. */
const SET_ELSEWHERE: Readonly<Record<string, string>> = { seed: '--seed', task: '--task', features: '--features' };

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const fold = (s: string) => s.toLowerCase().replace(/[_\-\s]/g, '');

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** The known name `key` most likely meant (same letters ignoring case and `_`/`-`, or a small typo), if any. */
export function closestName(key: string, known: readonly string[]): string | undefined {
  const exact = known.find((k) => fold(k) === fold(key));
  if (exact !== undefined) return exact;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(fold(key), fold(k));
    if (d < bestDistance && d <= Math.max(1, Math.floor(Math.min(key.length, k.length) / 4))) [best, bestDistance] = [k, d];
  }
  return best;
}

/** One unknown name: its dotted path, the path of its parent (`''` at the top), and the names valid there. */
interface Unknown {
  path: string;
  parent: string;
  valid: string[];
  suggestion?: string;
}

function unknownPaths(schema: ParamSchema, params: Record<string, unknown>, parent: string, out: Unknown[]): void {
  const prefix = parent === '' ? '' : `${parent}.`;
  for (const [key, value] of Object.entries(params)) {
    const entry = Object.hasOwn(schema, key) ? schema[key] : undefined;
    if (entry === undefined) {
      const valid = Object.keys(schema);
      const suggestion = closestName(key, valid);
      out.push({ path: prefix + key, parent, valid, ...(suggestion === undefined ? {} : { suggestion: prefix + suggestion }) });
    } else if (entry !== true && isObject(value)) {
      unknownPaths(entry, value, prefix + key, out);
    }
  }
}

/** A grid's dotted paths as the nested object they set, for {@link unknownPaths}. */
function gridAsParams(grid: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const path of Object.keys(grid)) {
    const keys = path.split('.');
    let node = out;
    for (const k of keys.slice(0, -1)) node = (isObject(node[k]) ? node[k] : (node[k] = {})) as Record<string, unknown>;
    if (!isObject(node[keys.at(-1)!])) node[keys.at(-1)!] = true;
  }
  return out;
}

function describe(u: Unknown): string {
  if (Object.hasOwn(SET_ELSEWHERE, u.path)) return `'${u.path}' (set it with ${SET_ELSEWHERE[u.path]})`;
  return u.suggestion === undefined ? `'${u.path}'` : `'${u.path}' (did you mean '${u.suggestion}'?)`;
}

/**
 * Refuses parameter names the learner does not read, in the config (`params`) and the search grid
 * (`grid`, dotted paths): INVALID_ARGUMENT naming each unknown name, with a did-you-mean when a
 * known one is close, and the valid names; `details.issues` holds one `unknown_parameter` issue
 * per name. Values are checked by the learner itself. Learners without a list (imports) pass.
 *
 * @example
 * checkLearnerParams('gbdt', { learning_rate: 0.5 }); // unknown gbdt parameter 'learning_rate' (did you mean 'learningRate'?); valid parameters: …
 */
export function checkLearnerParams(learner: string, params: Record<string, unknown> = {}, grid?: unknown): void {
  const schema = Object.hasOwn(LEARNER_PARAMS, learner) ? LEARNER_PARAMS[learner] : undefined;
  if (schema === undefined) return;
  const inConfig: Unknown[] = [];
  const inGrid: Unknown[] = [];
  unknownPaths(schema, params, '', inConfig);
  if (isObject(grid)) unknownPaths(schema, gridAsParams(grid), '', inGrid);
  const found = [...inConfig, ...inGrid];
  if (found.length === 0) return;
  const named = [inConfig.map(describe).join(', '), inGrid.length > 0 ? `${inGrid.map(describe).join(', ')} in the search grid` : ''].filter((p) => p !== '').join('; ');
  const validByParent = new Map(found.map((u) => [u.parent, u.valid] as const));
  const valid = [...validByParent].map(([parent, names]) => (parent === '' ? names.join(', ') : `${parent}.{${names.join(', ')}}`)).join('; ');
  throw MloopError.invalidArgument(`unknown ${learner} parameter${found.length > 1 ? 's' : ''} ${named}; valid parameters: ${valid}`, {
    details: {
      issues: found.map((u) => ({
        path: u.path,
        code: 'unknown_parameter',
        message: `unknown ${learner} parameter '${u.path}'${u.suggestion === undefined ? '' : `; did you mean '${u.suggestion}'?`}`,
      })),
    },
    hint: 'learner parameters are camelCase; docs/training.md lists them',
  });
}
