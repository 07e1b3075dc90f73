/**
 * Read-only aggregates of the prediction log and its ground truth for dashboards: traffic and
 * decisions per model and per day, latency percentiles, realized accuracy, shadow agreement, and
 * pages of logged predictions. Nothing here decides anything.
 */

/** Traffic and decisions of one model's primary predictions. */
export interface ModelTraffic {
  predictions: number;
  auto: number;
  review: number;
  lastAt: string | null;
  /** Mean confidence of primary predictions (the estimate of accuracy before labels arrive). */
  meanConfidence: number | null;
  /** Primary predictions with ground truth, and how many were right. */
  labelled: number;
  correct: number;
  /** The newest labelled prediction's time. */
  labelledThrough: string | null;
}

/** One day of a deployment's traffic. */
export interface DayStats {
  day: string;
  predictions: number;
  auto: number;
  review: number;
  latency: { p50: number; p95: number; p99: number };
  labelled: number;
  correct: number;
  /** Shadow predictions of the day, and how many agreed with the primary answer. */
  shadow: number;
  shadowAgree: number;
}

/** A logged prediction as the decisions table shows it. */
export interface DecisionRow {
  id: string;
  at: string;
  deployment: string;
  version: number;
  role: string;
  label: string | null;
  confidence: number | null;
  decision: string;
  latencyMs: number;
  truth: string | null;
}

/** What the decisions table can be sorted by. */
export const DECISION_SORTS = Object.freeze(['at', 'confidence', 'latency_ms', 'label', 'decision'] as const);
export type DecisionSort = (typeof DECISION_SORTS)[number];

/** Which page of the log `decisions` returns. */
export interface DecisionsFilter {
  model: string;
  decision?: string;
  offset: number;
  limit: number;
  sort: DecisionSort;
  order: 'asc' | 'desc';
}
