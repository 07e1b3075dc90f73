/** Serving entities: deployments, logged predictions, review items and ground truth. */
import { MloopError } from '../errors/index.js';

/** A served endpoint. Its name is the `{name}` of `/v1/models/{name}:predict` and `/v2/models/{name}/infer`. */
export interface Deployment {
  /** Endpoint name (default: the model name). */
  name: string;
  model: string;
  /** What is served: `model@alias` (follows alias moves) or `model@N` (pinned). */
  ref: string;
  /** A second version run on the same requests, logged and never returned. */
  shadowRef: string | null;
  /** A second version answering `canaryPercent` % of requests. */
  canaryRef: string | null;
  canaryPercent: number;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

/** Which part of a deployment produced a prediction. */
export type PredictionRole = 'primary' | 'canary' | 'shadow';

/** `auto`: confidence cleared the version's threshold; `review`: a person decides. */
export type Decision = 'auto' | 'review';

/** One logged prediction (one row of one request). */
export interface PredictionRecord {
  id: string;
  at: string;
  deployment: string;
  model: string;
  version: number;
  role: PredictionRole;
  primaryId: string | null;
  requestId: string | null;
  /** The input row as logged (PII-redacted when `redacted`). */
  inputs: Record<string, unknown>;
  /** `{label, probabilities}` for classifiers, `{value}` for regression. */
  outputs: Record<string, unknown>;
  /**
   * `outputs` as JSON text, when the record's maker has it already (the serving runtime reuses the
   * text it answered with); it equals `JSON.stringify(outputs)`. Stores write it instead of
   * serialising `outputs` again; records read from a store leave it out.
   */
  outputsJson?: string;
  label: string | null;
  confidence: number | null;
  decision: Decision;
  latencyMs: number;
  redacted: boolean;
  /**
   * The row's group (sensitive) columns as sent with the request — the columns marked sensitive
   * in the version's training datasets, never given to the model — as strings (null when sent as
   * null). Read from the store it is always set (`{}` when the request carried none); writers may
   * leave it out.
   */
  groups?: Record<string, string | null>;
}

/** A prediction routed to people. */
export interface ReviewItem {
  predictionId: string;
  deployment: string;
  model: string;
  version: number;
  createdAt: string;
  status: 'pending' | 'answered';
  predicted: string | null;
  confidence: number | null;
  answer: string | null;
  answeredBy: string | null;
  answeredAt: string | null;
  /** The logged inputs, when the prediction is in the log. */
  inputs?: Record<string, unknown>;
}

/** Where a ground-truth label came from. */
export type TruthSource = 'review' | 'feedback' | 'import';

/** A ground-truth label joined to its prediction. */
export interface GroundTruth {
  predictionId: string;
  label: string;
  source: TruthSource;
  actor: string;
  at: string;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** Validates a deployment name (same rules as model names). */
export function checkDeploymentName(name: string): string {
  if (!NAME.test(name)) {
    throw MloopError.invalidArgument(`invalid deployment name '${name}': use 1–63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  return name;
}

/** The JSON shape of a deployment in CLI `--json` and HTTP answers. */
export function deploymentJson(d: Deployment) {
  return {
    name: d.name,
    model: d.model,
    ref: d.ref,
    shadow: d.shadowRef,
    canary: d.canaryRef === null ? null : { ref: d.canaryRef, percent: d.canaryPercent },
    created_at: d.createdAt,
    created_by: d.createdBy,
    updated_at: d.updatedAt,
    updated_by: d.updatedBy,
  };
}

/** The JSON shape of a review item. */
export function reviewJson(r: ReviewItem) {
  return {
    prediction_id: r.predictionId,
    deployment: r.deployment,
    model: r.model,
    version: r.version,
    created_at: r.createdAt,
    status: r.status,
    predicted: r.predicted,
    confidence: r.confidence,
    answer: r.answer,
    answered_by: r.answeredBy,
    answered_at: r.answeredAt,
    ...(r.inputs === undefined ? {} : { inputs: r.inputs }),
  };
}
