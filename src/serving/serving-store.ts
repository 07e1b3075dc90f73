/** The store serving needs: deployments, the prediction log, the review queue and ground truth. */
import type { DayStats, DecisionRow, DecisionsFilter, ModelTraffic } from './prediction-stats.js';
import type { Deployment, GroundTruth, PredictionRecord, ReviewItem } from './serving.js';

export interface ServingStore {
  /** Creates or replaces the deployment named `d.name` (keeping its creation time and author). */
  putDeployment(d: Deployment): Promise<Deployment>;
  /** Deletes a deployment; false when it did not exist. */
  deleteDeployment(name: string): Promise<boolean>;
  getDeployment(name: string): Promise<Deployment | undefined>;
  listDeployments(): Promise<Deployment[]>;
  /**
   * Appends predictions to the log in one transaction, and queues those with
   * `decision = review` and role `primary` or `canary` for people. Ids already logged are ignored.
   */
  insertPredictions(records: readonly PredictionRecord[]): Promise<void>;
  getPrediction(id: string): Promise<PredictionRecord | undefined>;
  /**
   * Predictions, newest first (ties by id), with their latest ground truth: of one model, of one
   * deployment, or both. Reads by `model` follow an index; a read by `deployment` alone walks the
   * whole log (since migration 0016 the log keeps no index by deployment: every logged prediction
   * paid for it, and its only reader knows the model).
   */
  listPredictions(filter: { model?: string; deployment?: string; limit: number }): Promise<Array<PredictionRecord & { truth: GroundTruth | null }>>;
  /** Review items, oldest first. */
  listReview(filter: { status?: 'pending' | 'answered'; deployment?: string; limit: number }): Promise<ReviewItem[]>;
  getReview(predictionId: string): Promise<ReviewItem | undefined>;
  /**
   * Records ground truth; for `review` answers also marks the review item answered (one
   * transaction). Returns false when the review item does not exist (source `review`).
   */
  addTruth(truth: GroundTruth): Promise<boolean>;
  /** The latest ground truth of a prediction. */
  getTruth(predictionId: string): Promise<GroundTruth | undefined>;
  /** Which of `ids` are in the log. */
  existingPredictions(ids: readonly string[]): Promise<Set<string>>;
  /** The model and version of each of `ids` that is in the log (missing ids are left out). */
  predictionVersions(ids: readonly string[]): Promise<Map<string, { model: string; version: number }>>;
  /** The newest logged prediction's time (ISO), or null when the log is empty. */
  latestPredictionAt(): Promise<string | null>;
  /** Per model, totals of primary predictions at or after `since` (ISO), with realized accuracy on the labelled ones. */
  trafficByModel(since: string): Promise<Map<string, ModelTraffic>>;
  /** Per day (oldest first): a model's primary traffic, decisions, latency percentiles, realized accuracy and shadow agreement, over its newest `maxRows` predictions at or after `since`. */
  dailyTraffic(model: string, options?: { since?: string; maxRows?: number }): Promise<DayStats[]>;
  /** One page of a model's logged predictions (every role) with their latest ground truth, sorted in SQL, and how many match. */
  decisions(filter: DecisionsFilter): Promise<{ total: number; rows: DecisionRow[] }>;
}
