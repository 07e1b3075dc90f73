/** The RegistryStore over Kysely, shared by SQLite and PostgreSQL. */
import type { Kysely, Selectable } from 'kysely';
import { MloopError } from '../errors/index.js';
import { isUniqueViolation, newId, type DatabaseSchema, type ModelVersionsTable, type ModelsTable } from '../storage/index.js';
import { formatModelRef, parseModelRef, type AliasMove, type Model, type ModelDescription, type ModelVersion, type SavedEvaluation, type Task } from './registry.js';
import type { NewModelVersion, RegistryStore } from './registry-store.js';

type VersionRow = Selectable<ModelVersionsTable> & { name: string };

export class SqlRegistryStore implements RegistryStore {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  private versions() {
    return this.db.selectFrom('model_versions').innerJoin('models', 'models.id', 'model_versions.model_id').selectAll('model_versions').select('models.name as name');
  }

  private async aliasesOf(modelId: string): Promise<Array<{ alias: string; version: number }>> {
    const rows = await this.db.selectFrom('model_aliases').select(['alias', 'version']).where('model_id', '=', modelId).orderBy('alias').execute();
    return rows.map((r) => ({ alias: r.alias, version: Number(r.version) }));
  }

  private toVersion(r: VersionRow, aliases: Array<{ alias: string; version: number }>): ModelVersion {
    const version = Number(r.version);
    return {
      id: r.id,
      model: r.name,
      version,
      ref: formatModelRef(r.name, version),
      task: r.task as Task,
      runKey: r.run_key,
      record: JSON.parse(r.record_json) as ModelVersion['record'],
      artifacts: JSON.parse(r.artifacts_json) as ModelVersion['artifacts'],
      tags: JSON.parse(r.tags_json) as Record<string, string>,
      notes: r.notes,
      aliases: aliases.filter((a) => a.version === version).map((a) => a.alias),
      createdAt: r.created_at,
      createdBy: r.created_by,
    };
  }

  private async toModel(r: Selectable<ModelsTable>): Promise<Model> {
    const aliases = await this.aliasesOf(r.id);
    return {
      id: r.id,
      name: r.name,
      task: r.task as Task,
      description: JSON.parse(r.description_json) as ModelDescription,
      latestVersion: Number(r.last_version),
      aliases: Object.fromEntries(aliases.map((a) => [a.alias, a.version])),
      createdAt: r.created_at,
      createdBy: r.created_by,
    };
  }

  private async byRunKey(model: string, runKey: string): Promise<ModelVersion | undefined> {
    const r = await this.versions().where('models.name', '=', model).where('model_versions.run_key', '=', runKey).executeTakeFirst();
    return r && this.toVersion(r, await this.aliasesOf(r.model_id));
  }

  async createVersion(v: NewModelVersion): Promise<{ version: ModelVersion; created: boolean }> {
    if (v.runKey !== undefined) {
      const existing = await this.byRunKey(v.model, v.runKey);
      if (existing) return { version: existing, created: false };
    }
    try {
      const id = await this.db.transaction().execute(async (trx) => {
        // Writing first takes the write lock at once (SQLite) and the row lock below serialises
        // concurrent creators (PostgreSQL), so numbers never collide and never leave gaps.
        await trx
          .insertInto('models')
          .values({ id: newId('mdl'), name: v.model, task: v.task, description_json: JSON.stringify(v.description ?? {}), last_version: 0, created_at: v.createdAt, created_by: v.createdBy })
          .onConflict((oc) => oc.column('name').doNothing())
          .execute();
        const model = await trx
          .updateTable('models')
          .set((eb) => ({ last_version: eb('last_version', '+', 1) }))
          .where('name', '=', v.model)
          .returning(['id', 'last_version', 'task'])
          .executeTakeFirstOrThrow();
        if (model.task !== v.task) {
          throw MloopError.failedPrecondition(`model '${v.model}' is a ${model.task} model; a ${v.task} version cannot join it`, {
            hint: 'register it under another name',
          });
        }
        const versionId = newId('mver');
        await trx
          .insertInto('model_versions')
          .values({
            id: versionId,
            model_id: model.id,
            version: Number(model.last_version),
            task: v.task,
            run_key: v.runKey ?? null,
            record_json: JSON.stringify(v.record),
            artifacts_json: JSON.stringify(v.artifacts),
            tags_json: JSON.stringify(v.tags ?? {}),
            notes: v.notes ?? '',
            created_at: v.createdAt,
            created_by: v.createdBy,
          })
          .execute();
        return versionId;
      });
      const row = await this.versions().where('model_versions.id', '=', id).executeTakeFirstOrThrow();
      return { version: this.toVersion(row, await this.aliasesOf(row.model_id)), created: true };
    } catch (err) {
      // Another process finished the same run first: one run, one version.
      if (v.runKey !== undefined && isUniqueViolation(err)) {
        const existing = await this.byRunKey(v.model, v.runKey);
        if (existing) return { version: existing, created: false };
      }
      throw err;
    }
  }

  async getModel(name: string): Promise<Model | undefined> {
    const r = await this.db.selectFrom('models').selectAll().where('name', '=', name).executeTakeFirst();
    return r && this.toModel(r);
  }

  async listModels(): Promise<Model[]> {
    const rows = await this.db.selectFrom('models').selectAll().orderBy('name').execute();
    return Promise.all(rows.map((r) => this.toModel(r)));
  }

  async getVersion(name: string, version: number): Promise<ModelVersion | undefined> {
    const r = await this.versions().where('models.name', '=', name).where('model_versions.version', '=', version).executeTakeFirst();
    return r && this.toVersion(r, await this.aliasesOf(r.model_id));
  }

  async listVersions(name: string): Promise<ModelVersion[]> {
    const rows = await this.versions().where('models.name', '=', name).orderBy('model_versions.version').execute();
    if (rows.length === 0) return [];
    const aliases = await this.aliasesOf(rows[0]!.model_id);
    return rows.map((r) => this.toVersion(r, aliases));
  }

  async updateDescription(name: string, description: ModelDescription): Promise<void> {
    const r = await this.db.updateTable('models').set({ description_json: JSON.stringify(description) }).where('name', '=', name).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw MloopError.notFound('model', name);
  }

  async annotateVersion(name: string, version: number, patch: { tags?: Record<string, string>; notes?: string }): Promise<void> {
    const current = await this.getVersion(name, version);
    if (!current) throw MloopError.notFound('model version', formatModelRef(name, version));
    await this.db
      .updateTable('model_versions')
      .set({ tags_json: JSON.stringify(patch.tags ?? current.tags), notes: patch.notes ?? current.notes })
      .where('id', '=', current.id)
      .execute();
  }

  async moveAlias(move: { model: string; alias: string; version: number | null; at: string; actor: string; reason: string; evidence: Record<string, unknown> }): Promise<AliasMove> {
    return this.db.transaction().execute(async (trx) => {
      // Touch the model row first so concurrent moves of one model serialise.
      const model = await trx
        .updateTable('models')
        .set((eb) => ({ last_version: eb.ref('last_version') }))
        .where('name', '=', move.model)
        .returning(['id'])
        .executeTakeFirst();
      if (!model) throw MloopError.notFound('model', move.model);
      if (move.version !== null) {
        const exists = await trx.selectFrom('model_versions').select('id').where('model_id', '=', model.id).where('version', '=', move.version).executeTakeFirst();
        if (!exists) throw MloopError.notFound('model version', formatModelRef(move.model, move.version), { hint: `'mloop models show ${move.model}' lists its versions` });
      }
      const current = await trx.selectFrom('model_aliases').select('version').where('model_id', '=', model.id).where('alias', '=', move.alias).executeTakeFirst();
      const from = current ? Number(current.version) : null;
      if (move.version === null) {
        if (from === null) throw MloopError.notFound('alias', `${move.model}@${move.alias}`);
        await trx.deleteFrom('model_aliases').where('model_id', '=', model.id).where('alias', '=', move.alias).execute();
      } else if (from === null) {
        await trx.insertInto('model_aliases').values({ model_id: model.id, alias: move.alias, version: move.version, updated_at: move.at, updated_by: move.actor }).execute();
      } else {
        await trx.updateTable('model_aliases').set({ version: move.version, updated_at: move.at, updated_by: move.actor }).where('model_id', '=', model.id).where('alias', '=', move.alias).execute();
      }
      const row = await trx
        .insertInto('alias_history')
        .values({ model_id: model.id, alias: move.alias, from_version: from, to_version: move.version, at: move.at, actor: move.actor, reason: move.reason, evidence_json: JSON.stringify(move.evidence) })
        .returning('seq')
        .executeTakeFirstOrThrow();
      return { seq: Number(row.seq), model: move.model, alias: move.alias, fromVersion: from, toVersion: move.version, at: move.at, actor: move.actor, reason: move.reason, evidence: move.evidence };
    });
  }

  async aliasHistory(name: string, alias?: string): Promise<AliasMove[]> {
    let q = this.db
      .selectFrom('alias_history')
      .innerJoin('models', 'models.id', 'alias_history.model_id')
      .selectAll('alias_history')
      .where('models.name', '=', name)
      .orderBy('alias_history.seq');
    if (alias !== undefined) q = q.where('alias_history.alias', '=', alias);
    const rows = await q.execute();
    return rows.map((r) => ({
      seq: Number(r.seq),
      model: name,
      alias: r.alias,
      fromVersion: r.from_version === null ? null : Number(r.from_version),
      toVersion: r.to_version === null ? null : Number(r.to_version),
      at: r.at,
      actor: r.actor,
      reason: r.reason,
      evidence: JSON.parse(r.evidence_json) as Record<string, unknown>,
    }));
  }

  async saveEvaluation(e: Omit<SavedEvaluation, 'id'>): Promise<SavedEvaluation> {
    const ref = parseModelRef(e.model);
    const version = ref.version === undefined ? undefined : await this.getVersion(ref.name, ref.version);
    if (!version) throw MloopError.notFound('model version', e.model);
    const id = newId('eval');
    await this.db
      .insertInto('model_evaluations')
      .values({
        id,
        model_version_id: version.id,
        dataset: e.dataset,
        report_sha256: e.reportSha256,
        summary_json: JSON.stringify(e.summary),
        gate_passed: e.gatePassed === null ? null : e.gatePassed ? 1 : 0,
        created_at: e.createdAt,
        created_by: e.createdBy,
      })
      .execute();
    return { ...e, id };
  }

  async listEvaluations(name: string, version: number): Promise<SavedEvaluation[]> {
    const rows = await this.db
      .selectFrom('model_evaluations')
      .innerJoin('model_versions', 'model_versions.id', 'model_evaluations.model_version_id')
      .innerJoin('models', 'models.id', 'model_versions.model_id')
      .selectAll('model_evaluations')
      .where('models.name', '=', name)
      .where('model_versions.version', '=', version)
      .orderBy('model_evaluations.created_at', 'desc')
      .orderBy('model_evaluations.id', 'desc')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      model: formatModelRef(name, version),
      dataset: r.dataset,
      reportSha256: r.report_sha256,
      summary: JSON.parse(r.summary_json) as Record<string, unknown>,
      gatePassed: r.gate_passed === null ? null : Number(r.gate_passed) === 1,
      createdAt: r.created_at,
      createdBy: r.created_by,
    }));
  }
}
