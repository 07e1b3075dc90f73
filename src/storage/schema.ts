/**
 * Table types of the metadata store, as Kysely sees them. Timestamps are ISO-8601 UTC strings and
 * JSON documents are text in both backends, so one SQL implementation serves SQLite and PostgreSQL.
 */
import type { Generated } from 'kysely';

export interface UsersTable {
  id: string;
  name: string;
  created_at: string;
  created_by: string;
  disabled_at: string | null;
}

export interface RoleGrantsTable {
  id: string;
  user_id: string;
  role: string;
  /** '*' for a global grant, otherwise the project (labeling project, model) it is limited to. */
  scope: string;
  granted_at: string;
  granted_by: string;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  /** sha256 hex of the whole token; the token itself is never stored. */
  token_hash: string;
  /** First characters of the token, shown in listings so people can tell tokens apart. */
  prefix: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface AuditLogTable {
  seq: Generated<number>;
  at: string;
  actor: string;
  action: string;
  target: string;
  details: string;
}

/** A named dataset; its content lives in {@link DatasetVersionsTable}. */
export interface DatasetsTable {
  id: string;
  name: string;
  created_at: string;
  created_by: string;
}

/** One immutable dataset version `name@N`; JSON columns hold schema, provenance and lineage. */
export interface DatasetVersionsTable {
  id: string;
  dataset_id: string;
  version: number;
  content_hash: string;
  blob_sha256: string;
  /** bigint: PostgreSQL returns it as a string; read it with Number(). */
  bytes: number | string;
  row_count: number | string;
  schema_json: string;
  source_json: string;
  description_json: string;
  lineage_json: string;
  stats_json: string;
  created_at: string;
  created_by: string;
}

/** Lineage edges: `child_id` was produced from `parent_id`. */
export interface DatasetVersionParentsTable {
  child_id: string;
  parent_id: string;
  position: number;
}

/** A result computed from one dataset version (a profile, a validation), kept per hash of its other inputs. */
export interface DatasetResultsTable {
  version_id: string;
  kind: string;
  inputs_hash: string;
  inputs_json: string;
  result_json: string;
  created_at: string;
}

export interface DatabaseSchema {
  users: UsersTable;
  role_grants: RoleGrantsTable;
  api_tokens: ApiTokensTable;
  audit_log: AuditLogTable;
  datasets: DatasetsTable;
  dataset_versions: DatasetVersionsTable;
  dataset_version_parents: DatasetVersionParentsTable;
  dataset_results: DatasetResultsTable;
  models: ModelsTable;
  model_versions: ModelVersionsTable;
  model_aliases: ModelAliasesTable;
  alias_history: AliasHistoryTable;
  labeling_projects: LabelingProjectsTable;
  labeling_items: LabelingItemsTable;
  labeling_assignments: LabelingAssignmentsTable;
  labeling_answers: LabelingAnswersTable;
  labeling_adjudications: LabelingAdjudicationsTable;
  labeling_annotators: LabelingAnnotatorsTable;
  model_evaluations: ModelEvaluationsTable;
  deployments: DeploymentsTable;
  predictions: PredictionsTable;
  prediction_classes: PredictionClassesTable;
  review_queue: ReviewQueueTable;
  ground_truth: GroundTruthTable;
  jobs: JobsTable;
  job_logs: JobLogsTable;
  job_schedules: JobSchedulesTable;
  monitoring_rules: MonitoringRulesTable;
  monitoring_alerts: MonitoringAlertsTable;
  retraining_policies: RetrainingPoliciesTable;
  retraining_runs: RetrainingRunsTable;
  run_steps: RunStepsTable;
  approvals: ApprovalsTable;
  retraining_decisions: RetrainingDecisionsTable;
}

export interface ModelsTable {
  id: string;
  name: string;
  task: string;
  description_json: string;
  /** The highest version number allocated; bumped in the transaction that inserts a version. */
  last_version: number;
  created_at: string;
  created_by: string;
}

export interface ModelVersionsTable {
  id: string;
  model_id: string;
  version: number;
  task: string;
  /** Natural key of the run that produced the version: one run makes at most one version. */
  run_key: string | null;
  record_json: string;
  artifacts_json: string;
  tags_json: string;
  notes: string;
  created_at: string;
  created_by: string;
}

export interface ModelAliasesTable {
  model_id: string;
  alias: string;
  version: number;
  updated_at: string;
  updated_by: string;
}

export interface AliasHistoryTable {
  seq: Generated<number>;
  model_id: string;
  alias: string;
  from_version: number | null;
  to_version: number | null;
  at: string;
  actor: string;
  reason: string;
  evidence_json: string;
}

/** A served endpoint: `name` serves `ref` (`model@alias` or `model@N`), optionally with a shadow and a canary. */
export interface DeploymentsTable {
  name: string;
  model: string;
  ref: string;
  shadow_ref: string | null;
  canary_ref: string | null;
  canary_percent: number;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
}

/** The prediction log: one row per predicted row (primary, canary or shadow). */
export interface PredictionsTable {
  id: string;
  at: string;
  deployment: string;
  model: string;
  version: number;
  /** `primary`, `canary` or `shadow`. */
  role: string;
  /** For shadow rows: the prediction that was returned. */
  primary_id: string | null;
  request_id: string | null;
  inputs_json: string;
  outputs_json: string;
  label: string | null;
  confidence: number | null;
  decision: string;
  latency_ms: number;
  /** 1 when the inputs were PII-redacted before logging. */
  redacted: number;
  /** JSON object of the request's sensitive (group) column values; null when none were sent. Migration 0010. */
  groups_json: string | null;
  /**
   * A classifier's probabilities as float64 little-endian, in the order of the class list
   * `classes_id`; then `outputs_json` holds the outputs without them. Null for rows that keep their
   * probabilities inside `outputs_json` (before migration 0015, or not from the serving runtime).
   */
  probabilities: Uint8Array | null;
  /** The `prediction_classes` row naming `probabilities`' entries. Migration 0015. */
  classes_id: number | null;
}

/** Class lists of logged probabilities, each stored once (migration 0015). */
export interface PredictionClassesTable {
  id: Generated<number>;
  /** JSON array of class names, in the order of the probabilities stored with it. */
  names_json: string;
}

/** Predictions routed to people (`decision = review`). */
export interface ReviewQueueTable {
  prediction_id: string;
  deployment: string;
  model: string;
  version: number;
  created_at: string;
  /** `pending` or `answered`. */
  status: string;
  predicted: string | null;
  confidence: number | null;
  answer: string | null;
  answered_by: string | null;
  answered_at: string | null;
}

/** Ground truth for logged predictions: review answers, feedback and imports (latest wins). */
export interface GroundTruthTable {
  seq: Generated<number>;
  prediction_id: string;
  label: string;
  /** `review`, `feedback` or `import`. */
  source: string;
  actor: string;
  at: string;
}

export interface ModelEvaluationsTable {
  id: string;
  model_version_id: string;
  /** Dataset version evaluated on, `name@N`. */
  dataset: string;
  /** sha256 of the full JSON report in the artifact store. */
  report_sha256: string;
  /** Headline figures for listings and cards. */
  summary_json: string;
  /** 1 passed, 0 failed, null when no gate was checked. */
  gate_passed: number | null;
  created_at: string;
  created_by: string;
}

/** A labeling project over one dataset version; `config_json` holds labels, columns, overlap, gold and thresholds. */
export interface LabelingProjectsTable {
  id: string;
  name: string;
  dataset_ref: string;
  gold_ref: string | null;
  config_json: string;
  instructions: string;
  created_at: string;
  created_by: string;
}

/** One item to label. `filled` counts live slots (active leases plus counted answers), never above the overlap. */
export interface LabelingItemsTable {
  project_id: string;
  item_key: string;
  /** Row of the source dataset version (gold-only items: after the last row). */
  position: number;
  is_gold: number;
  gold_label: string | null;
  /** 1 when the item is a row of the project's dataset version (0: a gold-only item). */
  in_dataset: number;
  data_json: string;
  /** Higher first (active learning sets it). */
  priority: number;
  filled: number;
}

/** An item handed to an annotator: `leased` until it expires, then `submitted`, `skipped` or `expired`. */
export interface LabelingAssignmentsTable {
  id: string;
  project_id: string;
  item_key: string;
  annotator: string;
  state: string;
  lease_token: string;
  leased_at: string;
  expires_at: string;
  finished_at: string | null;
}

/** One answer of one worker on one item (from the queue or imported). */
export interface LabelingAnswersTable {
  project_id: string;
  item_key: string;
  worker: string;
  label: string;
  /** `queue` or `import`. */
  source: string;
  answered_at: string;
  /** 1 when the answer is left out of consensus (its annotator was paused). */
  flagged: number;
  flag_reason: string | null;
}

/** A reviewer's final decision on an item. */
export interface LabelingAdjudicationsTable {
  project_id: string;
  item_key: string;
  label: string;
  reviewer: string;
  note: string;
  /** The consensus the reviewer overrode or confirmed. */
  consensus_json: string;
  decided_at: string;
}

/** An annotator's state in a project: `active` or `paused` (with the reason). */
export interface LabelingAnnotatorsTable {
  project_id: string;
  worker: string;
  state: string;
  reason: string | null;
  changed_at: string;
  changed_by: string;
}

export interface JobsTable {
  id: string;
  type: string;
  /** The natural key: unique, so enqueueing the same key twice gives one job. */
  job_key: string;
  payload_json: string;
  /** queued | running | succeeded | failed | cancelled | dead */
  state: string;
  priority: number;
  attempts: number;
  max_attempts: number;
  backoff_ms: number;
  /** Not before this time (backoff after a failure). */
  run_at: string;
  /** Fencing token of the current attempt; completion must present it. */
  lease_token: string | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  cancel_requested: number;
  progress_json: string | null;
  result_json: string | null;
  error_json: string | null;
  /** The schedule that enqueued the job, if any. */
  schedule: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface JobLogsTable {
  seq: Generated<number>;
  job_id: string;
  attempt: number;
  at: string;
  level: string;
  message: string;
}

export interface JobSchedulesTable {
  name: string;
  cron: string;
  timezone: string;
  job_type: string;
  payload_json: string;
  enabled: number;
  last_slot: string | null;
  created_at: string;
  created_by: string;
}

/** An alert rule on a monitored value of a model: `metric op threshold` for `consecutive` windows. */
export interface MonitoringRulesTable {
  id: string;
  name: string;
  model: string;
  metric: string;
  /** `>`, `>=`, `<` or `<=`. */
  op: string;
  threshold: number;
  consecutive: number;
  /** Window spec such as `7d`, `1d`, `12h` or `500` (predictions). */
  window: string;
  webhook: string | null;
  enabled: number;
  created_at: string;
  created_by: string;
}

/** One alert: a rule's breach over consecutive windows, kept once per breach (`dedup_key`). */
export interface MonitoringAlertsTable {
  id: string;
  rule_id: string;
  rule_name: string;
  model: string;
  metric: string;
  /** `<rule id>:<first window start>`: one alert per breach, however often it is evaluated. */
  dedup_key: string;
  /** `firing` or `resolved`. */
  status: string;
  first_window: string;
  last_window: string;
  windows: number;
  value: number | null;
  threshold: number;
  message: string;
  created_at: string;
  updated_at: string;
  resolved_at: string | null;
  /** `none`, `delivered` or `failed`. */
  delivery: string;
  delivery_error: string | null;
  delivered_at: string | null;
}

/** The retraining policy of a model (validated JSON). */
export interface RetrainingPoliciesTable {
  model: string;
  policy_json: string;
  updated_at: string;
  updated_by: string;
}

/** One retraining run, keyed by the job that runs it. */
export interface RetrainingRunsTable {
  id: string;
  model: string;
  /** The job key: one run per job however often it is retried. */
  run_key: string;
  /** `running`, `promoted`, `gate_failed`, `awaiting_approval`, `rejected`, `expired` or `failed`. */
  state: string;
  reason: string;
  policy_json: string;
  challenger: string | null;
  champion: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
}

/** One step of a retraining run with its outcome and reason (upserted by step name). */
export interface RunStepsTable {
  run_id: string;
  step: string;
  seq: number;
  /** `done`, `skipped` or `failed`. */
  status: string;
  reason: string;
  details_json: string;
  at: string;
}

/** A challenger waiting for a person's decision. */
export interface ApprovalsTable {
  id: string;
  run_id: string;
  model: string;
  version: number;
  /** `pending`, `approved`, `rejected` or `expired`. */
  status: string;
  evidence_json: string;
  created_at: string;
  expires_at: string;
  decided_by: string | null;
  decided_at: string | null;
  comment: string | null;
}

/** One evaluation of a model's retraining triggers (migration 0011). */
export interface RetrainingDecisionsTable {
  id: string;
  model: string;
  /** The check's natural key (its job key). */
  key: string;
  at: string;
  /** `schedule`, `monitoring` or `manual`. */
  source: string;
  /** 1 when the check queued a retraining run. */
  retrain: number;
  reason: string;
  triggers_json: string;
  labels_json: string;
  job_id: string | null;
  created_by: string;
}
