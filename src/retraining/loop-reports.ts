/** Reports over the prediction log: the shadow period's agreement and the watch period's error and review rates. */
import type { GroundTruth, PredictionRecord } from '../serving/index.js';

type Logged = PredictionRecord & { truth: GroundTruth | null };

/** How a shadowed challenger compared with the champion on the same requests. */
export interface AgreementReport {
  /** Shadow predictions of the challenger whose champion prediction is in the log. */
  requests: number;
  /** Share of them where both predicted the same label; null with no requests. */
  agreement: number | null;
  /** Most frequent disagreements, champion label → challenger label. */
  disagreements: Array<{ champion: string | null; challenger: string | null; count: number }>;
  /** Requests with ground truth, and each model's accuracy on them. */
  labelled: number;
  championAccuracy: number | null;
  challengerAccuracy: number | null;
}

/**
 * Pairs the challenger's shadow predictions (version `version`: a new version shadows only in its
 * own run) with the champion predictions they shadowed.
 */
export function agreementReport(log: readonly Logged[], opts: { version: number }): AgreementReport {
  const primary = new Map(log.filter((p) => p.role !== 'shadow').map((p) => [p.id, p]));
  let agree = 0;
  let labelled = 0;
  let championRight = 0;
  let challengerRight = 0;
  let requests = 0;
  const pairs = new Map<string, { champion: string | null; challenger: string | null; count: number }>();
  for (const s of log) {
    if (s.role !== 'shadow' || s.version !== opts.version || s.primaryId === null) continue;
    const p = primary.get(s.primaryId);
    if (!p) continue;
    requests++;
    if (s.label === p.label) agree++;
    else {
      const k = `${p.label}\u0000${s.label}`;
      const e = pairs.get(k) ?? { champion: p.label, challenger: s.label, count: 0 };
      e.count++;
      pairs.set(k, e);
    }
    const truth = p.truth?.label ?? s.truth?.label;
    if (truth !== undefined) {
      labelled++;
      if (p.label === truth) championRight++;
      if (s.label === truth) challengerRight++;
    }
  }
  return {
    requests,
    agreement: requests === 0 ? null : agree / requests,
    disagreements: [...pairs.values()].sort((a, b) => b.count - a.count || String(a.champion).localeCompare(String(b.champion))).slice(0, 5),
    labelled,
    championAccuracy: labelled === 0 ? null : championRight / labelled,
    challengerAccuracy: labelled === 0 ? null : challengerRight / labelled,
  };
}

/** What the new champion did in its watch period. */
export interface WatchReport {
  predictions: number;
  labelled: number;
  /** Wrong answers among the labelled predictions; null without any. */
  errorRate: number | null;
  /** Predictions routed to people; null without predictions. */
  reviewShare: number | null;
}

/**
 * The primary (and canary) predictions of `version` made before `until` (a new champion served
 * none before its promotion; it only shadowed).
 */
export function watchReport(log: readonly Logged[], opts: { version: number; until: string }): WatchReport {
  let predictions = 0;
  let labelled = 0;
  let wrong = 0;
  let review = 0;
  for (const p of log) {
    if (p.role === 'shadow' || p.version !== opts.version || p.at >= opts.until) continue;
    predictions++;
    if (p.decision === 'review') review++;
    if (p.truth) {
      labelled++;
      if (p.truth.label !== p.label) wrong++;
    }
  }
  return { predictions, labelled, errorRate: labelled === 0 ? null : wrong / labelled, reviewShare: predictions === 0 ? null : review / predictions };
}
