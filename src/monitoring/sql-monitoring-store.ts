/** The MonitoringStore over Kysely, shared by SQLite and PostgreSQL. */
import { sql, type ExpressionBuilder, type Kysely, type Selectable } from 'kysely';
import { MloopError } from '../errors/index.js';
import { isUniqueViolation, type DatabaseSchema, type MonitoringAlertsTable, type MonitoringRulesTable } from '../storage/index.js';
import type { Alert, AlertPageQuery, AlertRule, AlertSort, RuleOp } from './monitoring.js';
import type { LogState, MonitoredPrediction, MonitoringStore, PredictionScan } from './monitoring-store.js';

/** Ids per `IN (…)`: stays under bound-parameter limits. */
const CHUNK = 500;

function toRule(r: Selectable<MonitoringRulesTable>): AlertRule {
  return {
    id: r.id,
    name: r.name,
    model: r.model,
    metric: r.metric,
    op: r.op as RuleOp,
    threshold: Number(r.threshold),
    consecutive: Number(r.consecutive),
    window: r.window,
    webhook: r.webhook,
    enabled: Number(r.enabled) === 1,
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
}

function toAlert(r: Selectable<MonitoringAlertsTable>): Alert {
  return {
    id: r.id,
    ruleId: r.rule_id,
    ruleName: r.rule_name,
    model: r.model,
    metric: r.metric,
    dedupKey: r.dedup_key,
    status: r.status as Alert['status'],
    firstWindow: r.first_window,
    lastWindow: r.last_window,
    windows: Number(r.windows),
    value: r.value === null ? null : Number(r.value),
    threshold: Number(r.threshold),
    message: r.message,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    resolvedAt: r.resolved_at,
    delivery: r.delivery as Alert['delivery'],
    deliveryError: r.delivery_error,
    deliveredAt: r.delivered_at,
  };
}

const ALERT_COLUMN: Record<AlertSort, 'updated_at' | 'created_at' | 'model' | 'rule_name' | 'status' | 'value' | 'windows'> = {
  updated_at: 'updated_at',
  created_at: 'created_at',
  model: 'model',
  rule: 'rule_name',
  status: 'status',
  value: 'value',
  windows: 'windows',
};

/** The columns of a rule that an update may change (all but its id and creation). */
function editableColumns(rule: AlertRule) {
  return {
    name: rule.name,
    model: rule.model,
    metric: rule.metric,
    op: rule.op,
    threshold: rule.threshold,
    consecutive: rule.consecutive,
    window: rule.window,
    webhook: rule.webhook,
    enabled: rule.enabled ? 1 : 0,
  };
}

export class SqlMonitoringStore implements MonitoringStore {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  async scanPredictions(scan: PredictionScan): Promise<MonitoredPrediction[]> {
    let q = this.db
      .selectFrom('predictions')
      .select(['id', 'at', 'version', 'inputs_json', 'label', 'confidence', 'decision', 'groups_json'])
      .where('model', '=', scan.model)
      .where('role', '!=', 'shadow');
    if (scan.version !== undefined) q = q.where('version', '=', scan.version);
    if (scan.from !== undefined) q = q.where('at', '>=', scan.from);
    if (scan.to !== undefined) q = q.where('at', '<', scan.to);
    const after = scan.after;
    // `at >= …` first so that the (model, at, id) index seeks to the page instead of walking from the start
    if (after) q = q.where('at', '>=', after.at).where((eb) => eb.or([eb('at', '>', after.at), eb('id', '>', after.id)]));
    const rows = await q.orderBy('at').orderBy('id').limit(scan.limit).execute();
    const truth = new Map<string, string>();
    for (let i = 0; i < rows.length; i += CHUNK) {
      const ids = rows.slice(i, i + CHUNK).map((r) => r.id);
      const found = await this.db.selectFrom('ground_truth').select(['prediction_id', 'label']).where('prediction_id', 'in', ids).orderBy('seq').execute();
      for (const t of found) truth.set(t.prediction_id, t.label);
    }
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      version: Number(r.version),
      inputs: JSON.parse(r.inputs_json) as Record<string, unknown>,
      label: r.label,
      confidence: r.confidence === null ? null : Number(r.confidence),
      decision: r.decision === 'auto' ? 'auto' : 'review',
      truth: truth.get(r.id) ?? null,
      groups: r.groups_json === null ? null : (JSON.parse(r.groups_json) as Record<string, string | null>),
    }));
  }

  async insertRule(rule: AlertRule): Promise<AlertRule> {
    try {
      await this.db
        .insertInto('monitoring_rules')
        .values({ id: rule.id, ...editableColumns(rule), created_at: rule.createdAt, created_by: rule.createdBy })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw MloopError.alreadyExists('alert rule', rule.name);
      throw err;
    }
    return rule;
  }

  async listRules(filter: { model?: string } = {}): Promise<AlertRule[]> {
    let q = this.db.selectFrom('monitoring_rules').selectAll();
    if (filter.model !== undefined) q = q.where((eb) => eb.or([eb('model', '=', filter.model!), eb('model', 'like', `${filter.model!}@%`)]));
    return (await q.orderBy('name').execute()).map(toRule);
  }

  async getRule(idOrName: string): Promise<AlertRule | undefined> {
    const r = await this.db.selectFrom('monitoring_rules').selectAll().where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)])).executeTakeFirst();
    return r ? toRule(r) : undefined;
  }

  async updateRule(rule: AlertRule): Promise<boolean> {
    try {
      const r = await this.db
        .updateTable('monitoring_rules')
        .set(editableColumns(rule))
        .where('id', '=', rule.id)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    } catch (err) {
      if (isUniqueViolation(err)) throw MloopError.alreadyExists('alert rule', rule.name);
      throw err;
    }
  }

  async deleteRule(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('monitoring_rules').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async upsertAlert(alert: Alert): Promise<{ alert: Alert; created: boolean }> {
    const existing = await this.db.selectFrom('monitoring_alerts').selectAll().where('dedup_key', '=', alert.dedupKey).executeTakeFirst();
    if (!existing) {
      try {
        await this.db
          .insertInto('monitoring_alerts')
          .values({
            id: alert.id,
            rule_id: alert.ruleId,
            rule_name: alert.ruleName,
            model: alert.model,
            metric: alert.metric,
            dedup_key: alert.dedupKey,
            status: alert.status,
            first_window: alert.firstWindow,
            last_window: alert.lastWindow,
            windows: alert.windows,
            value: alert.value,
            threshold: alert.threshold,
            message: alert.message,
            created_at: alert.createdAt,
            updated_at: alert.updatedAt,
            resolved_at: alert.resolvedAt,
            delivery: alert.delivery,
            delivery_error: alert.deliveryError,
            delivered_at: alert.deliveredAt,
          })
          .execute();
        return { alert, created: true };
      } catch (err) {
        // A concurrent run inserted the same breach first: fall through to the update.
        if (!isUniqueViolation(err)) throw err;
      }
    }
    await this.db
      .updateTable('monitoring_alerts')
      .set({ last_window: alert.lastWindow, windows: alert.windows, value: alert.value, message: alert.message, updated_at: alert.updatedAt, status: 'firing', resolved_at: null })
      .where('dedup_key', '=', alert.dedupKey)
      .execute();
    const row = await this.db.selectFrom('monitoring_alerts').selectAll().where('dedup_key', '=', alert.dedupKey).executeTakeFirstOrThrow();
    return { alert: toAlert(row), created: false };
  }

  async resolveAlerts(ruleId: string, keep: string | null, at: string): Promise<Alert[]> {
    let q = this.db.selectFrom('monitoring_alerts').selectAll().where('rule_id', '=', ruleId).where('status', '=', 'firing');
    if (keep !== null) q = q.where('dedup_key', '!=', keep);
    const rows = await q.execute();
    if (rows.length === 0) return [];
    await this.db
      .updateTable('monitoring_alerts')
      .set({ status: 'resolved', resolved_at: at, updated_at: at })
      .where('id', 'in', rows.map((r) => r.id))
      .execute();
    return rows.map((r) => ({ ...toAlert(r), status: 'resolved' as const, resolvedAt: at, updatedAt: at }));
  }

  async setDelivery(id: string, delivery: Alert['delivery'], error: string | null, at: string | null): Promise<void> {
    await this.db.updateTable('monitoring_alerts').set({ delivery, delivery_error: error, delivered_at: at }).where('id', '=', id).execute();
  }

  async listAlerts(filter: { model?: string; status?: Alert['status']; limit: number }): Promise<Alert[]> {
    let q = this.db.selectFrom('monitoring_alerts').selectAll();
    if (filter.model !== undefined) q = q.where('model', '=', filter.model);
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    return (await q.orderBy('created_at', 'desc').orderBy('id').limit(filter.limit).execute()).map(toAlert);
  }

  async pageAlerts(query: AlertPageQuery): Promise<{ alerts: Alert[]; total: number }> {
    const filter = (eb: ExpressionBuilder<DatabaseSchema, 'monitoring_alerts'>) => {
      const parts = [];
      if (query.model !== undefined) {
        const prefix = `${query.model}@`;
        // substr, not LIKE: model names may hold '_', a LIKE wildcard.
        parts.push(eb.or([eb('model', '=', query.model), eb(sql<string>`substr(model, 1, ${sql.lit(prefix.length)})`, '=', prefix)]));
      }
      if (query.status !== undefined) parts.push(eb('status', '=', query.status));
      return eb.and(parts);
    };
    const dir = query.order;
    const column = ALERT_COLUMN[query.sort];
    let q = this.db.selectFrom('monitoring_alerts').selectAll().where(filter);
    // Alerts without a value sort lowest on both backends (SQLite and PostgreSQL place NULL differently).
    if (column === 'value') q = q.orderBy(sql`case when value is null then 0 else 1 end`, dir);
    q = q.orderBy(column, dir).orderBy('id', dir);
    const [rows, count] = await Promise.all([
      q.limit(query.limit).offset(query.offset).execute(),
      this.db.selectFrom('monitoring_alerts').select((eb) => eb.fn.countAll().as('n')).where(filter).executeTakeFirstOrThrow(),
    ]);
    return { alerts: rows.map(toAlert), total: Number(count.n) };
  }

  async logState(model: string): Promise<LogState> {
    const [log, truth] = await Promise.all([
      this.db
        .selectFrom('predictions')
        .select((eb) => [eb.fn.countAll().as('n'), eb.fn.max('id').as('last_id'), eb.fn.max('at').as('last_at')])
        .where('model', '=', model)
        .where('role', '!=', 'shadow')
        .executeTakeFirstOrThrow(),
      this.db.selectFrom('ground_truth').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirstOrThrow(),
    ]);
    return {
      predictions: Number(log.n),
      lastId: (log.last_id as string | null) ?? null,
      lastAt: (log.last_at as string | null) ?? null,
      truthSeq: truth.seq === null ? 0 : Number(truth.seq),
    };
  }
}
