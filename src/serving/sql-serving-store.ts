/** The ServingStore over Kysely, shared by SQLite and PostgreSQL. */
import { CompiledQuery, type Kysely, type Selectable } from 'kysely';
import type { DatabaseSchema, DeploymentsTable, PredictionsTable, ReviewQueueTable } from '../storage/index.js';
import type { Deployment, Decision, GroundTruth, PredictionRecord, PredictionRole, ReviewItem, TruthSource } from './serving.js';
import type { DayStats, DecisionRow, DecisionsFilter, ModelTraffic } from './prediction-stats.js';
import type { ServingStore } from './serving-store.js';
import { SqlPredictionStats } from './sql-prediction-stats.js';
import { hasCompactOutputs, outputsWithProbabilities, probabilitiesFromBlob } from './stored-probabilities.js';

/** Rows per INSERT statement: stays under SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 200;
/** Most rows per prediction-log INSERT (a power of two; 16 columns × 128 rows = 2048 parameters). */
const LOG_CHUNK = 128;

function toDeployment(r: Selectable<DeploymentsTable>): Deployment {
  return {
    name: r.name,
    model: r.model,
    ref: r.ref,
    shadowRef: r.shadow_ref,
    canaryRef: r.canary_ref,
    canaryPercent: Number(r.canary_percent),
    createdAt: r.created_at,
    createdBy: r.created_by,
    updatedAt: r.updated_at,
    updatedBy: r.updated_by,
  };
}

/** A logged row with the class list of its probabilities (when stored apart from its outputs). */
type PredictionRow = Selectable<PredictionsTable> & { names_json: string | null };

/** The outputs of a logged row: its `outputs_json`, with the probabilities put back when they are stored apart. */
function outputsOf(r: PredictionRow): Record<string, unknown> {
  if (r.probabilities === null || r.names_json === null) return JSON.parse(r.outputs_json) as Record<string, unknown>;
  return outputsWithProbabilities(r.outputs_json, probabilitiesFromBlob(r.names_json, r.probabilities));
}

function toPrediction(r: PredictionRow): PredictionRecord {
  return {
    id: r.id,
    at: r.at,
    deployment: r.deployment,
    model: r.model,
    version: Number(r.version),
    role: r.role as PredictionRole,
    primaryId: r.primary_id,
    requestId: r.request_id,
    inputs: JSON.parse(r.inputs_json) as Record<string, unknown>,
    outputs: outputsOf(r),
    label: r.label,
    confidence: r.confidence === null ? null : Number(r.confidence),
    decision: r.decision as Decision,
    latencyMs: Number(r.latency_ms),
    redacted: Number(r.redacted) === 1,
    groups: r.groups_json === null ? {} : (JSON.parse(r.groups_json) as Record<string, string | null>),
  };
}

function toReview(r: Selectable<ReviewQueueTable>): ReviewItem {
  return {
    predictionId: r.prediction_id,
    deployment: r.deployment,
    model: r.model,
    version: Number(r.version),
    createdAt: r.created_at,
    status: r.status as ReviewItem['status'],
    predicted: r.predicted,
    confidence: r.confidence === null ? null : Number(r.confidence),
    answer: r.answer,
    answeredBy: r.answered_by,
    answeredAt: r.answered_at,
  };
}

/** Columns of a logged prediction, in the order of {@link predictionRow}. */
const PREDICTION_COLUMNS = ['id', 'at', 'deployment', 'model', 'version', 'role', 'primary_id', 'request_id', 'inputs_json', 'outputs_json', 'label', 'confidence', 'decision', 'latency_ms', 'redacted', 'groups_json', 'probabilities', 'classes_id'] as const;

/**
 * Writes the parameters of {@link PREDICTION_COLUMNS} for `p` into `out` from `at`. Inputs and
 * outputs and groups already formatted as JSON (`inputsJson` and `groupsJson` of the log writer's records, `outputsJson`) are
 * written as they are; a record in the compact form ({@link hasCompactOutputs}) writes its outputs
 * without probabilities, its probabilities' bytes and the id of its class list (from `classIds`).
 */
function predictionRow(p: PredictionRecord & { inputsJson?: string; groupsJson?: string | null }, out: unknown[], at: number, classIds: ReadonlyMap<string, number>): void {
  out[at] = p.id;
  out[at + 1] = p.at;
  out[at + 2] = p.deployment;
  out[at + 3] = p.model;
  out[at + 4] = p.version;
  out[at + 5] = p.role;
  out[at + 6] = p.primaryId;
  out[at + 7] = p.requestId;
  out[at + 8] = p.inputsJson ?? JSON.stringify(p.inputs);
  if (hasCompactOutputs(p)) {
    out[at + 9] = p.compactOutputsJson;
    out[at + 16] = p.probabilitiesBlob;
    out[at + 17] = classIds.get(p.classesJson);
  } else {
    out[at + 9] = p.outputsJson ?? JSON.stringify(p.outputs);
    out[at + 16] = null;
    out[at + 17] = null;
  }
  out[at + 10] = p.label;
  out[at + 11] = p.confidence;
  out[at + 12] = p.decision;
  out[at + 13] = p.latencyMs;
  out[at + 14] = p.redacted ? 1 : 0;
  out[at + 15] = p.groupsJson !== undefined ? p.groupsJson : p.groups === undefined || Object.keys(p.groups).length === 0 ? null : JSON.stringify(p.groups);
}

/** Columns of a review item made from a prediction, in the order of {@link reviewRow}. */
const REVIEW_COLUMNS = ['prediction_id', 'deployment', 'model', 'version', 'created_at', 'status', 'predicted', 'confidence', 'answer', 'answered_by', 'answered_at'] as const;

function reviewRow(p: PredictionRecord, out: unknown[], at: number): void {
  out[at] = p.id;
  out[at + 1] = p.deployment;
  out[at + 2] = p.model;
  out[at + 3] = p.version;
  out[at + 4] = p.at;
  out[at + 5] = 'pending';
  out[at + 6] = p.label;
  out[at + 7] = p.confidence;
  out[at + 8] = null;
  out[at + 9] = null;
  out[at + 10] = null;
}

export class SqlServingStore implements ServingStore {
  /** Compiled insert SQL by table and row count. */
  private readonly compiled = new Map<string, string>();
  /** `prediction_classes` ids by class list, as stored (a row never changes, so they are kept). */
  private readonly classIds = new Map<string, number>();
  /** {@link predictionRow} with this store's class list ids. */
  private readonly predictionRow = (p: PredictionRecord, out: unknown[], at: number): void => predictionRow(p, out, at, this.classIds);

  private readonly stats: SqlPredictionStats;

  constructor(private readonly db: Kysely<DatabaseSchema>) {
    this.stats = new SqlPredictionStats(db);
  }

  latestPredictionAt(): Promise<string | null> {
    return this.stats.latestAt();
  }

  trafficByModel(since: string): Promise<Map<string, ModelTraffic>> {
    return this.stats.trafficByModel(since);
  }

  dailyTraffic(model: string, options: { since?: string; maxRows?: number } = {}): Promise<DayStats[]> {
    return this.stats.days(model, options);
  }

  decisions(filter: DecisionsFilter): Promise<{ total: number; rows: DecisionRow[] }> {
    return this.stats.decisions(filter);
  }

  async putDeployment(d: Deployment): Promise<Deployment> {
    return this.db.transaction().execute(async (tx) => {
      const existing = await tx.selectFrom('deployments').selectAll().where('name', '=', d.name).executeTakeFirst();
      const row = {
        name: d.name,
        model: d.model,
        ref: d.ref,
        shadow_ref: d.shadowRef,
        canary_ref: d.canaryRef,
        canary_percent: d.canaryPercent,
        created_at: existing?.created_at ?? d.createdAt,
        created_by: existing?.created_by ?? d.createdBy,
        updated_at: d.updatedAt,
        updated_by: d.updatedBy,
      };
      if (existing) await tx.updateTable('deployments').set(row).where('name', '=', d.name).execute();
      else await tx.insertInto('deployments').values(row).execute();
      return toDeployment(row);
    });
  }

  async deleteDeployment(name: string): Promise<boolean> {
    const r = await this.db.deleteFrom('deployments').where('name', '=', name).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async getDeployment(name: string): Promise<Deployment | undefined> {
    const r = await this.db.selectFrom('deployments').selectAll().where('name', '=', name).executeTakeFirst();
    return r && toDeployment(r);
  }

  async listDeployments(): Promise<Deployment[]> {
    return (await this.db.selectFrom('deployments').selectAll().orderBy('name').execute()).map(toDeployment);
  }

  async insertPredictions(records: readonly PredictionRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.storeClassLists(records);
    await this.db.transaction().execute(async (tx) => {
      // Chunks of a power of two rows (at most 128): a handful of statement shapes, each compiled once.
      const review: PredictionRecord[] = [];
      for (let i = 0; i < records.length; ) {
        let size = LOG_CHUNK;
        while (size > records.length - i) size >>= 1;
        await tx.executeQuery(this.insertSql('predictions', PREDICTION_COLUMNS, this.predictionRow, records, i, size));
        review.length = 0;
        for (let j = i; j < i + size; j++) {
          const p = records[j]!;
          if (p.decision === 'review' && p.role !== 'shadow') review.push(p);
        }
        if (review.length > 0) await tx.executeQuery(this.insertSql('review_queue', REVIEW_COLUMNS, reviewRow, review, 0, review.length));
        i += size;
      }
    });
  }

  /**
   * Makes sure every class list of `records`' compact probabilities has its `prediction_classes`
   * row, and its id in {@link classIds}. Outside the log's transaction and never rolled back: a
   * list stored for a batch that then fails to commit is kept for the retry (a few per model version).
   */
  private async storeClassLists(records: readonly PredictionRecord[]): Promise<void> {
    let last: string | undefined;
    for (const r of records) {
      if (!hasCompactOutputs(r) || r.classesJson === last || this.classIds.has(r.classesJson)) continue;
      last = r.classesJson;
      // Several servers may store the same list at once: the unique names_json keeps one row.
      await this.db.insertInto('prediction_classes').values({ names_json: last }).onConflict((oc) => oc.column('names_json').doNothing()).execute();
      const row = await this.db.selectFrom('prediction_classes').select('id').where('names_json', '=', last).executeTakeFirstOrThrow();
      this.classIds.set(last, Number(row.id));
    }
  }

  /**
   * `INSERT … ON CONFLICT DO NOTHING` of `rows[from, from + n)` as one statement. Its SQL is compiled
   * by Kysely once per table and row count and reused with new parameters (the log writes the same
   * shapes all day; building and compiling a 200-row insert cost more than a tenth of each write).
   */
  private insertSql<T>(table: 'predictions' | 'review_queue', columns: readonly string[], row: (r: T, out: unknown[], at: number) => void, rows: readonly T[], from: number, n: number): CompiledQuery {
    const key = `${table}:${n}`;
    let sqlText = this.compiled.get(key);
    if (sqlText === undefined) {
      // Kysely only needs the column names here: the first row stands for all of them.
      const sample: unknown[] = [];
      row(rows[from]!, sample, 0);
      const first = Object.fromEntries(columns.map((c, j) => [c, sample[j]]));
      const values = Array.from({ length: n }, () => first);
      const conflict = table === 'predictions' ? 'id' : 'prediction_id';
      // The row objects only give Kysely the column names; the SQL's parameters are filled below.
      sqlText = this.db
        .insertInto(table)
        .values(values as never)
        .onConflict((oc) => oc.column(conflict as never).doNothing())
        .compile().sql;
      this.compiled.set(key, sqlText);
    }
    const width = columns.length;
    const params: unknown[] = new Array(n * width);
    for (let j = 0; j < n; j++) row(rows[from + j]!, params, j * width);
    return CompiledQuery.raw(sqlText, params);
  }

  async getPrediction(id: string): Promise<PredictionRecord | undefined> {
    const r = await this.predictionRows().where('predictions.id', '=', id).executeTakeFirst();
    return r && toPrediction(r);
  }

  async listPredictions(filter: { model?: string; deployment?: string; limit: number }): Promise<Array<PredictionRecord & { truth: GroundTruth | null }>> {
    let q = this.predictionRows();
    if (filter.model !== undefined) q = q.where('predictions.model', '=', filter.model);
    if (filter.deployment !== undefined) q = q.where('predictions.deployment', '=', filter.deployment);
    const rows = (await q.orderBy('predictions.at', 'desc').orderBy('predictions.id').limit(filter.limit).execute()).map(toPrediction);
    const truths = await this.latestTruths(rows.map((r) => r.id));
    return rows.map((r) => ({ ...r, truth: truths.get(r.id) ?? null }));
  }

  /** Logged rows with the class list of their probabilities. */
  private predictionRows() {
    return this.db
      .selectFrom('predictions')
      .leftJoin('prediction_classes', 'prediction_classes.id', 'predictions.classes_id')
      .selectAll('predictions')
      .select('prediction_classes.names_json');
  }

  private async latestTruths(ids: readonly string[]): Promise<Map<string, GroundTruth>> {
    const out = new Map<string, GroundTruth>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const part = ids.slice(i, i + CHUNK);
      if (part.length === 0) continue;
      const rows = await this.db.selectFrom('ground_truth').selectAll().where('prediction_id', 'in', part).orderBy('seq').execute();
      for (const r of rows) out.set(r.prediction_id, { predictionId: r.prediction_id, label: r.label, source: r.source as TruthSource, actor: r.actor, at: r.at });
    }
    return out;
  }

  async listReview(filter: { status?: 'pending' | 'answered'; deployment?: string; limit: number }): Promise<ReviewItem[]> {
    let q = this.db.selectFrom('review_queue').selectAll();
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    if (filter.deployment !== undefined) q = q.where('deployment', '=', filter.deployment);
    const items = (await q.orderBy('created_at').orderBy('prediction_id').limit(filter.limit).execute()).map(toReview);
    const ids = items.map((i) => i.predictionId);
    const inputs = new Map<string, Record<string, unknown>>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const part = ids.slice(i, i + CHUNK);
      if (part.length === 0) continue;
      for (const r of await this.db.selectFrom('predictions').select(['id', 'inputs_json']).where('id', 'in', part).execute()) {
        inputs.set(r.id, JSON.parse(r.inputs_json) as Record<string, unknown>);
      }
    }
    return items.map((i) => {
      const given = inputs.get(i.predictionId);
      return given === undefined ? i : { ...i, inputs: given };
    });
  }

  async getReview(predictionId: string): Promise<ReviewItem | undefined> {
    const r = await this.db.selectFrom('review_queue').selectAll().where('prediction_id', '=', predictionId).executeTakeFirst();
    return r && toReview(r);
  }

  async addTruth(truth: GroundTruth): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      if (truth.source === 'review') {
        const r = await tx
          .updateTable('review_queue')
          .set({ status: 'answered', answer: truth.label, answered_by: truth.actor, answered_at: truth.at })
          .where('prediction_id', '=', truth.predictionId)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) return false;
      }
      await tx
        .insertInto('ground_truth')
        .values({ prediction_id: truth.predictionId, label: truth.label, source: truth.source, actor: truth.actor, at: truth.at })
        .execute();
      return true;
    });
  }

  async getTruth(predictionId: string): Promise<GroundTruth | undefined> {
    return (await this.latestTruths([predictionId])).get(predictionId);
  }

  async existingPredictions(ids: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const part = ids.slice(i, i + CHUNK);
      if (part.length === 0) continue;
      for (const r of await this.db.selectFrom('predictions').select('id').where('id', 'in', part).execute()) out.add(r.id);
    }
    return out;
  }

  async predictionVersions(ids: readonly string[]): Promise<Map<string, { model: string; version: number }>> {
    const out = new Map<string, { model: string; version: number }>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const part = ids.slice(i, i + CHUNK);
      if (part.length === 0) continue;
      for (const r of await this.db.selectFrom('predictions').select(['id', 'model', 'version']).where('id', 'in', part).execute()) out.set(r.id, { model: r.model, version: Number(r.version) });
    }
    return out;
  }
}
