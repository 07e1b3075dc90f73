/** The ServingStore over Kysely, shared by SQLite and PostgreSQL. */
import type { Kysely, Selectable } from 'kysely';
import type { DatabaseSchema, DeploymentsTable, PredictionsTable, ReviewQueueTable } from '../storage/index.js';
import type { Deployment, Decision, GroundTruth, PredictionRecord, PredictionRole, ReviewItem, TruthSource } from './serving.js';
import type { ServingStore } from './serving-store.js';

/** Rows per INSERT statement: stays under SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 200;

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

function toPrediction(r: Selectable<PredictionsTable>): PredictionRecord {
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
    outputs: JSON.parse(r.outputs_json) as Record<string, unknown>,
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

export class SqlServingStore implements ServingStore {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

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
    await this.db.transaction().execute(async (tx) => {
      for (let i = 0; i < records.length; i += CHUNK) {
        const part = records.slice(i, i + CHUNK);
        await tx
          .insertInto('predictions')
          .values(
            part.map((p) => ({
              id: p.id,
              at: p.at,
              deployment: p.deployment,
              model: p.model,
              version: p.version,
              role: p.role,
              primary_id: p.primaryId,
              request_id: p.requestId,
              inputs_json: JSON.stringify(p.inputs),
              outputs_json: JSON.stringify(p.outputs),
              label: p.label,
              confidence: p.confidence,
              decision: p.decision,
              latency_ms: p.latencyMs,
              redacted: p.redacted ? 1 : 0,
              groups_json: p.groups === undefined || Object.keys(p.groups).length === 0 ? null : JSON.stringify(p.groups),
            })),
          )
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
        const review = part.filter((p) => p.decision === 'review' && p.role !== 'shadow');
        if (review.length > 0) {
          await tx
            .insertInto('review_queue')
            .values(
              review.map((p) => ({
                prediction_id: p.id,
                deployment: p.deployment,
                model: p.model,
                version: p.version,
                created_at: p.at,
                status: 'pending',
                predicted: p.label,
                confidence: p.confidence,
                answer: null,
                answered_by: null,
                answered_at: null,
              })),
            )
            .onConflict((oc) => oc.column('prediction_id').doNothing())
            .execute();
        }
      }
    });
  }

  async getPrediction(id: string): Promise<PredictionRecord | undefined> {
    const r = await this.db.selectFrom('predictions').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toPrediction(r);
  }

  async listPredictions(filter: { deployment?: string; limit: number }): Promise<Array<PredictionRecord & { truth: GroundTruth | null }>> {
    let q = this.db.selectFrom('predictions').selectAll();
    if (filter.deployment !== undefined) q = q.where('deployment', '=', filter.deployment);
    const rows = (await q.orderBy('at', 'desc').orderBy('id').limit(filter.limit).execute()).map(toPrediction);
    const truths = await this.latestTruths(rows.map((r) => r.id));
    return rows.map((r) => ({ ...r, truth: truths.get(r.id) ?? null }));
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
}
