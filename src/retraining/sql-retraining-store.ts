/** The RetrainingStore over Kysely, shared by SQLite and PostgreSQL. */
import type { Kysely, Selectable } from 'kysely';
import { isUniqueViolation, newId, type ApprovalsTable, type DatabaseSchema, type RetrainingDecisionsTable, type RetrainingRunsTable } from '../storage/index.js';
import { withLoopDefaults, type Approval, type RetrainingPolicy, type RetrainingRun, type RunState, type RunStep } from './retraining.js';
import type { Decision } from './triggers.js';
import type { RetrainingStore } from './retraining-store.js';

function toApproval(r: Selectable<ApprovalsTable>): Approval {
  return {
    id: r.id,
    runId: r.run_id,
    model: r.model,
    version: Number(r.version),
    status: r.status as Approval['status'],
    evidence: JSON.parse(r.evidence_json) as Record<string, unknown>,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at,
    comment: r.comment,
  };
}

function toDecision(r: Selectable<RetrainingDecisionsTable>): Decision {
  return {
    id: r.id,
    model: r.model,
    key: r.key,
    at: r.at,
    source: r.source as Decision['source'],
    retrain: Number(r.retrain) === 1,
    reason: r.reason,
    triggers: JSON.parse(r.triggers_json) as Decision['triggers'],
    labels: JSON.parse(r.labels_json) as Record<string, number>,
    jobId: r.job_id,
    createdBy: r.created_by,
  };
}

const policyOf = (json: string) => withLoopDefaults(JSON.parse(json) as RetrainingPolicy);

export class SqlRetrainingStore implements RetrainingStore {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  async putPolicy(policy: RetrainingPolicy, at: string, actor: string): Promise<void> {
    const row = { model: policy.model, policy_json: JSON.stringify(policy), updated_at: at, updated_by: actor };
    await this.db
      .insertInto('retraining_policies')
      .values(row)
      .onConflict((oc) => oc.column('model').doUpdateSet({ policy_json: row.policy_json, updated_at: at, updated_by: actor }))
      .execute();
  }

  async getPolicy(model: string) {
    const r = await this.db.selectFrom('retraining_policies').selectAll().where('model', '=', model).executeTakeFirst();
    return r && { policy: policyOf(r.policy_json), updatedAt: r.updated_at, updatedBy: r.updated_by };
  }

  async listPolicies() {
    const rows = await this.db.selectFrom('retraining_policies').selectAll().orderBy('model').execute();
    return rows.map((r) => ({ policy: policyOf(r.policy_json), updatedAt: r.updated_at, updatedBy: r.updated_by }));
  }

  async removePolicy(model: string): Promise<boolean> {
    const r = await this.db.deleteFrom('retraining_policies').where('model', '=', model).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  private async withSteps(r: Selectable<RetrainingRunsTable>): Promise<RetrainingRun> {
    const steps = await this.db.selectFrom('run_steps').selectAll().where('run_id', '=', r.id).orderBy('seq').execute();
    return {
      id: r.id,
      model: r.model,
      runKey: r.run_key,
      state: r.state as RunState,
      reason: r.reason,
      policy: policyOf(r.policy_json),
      challenger: r.challenger,
      champion: r.champion,
      createdAt: r.created_at,
      createdBy: r.created_by,
      updatedAt: r.updated_at,
      steps: steps.map((s) => ({ step: s.step, seq: Number(s.seq), status: s.status as RunStep['status'], reason: s.reason, details: JSON.parse(s.details_json) as Record<string, unknown>, at: s.at })),
    };
  }

  async openRun(run: Omit<RetrainingRun, 'steps'>): Promise<{ run: RetrainingRun; created: boolean }> {
    const existing = await this.db.selectFrom('retraining_runs').selectAll().where('run_key', '=', run.runKey).executeTakeFirst();
    if (existing) return { run: await this.withSteps(existing), created: false };
    try {
      await this.db
        .insertInto('retraining_runs')
        .values({
          id: run.id || newId('run'),
          model: run.model,
          run_key: run.runKey,
          state: run.state,
          reason: run.reason,
          policy_json: JSON.stringify(run.policy),
          challenger: run.challenger,
          champion: run.champion,
          created_at: run.createdAt,
          created_by: run.createdBy,
          updated_at: run.updatedAt,
        })
        .execute();
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
    const row = await this.db.selectFrom('retraining_runs').selectAll().where('run_key', '=', run.runKey).executeTakeFirstOrThrow();
    return { run: await this.withSteps(row), created: row.id === run.id };
  }

  async getRun(id: string): Promise<RetrainingRun | undefined> {
    const r = await this.db.selectFrom('retraining_runs').selectAll().where('id', '=', id).executeTakeFirst();
    return r && this.withSteps(r);
  }

  async listRuns(filter: { model?: string; states?: readonly RunState[]; limit: number; offset?: number }): Promise<RetrainingRun[]> {
    let q = this.db.selectFrom('retraining_runs').selectAll();
    if (filter.model !== undefined) q = q.where('model', '=', filter.model);
    if (filter.states !== undefined) {
      if (filter.states.length === 0) return [];
      q = q.where('state', 'in', [...filter.states]);
    }
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).offset(filter.offset ?? 0).execute();
    return Promise.all(rows.map((r) => this.withSteps(r)));
  }

  async countRuns(filter: { model?: string; states?: readonly RunState[] }): Promise<number> {
    let q = this.db.selectFrom('retraining_runs').select((eb) => eb.fn.countAll().as('n'));
    if (filter.model !== undefined) q = q.where('model', '=', filter.model);
    if (filter.states !== undefined) {
      if (filter.states.length === 0) return 0;
      q = q.where('state', 'in', [...filter.states]);
    }
    return Number((await q.executeTakeFirstOrThrow()).n);
  }

  async updateRun(id: string, patch: { state?: RunState; reason?: string; challenger?: string | null; champion?: string | null }, at: string): Promise<void> {
    await this.db
      .updateTable('retraining_runs')
      .set({
        updated_at: at,
        ...(patch.state === undefined ? {} : { state: patch.state }),
        ...(patch.reason === undefined ? {} : { reason: patch.reason }),
        ...(patch.challenger === undefined ? {} : { challenger: patch.challenger }),
        ...(patch.champion === undefined ? {} : { champion: patch.champion }),
      })
      .where('id', '=', id)
      .execute();
  }

  async transitionRun(id: string, from: RunState, patch: { state: RunState; reason: string }, at: string): Promise<boolean> {
    const r = await this.db.updateTable('retraining_runs').set({ state: patch.state, reason: patch.reason, updated_at: at }).where('id', '=', id).where('state', '=', from).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async putStep(runId: string, step: Omit<RunStep, 'seq'>): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const had = await tx.selectFrom('run_steps').select('seq').where('run_id', '=', runId).where('step', '=', step.step).executeTakeFirst();
      const values = { status: step.status, reason: step.reason, details_json: JSON.stringify(step.details), at: step.at };
      if (had) {
        await tx.updateTable('run_steps').set(values).where('run_id', '=', runId).where('step', '=', step.step).execute();
        return;
      }
      const max = await tx.selectFrom('run_steps').select((eb) => eb.fn.max('seq').as('m')).where('run_id', '=', runId).executeTakeFirst();
      await tx.insertInto('run_steps').values({ run_id: runId, step: step.step, seq: Number(max?.m ?? 0) + 1, ...values }).execute();
    });
  }

  async openApproval(a: Approval): Promise<Approval> {
    try {
      await this.db
        .insertInto('approvals')
        .values({
          id: a.id,
          run_id: a.runId,
          model: a.model,
          version: a.version,
          status: a.status,
          evidence_json: JSON.stringify(a.evidence),
          created_at: a.createdAt,
          expires_at: a.expiresAt,
          decided_by: null,
          decided_at: null,
          comment: null,
        })
        .execute();
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
    return toApproval(await this.db.selectFrom('approvals').selectAll().where('run_id', '=', a.runId).executeTakeFirstOrThrow());
  }

  async getApproval(id: string): Promise<Approval | undefined> {
    const r = await this.db.selectFrom('approvals').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toApproval(r);
  }

  async listApprovals(filter: { status?: Approval['status']; limit: number }): Promise<Approval[]> {
    let q = this.db.selectFrom('approvals').selectAll();
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    return (await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute()).map(toApproval);
  }

  async decideApproval(id: string, d: { status: Approval['status']; decidedBy: string; decidedAt: string; comment: string | null }): Promise<boolean> {
    const r = await this.db
      .updateTable('approvals')
      .set({ status: d.status, decided_by: d.decidedBy, decided_at: d.decidedAt, comment: d.comment })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async putDecision(d: Decision): Promise<{ decision: Decision; created: boolean }> {
    try {
      await this.db
        .insertInto('retraining_decisions')
        .values({
          id: d.id,
          model: d.model,
          key: d.key,
          at: d.at,
          source: d.source,
          retrain: d.retrain ? 1 : 0,
          reason: d.reason,
          triggers_json: JSON.stringify(d.triggers),
          labels_json: JSON.stringify(d.labels),
          job_id: d.jobId,
          created_by: d.createdBy,
        })
        .execute();
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
    const row = await this.db.selectFrom('retraining_decisions').selectAll().where('key', '=', d.key).executeTakeFirstOrThrow();
    return { decision: toDecision(row), created: row.id === d.id };
  }

  async setDecisionJob(id: string, jobId: string): Promise<void> {
    await this.db.updateTable('retraining_decisions').set({ job_id: jobId }).where('id', '=', id).execute();
  }

  async getDecision(idOrKey: string): Promise<Decision | undefined> {
    const r = await this.db.selectFrom('retraining_decisions').selectAll().where((eb) => eb.or([eb('id', '=', idOrKey), eb('key', '=', idOrKey)])).executeTakeFirst();
    return r && toDecision(r);
  }

  async listDecisions(filter: { model?: string; retrain?: boolean; limit: number }): Promise<Decision[]> {
    let q = this.db.selectFrom('retraining_decisions').selectAll();
    if (filter.model !== undefined) q = q.where('model', '=', filter.model);
    if (filter.retrain !== undefined) q = q.where('retrain', '=', filter.retrain ? 1 : 0);
    return (await q.orderBy('at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute()).map(toDecision);
  }
}
