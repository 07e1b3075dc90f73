/**
 * Retraining over HTTP: policies, runs with their steps, approvals and alias rollback. Routes whose
 * model is only known from the body or the stored record (a run, an approval) declare
 * `authenticated` and authorize in the handler once the model is known, so project-scoped grants
 * count; a token that may not perform the action on any project is refused before any lookup.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ROLE_PERMISSIONS, authorize, type Action, type Principal } from '../../auth/index.js';
import { MloopError } from '../../errors/index.js';
import { moveJson } from '../../registry/index.js';
import { approvalJson, CHECK_SOURCES, decisionJson, policyJson, RUN_STATES, runJson, type Approval, type CheckSource, type RunState } from '../../retraining/index.js';
import type { Workspace } from '../../workspace/index.js';
import { errorResponses } from '../schemas.js';

const security = [{ bearer: [] }];
const Any = Type.Object({}, { additionalProperties: true });
const ModelName = Type.String({ minLength: 1, maxLength: 63 });
const Id = Type.String({ minLength: 1, maxLength: 64 });
const APPROVAL_STATES = ['pending', 'approved', 'rejected', 'expired'] as const;
const precondition = { 409: Type.Ref('ErrorBody'), 412: Type.Ref('ErrorBody') };

/** Refuses a token none of whose grants allows `action` anywhere, before anything is looked up. */
function mayAnywhere(principal: Principal, action: Action): void {
  if (!principal.grants.some((g) => ROLE_PERMISSIONS[g.role].includes(action))) authorize(principal, action);
}

export async function retrainingRoutes(app: FastifyInstance, opts: { ws: Workspace }): Promise<void> {
  const { retraining, jobs } = opts.ws;

  app.get(
    '/v1/policies',
    { config: { access: { action: 'jobs:read' } }, schema: { summary: 'List retraining policies', tags: ['retraining'], security, response: { 200: Type.Object({ policies: Type.Array(Any) }), ...errorResponses } } },
    async () => ({ policies: (await retraining.listPolicies()).map((p) => ({ ...policyJson(p.policy), updated_at: p.updatedAt, updated_by: p.updatedBy })) }),
  );
  app.get(
    '/v1/policies/:model',
    {
      config: { access: { action: 'jobs:read', project: (request) => (request.params as { model?: string }).model } },
      schema: { summary: "A model's retraining policy (in its file form)", tags: ['retraining'], security, params: Type.Object({ model: ModelName }), response: { 200: Any, ...errorResponses } },
    },
    async (request) => {
      const { model } = request.params as { model: string };
      const p = await retraining.getPolicy(model);
      return { policy: policyJson(p.policy), updated_at: p.updatedAt, updated_by: p.updatedBy };
    },
  );
  app.put(
    '/v1/policies/:model',
    {
      config: { access: { action: 'jobs:manage', project: (request) => (request.params as { model?: string }).model } },
      schema: {
        summary: "Set a model's retraining policy; every problem is listed in error.details.issues with its path. `promotion: auto` also needs models:promote",
        tags: ['retraining'],
        security,
        params: Type.Object({ model: ModelName }),
        body: Type.Object({}, { additionalProperties: true, description: 'The policy: {training, evaluation?, gate, promotion?, approval?, triggers?, schedules?, shadow?, watch?} (snake_case, as in the policy file; the gate inline). Setting it creates the model schedules <model>.monitor and <model>.retrain-check' }),
        response: { 200: Any, ...errorResponses },
      },
    },
    async (request) => {
      const { model } = request.params as { model: string };
      const body = { ...(request.body as Record<string, unknown>) };
      if (body['model'] !== undefined && body['model'] !== model) {
        throw MloopError.validation(`the policy is for '${String(body['model'])}', not '${model}'`, [{ path: 'model', code: 'invalid_value', message: `model must be '${model}' (the path's model) or left out` }]);
      }
      body['model'] = model;
      // An automatic policy promotes without a person, so it needs the right to promote.
      if (body['promotion'] === 'auto') authorize(request.principal!, 'models:promote', { project: model });
      const policy = await retraining.setPolicy(request.principal!.userName, body);
      return { policy: policyJson(policy) };
    },
  );
  app.delete(
    '/v1/policies/:model',
    {
      config: { access: { action: 'jobs:manage', project: (request) => (request.params as { model?: string }).model } },
      schema: {
        summary: "Remove a model's retraining policy with its schedules and drift rule (runs, decisions and alerts stay); refused while a run of the model is in progress",
        tags: ['retraining'],
        security,
        params: Type.Object({ model: ModelName }),
        response: { 200: Any, ...errorResponses },
      },
    },
    async (request) => {
      const { model } = request.params as { model: string };
      return { removed: policyJson(await retraining.removePolicy(request.principal!.userName, model)) };
    },
  );

  app.get(
    '/v1/runs',
    {
      config: { access: { action: 'jobs:read', project: (request) => (request.query as { model?: string }).model } },
      schema: {
        summary: 'Retraining runs, newest first, each with its steps, one page at a time with the total',
        tags: ['retraining'],
        security,
        querystring: Type.Object({
          model: Type.Optional(ModelName),
          state: Type.Optional(Type.Union(RUN_STATES.map((x) => Type.Literal(x)))),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
          offset: Type.Integer({ minimum: 0, default: 0 }),
        }),
        response: { 200: Type.Object({ runs: Type.Array(Any), total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer() }), ...errorResponses },
      },
    },
    async (request) => {
      const { state, model, limit, offset } = request.query as { model?: string; state?: RunState; limit: number; offset: number };
      const page = await retraining.pageRuns({ ...(model === undefined ? {} : { model }), ...(state === undefined ? {} : { states: [state] }), limit, offset });
      return { runs: page.runs.map(runJson), total: page.total, limit, offset };
    },
  );
  app.get(
    '/v1/runs/:id',
    {
      config: { access: { authenticated: true } },
      schema: { summary: 'A run with every step and its reason (jobs:read on its model)', tags: ['retraining'], security, params: Type.Object({ id: Id }), response: { 200: Any, ...errorResponses } },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      mayAnywhere(request.principal!, 'jobs:read');
      const run = await retraining.getRun(id);
      authorize(request.principal!, 'jobs:read', { project: run.model });
      return { run: runJson(run) };
    },
  );
  app.post(
    '/v1/runs',
    {
      config: { access: { authenticated: true } },
      schema: {
        summary: 'Start a run (jobs:manage on the model): queue a retrain job (201 {job}), or with now=true run it in this request (201 {run})',
        tags: ['retraining'],
        security,
        body: Type.Object(
          {
            model: ModelName,
            now: Type.Optional(Type.Boolean()),
            key: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'job key; the same key never makes a second run' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Any, 201: Any, ...errorResponses, ...precondition },
      },
    },
    async (request, reply) => {
      const b = request.body as { model: string; now?: boolean; key?: string };
      const principal = request.principal!;
      authorize(principal, 'jobs:manage', { project: b.model });
      const { policy } = await retraining.getPolicy(b.model);
      // Running now may promote at once (an automatic policy): that needs the right to promote.
      if (b.now === true && policy.promotion === 'auto') authorize(principal, 'models:promote', { project: b.model });
      const { job, created } = await jobs.enqueue(principal.userName, { type: 'retrain', payload: { model: b.model }, ...(b.key === undefined ? {} : { key: b.key }) });
      reply.code(created ? 201 : 200);
      if (b.now !== true) return { created, job: { id: job.id, key: job.key, state: job.state } };
      const run = await retraining.run({ key: job.key, model: b.model, actor: principal.userName });
      return { created, job: { id: job.id, key: job.key }, run: runJson(run) };
    },
  );

  app.get(
    '/v1/decisions',
    {
      config: { access: { action: 'jobs:read', project: (request) => (request.query as { model?: string }).model } },
      schema: {
        summary: 'Retraining decisions, newest first: every check of a model’s triggers, retrain or not, each trigger with its reason and numbers',
        tags: ['retraining'],
        security,
        querystring: Type.Object({ model: Type.Optional(ModelName), retrain: Type.Optional(Type.Boolean()), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }),
        response: { 200: Type.Object({ decisions: Type.Array(Any) }), ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query as { model?: string; retrain?: boolean; limit?: number };
      return { decisions: (await retraining.listDecisions(q)).map(decisionJson) };
    },
  );
  app.get(
    '/v1/decisions/:id',
    {
      config: { access: { authenticated: true } },
      schema: { summary: 'One decision (jobs:read on its model)', tags: ['retraining'], security, params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }), response: { 200: Any, ...errorResponses } },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      mayAnywhere(request.principal!, 'jobs:read');
      const d = await retraining.getDecision(id);
      authorize(request.principal!, 'jobs:read', { project: d.model });
      return { decision: decisionJson(d) };
    },
  );
  app.post(
    '/v1/decisions',
    {
      config: { access: { authenticated: true } },
      schema: {
        summary: "Check a model's retraining triggers now and record the decision (jobs:manage on the model); a retrain queues a retrain job. 201 new, 200 for a key already checked",
        tags: ['retraining'],
        security,
        body: Type.Object(
          {
            model: ModelName,
            source: Type.Optional(Type.Union(CHECK_SOURCES.map((x) => Type.Literal(x)))),
            key: Type.Optional(Type.String({ minLength: 1, maxLength: 180, description: 'natural key: the same key returns the recorded decision' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Any, 201: Any, ...errorResponses },
      },
    },
    async (request, reply) => {
      const b = request.body as { model: string; source?: CheckSource; key?: string };
      const principal = request.principal!;
      authorize(principal, 'jobs:manage', { project: b.model });
      const known = b.key === undefined ? undefined : await retraining.getDecision(b.key).catch(() => undefined);
      const d = await retraining.check(principal.userName, { model: b.model, source: b.source ?? 'manual', ...(b.key === undefined ? {} : { key: b.key }) });
      reply.code(known ? 200 : 201);
      return { decision: decisionJson(d) };
    },
  );
  app.post(
    '/v1/runs/advance',
    {
      config: { access: { action: 'jobs:manage', project: (request) => (request.body as { model?: string } | undefined)?.model } },
      schema: {
        summary: 'Move waiting runs on now: shadow periods with their requests, watch periods (rollback when a limit is crossed), expired approvals',
        tags: ['retraining'],
        security,
        body: Type.Object({ model: Type.Optional(ModelName) }, { additionalProperties: false }),
        response: { 200: Type.Object({ runs: Type.Array(Any) }), ...errorResponses },
      },
    },
    async (request) => {
      const { model } = request.body as { model?: string };
      return { runs: (await retraining.advance(request.principal!.userName, model === undefined ? {} : { model })).map(runJson) };
    },
  );

  app.get(
    '/v1/approvals',
    {
      config: { access: { action: 'jobs:read' } },
      schema: {
        summary: 'Approvals, newest first (pending ones past their expiry are marked expired first)',
        tags: ['retraining'],
        security,
        querystring: Type.Object({ status: Type.Optional(Type.Union(APPROVAL_STATES.map((s) => Type.Literal(s)))), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }),
        response: { 200: Type.Object({ approvals: Type.Array(Any) }), ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query as { status?: Approval['status']; limit?: number };
      return { approvals: (await retraining.listApprovals(q)).map(approvalJson) };
    },
  );
  for (const [verb, summary] of [
    ['approve', 'Approve a pending challenger: it becomes champion; the token user is recorded as approver (approvals:decide on the model)'],
    ['reject', 'Reject a pending challenger: nothing moves; the decision is recorded with the token user (approvals:decide on the model)'],
  ] as const) {
    app.post(
      `/v1/approvals/:id/${verb}`,
      {
        config: { access: { authenticated: true } },
        schema: {
          summary: `${summary}. 412 once it is decided or expired`,
          tags: ['retraining'],
          security,
          params: Type.Object({ id: Id }),
          body: Type.Object({ comment: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false }),
          response: { 200: Any, ...errorResponses, ...precondition },
        },
      },
      async (request) => {
        const { id } = request.params as { id: string };
        const { comment } = request.body as { comment: string };
        const principal = request.principal!;
        mayAnywhere(principal, 'approvals:decide');
        const found = await retraining.getApproval(id);
        authorize(principal, 'approvals:decide', { project: found.model });
        if (verb === 'reject') return { approval: approvalJson(await retraining.reject(principal.userName, id, comment)) };
        const r = await retraining.approve(principal.userName, id, comment);
        return { approval: approvalJson(r.approval), move: moveJson(r.move) };
      },
    );
  }

  app.post(
    '/v1/models/:name/rollback',
    {
      config: { access: { action: 'models:promote', project: (request) => (request.params as { name?: string }).name } },
      schema: {
        summary: 'Move an alias back to the version it pointed at before its latest move; recorded in the history with the reason. 412 when there is no previous version',
        tags: ['retraining'],
        security,
        params: Type.Object({ name: ModelName }),
        body: Type.Object({ alias: Type.String({ minLength: 1, maxLength: 63 }), reason: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false }),
        response: { 200: Any, ...errorResponses, ...precondition },
      },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      const { alias, reason } = request.body as { alias: string; reason: string };
      return moveJson(await retraining.rollback(request.principal!.userName, `${name}@${alias}`, reason));
    },
  );
}
