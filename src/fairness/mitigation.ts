/**
 * Mitigation by post-processing: group-specific thresholds chosen on validation data to meet a
 * parity constraint within a tolerance, keeping as much accuracy (or automation utility) as possible,
 * with the cost reported before/after. Works for binary decisions (score ≥ t ⇒ positive) and for the
 * review/auto decision of any classifier (confidence ≥ t ⇒ automatic).
 */
import { MloopError } from '../errors/index.js';
import type { ClassificationData } from '../evaluation/index.js';
import { MISSING_GROUP } from './group-counts.js';
import { bestWithinTolerance, type Candidate } from './window-search.js';

/** Binary decisions: equal selection rates, or equal TPRs. Review/auto: equal automatic shares, or equal automatic precision. */
export type ParityConstraint = 'demographic_parity' | 'equal_opportunity' | 'auto_share' | 'auto_precision';

/** Every parity constraint, in the order errors list them. */
export const PARITY_CONSTRAINTS: readonly ParityConstraint[] = Object.freeze(['demographic_parity', 'equal_opportunity', 'auto_share', 'auto_precision']);

export interface MitigationOptions {
  /** The parity to reach. `demographic_parity` and `equal_opportunity` need a binary model (or `positiveLabel`). */
  constraint: ParityConstraint;
  /** Largest allowed gap between groups' rates on validation data (default 0.02). */
  tolerance?: number;
  /** The single threshold in use before mitigation (default 0.5 for decisions; required for review/auto). */
  baseThreshold?: number;
  /** Groups with fewer validation rows keep the base threshold (default 30). */
  minGroupSize?: number;
  /** Binary decisions: the favourable class (default `classes[1]`). */
  positiveLabel?: string;
  /** Review/auto: the break-even precision of an automatic decision; default the validation precision at the base threshold. */
  targetPrecision?: number;
  /** Name of the attribute, kept in the plan. */
  attribute?: string;
}

/** Figures of one set of thresholds on one dataset. */
export interface MitigationFigures {
  /** Share of all rows whose final prediction is correct (decisions); null for review/auto. */
  accuracy: number | null;
  /** Review/auto: share decided automatically, and precision of those decisions. */
  coverage: number | null;
  precision: number | null;
  /** Largest minus smallest constrained rate over the adjusted groups; null with fewer than two. */
  gap: number | null;
  /** The constrained rate of each adjusted group. */
  rates: Record<string, number>;
}

export interface MitigationOutcome {
  before: MitigationFigures;
  after: MitigationFigures;
  /** Before minus after (positive = lost): accuracy for decisions; precision and coverage for review/auto. */
  cost: { accuracy: number | null; precision: number | null; coverage: number | null };
}

/** Group-specific thresholds and what they cost, chosen on validation data. JSON-safe except `Infinity` (= never). */
export interface ThresholdPlan {
  kind: 'decision' | 'automation';
  attribute: string | null;
  constraint: ParityConstraint;
  tolerance: number;
  baseThreshold: number;
  positiveLabel: string | null;
  /** Review/auto: break-even precision used (an automatic error costs p/(1−p) correct decisions). */
  targetPrecision: number | null;
  /** Threshold per group seen in validation; groups not listed use `baseThreshold`. */
  thresholds: Record<string, number>;
  adjusted: string[];
  unadjusted: Array<{ group: string; reason: string }>;
  /** False when no set of thresholds meets the constraint; then every group keeps the base threshold. */
  feasible: boolean;
  validation: MitigationOutcome;
  message: string;
}

const key = (v: string | null | undefined) => v ?? MISSING_GROUP;
const ensure = (ok: boolean, message: string) => {
  if (!ok) throw MloopError.invalidArgument(`mitigation: ${message}`);
};

/** Score of the positive class per row (from `proba`, else from the top-label confidence of a binary model). */
function positiveScores(d: ClassificationData, pos: number): Float64Array {
  const k = d.classes.length;
  if (d.proba) return Float64Array.from({ length: d.yTrue.length }, (_, i) => d.proba![i * k + pos]!);
  ensure(k === 2, 'a multiclass model needs `proba` to score one class');
  return Float64Array.from(d.confidence, (c, i) => (d.yPred[i] === pos ? c : 1 - c));
}

/** Threshold strictly between two distinct scores hi > lo, so that `hi ≥ t > lo`. */
function between(hi: number, lo: number): number {
  const mid = lo + (hi - lo) / 2;
  return mid > lo && mid <= hi ? mid : hi;
}

interface Prepared {
  kind: ThresholdPlan['kind'];
  /** Decision score (binary) or confidence (review/auto) per row. */
  score: Float64Array;
  /** True label is the positive class (binary) / prediction is correct (review/auto). */
  good: Uint8Array;
  /** Row has a known truth. */
  known: Uint8Array;
  /** Binary: correct when predicted negative (known and not positive). */
  negative: Uint8Array;
}

function prepare(d: ClassificationData, o: ResolvedOptions): Prepared {
  const n = d.yTrue.length;
  if (o.kind === 'decision') {
    return {
      kind: 'decision',
      score: positiveScores(d, o.pos),
      good: Uint8Array.from(d.yTrue, (t) => (t === o.pos ? 1 : 0)),
      known: Uint8Array.from(d.yTrue, (t) => (t >= 0 ? 1 : 0)),
      negative: Uint8Array.from(d.yTrue, (t) => (t >= 0 && t !== o.pos ? 1 : 0)),
    };
  }
  return {
    kind: 'automation',
    score: Float64Array.from(d.confidence),
    good: Uint8Array.from({ length: n }, (_, i) => (d.yTrue[i] === d.yPred[i] ? 1 : 0)),
    known: Uint8Array.from(d.yTrue, (t) => (t >= 0 ? 1 : 0)),
    negative: new Uint8Array(n),
  };
}

/** Candidates of one group: one per distinct score cut, from "none" (threshold Infinity) to "all". */
function candidates(p: Prepared, rows: readonly number[], o: ResolvedOptions): Candidate[] {
  const order = [...rows].sort((a, b) => p.score[b]! - p.score[a]!);
  let positives = 0;
  let negatives = 0;
  for (const r of rows) {
    positives += p.good[r]!;
    negatives += p.negative[r]!;
  }
  const out: Candidate[] = [];
  let taken = 0;
  let good = 0;
  let negTaken = 0;
  const push = (threshold: number) => {
    const n = rows.length;
    let rate: number;
    let value: number;
    if (p.kind === 'decision') {
      rate = o.constraint === 'demographic_parity' ? taken / n : good / positives;
      value = good + (negatives - negTaken);
    } else {
      rate = o.constraint === 'auto_share' ? taken / n : taken > 0 ? good / taken : Number.NaN;
      value = good - o.errorCost * (taken - good);
    }
    out.push({ rate, value, threshold });
  };
  push(Infinity);
  for (let i = 0; i < order.length;) {
    const s = p.score[order[i]!]!;
    while (i < order.length && p.score[order[i]!] === s) {
      const r = order[i]!;
      taken++;
      good += p.good[r]!;
      negTaken += p.negative[r]!;
      i++;
    }
    push(i < order.length ? between(s, p.score[order[i]!]!) : s);
  }
  return out;
}

function groupRows(groups: ReadonlyArray<string | null>): Map<string, number[]> {
  const m = new Map<string, number[]>();
  groups.forEach((g, i) => {
    const k = key(g);
    let rows = m.get(k);
    if (!rows) m.set(k, (rows = []));
    rows.push(i);
  });
  return new Map([...m.entries()].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}

/** Figures of `thresholdOf(group)` on prepared data. */
function figures(
  p: Prepared,
  rowsByGroup: Map<string, number[]>,
  adjusted: readonly string[],
  thresholdOf: (g: string) => number,
  o: ResolvedOptions,
): MitigationFigures {
  let n = 0;
  let correct = 0;
  let auto = 0;
  let autoGood = 0;
  const rates: Record<string, number> = {};
  for (const [g, rows] of rowsByGroup) {
    const t = thresholdOf(g);
    let taken = 0;
    let good = 0;
    let positives = 0;
    for (const r of rows) {
      const on = p.score[r]! >= t;
      positives += p.good[r]!;
      if (on) {
        taken++;
        good += p.good[r]!;
      }
      if (p.kind === 'decision') correct += on ? p.good[r]! : p.negative[r]!;
    }
    n += rows.length;
    auto += taken;
    autoGood += good;
    if (adjusted.includes(g)) {
      rates[g] =
        o.constraint === 'demographic_parity' || o.constraint === 'auto_share'
          ? taken / rows.length
          : o.constraint === 'equal_opportunity'
            ? good / positives
            : taken > 0
              ? good / taken
              : Number.NaN;
    }
  }
  const values = Object.values(rates).filter(Number.isFinite);
  return {
    accuracy: p.kind === 'decision' && n > 0 ? correct / n : null,
    coverage: p.kind === 'automation' && n > 0 ? auto / n : null,
    precision: p.kind === 'automation' && auto > 0 ? autoGood / auto : null,
    gap: values.length >= 2 ? Math.max(...values) - Math.min(...values) : null,
    rates,
  };
}

function outcome(before: MitigationFigures, after: MitigationFigures): MitigationOutcome {
  const minus = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);
  return {
    before,
    after,
    cost: {
      accuracy: minus(before.accuracy, after.accuracy),
      precision: minus(before.precision, after.precision),
      coverage: minus(before.coverage, after.coverage),
    },
  };
}

interface ResolvedOptions {
  kind: ThresholdPlan['kind'];
  constraint: ParityConstraint;
  tolerance: number;
  baseThreshold: number;
  minGroupSize: number;
  pos: number;
  errorCost: number;
  targetPrecision: number | null;
}

function resolveOptions(
  d: ClassificationData,
  options: MitigationOptions,
  groups: ReadonlyArray<string | null>,
): ResolvedOptions {
  ensure(
    PARITY_CONSTRAINTS.includes(options.constraint),
    `unknown constraint '${String(options.constraint)}'; valid: ${PARITY_CONSTRAINTS.join(', ')}`,
  );
  ensure(groups.length === d.yTrue.length, `${groups.length} group values for ${d.yTrue.length} predictions`);
  const tolerance = options.tolerance ?? 0.02;
  ensure(tolerance >= 0 && tolerance <= 1, `tolerance must be in [0, 1], got ${tolerance}`);
  const kind = options.constraint === 'auto_share' || options.constraint === 'auto_precision' ? 'automation' : 'decision';
  let pos = -1;
  if (kind === 'decision') {
    pos = options.positiveLabel === undefined ? (d.classes.length === 2 ? 1 : -1) : d.classes.indexOf(options.positiveLabel);
    ensure(
      pos >= 0,
      options.positiveLabel === undefined
        ? `${options.constraint} on a model with ${d.classes.length} classes needs the favourable class: name a positive label (one of ${d.classes.join(', ')})`
        : `positive label '${options.positiveLabel}' is not a class; classes: ${d.classes.join(', ')}`,
    );
  } else {
    ensure(
      options.baseThreshold !== undefined,
      `${options.constraint} needs the base automation threshold in use (baseThreshold)`,
    );
  }
  const baseThreshold = options.baseThreshold ?? 0.5;
  let targetPrecision: number | null = null;
  let errorCost = 0;
  if (kind === 'automation') {
    let auto = 0;
    let good = 0;
    for (let i = 0; i < d.yTrue.length; i++) {
      if (d.confidence[i]! >= baseThreshold) {
        auto++;
        if (d.yTrue[i] === d.yPred[i]) good++;
      }
    }
    targetPrecision = options.targetPrecision ?? (auto > 0 ? good / auto : Number.NaN);
    ensure(
      targetPrecision > 0 && targetPrecision < 1,
      `target precision must be in (0, 1), got ${targetPrecision}; set targetPrecision`,
    );
    errorCost = targetPrecision / (1 - targetPrecision);
  }
  return {
    kind,
    constraint: options.constraint,
    tolerance,
    baseThreshold,
    minGroupSize: options.minGroupSize ?? 30,
    pos,
    errorCost,
    targetPrecision,
  };
}

/**
 * Chooses a threshold per group on validation data so that the constrained rate differs by at most
 * `tolerance` across groups, maximising accuracy (decisions) or automation utility (review/auto:
 * correct automatic decisions minus errors weighted by p/(1−p) for break-even precision p).
 * Groups too small keep the base threshold and are listed in `unadjusted`.
 *
 * @example
 * const plan = mitigateThresholds(validation, sexColumn, { constraint: 'demographic_parity', tolerance: 0.02 });
 * const test = evaluateThresholdPlan(plan, testData, testSex); // test.cost.accuracy
 */
export function mitigateThresholds(
  validation: ClassificationData,
  groups: ReadonlyArray<string | null>,
  options: MitigationOptions,
): ThresholdPlan {
  const o = resolveOptions(validation, options, groups);
  const p = prepare(validation, o);
  const rowsByGroup = groupRows(groups);
  const adjusted: string[] = [];
  const unadjusted: ThresholdPlan['unadjusted'] = [];
  const offers: Candidate[][] = [];
  for (const [g, rows] of rowsByGroup) {
    if (rows.length < o.minGroupSize) {
      unadjusted.push({
        group: g,
        reason: `${rows.length} validation rows, fewer than the minimum group size ${o.minGroupSize}`,
      });
      continue;
    }
    if (o.constraint === 'equal_opportunity' && !rows.some((r) => p.good[r])) {
      unadjusted.push({ group: g, reason: 'no positive rows in validation (no TPR)' });
      continue;
    }
    adjusted.push(g);
    offers.push(candidates(p, rows, o));
  }
  const base = (_: string) => o.baseThreshold;
  const before = figures(p, rowsByGroup, adjusted, base, o);
  const choice = adjusted.length >= 2 ? bestWithinTolerance(offers, o.tolerance) : null;
  const thresholds: Record<string, number> = Object.fromEntries([...rowsByGroup.keys()].map((g) => [g, o.baseThreshold]));
  if (choice) adjusted.forEach((g, j) => (thresholds[g] = choice.picks[j]!.threshold));
  const after = choice ? figures(p, rowsByGroup, adjusted, (g) => thresholds[g] ?? o.baseThreshold, o) : before;
  const validationOutcome = outcome(before, after);
  const gapText = (f: MitigationFigures) => (f.gap === null ? 'n/a' : f.gap.toFixed(4));
  const costText =
    o.kind === 'decision'
      ? `accuracy ${before.accuracy?.toFixed(4)} → ${after.accuracy?.toFixed(4)}`
      : `coverage ${before.coverage?.toFixed(4)} → ${after.coverage?.toFixed(4)}, precision ${before.precision?.toFixed(4) ?? 'n/a'} → ${after.precision?.toFixed(4) ?? 'n/a'}`;
  return {
    kind: o.kind,
    attribute: options.attribute ?? null,
    constraint: o.constraint,
    tolerance: o.tolerance,
    baseThreshold: o.baseThreshold,
    positiveLabel: o.kind === 'decision' ? validation.classes[o.pos]! : null,
    targetPrecision: o.targetPrecision,
    thresholds,
    adjusted,
    unadjusted,
    feasible: choice !== null,
    validation: validationOutcome,
    message: choice
      ? `${o.constraint} gap ${gapText(before)} → ${gapText(after)} (tolerance ${o.tolerance}) on validation; ${costText}`
      : adjusted.length < 2
        ? `fewer than two groups large enough to adjust; thresholds unchanged`
        : `no thresholds meet ${o.constraint} within ${o.tolerance} on validation; thresholds unchanged`,
  };
}

/** The threshold a plan gives each row (groups unseen in validation get the base threshold). */
export function thresholdsFor(plan: ThresholdPlan, groups: ReadonlyArray<string | null>): Float64Array {
  return Float64Array.from(groups, (g) => plan.thresholds[key(g)] ?? plan.baseThreshold);
}

/** One served prediction, as serving computes it before its decision rule. */
export interface ServedScores {
  /** Class probabilities by class name. */
  probabilities: Readonly<Record<string, number>>;
  /** Top class and its probability. */
  label: string;
  confidence: number;
}

/**
 * A plan's decision for one served row, for serving to call in place of its single threshold:
 * automation plans route the row (`auto` iff confidence ≥ its group's threshold, label unchanged);
 * decision plans choose the label (the positive class iff its probability ≥ the group's threshold,
 * else the most probable other class) and leave routing to serving. The row's group is
 * `groups[plan.attribute]`; a missing value is `(missing)`, a group the plan has not seen gets the
 * base threshold. Row by row, the same answers as {@link applyThresholdPlan}.
 *
 * @example
 * const d = decideWithPlan(plan, { probabilities, label, confidence }, row.groups); // { label, decision, threshold, group }
 */
export function decideWithPlan(
  plan: ThresholdPlan,
  row: ServedScores,
  groups: Readonly<Record<string, string | null>> | null,
): { label: string; decision: 'auto' | 'review' | null; threshold: number; group: string } {
  const group = key(plan.attribute === null ? null : groups?.[plan.attribute]);
  const threshold = plan.thresholds[group] ?? plan.baseThreshold;
  if (plan.kind === 'automation') return { label: row.label, decision: row.confidence >= threshold ? 'auto' : 'review', threshold, group };
  const pos = plan.positiveLabel ?? '';
  ensure(Object.hasOwn(row.probabilities, pos), `positive label '${pos}' is not a class of this prediction`);
  if (row.probabilities[pos]! >= threshold) return { label: pos, decision: null, threshold, group };
  let best: string | null = null;
  for (const [c, p] of Object.entries(row.probabilities)) if (c !== pos && (best === null || p > row.probabilities[best]!)) best = c;
  return { label: best ?? pos, decision: null, threshold, group };
}

/**
 * Applies a plan. Decisions: the predicted class per row (positive when its score ≥ its group's
 * threshold, else the best other class). Review/auto: 1 where the row is decided automatically.
 */
export function applyThresholdPlan(
  plan: ThresholdPlan,
  d: ClassificationData,
  groups: ReadonlyArray<string | null>,
): { yPred: Int32Array; auto: Uint8Array } {
  ensure(groups.length === d.yTrue.length, `${groups.length} group values for ${d.yTrue.length} predictions`);
  const t = thresholdsFor(plan, groups);
  const n = d.yTrue.length;
  if (plan.kind === 'automation')
    return { yPred: Int32Array.from(d.yPred), auto: Uint8Array.from(d.confidence, (c, i) => (c >= t[i]! ? 1 : 0)) };
  const pos = d.classes.indexOf(plan.positiveLabel ?? '');
  ensure(pos >= 0, `positive label '${plan.positiveLabel}' is not a class of these predictions`);
  const score = positiveScores(d, pos);
  const k = d.classes.length;
  const yPred = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (score[i]! >= t[i]!) yPred[i] = pos;
    else if (k === 2) yPred[i] = 1 - pos;
    else {
      let best = pos === 0 ? 1 : 0;
      for (let c = 0; c < k; c++) if (c !== pos && d.proba![i * k + c]! > d.proba![i * k + best]!) best = c;
      yPred[i] = best;
    }
  }
  return { yPred, auto: new Uint8Array(n).fill(1) };
}

/** Before/after figures of a plan on other data (e.g. the test set): the honest cost of mitigation. */
export function evaluateThresholdPlan(
  plan: ThresholdPlan,
  d: ClassificationData,
  groups: ReadonlyArray<string | null>,
): MitigationOutcome {
  const o = resolveOptions(
    d,
    {
      constraint: plan.constraint,
      tolerance: plan.tolerance,
      baseThreshold: plan.baseThreshold,
      ...(plan.positiveLabel !== null ? { positiveLabel: plan.positiveLabel } : {}),
      ...(plan.targetPrecision !== null ? { targetPrecision: plan.targetPrecision } : {}),
    },
    groups,
  );
  const p = prepare(d, o);
  const rowsByGroup = groupRows(groups);
  const adjusted = plan.adjusted.filter((g) => rowsByGroup.has(g));
  return outcome(
    figures(p, rowsByGroup, adjusted, () => plan.baseThreshold, o),
    figures(p, rowsByGroup, adjusted, (g) => plan.thresholds[g] ?? plan.baseThreshold, o),
  );
}

/** A plan as JSON (a version record): thresholds of `Infinity` (never) become null. */
export function planToJson(plan: ThresholdPlan): Record<string, unknown> {
  return { ...plan, thresholds: Object.fromEntries(Object.entries(plan.thresholds).map(([g, t]) => [g, Number.isFinite(t) ? t : null])) };
}

/**
 * A plan read back from JSON (e.g. a version's `record.thresholds.groups`), null thresholds as
 * `Infinity`; null when the value is absent. A value that is not a usable plan is INVALID_ARGUMENT.
 */
export function planFromJson(value: unknown): ThresholdPlan | null {
  if (value === undefined || value === null) return null;
  const p = value as Partial<Record<keyof ThresholdPlan, unknown>>;
  const num = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  const thresholds = p.thresholds;
  const ok =
    typeof value === 'object' &&
    (p.kind === 'decision' || p.kind === 'automation') &&
    (p.attribute === null || typeof p.attribute === 'string') &&
    num(p.baseThreshold) &&
    (p.kind === 'automation' || typeof p.positiveLabel === 'string') &&
    thresholds !== null &&
    typeof thresholds === 'object' &&
    !Array.isArray(thresholds) &&
    Object.values(thresholds).every((t) => t === null || num(t));
  ensure(ok, 'the stored plan is not a threshold plan (kind, attribute, baseThreshold, thresholds)');
  return {
    ...(value as ThresholdPlan),
    thresholds: Object.fromEntries(Object.entries(thresholds as Record<string, number | null>).map(([g, t]) => [g, t === null ? Infinity : t])),
  };
}
