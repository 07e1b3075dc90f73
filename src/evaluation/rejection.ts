/**
 * Out-of-scope rejection: the score threshold below which a prediction is rejected (sent to people
 * as "none of the known classes"), chosen on validation rows that mix in-scope rows and rows whose
 * true label the model never saw (`yTrue` = -1).
 */
import { MloopError } from '../errors/index.js';
import type { ClassificationData } from './classification-metrics.js';

/** How the rejection threshold is chosen on validation data. */
export type RejectionRule =
  /** Maximise ½ (in-scope accuracy with rejection + out-of-scope recall); ties → lowest threshold. */
  | 'balanced'
  /** Maximise accuracy over all rows (an out-of-scope row is right when rejected); ties → lowest threshold. */
  | 'accuracy'
  /**
   * The highest threshold at which in-scope accuracy with rejection stays ≥ `minInScopeAccuracy`:
   * the best out-of-scope recall the stated in-scope accuracy allows.
   */
  | 'min-in-scope-accuracy';

/** The supported rules, for messages and option parsers. */
export const REJECTION_RULES: readonly RejectionRule[] = Object.freeze(['balanced', 'accuracy', 'min-in-scope-accuracy']);

export interface RejectionChoice {
  rule: RejectionRule;
  /** Rows whose score is below the threshold are rejected; `-Infinity` rejects nothing. */
  threshold: number;
  /** Only for `min-in-scope-accuracy`: the floor asked for. */
  minInScopeAccuracy?: number;
  /** False when no threshold keeps in-scope accuracy at the floor (then nothing is rejected). */
  achievable: boolean;
  /** On the validation rows at the chosen threshold. */
  validation: {
    /** In-scope rows accepted and predicted right, over all in-scope rows. */
    inScopeAccuracy: number;
    /** Out-of-scope rows rejected, over all out-of-scope rows. */
    outOfScopeRecall: number;
    /** The value the rule maximised (the recall for `min-in-scope-accuracy`). */
    objective: number;
    inScope: number;
    outOfScope: number;
  };
  message: string;
}

interface SweepPoint {
  threshold: number;
  inScopeAccuracy: number;
  outOfScopeRecall: number;
  accuracy: number;
  /** Exact integer keys, so that mathematically equal objectives tie (floating sums can differ by an ulp). */
  balancedKey: number;
  accuracyKey: number;
}

/** Every candidate threshold (−∞, then each distinct score ascending) with its figures; rejected ⇔ score < threshold. */
function sweep(d: ClassificationData): SweepPoint[] {
  const n = d.confidence.length;
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => d.confidence[a]! - d.confidence[b]!);
  let nIn = 0;
  let inCorrect = 0;
  for (let i = 0; i < n; i++) {
    if (d.yTrue[i]! < 0) continue;
    nIn++;
    if (d.yTrue[i] === d.yPred[i]) inCorrect++;
  }
  const nOos = n - nIn;
  let correctRejected = 0;
  let oosRejected = 0;
  const point = (threshold: number): SweepPoint => ({
    threshold,
    inScopeAccuracy: (inCorrect - correctRejected) / nIn,
    outOfScopeRecall: oosRejected / nOos,
    accuracy: (inCorrect - correctRejected + oosRejected) / n,
    balancedKey: (inCorrect - correctRejected) * nOos + oosRejected * nIn,
    accuracyKey: inCorrect - correctRejected + oosRejected,
  });
  const points = [point(-Infinity)];
  for (let i = 0; i < n; ) {
    const s = d.confidence[order[i]!]!;
    points.push(point(s)); // rows scoring exactly s are still accepted at threshold s
    while (i < n && d.confidence[order[i]!] === s) {
      const r = order[i]!;
      if (d.yTrue[r]! < 0) oosRejected++;
      else if (d.yTrue[r] === d.yPred[r]) correctRejected++;
      i++;
    }
  }
  return points;
}

/**
 * Chooses the threshold on `validation.confidence` (any score where higher means "more in scope":
 * a calibrated probability, a raw top logit) below which predictions are rejected as out of scope.
 * `validation` must hold in-scope rows and out-of-scope rows (`yTrue` = -1). `balanced` and
 * `accuracy` are the two criteria of the CLINC150 reference scripts (`pick_thresholds`);
 * `min-in-scope-accuracy` states the in-scope accuracy to keep and rejects as much as it allows.
 *
 * @example
 * const choice = chooseRejectionThreshold(validation, { rule: 'min-in-scope-accuracy', minInScopeAccuracy: 0.9 });
 * const report = outOfScopeAt(test, choice.threshold);
 */
export function chooseRejectionThreshold(
  validation: ClassificationData,
  options: { rule?: RejectionRule; minInScopeAccuracy?: number } = {},
): RejectionChoice {
  const rule = options.rule ?? 'balanced';
  if (!REJECTION_RULES.includes(rule)) {
    throw MloopError.invalidArgument(`unknown rejection rule '${String(rule)}'; known rules: ${REJECTION_RULES.join(', ')}`);
  }
  const floor = options.minInScopeAccuracy;
  if (rule === 'min-in-scope-accuracy' && !(typeof floor === 'number' && floor > 0 && floor <= 1)) {
    throw MloopError.invalidArgument(`rule 'min-in-scope-accuracy' needs minInScopeAccuracy in (0, 1], got ${String(floor)}`);
  }
  if (rule !== 'min-in-scope-accuracy' && floor !== undefined) {
    throw MloopError.invalidArgument(`minInScopeAccuracy applies only to rule 'min-in-scope-accuracy', not '${rule}'`);
  }
  let nOos = 0;
  for (let i = 0; i < validation.yTrue.length; i++) {
    if (validation.yTrue[i]! < 0) nOos++;
    if (Number.isNaN(validation.confidence[i]!)) throw MloopError.invalidArgument(`validation row ${i} has no score (NaN)`);
  }
  const nIn = validation.yTrue.length - nOos;
  if (nOos === 0 || nIn === 0) {
    throw MloopError.invalidArgument(
      `choosing a rejection threshold needs in-scope and out-of-scope validation rows (yTrue = -1); got ${nIn} in scope and ${nOos} out of scope`,
    );
  }
  const points = sweep(validation);
  let best: SweepPoint | undefined;
  let objective = Number.NaN;
  let achievable = true;
  if (rule === 'min-in-scope-accuracy') {
    // In-scope accuracy falls and recall rises with the threshold, so the highest feasible one has the
    // best recall. It is set by the in-scope rows (many) rather than by the edge of a recall step
    // (few out-of-scope rows), so it does not sit on one out-of-scope score.
    for (const p of points) if (p.inScopeAccuracy >= floor! - 1e-12) best = p;
    if (best === undefined) {
      achievable = false;
      best = points[0]!;
    }
    objective = best.outOfScopeRecall;
  } else {
    let bestKey = -1;
    for (const p of points) {
      const key = rule === 'balanced' ? p.balancedKey : p.accuracyKey;
      if (key > bestKey) {
        best = p;
        bestKey = key;
      }
    }
    objective = rule === 'balanced' ? 0.5 * (best!.inScopeAccuracy + best!.outOfScopeRecall) : best!.accuracy;
  }
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  const at = `in-scope accuracy ${pct(best!.inScopeAccuracy)}, out-of-scope recall ${pct(best!.outOfScopeRecall)} on ${nIn} + ${nOos} validation rows`;
  return {
    rule,
    threshold: best!.threshold,
    ...(floor === undefined ? {} : { minInScopeAccuracy: floor }),
    achievable,
    validation: { inScopeAccuracy: best!.inScopeAccuracy, outOfScopeRecall: best!.outOfScopeRecall, objective, inScope: nIn, outOfScope: nOos },
    message: achievable
      ? `reject below score ${best!.threshold.toFixed(4)} (${rule}): ${at}`
      : `no threshold keeps in-scope accuracy at ${pct(floor!)} (it is ${pct(best!.inScopeAccuracy)} without rejection); nothing is rejected`,
  };
}
