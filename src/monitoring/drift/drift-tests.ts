/**
 * Drift tests as data: each test is a frozen entry with a stable id (`drift:ks`), the feature
 * kinds it applies to, what its statistic and effect size mean, its default minimum effect size,
 * and a `calculate(reference, current)` kept apart from the config that names it.
 */
import { MloopError } from '../../errors/index.js';
import { chi2Contingency } from '../stats/chi2-contingency.js';
import { jensenShannonDistance, psiFromCounts, PSI_EPSILON } from '../stats/divergence.js';
import { ks2sampFromDifference, type KsMethod } from '../stats/ks-2samp.js';
import { alignCategories, type CategoricalProfile, type CategoricalWindowSummary } from './categorical-summary.js';
import {
  ksDifferenceFromCells,
  ksUpperBoundFromCells,
  wassersteinFromCells,
  type NumericProfile,
  type NumericWindowSummary,
} from './numeric-summary.js';
import { domainClassifier, type DomainClassifierResult } from './domain-classifier.js';
import { domainClassifierOffThread } from './domain-worker.js';

/** Most documents per side the domain classifier trains and scores on. */
const DOMAIN_MAX_DOCS = 1000;
import { OOV_BUCKETS, type TextProfile, type TextWindowSummary } from './text-summary.js';

/** The kinds of feature a drift test can apply to. */
export type FeatureKind = 'numeric' | 'categorical' | 'text';

/** A reference profile of any kind. */
export type FeatureProfile = NumericProfile | CategoricalProfile | TextProfile;
/** A window summary of any kind. */
export type FeatureWindowSummary = NumericWindowSummary | CategoricalWindowSummary | TextWindowSummary;

/** Every registered drift test id. */
export const DRIFT_TEST_IDS = Object.freeze([
  'drift:ks',
  'drift:wasserstein',
  'drift:psi',
  'drift:chi2',
  'drift:jensen-shannon',
  'drift:text-oov',
  'drift:text-token-js',
  'drift:text-length-ks',
  'drift:text-domain-auc',
] as const);

/** A stable drift test id. */
export type DriftTestId = (typeof DRIFT_TEST_IDS)[number];

/** Serialisable choice of a test and its parameters (what configs and snapshots store). */
export interface DriftTestConfig {
  /** The test's stable id. */
  test: DriftTestId;
  /** `drift:ks`: p-value method, as scipy's ks_2samp `method` (default 'auto'). */
  method?: KsMethod;
  /** `drift:chi2`: apply Yates' correction when dof = 1 (default true, as scipy). */
  correction?: boolean;
  /** `drift:psi`: the epsilon replacing zero proportions (default 1e-4). */
  epsilon?: number;
}

/** Typed result of one drift test on one feature. */
export interface DriftTestResult {
  /** The test id. */
  test: DriftTestId;
  /** The test statistic (see the test's `statistic` description). */
  statistic: number;
  /** p-value under "same distribution", or null for distances without one. */
  p_value: number | null;
  /** log of the p-value computed in log space (finite where p_value underflows), or null. */
  log_p_value: number | null;
  /** The effect size compared with the minimum effect size of alarms. */
  effect_size: number;
  /** Reference and current sample sizes (non-missing). */
  n_reference: number;
  n_current: number;
  /** True when computed exactly from the summaries; false when a sketch or a bound was used. */
  exact: boolean;
  /** Test-specific intermediates (bins, counts, location, dof, …), JSON-safe. */
  details: Record<string, unknown>;
}

/** A registered drift test. */
export interface DriftTestDefinition {
  /** Stable id. */
  readonly id: DriftTestId;
  /** Feature kinds it accepts. */
  readonly kinds: readonly FeatureKind[];
  /** What the statistic is. */
  readonly statistic: string;
  /** What the effect size is. */
  readonly effectSize: string;
  /** Whether the result carries a p-value. */
  readonly hasPValue: boolean;
  /** Default minimum effect size for an alarm. */
  readonly defaultMinEffect: number;
  /** Computes the test from a reference profile and a window summary of the same kind. */
  calculate(reference: FeatureProfile, current: FeatureWindowSummary, config: DriftTestConfig): DriftTestResult;
}

function kindMismatch(id: DriftTestId, kinds: readonly FeatureKind[], got: string): MloopError {
  return MloopError.invalidArgument(`drift test '${id}' applies to ${kinds.join(' or ')} features, not ${got}`, {
    details: { test: id, kinds, got },
  });
}

function needSamples(id: DriftTestId, nRef: number, nCur: number): void {
  if (nRef === 0 || nCur === 0) {
    throw MloopError.invalidArgument(`drift test '${id}' needs non-missing values in both samples`, {
      details: { test: id, n_reference: nRef, n_current: nCur },
    });
  }
}

/** Cramér's V of a 2 × K table: sqrt(X² / (N · (min(2, K) − 1))). */
function cramersV(stat: number, total: number, columns: number): number {
  const m = Math.min(2, columns) - 1;
  return m > 0 ? Math.sqrt(stat / (total * m)) : 0;
}

function chi2OnCounts(refCounts: ArrayLike<number>, curCounts: ArrayLike<number>, correction: boolean) {
  const keepRef: number[] = [];
  const keepCur: number[] = [];
  for (let i = 0; i < refCounts.length; i++) {
    if ((refCounts[i] as number) + (curCounts[i] as number) > 0) {
      keepRef.push(refCounts[i] as number);
      keepCur.push(curCounts[i] as number);
    }
  }
  const r = chi2Contingency([keepRef, keepCur], correction);
  let total = 0;
  for (let i = 0; i < keepRef.length; i++) total += (keepRef[i] as number) + (keepCur[i] as number);
  return { ...r, effect: cramersV(r.statistic, total, keepRef.length), columns: keepRef.length };
}

function numericCounts(reference: NumericProfile, current: NumericWindowSummary) {
  return { ref: reference.binCounts, cur: current.binCounts, edges: Array.from(reference.binEdges) };
}

function asNumeric(id: DriftTestId, r: FeatureProfile, c: FeatureWindowSummary): [NumericProfile, NumericWindowSummary] {
  if (r.kind !== 'numeric' || c.kind !== 'numeric') throw kindMismatch(id, ['numeric'], `${r.kind}/${c.kind}`);
  return [r, c];
}

function asText(id: DriftTestId, r: FeatureProfile, c: FeatureWindowSummary): [TextProfile, TextWindowSummary] {
  if (r.kind !== 'text' || c.kind !== 'text') throw kindMismatch(id, ['text'], `${r.kind}/${c.kind}`);
  return [r, c];
}

/** Reference and current counts over common cells for the discrete tests (PSI, chi2, JS). */
function discreteCounts(
  id: DriftTestId,
  r: FeatureProfile,
  c: FeatureWindowSummary,
): { ref: ArrayLike<number>; cur: ArrayLike<number>; details: Record<string, unknown> } {
  if (r.kind === 'numeric' && c.kind === 'numeric') {
    const x = numericCounts(r, c);
    return { ref: x.ref, cur: x.cur, details: { bin_edges: x.edges, counts_reference: Array.from(x.ref), counts_current: Array.from(x.cur) } };
  }
  if (r.kind === 'categorical' && c.kind === 'categorical') {
    const a = alignCategories(r.counts, c.counts);
    return {
      ref: a.refCounts,
      cur: a.curCounts,
      details: { categories: a.categories, counts_reference: Array.from(a.refCounts), counts_current: Array.from(a.curCounts) },
    };
  }
  if (r.kind === 'text' && c.kind === 'text') {
    const ref = Float64Array.from([...r.tokenCounts, 0]);
    const cur = Float64Array.from([...c.tokenCounts, c.oovTokens]);
    return { ref, cur, details: { vocabulary_size: r.tokenCounts.length, oov_tokens: c.oovTokens } };
  }
  throw kindMismatch(id, ['numeric', 'categorical'], `${r.kind}/${c.kind}`);
}

function ksResult(
  id: DriftTestId,
  reference: NumericProfile,
  current: NumericWindowSummary,
  method: KsMethod,
): DriftTestResult {
  needSamples(id, reference.n, current.n);
  const diff = ksDifferenceFromCells(reference, current);
  const r = ks2sampFromDifference(diff, reference.n, current.n, method);
  const details: Record<string, unknown> = {
    statistic_location: r.statisticLocation,
    statistic_sign: r.statisticSign,
    method: r.method,
  };
  if (!reference.exact) details.statistic_upper_bound = ksUpperBoundFromCells(reference, current);
  return {
    test: id,
    statistic: r.statistic,
    p_value: r.pvalue,
    log_p_value: Math.log(r.pvalue),
    effect_size: r.statistic,
    n_reference: reference.n,
    n_current: current.n,
    exact: reference.exact,
    details,
  };
}

const TESTS: readonly DriftTestDefinition[] = [
  {
    id: 'drift:ks',
    kinds: ['numeric'],
    statistic: 'two-sample Kolmogorov–Smirnov D = sup |F_ref − F_cur| (scipy ks_2samp, two-sided)',
    effectSize: 'D itself',
    hasPValue: true,
    defaultMinEffect: 0.1,
    calculate(reference, current, config) {
      const [r, c] = asNumeric('drift:ks', reference, current);
      return ksResult('drift:ks', r, c, config.method ?? 'auto');
    },
  },
  {
    id: 'drift:wasserstein',
    kinds: ['numeric'],
    statistic: '1-Wasserstein distance divided by the reference standard deviation',
    effectSize: 'the normalised distance itself',
    hasPValue: false,
    defaultMinEffect: 0.1,
    calculate(reference, current) {
      const [r, c] = asNumeric('drift:wasserstein', reference, current);
      needSamples('drift:wasserstein', r.n, c.n);
      const w = wassersteinFromCells(r, c);
      const scale = r.std > 0 ? r.std : Number.MIN_VALUE;
      const normalised = w.distance === 0 ? 0 : w.distance / scale;
      return {
        test: 'drift:wasserstein',
        statistic: normalised,
        p_value: null,
        log_p_value: null,
        effect_size: normalised,
        n_reference: r.n,
        n_current: c.n,
        exact: w.exact,
        details: { wasserstein: w.distance, reference_std: r.std },
      };
    },
  },
  {
    id: 'drift:psi',
    kinds: ['numeric', 'categorical'],
    statistic: 'population stability index Σ (c_i − r_i) ln(c_i / r_i) on reference-decile bins or categories',
    effectSize: 'PSI itself',
    hasPValue: false,
    defaultMinEffect: 0.1,
    calculate(reference, current, config) {
      const x = discreteCounts('drift:psi', reference, current);
      needSamples('drift:psi', reference.n, current.n);
      const psi = psiFromCounts(x.ref, x.cur, config.epsilon ?? PSI_EPSILON);
      return {
        test: 'drift:psi',
        statistic: psi,
        p_value: null,
        log_p_value: null,
        effect_size: psi,
        n_reference: reference.n,
        n_current: current.n,
        exact: true,
        details: { ...x.details, epsilon: config.epsilon ?? PSI_EPSILON },
      };
    },
  },
  {
    id: 'drift:chi2',
    kinds: ['numeric', 'categorical'],
    statistic: "Pearson's X² on the 2 × K reference/current table (scipy chi2_contingency; all-zero columns dropped)",
    effectSize: "Cramér's V = sqrt(X² / N)",
    hasPValue: true,
    defaultMinEffect: 0.1,
    calculate(reference, current, config) {
      const x = discreteCounts('drift:chi2', reference, current);
      needSamples('drift:chi2', reference.n, current.n);
      const r = chi2OnCounts(x.ref, x.cur, config.correction ?? true);
      return {
        test: 'drift:chi2',
        statistic: r.statistic,
        p_value: r.pvalue,
        log_p_value: r.dof === 0 ? 0 : r.logPvalue,
        effect_size: r.effect,
        n_reference: reference.n,
        n_current: current.n,
        exact: true,
        details: { ...x.details, dof: r.dof, yates: r.yates },
      };
    },
  },
  {
    id: 'drift:jensen-shannon',
    kinds: ['numeric', 'categorical'],
    statistic: 'Jensen–Shannon distance (base 2, in [0, 1]) between category or bin proportions',
    effectSize: 'the distance itself',
    hasPValue: false,
    defaultMinEffect: 0.1,
    calculate(reference, current) {
      const x = discreteCounts('drift:jensen-shannon', reference, current);
      needSamples('drift:jensen-shannon', reference.n, current.n);
      const d = jensenShannonDistance(x.ref, x.cur);
      return {
        test: 'drift:jensen-shannon',
        statistic: d,
        p_value: null,
        log_p_value: null,
        effect_size: d,
        n_reference: reference.n,
        n_current: current.n,
        exact: true,
        details: x.details,
      };
    },
  },
  {
    id: 'drift:text-oov',
    kinds: ['text'],
    statistic: 'share of current tokens absent from the reference vocabulary',
    effectSize: 'OOV rate minus the rate a same-distribution sample would show (leave-one-document-out Good–Turing), ≥ 0',
    hasPValue: false,
    // two tokens in a hundred new beyond what a fresh sample shows (about one 15-word request in
    // three with a word never seen); calendar words (a new month's name, ≤ 0.016 in the demo's
    // pre-launch weeks) stay below it, a product launch (0.03–0.06) does not. The calibrated
    // threshold (whole documents resampled) decides whether the rate is more than noise.
    defaultMinEffect: 0.02,
    calculate(reference, current) {
      const [r, c] = asText('drift:text-oov', reference, current);
      needSamples('drift:text-oov', r.n, c.n);
      const rate = c.tokens ? c.oovTokens / c.tokens : 0;
      return {
        test: 'drift:text-oov',
        statistic: rate,
        p_value: null,
        log_p_value: null,
        effect_size: Math.max(0, rate - r.expectedOovRate),
        n_reference: r.n,
        n_current: c.n,
        exact: true,
        details: { oov_tokens: c.oovTokens, tokens: c.tokens, expected_oov_rate: r.expectedOovRate },
      };
    },
  },
  {
    id: 'drift:text-token-js',
    kinds: ['text'],
    statistic: 'Jensen–Shannon distance (base 2) between token distributions over the reference vocabulary + one OOV bucket',
    effectSize: 'the distance itself',
    hasPValue: false,
    defaultMinEffect: 0.1,
    calculate(reference, current) {
      const [r, c] = asText('drift:text-token-js', reference, current);
      needSamples('drift:text-token-js', r.tokens, c.tokens);
      const x = discreteCounts('drift:text-token-js', r, c);
      const d = jensenShannonDistance(x.ref, x.cur);
      return {
        test: 'drift:text-token-js',
        statistic: d,
        p_value: null,
        log_p_value: null,
        effect_size: d,
        n_reference: r.n,
        n_current: c.n,
        exact: true,
        details: x.details,
      };
    },
  },
  {
    id: 'drift:text-length-ks',
    kinds: ['text'],
    statistic: 'two-sample KS D on document lengths in tokens',
    effectSize: 'D itself',
    hasPValue: true,
    defaultMinEffect: 0.1,
    calculate(reference, current, config) {
      const [r, c] = asText('drift:text-length-ks', reference, current);
      return ksResult('drift:text-length-ks', r.lengths, c.lengths, config.method ?? 'auto');
    },
  },
  {
    id: 'drift:text-domain-auc',
    kinds: ['text'],
    statistic: 'ROC-AUC of a domain classifier (logistic regression on token presence, cross-fitted over two folds) telling current documents from reference ones',
    effectSize: 'Gini = 2·AUC − 1, floored at 0 (0: indistinguishable; 1: fully separable)',
    hasPValue: true,
    // AUC 0.6: one current document in five is recognisably different from the reference.
    defaultMinEffect: 0.2,
    calculate(reference, current) {
      const x = domainInputs(reference, current);
      return domainAucResult(x, domainClassifier(x.reference, x.current, x.features, { maxDocs: DOMAIN_MAX_DOCS }));
    },
  },
];

/** The domain classifier's documents: out-of-vocabulary tokens on both sides as hash buckets. */
function domainInputs(reference: FeatureProfile, current: FeatureWindowSummary): { r: TextProfile; c: TextWindowSummary; reference: Int32Array[]; current: Int32Array[]; features: number } {
  const [r, c] = asText('drift:text-domain-auc', reference, current);
  // Out-of-vocabulary tokens on both sides (in the reference: confined to one document) as
  // hash buckets, so that a new product's name is a feature and not lost among typos.
  const { offsets, ids, buckets } = r.documents;
  const oov = r.tokenCounts.length;
  const refDocs: Int32Array[] = [];
  const kept = offsets.length - 1;
  const use = Math.min(kept, DOMAIN_MAX_DOCS);
  for (let k = 0; k < use; k++) {
    const d = Math.floor((k * kept) / use); // evenly spaced, as the classifier would subsample
    const doc = ids.slice(offsets[d] as number, offsets[d + 1] as number);
    for (let j = 0; j < doc.length; j++) if (doc[j] === oov) doc[j] = oov + 1 + (buckets[(offsets[d] as number) + j] as number);
    refDocs.push(doc);
  }
  needSamples('drift:text-domain-auc', refDocs.length, c.sample.length);
  return { r, c, reference: refDocs, current: c.sample, features: oov + 1 + OOV_BUCKETS };
}

function domainAucResult(x: { r: TextProfile; c: TextWindowSummary }, d: DomainClassifierResult): DriftTestResult {
  return {
    test: 'drift:text-domain-auc',
    statistic: d.auc,
    p_value: d.p_value,
    log_p_value: d.p_value > 0 ? Math.log(d.p_value) : null,
    effect_size: Math.max(0, 2 * d.auc - 1),
    n_reference: x.r.n,
    n_current: x.c.n,
    exact: false,
    details: { documents_reference: d.n_reference, documents_current: d.n_current, folds: 2 },
  };
}

/** The frozen registry: id → test. */
export const DRIFT_TESTS: Readonly<Record<DriftTestId, DriftTestDefinition>> = Object.freeze(
  Object.fromEntries(TESTS.map((t) => [t.id, Object.freeze(t)])) as Record<DriftTestId, DriftTestDefinition>,
);

/** Default test per feature kind (what alarms use when a feature names none). */
export const DEFAULT_DRIFT_TEST: Readonly<Record<FeatureKind, DriftTestId>> = Object.freeze({
  numeric: 'drift:ks',
  categorical: 'drift:chi2',
  // OOV, not token JS: the JS distance of a window of a few hundred documents is large under no
  // drift at all (sparse counts) and moves with any vocabulary change (month names), so its
  // effect size cannot tell a launch from the calendar; the OOV excess can.
  text: 'drift:text-oov',
});

/** True when `id` is a registered test id. */
export function isDriftTestId(id: string): id is DriftTestId {
  return Object.prototype.hasOwnProperty.call(DRIFT_TESTS, id);
}

/**
 * Looks a test up by id.
 *
 * @example
 * getDriftTest('drift:ks').calculate(profile, window.summary, { test: 'drift:ks' });
 * @throws MloopError NOT_FOUND listing the valid ids.
 */
export function getDriftTest(id: string): DriftTestDefinition {
  if (!isDriftTestId(id)) {
    throw new MloopError('NOT_FOUND', `unknown drift test '${id}'; valid tests: ${DRIFT_TEST_IDS.join(', ')}`, {
      details: { kind: 'drift test', ref: id, valid: [...DRIFT_TEST_IDS] },
      hint: 'use one of the listed ids',
    });
  }
  return DRIFT_TESTS[id];
}

/**
 * {@link runDriftTest}, with the domain classifier (the one test that takes tens of milliseconds
 * per window) on a worker thread; the same result.
 */
export async function runDriftTestOffThread(config: DriftTestConfig, reference: FeatureProfile, current: FeatureWindowSummary): Promise<DriftTestResult> {
  if (config.test !== 'drift:text-domain-auc') return runDriftTest(config, reference, current);
  const def = getDriftTest(config.test);
  if (!def.kinds.includes(reference.kind)) throw kindMismatch(def.id, def.kinds, reference.kind);
  const x = domainInputs(reference, current);
  return domainAucResult(x, await domainClassifierOffThread(x.reference, x.current, x.features, { maxDocs: DOMAIN_MAX_DOCS }));
}

/** Runs a test config on a reference profile and a window summary. */
export function runDriftTest(config: DriftTestConfig, reference: FeatureProfile, current: FeatureWindowSummary): DriftTestResult {
  const def = getDriftTest(config.test);
  if (!def.kinds.includes(reference.kind)) throw kindMismatch(def.id, def.kinds, reference.kind);
  return def.calculate(reference, current, config);
}
