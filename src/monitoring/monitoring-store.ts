/** The store monitoring needs: pages of the prediction log with ground truth, rules and alerts. */
import type { Alert, AlertPageQuery, AlertRule } from './monitoring.js';

/** A logged prediction as monitoring reads it, with its latest ground truth. */
export interface MonitoredPrediction {
  id: string;
  at: string;
  version: number;
  inputs: Record<string, unknown>;
  label: string | null;
  confidence: number | null;
  decision: 'auto' | 'review';
  truth: string | null;
  /** Group (sensitive) column values sent with the request, or null when none were. */
  groups?: Record<string, string | null> | null;
}

/** Which predictions to read: primary and canary rows of one model (shadow rows are not served). */
export interface PredictionScan {
  model: string;
  /** Only this version (default: every version). */
  version?: number;
  /** `at >= from` (ISO). */
  from?: string;
  /** `at < to` (ISO). */
  to?: string;
  /** Keyset cursor: rows after this (at, id). */
  after?: { at: string; id: string };
  limit: number;
}

/**
 * What a model's monitoring results depend on in the log: its primary and canary predictions (how
 * many, the newest) and the newest ground truth of any prediction. Equal states give equal reports.
 */
export interface LogState {
  predictions: number;
  lastId: string | null;
  lastAt: string | null;
  /** Sequence number of the newest ground-truth row in the workspace (0 when none). */
  truthSeq: number;
}

export interface MonitoringStore {
  /** One page of predictions ordered by (at, id), each with its latest ground truth. */
  scanPredictions(scan: PredictionScan): Promise<MonitoredPrediction[]>;
  /** Inserts a rule; ALREADY_EXISTS when its name is taken. */
  insertRule(rule: AlertRule): Promise<AlertRule>;
  /** Rules, by name; of one model name when given. */
  listRules(filter?: { model?: string }): Promise<AlertRule[]>;
  /** A rule by id or name. */
  getRule(idOrName: string): Promise<AlertRule | undefined>;
  /** Replaces a stored rule's fields (matched by id); false when absent, ALREADY_EXISTS when its new name is taken. */
  updateRule(rule: AlertRule): Promise<boolean>;
  /** Deletes a rule (its alerts stay in the history); false when absent. */
  deleteRule(id: string): Promise<boolean>;
  /**
   * Records a breach: inserts `alert` when no alert has its `dedupKey`, otherwise updates the
   * existing one's last window, window count, value and time. `created` tells which happened.
   */
  upsertAlert(alert: Alert): Promise<{ alert: Alert; created: boolean }>;
  /** Marks the rule's firing alerts other than `keep` resolved; returns them. */
  resolveAlerts(ruleId: string, keep: string | null, at: string): Promise<Alert[]>;
  /** Records the outcome of delivering an alert. */
  setDelivery(id: string, delivery: Alert['delivery'], error: string | null, at: string | null): Promise<void>;
  /** Alerts, newest first. */
  listAlerts(filter: { model?: string; status?: Alert['status']; limit: number }): Promise<Alert[]>;
  /** One page of alerts with how many match the filter in all. */
  pageAlerts(query: AlertPageQuery): Promise<{ alerts: Alert[]; total: number }>;
  /** The state of a model's prediction log and of the ground truth (see {@link LogState}). */
  logState(model: string): Promise<LogState>;
}
