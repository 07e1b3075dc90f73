/**
 * Dashboard reads (issue 11): the aggregates the web app at `/` needs and the other routes do not
 * offer — the caller's session (what their roles allow), the overview of every model, champion
 * versus challenger with their coverage–precision curves, per-day traffic, a cached monitoring
 * report, and server-side sorted, paginated decisions and alerts. Everything here only reads, but
 * for the automation target a product manager sets on a model's page.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ACTIONS, GLOBAL_SCOPE, ROLE_PERMISSIONS, type Action } from '../../auth/index.js';
import { isMloopError } from '../../errors/index.js';
import { ALERT_SORTS, MonitoringResultCache, type AlertSort, type LatestEstimate, type MonitoringReport } from '../../monitoring/index.js';
import { buildModelCard, type ModelVersion } from '../../registry/index.js';
import { policyJson } from '../../retraining/index.js';
import { DECISION_SORTS, type DecisionSort } from '../../serving/index.js';
import type { Workspace } from '../../workspace/index.js';
import { errorResponses } from '../schemas.js';

const security = [{ bearer: [] }];
const Any = Type.Object({}, { additionalProperties: true });
const ModelName = Type.String({ minLength: 1, maxLength: 63 });
const DAY = 86_400_000;
/** How long a monitoring report whose log has changed since is still served while its successor is computed. */
export const MONITORING_CACHE_MS = 10 * 60_000;

/**
 * The pages of the web app and the actions that open each (any one of them). Only the labeling page
 * lists per-project data; the others read workspace-wide lists, so they need a global grant.
 */
export const DASHBOARD_PAGES = Object.freeze([
  { page: 'overview', actions: ['models:read'], scoped: false },
  { page: 'datasets', actions: ['datasets:read'], scoped: false },
  { page: 'labeling', actions: ['labeling:annotate', 'labeling:review', 'labeling:manage'], scoped: true },
  { page: 'models', actions: ['models:read'], scoped: false },
  { page: 'monitoring', actions: ['monitoring:read'], scoped: false },
  { page: 'runs', actions: ['jobs:read'], scoped: false },
  // Editing: retraining policies, alert rules, users. Only for roles that may change one of them.
  { page: 'settings', actions: ['jobs:manage', 'monitoring:manage', 'users:manage'], scoped: false },
] as const satisfies ReadonlyArray<{ page: string; actions: readonly Action[]; scoped: boolean }>);

const modelParam = (request: FastifyRequest) => (request.params as { name?: string }).name;
const pageQuery = {
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'desc' })),
};

function curveOf(report: unknown): Array<{ threshold: number; coverage: number; precision: number; auto: number }> {
  const r = (report ?? {}) as { report?: { curve?: unknown } };
  return Array.isArray(r.report?.curve) ? (r.report.curve as Array<{ threshold: number; coverage: number; precision: number; auto: number }>) : [];
}

interface GroupRow {
  attribute: string;
  group: string;
  n: number;
  status: string;
  accuracy: { value: number | null; lower?: number | null; upper?: number | null } | null;
  calibration_error: number | null;
}

/** Per-group accuracy of a saved evaluation's bias audit, with the across-group accuracy differences. */
function groupsOf(saved: unknown): { groups: GroupRow[]; differences: Record<string, number | null> } {
  const attributes = ((saved ?? {}) as { fairness?: { attributes?: Record<string, { groups?: Array<Record<string, unknown>>; differences?: Record<string, { value?: number | null }> }> } | null }).fairness?.attributes ?? {};
  const groups: GroupRow[] = [];
  const differences: Record<string, number | null> = {};
  for (const [attribute, a] of Object.entries(attributes)) {
    differences[attribute] = a.differences?.['accuracy_difference']?.value ?? null;
    for (const g of a.groups ?? [])
      groups.push({
        attribute,
        group: String(g['group']),
        n: Number(g['n']),
        status: String(g['status']),
        accuracy: (g['accuracy'] as GroupRow['accuracy']) ?? null,
        calibration_error: typeof g['calibrationError'] === 'number' ? g['calibrationError'] : null,
      });
  }
  return { groups, differences };
}

/** The report trimmed to what the charts draw: series per window, the latest distributions. */
function monitoringJson(r: MonitoringReport, computedAt: string, fresh: boolean) {
  return {
    computed_at: computedAt,
    fresh,
    model: r.model,
    window: r.window,
    reference: r.reference,
    windows: r.windows.map((w) => ({
      start: w.start,
      predictions: w.predictions,
      review_share: w.prediction.review_share,
      mean_confidence: w.prediction.mean_confidence,
      drift_share: w.dataset_drift?.share ?? null,
      features: Object.fromEntries((w.features ?? []).map((f) => [f.name, { statistic: f.statistic, threshold: f.threshold, drift: f.drift, test: f.test }])),
      realized: w.performance.realized_accuracy?.value ?? null,
      estimated: w.performance.estimated_accuracy?.value ?? null,
      labels: w.performance.labels,
    })),
    features: r.features,
    distributions: r.distributions,
    performance: r.performance,
  };
}

export async function dashboardRoutes(app: FastifyInstance, opts: { ws: Workspace; now?: () => Date }): Promise<void> {
  const { ws } = opts;
  const now = opts.now ?? (() => new Date());
  // Windows end now, or at the newest prediction when the log runs ahead of the clock (a replayed or simulated log).
  const anchor = async (): Promise<Date> => {
    const latest = await ws.serving.latestPredictionAt();
    const t = now();
    return latest !== null && Date.parse(latest) > t.getTime() ? new Date(latest) : t;
  };
  // Reports and estimates are kept while the model's log, ground truth, versions and aliases are unchanged.
  const results = new MonitoringResultCache(ws.monitoring, ws.registry, { staleMs: MONITORING_CACHE_MS, clock: now });
  // Once listening, compute each model's report in the background, so that a first visit reads a stored one,
  // up to monitoring.warmRows log rows in all: a bigger log's report is computed on its first visit (and kept).
  const warmRows = ws.config.monitoring.warmRows;
  let closing = false;
  app.addHook('onClose', async () => {
    closing = true;
  });
  app.addHook('onListen', async () => {
    void (async () => {
      const models = (await ws.registry.listModels()).map((m) => m.name);
      const warmed = await results.warm(models, () => closing, { maxRows: warmRows });
      app.log.info({ warmed }, 'monitoring reports computed for the dashboard');
    })().catch((err: unknown) => {
      if (!closing) app.log.warn({ err }, 'computing the monitoring reports in the background failed');
    });
  });

  app.get(
    '/v1/dashboard/session',
    {
      config: { access: { authenticated: true } },
      schema: {
        summary: "The caller's user, roles, the actions their roles allow in some project (and those a global grant allows) and the dashboard pages they may open",
        tags: ['dashboard'],
        security,
        response: {
          200: Type.Object({
            user: Type.String(),
            roles: Type.Array(Type.Object({ role: Type.String(), scope: Type.String() })),
            actions: Type.Array(Type.String()),
            global_actions: Type.Array(Type.String(), { description: 'actions a global grant allows (routes that name no project need one)' }),
            pages: Type.Array(Type.String()),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const p = request.principal!;
      const allowed = new Set<Action>(p.grants.flatMap((g) => ROLE_PERMISSIONS[g.role]));
      const global = new Set<Action>(p.grants.filter((g) => g.scope === GLOBAL_SCOPE).flatMap((g) => ROLE_PERMISSIONS[g.role]));
      return {
        user: p.userName,
        roles: p.grants.map((g) => ({ role: g.role, scope: g.scope })),
        actions: ACTIONS.filter((a) => allowed.has(a)),
        global_actions: ACTIONS.filter((a) => global.has(a)),
        pages: DASHBOARD_PAGES.filter((x) => x.actions.some((a) => (x.scoped ? allowed : global).has(a))).map((x) => x.page),
      };
    },
  );

  app.get(
    '/v1/overview',
    {
      config: { access: { action: 'models:read' } },
      schema: {
        summary:
          'Every model: champion and challenger, deployments, traffic and automated versus review share over the last 7 days, realized accuracy over the last 90 days, estimated accuracy (CBPE on the latest 7-day window, as the monitoring report computes it), open alerts, pending approvals and the next scheduled retraining (or retraining check). The windows end at as_of: now, or the newest prediction when the log runs ahead of the clock',
        tags: ['dashboard'],
        security,
        response: { 200: Type.Object({ generated_at: Type.String(), as_of: Type.String(), models: Type.Array(Any) }), ...errorResponses },
      },
    },
    async () => {
      const at = await anchor();
      const [models, deployments, week, quarter, alerts, approvals, schedules, policies, runs] = await Promise.all([
        ws.registry.listModels(),
        ws.serving.listDeployments(),
        ws.serving.trafficByModel(new Date(at.getTime() - 7 * DAY).toISOString()),
        ws.serving.trafficByModel(new Date(at.getTime() - 90 * DAY).toISOString()),
        ws.monitoring.listAlerts({ status: 'firing', limit: 1000 }),
        ws.retraining.listApprovals({ status: 'pending', limit: 1000 }),
        ws.jobs.listSchedules(),
        ws.retraining.listPolicies(),
        ws.retraining.listRuns({ limit: 200 }),
      ]);
      const share = (part: number, n: number) => (n === 0 ? null : part / n);
      // The estimate the monitoring page shows for its latest 7-day window (CBPE), not a second estimator.
      const estimates = new Map<string, LatestEstimate | null>();
      for (const m of models) {
        const last = week.get(m.name)?.lastAt ?? quarter.get(m.name)?.lastAt ?? null;
        let e: LatestEstimate | null = null;
        if (last !== null) {
          try {
            e = await results.estimateLatest(m.name, last);
          } catch (err) {
            if (!isMloopError(err)) throw err;
          }
        }
        estimates.set(m.name, e);
      }
      return {
        generated_at: now().toISOString(),
        as_of: at.toISOString(),
        models: models.map((m) => {
          const t = week.get(m.name);
          const e = estimates.get(m.name) ?? null;
          const q = quarter.get(m.name);
          const next = schedules
            .filter((s) => s.enabled && s.jobType.startsWith('retrain') && s.payload['model'] === m.name && s.nextSlot !== null)
            .sort((a, b) => String(a.nextSlot).localeCompare(String(b.nextSlot)))[0];
          const lastRun = runs.find((r) => r.model === m.name);
          const policy = policies.find((p) => p.policy.model === m.name);
          return {
            name: m.name,
            task: m.task,
            latest_version: m.latestVersion,
            champion: m.aliases['champion'] ?? null,
            challenger: m.aliases['challenger'] ?? null,
            aliases: m.aliases,
            deployments: deployments
              .filter((d) => d.model === m.name)
              .map((d) => ({ name: d.name, ref: d.ref, shadow: d.shadowRef, canary: d.canaryRef, canary_percent: d.canaryPercent })),
            traffic: {
              last_7d: t?.predictions ?? 0,
              auto: t?.auto ?? 0,
              review: t?.review ?? 0,
              auto_share: share(t?.auto ?? 0, t?.predictions ?? 0),
              review_share: share(t?.review ?? 0, t?.predictions ?? 0),
              last_prediction_at: t?.lastAt ?? q?.lastAt ?? null,
            },
            accuracy: {
              realized: q && q.labelled > 0 ? q.correct / q.labelled : null,
              labels: q?.labelled ?? 0,
              labelled_through: q?.labelledThrough ?? null,
              estimated: e?.estimated_accuracy?.value ?? null,
              estimated_interval: e?.estimated_accuracy ? { lower: e.estimated_accuracy.lower, upper: e.estimated_accuracy.upper } : null,
              estimated_window: e ? { start: e.start, end: e.end, predictions: e.predictions } : null,
              estimated_method: e?.estimated_accuracy
                ? `CBPE over the week from ${e.start.slice(0, 10)}, as on the monitoring page (${e.predictions} predictions; confidence calibrated on ${e.calibration.source === 'validation' ? 'validation data' : 'nothing: raw confidence'})`
                : 'no estimate yet: no recent predictions to estimate from',
            },
            open_alerts: alerts.filter((a) => a.model === m.name || a.model.startsWith(`${m.name}@`)).length,
            pending_approvals: approvals.filter((a) => a.model === m.name).length,
            policy: policy ? { promotion: policy.policy.promotion, target_precision: policy.policy.training.settings['targetPrecision'] ?? null } : null,
            next_run: next ? { schedule: next.name, at: next.nextSlot, cron: next.cron } : null,
            last_run: lastRun ? { id: lastRun.id, state: lastRun.state, at: lastRun.updatedAt, reason: lastRun.reason } : null,
          };
        }),
      };
    },
  );

  app.get(
    '/v1/dashboard/models/:name/compare',
    {
      config: { access: { action: 'models:read', project: modelParam } },
      schema: {
        summary:
          'Champion versus challenger (or versions a and b): each model card (metrics with intervals, slices, calibration, fairness, gates), and the coverage–precision curve and per-group accuracy of its newest saved evaluation, preferring a dataset both were evaluated on',
        tags: ['dashboard'],
        security,
        params: Type.Object({ name: ModelName }),
        querystring: Type.Object({ a: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })), b: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })) }, { additionalProperties: false }),
        response: { 200: Any, ...errorResponses },
      },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      const q = request.query as { a?: string; b?: string };
      const model = await ws.registry.getModel(name);
      const pick = async (given: string | undefined, alias: string): Promise<ModelVersion | null> => {
        if (given !== undefined) return ws.registry.resolve(`${name}@${given}`);
        return model.aliases[alias] === undefined ? null : ws.registry.resolve(`${name}@${model.aliases[alias]}`);
      };
      const a = (await pick(q.a, 'champion')) ?? (await ws.registry.resolve(`${name}@${model.latestVersion}`));
      const b = await pick(q.b, 'challenger');
      const evals = async (v: ModelVersion | null) => (v ? await ws.registry.evaluations(v.ref) : []);
      const [ea, eb] = await Promise.all([evals(a), evals(b)]);
      const shared = ea.map((e) => e.dataset).filter((d) => eb.some((x) => x.dataset === d));
      const side = async (v: ModelVersion | null, list: typeof ea) => {
        if (!v) return null;
        const chosen = [...list].reverse().find((e) => shared.length === 0 || e.dataset === shared.at(-1)) ?? list.at(-1);
        // The card and the saved evaluation are read at once (artifact reads).
        const [card, evaluation] = await Promise.all([
          buildModelCard({ registry: ws.registry, datasets: ws.datasets }, v.ref),
          (async () => {
            if (!chosen) return { curve: null, groups: { groups: [], differences: {} } };
            const saved = await ws.registry.readEvaluation(chosen);
            return { curve: { dataset: chosen.dataset, at: chosen.createdAt, points: curveOf(saved) }, groups: groupsOf(saved) };
          })(),
        ]);
        const t = v.record.thresholds ?? {};
        return {
          ref: v.ref,
          version: v.version,
          aliases: v.aliases,
          card,
          threshold: { confidence: t['confidence'] ?? null, target_precision: t['target_precision'] ?? null, validation: t['validation'] ?? null },
          ...evaluation,
        };
      };
      const [sideA, sideB] = await Promise.all([side(a, ea), side(b, eb)]);
      return { model: name, shared_dataset: shared.at(-1) ?? null, a: sideA, b: sideB };
    },
  );

  app.get(
    '/v1/dashboard/models/:name/traffic',
    {
      config: { access: { action: 'monitoring:read', project: modelParam } },
      schema: {
        summary: "Per day: primary predictions, automated and review decisions, latency p50/p95/p99, labelled and correct predictions, shadow predictions and their agreement with the primary's answer",
        tags: ['dashboard'],
        security,
        params: Type.Object({ name: ModelName }),
        querystring: Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, default: 365 })) }, { additionalProperties: false }),
        response: { 200: Any, ...errorResponses },
      },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      const { days = 365 } = request.query as { days?: number };
      await ws.registry.getModel(name);
      const since = new Date((await anchor()).getTime() - days * DAY).toISOString();
      return { model: name, since, days: await ws.serving.dailyTraffic(name, { since }) };
    },
  );

  app.get(
    '/v1/dashboard/models/:name/monitoring',
    {
      config: { access: { action: 'monitoring:read', project: modelParam } },
      schema: {
        summary: `The model's monitoring report (7-day windows over its whole prediction log) trimmed for charts: per-window drift per feature, review share, realized and estimated accuracy, and the latest reference-versus-current distributions. Computed once and kept ${MONITORING_CACHE_MS / 60_000} minutes; refresh=true recomputes`,
        tags: ['dashboard'],
        security,
        params: Type.Object({ name: ModelName }),
        querystring: Type.Object({ refresh: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        response: { 200: Any, ...errorResponses },
      },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      const { refresh } = request.query as { refresh?: boolean };
      const r = await results.report(name, refresh === true ? { refresh: true } : {});
      return monitoringJson(r.report, r.computedAt, r.fresh);
    },
  );

  app.get(
    '/v1/dashboard/models/:name/decisions',
    {
      config: { access: { action: 'monitoring:read', project: modelParam } },
      schema: {
        summary: "The model's logged predictions with their decision and ground truth, sorted and paginated on the server",
        tags: ['dashboard'],
        security,
        params: Type.Object({ name: ModelName }),
        querystring: Type.Object(
          {
            ...pageQuery,
            sort: Type.Optional(Type.Union(DECISION_SORTS.map((s) => Type.Literal(s)), { default: 'at' })),
            decision: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('review')])),
          },
          { additionalProperties: false },
        ),
        response: { 200: Any, ...errorResponses },
      },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      const q = request.query as { offset: number; limit: number; order: 'asc' | 'desc'; sort: DecisionSort; decision?: string };
      await ws.registry.getModel(name);
      const page = await ws.serving.decisions({ model: name, offset: q.offset, limit: q.limit, sort: q.sort, order: q.order, ...(q.decision ? { decision: q.decision } : {}) });
      return {
        total: page.total,
        offset: q.offset,
        limit: q.limit,
        rows: page.rows.map((r) => ({ id: r.id, at: r.at, deployment: r.deployment, version: r.version, role: r.role, label: r.label, confidence: r.confidence, decision: r.decision, latency_ms: r.latencyMs, truth: r.truth })),
      };
    },
  );

  app.put(
    '/v1/dashboard/models/:name/target-precision',
    {
      config: { access: { action: 'models:promote', project: modelParam } },
      schema: {
        summary:
          "Set the automation target of a model: the precision its next retraining chooses the confidence threshold for (training.settings.targetPrecision of its retraining policy; everything else stays). For whoever may promote the model; 404 when it has no policy",
        tags: ['dashboard'],
        security,
        params: Type.Object({ name: ModelName }),
        body: Type.Object({ target_precision: Type.Number({ exclusiveMinimum: 0, maximum: 1 }) }, { additionalProperties: false }),
        response: { 200: Any, ...errorResponses },
      },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      const { target_precision } = request.body as { target_precision: number };
      const current = policyJson((await ws.retraining.getPolicy(name)).policy);
      const policy = await ws.retraining.setPolicy(request.principal!.userName, {
        ...current,
        training: { ...current.training, settings: { ...current.training.settings, targetPrecision: target_precision } },
      });
      return { policy: policyJson(policy) };
    },
  );

  app.get(
    '/v1/dashboard/alerts',
    {
      config: { access: { action: 'monitoring:read' } },
      schema: {
        summary: 'The alert history, sorted and paginated on the server',
        tags: ['dashboard'],
        security,
        querystring: Type.Object(
          {
            ...pageQuery,
            sort: Type.Optional(Type.Union(ALERT_SORTS.map((s) => Type.Literal(s)), { default: 'updated_at' })),
            model: Type.Optional(ModelName),
            status: Type.Optional(Type.Union([Type.Literal('firing'), Type.Literal('resolved')])),
          },
          { additionalProperties: false },
        ),
        response: { 200: Any, ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query as { offset: number; limit: number; order: 'asc' | 'desc'; sort: AlertSort; model?: string; status?: 'firing' | 'resolved' };
      const page = await ws.monitoring.pageAlerts({ sort: q.sort, order: q.order, offset: q.offset, limit: q.limit, ...(q.model === undefined ? {} : { model: q.model }), ...(q.status === undefined ? {} : { status: q.status }) });
      const rows = page.alerts.map((a) => ({
        id: a.id,
        rule: a.ruleName,
        model: a.model,
        metric: a.metric,
        status: a.status,
        value: a.value,
        threshold: a.threshold,
        windows: a.windows,
        first_window: a.firstWindow,
        last_window: a.lastWindow,
        message: a.message,
        created_at: a.createdAt,
        updated_at: a.updatedAt,
        resolved_at: a.resolvedAt,
      }));
      return { total: page.total, offset: q.offset, limit: q.limit, rows };
    },
  );
}
