/**
 * Alarms people can trust.
 *
 * 1. Calibration (once per reference profile and window size): for every feature, B seeded
 *    bootstrap replicates draw a pseudo-reference of the reference's size and a pseudo-window of
 *    the window size from the reference's empirical distribution and compute the feature's alarm
 *    statistic. That is the statistic's distribution when nothing drifted, including ties,
 *    discreteness and the reference's own sampling noise, for tests with or without p-values.
 * 2. Per window: calibrated p = (1 + #{T*_b ≥ T}) / (B + 1); a feature alarms when
 *    p ≤ falseAlarmRate (equivalently T > its calibrated threshold), its effect size reaches the
 *    test's minimum effect size, and Benjamini–Hochberg at level `fdr` across features keeps it.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { MloopError } from '../../errors/index.js';
import { benjaminiHochberg } from '../stats/benjamini-hochberg.js';
import { chi2Statistic } from '../stats/chi2-contingency.js';
import { jensenShannonDistance, psiFromCounts, PSI_EPSILON } from '../stats/divergence.js';
import { seededRandom, type Random } from '../stats/random.js';
import type { DatasetProfile, DriftReport } from './dataset-drift.js';
import { DRIFT_TESTS, type DriftTestConfig, type DriftTestId, type FeatureProfile } from './drift-tests.js';
import type { NumericProfile } from './numeric-summary.js';

/** How alarms are calibrated and raised. */
export interface AlarmPolicy {
  /** Target false-alarm rate per feature per window (default 0.01). */
  falseAlarmRate?: number;
  /** Benjamini–Hochberg false discovery rate across features (default 0.05). */
  fdr?: number;
  /** Bootstrap replicates (default max(500, ⌈features / fdr⌉, ⌈2 / falseAlarmRate⌉)). */
  bootstrap?: number;
  /** Seed of the bootstrap (default 42). */
  seed?: number;
  /** Minimum effect size per test id (defaults: each test's `defaultMinEffect`). */
  minEffect?: Partial<Record<DriftTestId, number>>;
  /** Also resample the reference in each replicate (default true; needed when the window is not much smaller than the reference). */
  resampleReference?: boolean;
}

/** Calibrated alarm rule of one feature. */
export interface FeatureCalibration {
  feature: string;
  /** The test the alarm is raised on (the feature's first configured test). */
  test: DriftTestConfig;
  /** Statistic above which the calibrated p-value is ≤ falseAlarmRate. */
  threshold: number;
  /** Minimum effect size for an alarm. */
  min_effect: number;
  /** Sorted bootstrap statistics (B values). */
  null_statistics: number[];
}

/** A serialisable calibration. */
export interface AlarmCalibration {
  window_size: number;
  false_alarm_rate: number;
  fdr: number;
  bootstrap: number;
  seed: number;
  resample_reference: boolean;
  features: FeatureCalibration[];
}

/** The alarm decision of one feature in one window. */
export interface FeatureAlarm {
  feature: string;
  test: DriftTestId;
  statistic: number;
  effect_size: number;
  /** The test's own p-value (null for distances). */
  p_value: number | null;
  calibrated_p_value: number;
  threshold: number;
  exceeds_threshold: boolean;
  min_effect: number;
  meets_min_effect: boolean;
  bh_adjusted_p_value: number;
  bh_rejected: boolean;
  status: 'alarm' | 'ok';
}

/** Alarms of one window. */
export interface AlarmReport {
  window_rows: number;
  features: FeatureAlarm[];
  /** Names of the features in alarm. */
  alarms: string[];
}

/** Counts-only null model of one feature: its atoms and how a statistic is computed from counts. */
interface NullModel {
  /** Reference count per atom. */
  weights: Float64Array;
  /** Sample size of a pseudo-reference. */
  nRef: number;
  /** Atoms drawn for a window of `windowSize` rows (tokens for text). */
  windowDraws(windowSize: number): number;
  /** Statistic from pseudo-reference and pseudo-window atom counts. */
  statistic(ref: Float64Array, cur: Float64Array): number;
  /** Draws a pseudo-reference and a pseudo-window of `windowSize` rows itself (instead of independent atoms). */
  drawWindow?(windowSize: number, rng: Random, ref: Float64Array, cur: Float64Array): void;
}

function discreteStatistic(test: DriftTestConfig, bin: (counts: Float64Array) => Float64Array): (r: Float64Array, c: Float64Array) => number {
  return (r, c) => {
    const br = bin(r);
    const bc = bin(c);
    if (test.test === 'drift:psi') return psiFromCounts(br, bc, test.epsilon ?? PSI_EPSILON);
    if (test.test === 'drift:jensen-shannon' || test.test === 'drift:text-token-js') return jensenShannonDistance(br, bc);
    // drift:chi2: drop columns empty in both, as the test does
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < br.length; i++) {
      if ((br[i] as number) + (bc[i] as number) > 0) {
        a.push(br[i] as number);
        b.push(bc[i] as number);
      }
    }
    return chi2Statistic([a, b], test.correction ?? true).statistic;
  };
}

function numericNull(p: NumericProfile, test: DriftTestConfig): NullModel {
  // atoms: cells in order open_0, at_0, open_1, …, open_k (open cells are empty in exact mode)
  const k = p.values.length;
  const weights = new Float64Array(2 * k + 1);
  const binOf = new Int32Array(2 * k + 1);
  const x = new Float64Array(2 * k + 1);
  for (let i = 0; i <= k; i++) {
    weights[2 * i] = p.openCounts[i] as number;
    const ob = p.openBin[i] as number;
    binOf[2 * i] = ob >= 0 ? ob : i < k ? (p.atBin[i] as number) : p.binEdges.length;
    x[2 * i] = i < k ? (p.values[i] as number) : (p.values[k - 1] as number);
    if (i < k) {
      weights[2 * i + 1] = p.atCounts[i] as number;
      binOf[2 * i + 1] = p.atBin[i] as number;
      x[2 * i + 1] = p.values[i] as number;
    }
  }
  const nb = p.binEdges.length + 1;
  const toBins = (counts: Float64Array): Float64Array => {
    const out = new Float64Array(nb);
    for (let j = 0; j < counts.length; j++) out[binOf[j] as number] = (out[binOf[j] as number] as number) + (counts[j] as number);
    return out;
  };
  let statistic: (r: Float64Array, c: Float64Array) => number;
  if (test.test === 'drift:ks' || test.test === 'drift:text-length-ks') {
    statistic = (r, c) => {
      const n1 = sum(r);
      const n2 = sum(c);
      let R = 0;
      let C = 0;
      let d = 0;
      for (let j = 0; j < r.length; j++) {
        R += r[j] as number;
        C += c[j] as number;
        const diff = Math.abs(R / n1 - C / n2);
        if (diff > d) d = diff;
      }
      return d;
    };
  } else if (test.test === 'drift:wasserstein') {
    statistic = (r, c) => {
      const n1 = sum(r);
      const n2 = sum(c);
      let R = 0;
      let C = 0;
      let w = 0;
      for (let j = 0; j < r.length - 1; j++) {
        R += r[j] as number;
        C += c[j] as number;
        w += Math.abs(R / n1 - C / n2) * ((x[j + 1] as number) - (x[j] as number));
      }
      return w === 0 ? 0 : w / (p.std > 0 ? p.std : Number.MIN_VALUE);
    };
  } else {
    statistic = discreteStatistic(test, toBins);
  }
  return { weights, nRef: p.n, windowDraws: (m) => m, statistic };
}

function nullModel(profile: FeatureProfile, test: DriftTestConfig): NullModel {
  if (test.test === 'drift:text-domain-auc') {
    // A classifier per bootstrap replicate would cost hundreds of trainings; its own p-value is reported instead.
    throw MloopError.invalidArgument("drift:text-domain-auc is reported beside a text feature's alarm test, not used as one: list drift:text-oov (or another test) first", {
      details: { test: test.test },
    });
  }
  if (profile.kind === 'numeric') return numericNull(profile, test);
  if (profile.kind === 'categorical') {
    const weights = Float64Array.from([...profile.counts.keys()].sort(), (c) => profile.counts.get(c) ?? 0);
    return { weights, nRef: profile.n, windowDraws: (m) => m, statistic: discreteStatistic(test, (c) => c) };
  }
  if (test.test === 'drift:text-length-ks') return numericNull(profile.lengths, test);
  // Text tokens: a pseudo-window is m whole reference documents drawn without replacement and the
  // pseudo-reference is the other documents, so the two are disjoint samples as real windows are:
  // words that come in bursts (a product name, a typo-prone writer) vary as they do between real
  // windows, and a window word is out of vocabulary when no other document has it. (Drawing
  // tokens independently made the null far too narrow.) A window of more than half the kept
  // documents is drawn with replacement against the whole reference.
  const v = profile.tokenCounts.length;
  const { offsets, ids } = profile.documents;
  const docs = offsets.length - 1;
  const totals = new Float64Array(v + 1);
  for (let j = 0; j < ids.length; j++) totals[ids[j] as number] = (totals[ids[j] as number] as number) + 1;
  const order = Int32Array.from({ length: docs }, (_, i) => i);
  const touched: number[] = [];
  // Times each document is drawn, for windows drawn with replacement.
  const picks = new Float64Array(docs);
  const drawWindow = (m: number, rng: Random, ref: Float64Array, cur: Float64Array): void => {
    cur.fill(0);
    touched.length = 0;
    const split = m <= docs / 2;
    if (split) {
      for (let k = 0; k < m && docs > 0; k++) {
        const j = k + Math.floor(rng.next() * (docs - k));
        const d = order[j] as number;
        order[j] = order[k] as number;
        order[k] = d;
        for (let t = offsets[d] as number; t < (offsets[d + 1] as number); t++) {
          const id = ids[t] as number;
          if (cur[id] === 0) touched.push(id);
          cur[id] = (cur[id] as number) + 1;
        }
      }
    } else if (docs > 0) {
      // The same draws, counted per document, then each document's tokens added once times its
      // count: a window of many times the reference's documents costs its draws plus one pass over
      // the reference's tokens, not a pass over every drawn document's tokens (integer sums: exact).
      picks.fill(0);
      for (let k = 0; k < m; k++) {
        const d = Math.floor(rng.next() * docs);
        picks[d] = (picks[d] as number) + 1;
      }
      for (let d = 0; d < docs; d++) {
        const c = picks[d] as number;
        if (c === 0) continue;
        for (let t = offsets[d] as number; t < (offsets[d + 1] as number); t++) {
          const id = ids[t] as number;
          cur[id] = (cur[id] as number) + c;
        }
      }
    }
    ref.set(totals);
    if (split) {
      for (const id of touched) {
        ref[id] = (ref[id] as number) - (cur[id] as number);
        if (ref[id] === 0 && id !== v) {
          cur[v] = (cur[v] as number) + (cur[id] as number);
          cur[id] = 0;
        }
      }
    }
    // the kept ids already map words confined to one document to the OOV index; in the reference they are words
    ref[v] = 0;
    // an empty pseudo-window has no rate: count it as one in-vocabulary token
    if (sum(cur) === 0) cur[0] = 1;
  };
  const weights = totals;
  const windowDraws = (m: number): number => m;
  if (test.test === 'drift:text-oov') {
    return { weights, nRef: profile.tokens, windowDraws, drawWindow, statistic: (_r, c) => (c[v] as number) / sum(c) };
  }
  return { weights, nRef: profile.tokens, windowDraws, drawWindow, statistic: discreteStatistic(test, (c) => c) };
}

function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] as number;
  return s;
}

/** Draws `draws` atoms with probabilities ∝ weights into `out` (cleared first). */
function drawCounts(cum: Float64Array, draws: number, rng: Random, out: Float64Array, rankToAtom: Uint32Array | null): void {
  out.fill(0);
  if (rankToAtom) {
    // integer weights: a uniform rank maps to its atom in O(1)
    const n = rankToAtom.length;
    for (let d = 0; d < draws; d++) {
      const a = rankToAtom[Math.floor(rng.next() * n)] as number;
      out[a] = (out[a] as number) + 1;
    }
    return;
  }
  const total = cum[cum.length - 1] as number;
  for (let d = 0; d < draws; d++) {
    const u = rng.next() * total;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cum[mid] as number) > u) hi = mid;
      else lo = mid + 1;
    }
    out[lo] = (out[lo] as number) + 1;
  }
}

/**
 * Calibrates per-feature thresholds by bootstrap at a window size.
 *
 * @example
 * const calibration = calibrateAlarms(profile, 10_000, { falseAlarmRate: 0.01, fdr: 0.05 });
 */
export function calibrateAlarms(profile: DatasetProfile, windowSize: number, policy: AlarmPolicy = {}): AlarmCalibration {
  const steps = calibrationSteps(profile, windowSize, policy);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * {@link calibrateAlarms}, giving the event loop a turn about every `sliceMs` of work: a server
 * calibrates while it serves, and a calibration can take seconds. Same draws, same result.
 */
export async function calibrateAlarmsAsync(profile: DatasetProfile, windowSize: number, policy: AlarmPolicy = {}, sliceMs = 10): Promise<AlarmCalibration> {
  const steps = calibrationSteps(profile, windowSize, policy);
  let since = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - since >= sliceMs) {
      await yieldToEventLoop();
      since = performance.now();
    }
  }
}

/** The calibration as steps: it yields after every 16 bootstrap draws and returns the calibration. */
function* calibrationSteps(profile: DatasetProfile, windowSize: number, policy: AlarmPolicy): Generator<void, AlarmCalibration, void> {
  const alpha = policy.falseAlarmRate ?? 0.01;
  const fdr = policy.fdr ?? 0.05;
  if (!(alpha > 0 && alpha < 1) || !(fdr > 0 && fdr < 1)) {
    throw MloopError.invalidArgument('falseAlarmRate and fdr must lie in (0, 1)', { details: { falseAlarmRate: alpha, fdr } });
  }
  if (!(Number.isInteger(windowSize) && windowSize > 0)) {
    throw MloopError.invalidArgument('window size must be a positive integer', { details: { windowSize } });
  }
  const m = profile.features.length;
  const B = policy.bootstrap ?? Math.max(500, Math.ceil(m / fdr), Math.ceil(2 / alpha));
  if (alpha * (B + 1) < 1) {
    throw MloopError.invalidArgument(`${B} bootstrap replicates cannot resolve a false-alarm rate of ${alpha}`, {
      hint: `use at least ${Math.ceil(1 / alpha)} replicates`,
    });
  }
  const seed = policy.seed ?? 42;
  const resample = policy.resampleReference ?? true;
  const rng = seededRandom(seed);
  const features: AlarmCalibration['features'] = [];
  for (const f of profile.features) {
    const test = f.spec.tests[0] as DriftTestConfig;
    const model = nullModel(f.profile, test);
    const cum = new Float64Array(model.weights.length);
    let acc = 0;
    for (let i = 0; i < cum.length; i++) cum[i] = acc += model.weights[i] as number;
    let rankToAtom: Uint32Array | null = null;
    if (!model.drawWindow && acc <= 1e7 && model.weights.every((w) => Number.isInteger(w))) {
      rankToAtom = new Uint32Array(acc);
      let r = 0;
      for (let i = 0; i < model.weights.length; i++) for (let c = 0; c < (model.weights[i] as number); c++) rankToAtom[r++] = i;
    }
    const ref = new Float64Array(cum.length);
    const cur = new Float64Array(cum.length);
    const stats: number[] = [];
    const refScale = model.nRef / acc;
    for (let b = 0; b < B; b++) {
      if (model.drawWindow) model.drawWindow(windowSize, rng, ref, cur);
      else {
        if (resample) drawCounts(cum, model.nRef, rng, ref, rankToAtom);
        else for (let i = 0; i < ref.length; i++) ref[i] = (model.weights[i] as number) * refScale;
        drawCounts(cum, model.windowDraws(windowSize), rng, cur, rankToAtom);
      }
      stats.push(model.statistic(ref, cur));
      if ((b & 15) === 15) yield;
    }
    stats.sort((a, b) => a - b);
    // p ≤ alpha  ⟺  #{T* ≥ T} ≤ alpha(B+1) − 1  ⟺  T > the (r+1)-th largest T*
    const r = Math.floor(alpha * (B + 1) - 1 + 1e-9);
    const threshold = stats[B - 1 - r] as number;
    features.push({
      feature: f.spec.name,
      test,
      threshold,
      min_effect: policy.minEffect?.[test.test] ?? DRIFT_TESTS[test.test].defaultMinEffect,
      null_statistics: stats,
    });
  }
  return { window_size: windowSize, false_alarm_rate: alpha, fdr, bootstrap: B, seed, resample_reference: resample, features };
}

/** Calibrated p-value (1 + #{T* ≥ T}) / (B + 1) from sorted bootstrap statistics. */
export function calibratedPValue(sortedNull: readonly number[], t: number): number {
  let lo = 0;
  let hi = sortedNull.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sortedNull[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  return (1 + sortedNull.length - lo) / (sortedNull.length + 1);
}

/**
 * Applies a calibration to a drift report. The window should have about the calibrated size
 * (within 10 %); otherwise recalibrate.
 */
export function evaluateAlarms(calibration: AlarmCalibration, report: DriftReport): AlarmReport {
  const size = report.window_rows;
  if (Math.abs(size - calibration.window_size) > 0.1 * calibration.window_size) {
    throw MloopError.failedPrecondition(
      `the window has ${size} rows but thresholds were calibrated for ${calibration.window_size}`,
      { hint: 'calibrate at this window size (calibrateAlarms)', details: { window_rows: size, calibrated: calibration.window_size } },
    );
  }
  const rows = calibration.features.map((c) => {
    const f = report.features.find((x) => x.feature === c.feature);
    const result = f?.results.find((r) => r.test === c.test.test);
    if (!result) throw MloopError.invalidArgument(`the report has no '${c.test.test}' result for feature '${c.feature}'`);
    const p = calibratedPValue(c.null_statistics, result.statistic);
    return { c, result, p };
  });
  const bh = benjaminiHochberg(
    rows.map((r) => r.p),
    calibration.fdr,
  );
  const features: FeatureAlarm[] = rows.map(({ c, result, p }, i) => {
    const exceeds = p <= calibration.false_alarm_rate;
    const meets = result.effect_size >= c.min_effect;
    const rejected = bh.rejected[i] as boolean;
    return {
      feature: c.feature,
      test: c.test.test,
      statistic: result.statistic,
      effect_size: result.effect_size,
      p_value: result.p_value,
      calibrated_p_value: p,
      threshold: c.threshold,
      exceeds_threshold: exceeds,
      min_effect: c.min_effect,
      meets_min_effect: meets,
      bh_adjusted_p_value: bh.adjusted[i] as number,
      bh_rejected: rejected,
      status: exceeds && meets && rejected ? 'alarm' : 'ok',
    };
  });
  return { window_rows: size, features, alarms: features.filter((f) => f.status === 'alarm').map((f) => f.feature) };
}
