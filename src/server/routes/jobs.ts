/** Jobs and schedules over HTTP. */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { JOB_STATES, jobJson, scheduleJson, type JobState } from '../../jobs/index.js';
import type { Workspace } from '../../workspace/index.js';
import { errorResponses } from '../schemas.js';

const security = [{ bearer: [] }];
const Any = Type.Object({}, { additionalProperties: true });
const JobId = Type.String({ minLength: 1, maxLength: 64 });
const ScheduleName = Type.String({ minLength: 1, maxLength: 63 });
const Payload = Type.Object({}, { additionalProperties: true, description: 'JSON object given to the job type' });

export async function jobRoutes(app: FastifyInstance, opts: { ws: Workspace }): Promise<void> {
  const jobs = opts.ws.jobs;
  app.get(
    '/v1/jobs',
    {
      config: { access: { action: 'jobs:read' } },
      schema: {
        summary: 'List jobs, newest first',
        tags: ['jobs'],
        security,
        querystring: Type.Object({
          state: Type.Optional(Type.Union(JOB_STATES.map((s) => Type.Literal(s)))),
          type: Type.Optional(Type.String({ maxLength: 64 })),
          schedule: Type.Optional(Type.String({ maxLength: 63 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
        }),
        response: { 200: Type.Object({ jobs: Type.Array(Any) }), ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query as { state?: JobState; type?: string; schedule?: string; limit?: number };
      return { jobs: (await jobs.list(q)).map((j) => jobJson(j)) };
    },
  );
  app.get(
    '/v1/jobs/types',
    { config: { access: { action: 'jobs:read' } }, schema: { summary: 'The job types this server can run', tags: ['jobs'], security, response: { 200: Type.Object({ types: Type.Array(Any) }), ...errorResponses } } },
    async () => ({ types: jobs.types().map((h) => ({ type: h.type, description: h.description })) }),
  );
  app.post(
    '/v1/jobs',
    {
      config: { access: { action: 'jobs:manage' } },
      schema: {
        summary: 'Enqueue a job; the same key twice returns the existing job (200) instead of a new one (201)',
        tags: ['jobs'],
        security,
        body: Type.Object(
          {
            type: Type.String({ minLength: 1, maxLength: 64 }),
            payload: Type.Optional(Payload),
            key: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            priority: Type.Optional(Type.Integer({ minimum: -1000, maximum: 1000 })),
            max_attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Any, 201: Any, ...errorResponses },
      },
    },
    async (request, reply) => {
      const b = request.body as { type: string; payload?: Record<string, unknown>; key?: string; priority?: number; max_attempts?: number };
      const r = await jobs.enqueue(request.principal!.userName, {
        type: b.type,
        ...(b.payload === undefined ? {} : { payload: b.payload }),
        ...(b.key === undefined ? {} : { key: b.key }),
        ...(b.priority === undefined ? {} : { priority: b.priority }),
        ...(b.max_attempts === undefined ? {} : { maxAttempts: b.max_attempts }),
      });
      reply.code(r.created ? 201 : 200);
      return { created: r.created, job: jobJson(r.job) };
    },
  );
  app.get(
    '/v1/jobs/:id',
    {
      config: { access: { action: 'jobs:read' } },
      schema: {
        summary: 'One job with its progress, result, error and log',
        tags: ['jobs'],
        security,
        params: Type.Object({ id: JobId }),
        querystring: Type.Object({ logs: Type.Optional(Type.Integer({ minimum: 0, maximum: 10000 })) }),
        response: { 200: Any, ...errorResponses },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const { logs } = request.query as { logs?: number };
      const shown = await jobs.show(id, logs ?? 200);
      return jobJson(shown.job, shown.logs);
    },
  );
  for (const [verb, summary] of [
    ['cancel', 'Cancel a queued job, or ask a running one to stop at its next heartbeat'],
    ['retry', 'Queue a failed, dead or cancelled job again with fresh attempts'],
  ] as const) {
    app.post(
      `/v1/jobs/:id/${verb}`,
      {
        config: { access: { action: 'jobs:manage' } },
        schema: { summary, tags: ['jobs'], security, params: Type.Object({ id: JobId }), response: { 200: Any, 412: Type.Ref('ErrorBody'), ...errorResponses } },
      },
      async (request) => {
        const { id } = request.params as { id: string };
        const actor = request.principal!.userName;
        return jobJson(verb === 'cancel' ? await jobs.cancel(actor, id) : await jobs.retry(actor, id));
      },
    );
  }
  app.get(
    '/v1/schedules',
    { config: { access: { action: 'jobs:read' } }, schema: { summary: 'List cron schedules with their last and next slot', tags: ['jobs'], security, response: { 200: Type.Object({ schedules: Type.Array(Any) }), ...errorResponses } } },
    async () => ({ schedules: (await jobs.listSchedules()).map(scheduleJson) }),
  );
  app.post(
    '/v1/schedules',
    {
      config: { access: { action: 'jobs:manage' } },
      schema: {
        summary: 'Add a cron schedule (each slot enqueues exactly one job); the same definition again is a no-op',
        tags: ['jobs'],
        security,
        body: Type.Object(
          {
            name: ScheduleName,
            cron: Type.String({ minLength: 1, maxLength: 200 }),
            job_type: Type.String({ minLength: 1, maxLength: 64 }),
            payload: Type.Optional(Payload),
            timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Any, 201: Any, ...errorResponses },
      },
    },
    async (request, reply) => {
      const b = request.body as { name: string; cron: string; job_type: string; payload?: Record<string, unknown>; timezone?: string };
      const r = await jobs.addSchedule(request.principal!.userName, {
        name: b.name,
        cron: b.cron,
        jobType: b.job_type,
        ...(b.payload === undefined ? {} : { payload: b.payload }),
        ...(b.timezone === undefined ? {} : { timezone: b.timezone }),
      });
      reply.code(r.created ? 201 : 200);
      return { created: r.created, schedule: scheduleJson(r.schedule) };
    },
  );
  app.delete(
    '/v1/schedules/:name',
    {
      config: { access: { action: 'jobs:manage' } },
      schema: { summary: 'Remove a schedule (jobs it enqueued stay)', tags: ['jobs'], security, params: Type.Object({ name: ScheduleName }), response: { 200: Any, ...errorResponses } },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      await jobs.removeSchedule(name);
      return { removed: name };
    },
  );
}
