/** Monitoring over HTTP (issue 7): reports, alert rules, the alert history and one evaluation run — what `mloop monitor` does, through `ws.monitoring`. */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authorize, ROLE_PERMISSIONS } from '../../auth/index.js';
import { MloopError } from '../../errors/index.js';
import { alertJson, renderMonitoringHtml, ruleJson, type AlertRule } from '../../monitoring/index.js';
import type { Workspace } from '../../workspace/index.js';
import { errorResponses } from '../schemas.js';
import { CARD_CSP } from './models.js';

const security = [{ bearer: [] }];
const Any = Type.Object({}, { additionalProperties: true });
const ModelRef = Type.String({ minLength: 1, maxLength: 96, description: 'name (every version), name@N or name@alias' });
const Window = Type.String({ minLength: 1, maxLength: 20, description: '12h, 1d, 7d, 2w, or a number of predictions' });
const Time = Type.String({ minLength: 1, maxLength: 40, description: 'ISO 8601 time' });
/** The project of a model reference is its model name. */
const projectOfRef = (ref: string | undefined) => (ref === undefined ? undefined : ref.split('@')[0]);

/** A rule as JSON, with the webhook cut to its origin: Slack-style webhook URLs carry their secret in the path. */
function ruleView(rule: AlertRule) {
  const json = ruleJson(rule);
  if (json.webhook === null) return json;
  try {
    return { ...json, webhook: `${new URL(json.webhook).origin}/…` };
  } catch {
    return { ...json, webhook: '…' };
  }
}

export async function monitoringRoutes(app: FastifyInstance, opts: { ws: Workspace }): Promise<void> {
  const monitoring = opts.ws.monitoring;

  app.get(
    '/v1/monitoring/:model/report',
    {
      config: { access: { action: 'monitoring:read', project: (request: FastifyRequest) => projectOfRef((request.params as { model?: string }).model) } },
      schema: {
        summary: 'Drift, prediction drift, realized and estimated performance, and group gaps (bias drift) of a model over windows of its prediction log (JSON, or a self-contained HTML page)',
        tags: ['monitoring'],
        security,
        params: Type.Object({ model: ModelRef }),
        querystring: Type.Object(
          {
            window: Type.Optional(Window),
            reference: Type.Optional(Type.String({ minLength: 1, maxLength: 80, description: "reference dataset version (default: the version's training data)" })),
            reference_from: Type.Optional(Time),
            reference_to: Type.Optional(Time),
            since: Type.Optional(Time),
            until: Type.Optional(Time),
            min_group_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'groups with fewer predictions (labelled ones for the ground-truth gaps) are not compared (default 30)' })),
            format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('html')], { default: 'json' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Any, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { model } = request.params as { model: string };
      const q = request.query as { window?: string; reference?: string; reference_from?: string; reference_to?: string; since?: string; until?: string; min_group_size?: number; format: 'json' | 'html' };
      if ((q.reference_from === undefined) !== (q.reference_to === undefined)) throw MloopError.invalidArgument('reference_from and reference_to go together');
      if (q.reference !== undefined && q.reference_from !== undefined) throw MloopError.invalidArgument('give reference or reference_from/reference_to, not both');
      const reference = q.reference_from !== undefined && q.reference_to !== undefined ? { from: q.reference_from, to: q.reference_to } : q.reference;
      const report = await monitoring.report({
        model,
        window: q.window ?? '7d',
        ...(reference === undefined ? {} : { reference }),
        ...(q.since === undefined ? {} : { from: q.since }),
        ...(q.until === undefined ? {} : { to: q.until }),
        ...(q.min_group_size === undefined ? {} : { fairness: { minGroupSize: q.min_group_size } }),
      });
      if (q.format === 'html') {
        return reply
          .header('content-type', 'text/html; charset=utf-8')
          .header('content-security-policy', CARD_CSP)
          .header('x-content-type-options', 'nosniff')
          .header('referrer-policy', 'no-referrer')
          .send(renderMonitoringHtml(report));
      }
      return report;
    },
  );

  app.get(
    '/v1/monitoring/rules',
    {
      config: { access: { action: 'monitoring:read', project: (request: FastifyRequest) => projectOfRef((request.query as { model?: string }).model) } },
      schema: {
        summary: 'Alert rules (webhooks shown by origin only)',
        tags: ['monitoring'],
        security,
        querystring: Type.Object({ model: Type.Optional(ModelRef) }, { additionalProperties: false }),
        response: { 200: Type.Object({ rules: Type.Array(Any) }), ...errorResponses },
      },
    },
    async (request) => {
      const { model } = request.query as { model?: string };
      return { rules: (await monitoring.listRules(model === undefined ? {} : { model })).map(ruleView) };
    },
  );

  app.post(
    '/v1/monitoring/rules',
    {
      config: { access: { action: 'monitoring:manage', project: (request: FastifyRequest) => projectOfRef((request.body as { model?: string } | undefined)?.model) } },
      schema: {
        summary: 'Add an alert rule: alert when `metric op threshold` holds in `consecutive` windows in a row',
        tags: ['monitoring'],
        security,
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 63 }),
            model: ModelRef,
            metric: Type.String({ minLength: 1, maxLength: 200, description: 'e.g. performance.estimated_accuracy, drift.share, prediction.review_share, drift.<feature>' }),
            op: Type.String({ minLength: 1, maxLength: 2, description: 'one of > >= < <=' }),
            threshold: Type.Number(),
            consecutive: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
            window: Type.Optional(Window),
            webhook: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 2000 }), Type.Null()])),
          },
          { additionalProperties: false },
        ),
        response: { 201: Any, ...errorResponses, 409: Type.Ref('ErrorBody') },
      },
    },
    async (request, reply) => {
      const b = request.body as { name: string; model: string; metric: string; op: string; threshold: number; consecutive?: number; window?: string; webhook?: string | null };
      const rule = await monitoring.addRule(request.principal!.userName, {
        name: b.name,
        model: b.model,
        metric: b.metric,
        op: b.op,
        threshold: b.threshold,
        ...(b.consecutive === undefined ? {} : { consecutive: b.consecutive }),
        ...(b.window === undefined ? {} : { window: b.window }),
        webhook: b.webhook ?? null,
      });
      return reply.status(201).send(ruleView(rule));
    },
  );

  app.patch(
    '/v1/monitoring/rules/:rule',
    {
      config: { access: { authenticated: true } },
      schema: {
        summary: 'Change an alert rule by name or id (monitoring:manage on its model, and on the new model when it moves); what is left out stays, `webhook: null` removes the webhook. Its alerts stay in the history',
        tags: ['monitoring'],
        security,
        params: Type.Object({ rule: Type.String({ minLength: 1, maxLength: 80 }) }),
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
            model: Type.Optional(ModelRef),
            metric: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            op: Type.Optional(Type.String({ minLength: 1, maxLength: 2, description: 'one of > >= < <=' })),
            threshold: Type.Optional(Type.Number()),
            consecutive: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
            window: Type.Optional(Window),
            webhook: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 2000 }), Type.Null()])),
            enabled: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Any, ...errorResponses, 409: Type.Ref('ErrorBody') },
      },
    },
    async (request) => {
      const principal = request.principal!;
      const { rule } = request.params as { rule: string };
      const b = request.body as { name?: string; model?: string; metric?: string; op?: string; threshold?: number; consecutive?: number; window?: string; webhook?: string | null; enabled?: boolean };
      // A token that may manage monitoring nowhere is refused before the rule is looked up.
      if (!principal.grants.some((g) => ROLE_PERMISSIONS[g.role].includes('monitoring:manage'))) authorize(principal, 'monitoring:manage');
      const found = (await monitoring.listRules()).find((r) => r.id === rule || r.name === rule);
      if (!found) throw MloopError.notFound('alert rule', rule);
      authorize(principal, 'monitoring:manage', { project: projectOfRef(found.model)! });
      if (b.model !== undefined) authorize(principal, 'monitoring:manage', { project: projectOfRef(b.model)! });
      return ruleView(await monitoring.updateRule(principal.userName, found.id, b));
    },
  );

  app.delete(
    '/v1/monitoring/rules/:rule',
    {
      config: { access: { action: 'monitoring:manage' } },
      schema: {
        summary: 'Remove an alert rule by name or id (its alerts stay in the history)',
        tags: ['monitoring'],
        security,
        params: Type.Object({ rule: Type.String({ minLength: 1, maxLength: 80 }) }),
        response: { 200: Any, ...errorResponses },
      },
    },
    async (request) => ruleView(await monitoring.removeRule(request.principal!.userName, (request.params as { rule: string }).rule)),
  );

  app.get(
    '/v1/monitoring/alerts',
    {
      config: { access: { action: 'monitoring:read', project: (request: FastifyRequest) => projectOfRef((request.query as { model?: string }).model) } },
      schema: {
        summary: 'The alert history, newest first',
        tags: ['monitoring'],
        security,
        querystring: Type.Object(
          {
            model: Type.Optional(ModelRef),
            status: Type.Optional(Type.Union([Type.Literal('firing'), Type.Literal('resolved')])),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, default: 100 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ alerts: Type.Array(Any) }), ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query as { model?: string; status?: 'firing' | 'resolved'; limit: number };
      const alerts = await monitoring.listAlerts({ limit: q.limit, ...(q.model === undefined ? {} : { model: q.model }), ...(q.status === undefined ? {} : { status: q.status }) });
      return { alerts: alerts.map(alertJson) };
    },
  );

  app.post(
    '/v1/monitoring/run',
    {
      config: { access: { action: 'monitoring:manage' } },
      schema: {
        summary: 'Evaluate every deployed model and every alert rule once; record and deliver alerts. One result per model; a failing model is reported with its error',
        tags: ['monitoring'],
        security,
        body: Type.Optional(Type.Object({ window: Type.Optional(Window) }, { additionalProperties: false })),
        response: { 200: Type.Object({ models: Type.Array(Any) }), ...errorResponses },
      },
    },
    async (request) => {
      const { window } = (request.body ?? {}) as { window?: string };
      const results = await monitoring.run(window === undefined ? {} : { window });
      return { models: results.map((m) => ({ ...m, rules: m.rules.map((x) => ({ ...x, alert: x.alert ? alertJson(x.alert) : null })) })) };
    },
  );
}
