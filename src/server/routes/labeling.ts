/**
 * Labeling over HTTP. Every project route is authorized on its project, so a user holding
 * `annotator:<p>` reaches p's queue and nothing of other projects; annotators get items only
 * through their own leases, and never see gold marks, the dataset or other people's answers.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isAllowed, type Principal } from '../../auth/index.js';
import { CONSENSUS_METHODS, projectJson, publicProjectJson, type ConsensusMethodName } from '../../labeling/index.js';
import { versionJson } from '../../datasets/index.js';
import { MloopError } from '../../errors/index.js';
import type { Workspace } from '../../workspace/index.js';
import { errorResponses } from '../schemas.js';

const security = [{ bearer: [] }];
const tags = ['labeling'];
const projectOf = (request: FastifyRequest) => (request.params as { project?: string }).project;
const Project = Type.String({ minLength: 1, maxLength: 63 });
const Label = Type.String({ minLength: 1, maxLength: 100 });
const Token = Type.String({ minLength: 1, maxLength: 100 });
const Any = Type.Object({}, { additionalProperties: true });
const Method = Type.Optional(Type.Union(CONSENSUS_METHODS.map((m) => Type.Literal(m))));
const ProjectParams = Type.Object({ project: Project });
const AssignmentParams = Type.Object({ project: Project, id: Type.String({ minLength: 1, maxLength: 64 }) });
const ItemParams = Type.Object({ project: Project, item: Type.String({ minLength: 1, maxLength: 1000 }) });
const WorkerParams = Type.Object({ project: Project, worker: Type.String({ minLength: 1, maxLength: 200 }) });
const responses = (ok: ReturnType<typeof Type.Object> = Any) => ({
  200: ok,
  409: Type.Ref('ErrorBody'),
  412: Type.Ref('ErrorBody'),
  ...errorResponses,
});

const canManage = (p: Principal, project: string) => isAllowed(p, 'labeling:manage', { project });
const canReview = (p: Principal, project: string) => isAllowed(p, 'labeling:review', { project });

export async function labelingRoutes(app: FastifyInstance, opts: { ws: Workspace }): Promise<void> {
  const labeling = opts.ws.labeling;

  app.get(
    '/v1/labeling/projects',
    {
      config: { access: { authenticated: true } },
      schema: {
        summary: 'Projects the caller may work on (annotate, review or manage)',
        tags,
        security,
        response: { 200: Type.Object({ projects: Type.Array(Any) }), ...errorResponses },
      },
    },
    async (request) => {
      const p = request.principal!;
      const visible = (await labeling.listProjects()).filter(
        (x) => isAllowed(p, 'labeling:annotate', { project: x.name }) || canReview(p, x.name) || canManage(p, x.name),
      );
      return {
        projects: visible.map((x) => ({
          ...(canManage(p, x.name) ? projectJson(x) : publicProjectJson(x)),
          can: {
            annotate: isAllowed(p, 'labeling:annotate', { project: x.name }),
            review: canReview(p, x.name),
            manage: canManage(p, x.name),
          },
        })),
      };
    },
  );

  app.post(
    '/v1/labeling/projects',
    {
      config: { access: { action: 'labeling:manage' } },
      schema: {
        summary: 'Create a project on a dataset version',
        tags,
        security,
        body: Type.Object(
          {
            name: Project,
            dataset: Type.String({ minLength: 1, maxLength: 200 }),
            labels: Type.Array(Label, { minItems: 2, maxItems: 100 }),
            id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            show: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 50 })),
            overlap: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
            gold: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            gold_column: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            gold_rate: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 1 })),
            seed: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            instructions: Type.Optional(Type.String({ maxLength: 20_000 })),
            lease_seconds: Type.Optional(Type.Integer({ minimum: 5, maximum: 86_400 })),
            adjudication_threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
            min_gold_accuracy: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
            min_gold_answers: Type.Optional(Type.Integer({ minimum: 1 })),
            consensus: Method,
          },
          { additionalProperties: false },
        ),
        response: { 201: Any, 409: Type.Ref('ErrorBody'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const b = request.body as {
        name: string;
        dataset: string;
        labels: string[];
        id?: string;
        show?: string[];
        overlap?: number;
        gold?: string;
        gold_column?: string;
        gold_rate?: number;
        seed?: string;
        instructions?: string;
        lease_seconds?: number;
        adjudication_threshold?: number;
        min_gold_accuracy?: number;
        min_gold_answers?: number;
        consensus?: ConsensusMethodName;
      };
      const p = await labeling.createProject({
        name: b.name,
        dataset: b.dataset,
        labels: b.labels,
        idColumn: b.id,
        showColumns: b.show,
        overlap: b.overlap,
        gold: b.gold,
        goldColumn: b.gold_column,
        goldRate: b.gold_rate,
        seed: b.seed,
        instructions: b.instructions,
        leaseSeconds: b.lease_seconds,
        adjudicationThreshold: b.adjudication_threshold,
        minGoldAccuracy: b.min_gold_accuracy,
        minGoldAnswers: b.min_gold_answers,
        consensus: b.consensus,
        actor: request.principal!.userName,
      });
      return reply.status(201).send(projectJson(p));
    },
  );

  app.get(
    '/v1/labeling/projects/:project',
    {
      config: { access: { action: 'labeling:annotate', project: projectOf } },
      schema: {
        summary: 'A project: labels, instructions, shown columns (managers see everything)',
        tags,
        security,
        params: ProjectParams,
        response: responses(),
      },
    },
    async (request) => {
      const { project } = request.params as { project: string };
      const p = await labeling.project(project);
      return canManage(request.principal!, project) ? projectJson(p) : publicProjectJson(p);
    },
  );

  app.post(
    '/v1/labeling/projects/:project/next',
    {
      config: { access: { action: 'labeling:annotate', project: projectOf } },
      schema: {
        summary: "The caller's next item (their live lease first); item is null when nothing is left",
        tags,
        security,
        params: ProjectParams,
        response: responses(),
      },
    },
    async (request) => {
      const { project } = request.params as { project: string };
      const me = request.principal!.userName;
      const item = await labeling.next(project, me);
      return { item, progress: await labeling.progress(project, me) };
    },
  );

  app.post(
    '/v1/labeling/projects/:project/assignments/:id/answer',
    {
      config: { access: { action: 'labeling:annotate', project: projectOf } },
      schema: {
        summary: 'Answer a leased item; 409 when the lease expired or was used',
        tags,
        security,
        params: AssignmentParams,
        body: Type.Object({ label: Label, lease_token: Token }, { additionalProperties: false }),
        response: responses(),
      },
    },
    async (request) => {
      const { project, id } = request.params as { project: string; id: string };
      const { label, lease_token } = request.body as { label: string; lease_token: string };
      return labeling.submit(project, request.principal!.userName, id, lease_token, label);
    },
  );

  app.post(
    '/v1/labeling/projects/:project/assignments/:id/skip',
    {
      config: { access: { action: 'labeling:annotate', project: projectOf } },
      schema: {
        summary: 'Give a leased item back (never offered to the caller again)',
        tags,
        security,
        params: AssignmentParams,
        body: Type.Object({ lease_token: Token }, { additionalProperties: false }),
        response: responses(),
      },
    },
    async (request) => {
      const { project, id } = request.params as { project: string; id: string };
      return labeling.skip(project, request.principal!.userName, id, (request.body as { lease_token: string }).lease_token);
    },
  );

  app.get(
    '/v1/labeling/projects/:project/progress',
    {
      config: { access: { action: 'labeling:annotate', project: projectOf } },
      schema: { summary: "The caller's progress", tags, security, params: ProjectParams, response: responses() },
    },
    async (request) => labeling.progress((request.params as { project: string }).project, request.principal!.userName),
  );

  app.get(
    '/v1/labeling/projects/:project/stats',
    {
      config: { access: { action: 'labeling:manage', project: projectOf } },
      schema: {
        summary: 'Progress, agreement, adjudication and annotator quality',
        tags,
        security,
        params: ProjectParams,
        response: responses(),
      },
    },
    async (request) => labeling.stats((request.params as { project: string }).project),
  );

  app.get(
    '/v1/labeling/projects/:project/consensus',
    {
      config: { access: { action: 'labeling:manage', project: projectOf } },
      schema: {
        summary: 'Per-item consensus',
        tags,
        security,
        params: ProjectParams,
        querystring: Type.Object({ method: Method }),
        response: responses(),
      },
    },
    async (request) =>
      labeling.consensus(
        (request.params as { project: string }).project,
        (request.query as { method?: ConsensusMethodName }).method,
      ),
  );

  app.get(
    '/v1/labeling/projects/:project/agreement',
    {
      config: { access: { action: 'labeling:manage', project: projectOf } },
      schema: {
        summary: 'Inter-annotator agreement with bootstrap intervals',
        tags,
        security,
        params: ProjectParams,
        response: responses(),
      },
    },
    async (request) => labeling.agreement((request.params as { project: string }).project),
  );

  app.post(
    '/v1/labeling/projects/:project/answers',
    {
      config: { access: { action: 'labeling:manage', project: projectOf } },
      schema: {
        summary: 'Import answers collected elsewhere',
        tags,
        security,
        params: ProjectParams,
        body: Type.Object(
          {
            answers: Type.Array(
              Type.Object(
                {
                  item: Type.String({ minLength: 1, maxLength: 1000 }),
                  worker: Type.String({ minLength: 1, maxLength: 200 }),
                  label: Label,
                },
                { additionalProperties: false },
              ),
              { maxItems: 200_000 },
            ),
          },
          { additionalProperties: false },
        ),
        response: responses(),
      },
    },
    async (request) =>
      labeling.importAnswers(
        (request.params as { project: string }).project,
        (request.body as { answers: Array<{ item: string; worker: string; label: string }> }).answers,
      ),
  );

  app.get(
    '/v1/labeling/projects/:project/adjudications',
    {
      config: { access: { action: 'labeling:review', project: projectOf } },
      schema: {
        summary: 'The adjudication queue, least confident first',
        tags,
        security,
        params: ProjectParams,
        response: responses(),
      },
    },
    async (request) => labeling.adjudicationQueue((request.params as { project: string }).project),
  );

  app.get(
    '/v1/labeling/projects/:project/items/:item',
    {
      config: { access: { action: 'labeling:review', project: projectOf } },
      schema: {
        summary: 'One item with every answer, the consensus and any decision',
        tags,
        security,
        params: ItemParams,
        response: responses(),
      },
    },
    async (request) => {
      const { project, item } = request.params as { project: string; item: string };
      return labeling.reviewItem(project, item);
    },
  );

  app.post(
    '/v1/labeling/projects/:project/items/:item/decision',
    {
      config: { access: { action: 'labeling:review', project: projectOf } },
      schema: {
        summary: "A reviewer's final label (409 when one exists)",
        tags,
        security,
        params: ItemParams,
        body: Type.Object(
          { label: Label, note: Type.Optional(Type.String({ maxLength: 2000 })) },
          { additionalProperties: false },
        ),
        response: responses(),
      },
    },
    async (request) => {
      const { project, item } = request.params as { project: string; item: string };
      const { label, note } = request.body as { label: string; note?: string };
      return labeling.adjudicate(project, request.principal!.userName, item, label, note ?? '');
    },
  );

  for (const verb of ['pause', 'resume'] as const) {
    app.post(
      `/v1/labeling/projects/:project/annotators/:worker/${verb}`,
      {
        config: { access: { action: 'labeling:manage', project: projectOf } },
        schema: {
          summary: verb === 'pause' ? 'Pause an annotator (pending answers flagged)' : 'Resume an annotator',
          tags,
          security,
          params: WorkerParams,
          body: Type.Optional(Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) })),
          response: responses(),
        },
      },
      async (request) => {
        const { project, worker } = request.params as { project: string; worker: string };
        const actor = request.principal!.userName;
        if (verb === 'resume') return labeling.resume(project, worker, actor);
        return labeling.pause(
          project,
          worker,
          (request.body as { reason?: string } | undefined)?.reason ?? `paused by ${actor}`,
          actor,
        );
      },
    );
  }

  app.post(
    '/v1/labeling/projects/:project/export',
    {
      config: { access: { action: 'labeling:manage', project: projectOf } },
      schema: {
        summary: 'Export final labels as a dataset version with lineage',
        tags,
        security,
        params: ProjectParams,
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 63 }),
            method: Method,
            label_column: Type.Optional(Type.String({ minLength: 1, maxLength: 60 })),
            include_unfinished: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: responses(),
      },
    },
    async (request) => {
      const { project } = request.params as { project: string };
      const b = request.body as {
        name: string;
        method?: ConsensusMethodName;
        label_column?: string;
        include_unfinished?: boolean;
      };
      // Writing a dataset is a datasets:write action too.
      if (!isAllowed(request.principal!, 'datasets:write')) {
        throw MloopError.permissionDenied(`user '${request.principal!.userName}' may not datasets:write`, {
          details: { action: 'datasets:write' },
        });
      }
      const r = await labeling.export(project, {
        name: b.name,
        actor: request.principal!.userName,
        method: b.method,
        labelColumn: b.label_column,
        includeUnfinished: b.include_unfinished,
      });
      return { created: r.created, rows: r.rows, left_out: r.left_out, version: versionJson(r.version) };
    },
  );
}
