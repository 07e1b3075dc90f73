/**
 * Serving over HTTP: the plain JSON endpoint, the Open Inference Protocol (KServe v2) REST
 * endpoints, deployments, the review queue, feedback and Prometheus metrics. Every route needs a
 * token (the v2 health routes too: probes without a token use /healthz and /readyz).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest, onResponseHookHandler, preParsingHookHandler } from 'fastify';
import { isMloopError } from '../../errors/index.js';
import { deploymentJson, oipMetadata, oipResponse, oipRows, predictAnswerJson, reviewJson, type CounterCell, type ServingRuntime } from '../../serving/index.js';
import { MLOOP_VERSION, type Workspace } from '../../workspace/index.js';
import { errorResponses } from '../schemas.js';

const security = [{ bearer: [] }];
const projectOf = (request: FastifyRequest) => (request.params as { name?: string }).name;
const Name = Type.String({ minLength: 1, maxLength: 63 });
const Any = Type.Object({}, { additionalProperties: true });
const unavailable = { 503: Type.Ref('ErrorBody') };

/** Adds Retry-After to 503s that ask for it, then lets the error handler answer. */
function retryAfter(reply: FastifyReply, err: unknown): never {
  if (isMloopError(err) && err.code === 'UNAVAILABLE') {
    const s = err.details?.['retry_after_s'];
    reply.header('retry-after', String(typeof s === 'number' ? s : 1));
  }
  throw err;
}

/**
 * The prediction routes take JSON only: any other body (text/plain, say, which this plugin's CSV
 * parser would hand on as a stream and the schema then report as a missing `instances`) is
 * refused with 415 naming the type to send. A request without a body is left to the schema.
 */
const jsonOnly: preParsingHookHandler = (request, _reply, payload, done) => {
  const headers = request.headers;
  const type = headers['content-type'];
  const mediaType = type?.split(';', 1)[0]!.trim().toLowerCase();
  if (mediaType === 'application/json') return done(null, payload);
  const length = headers['content-length'];
  if (type === undefined && headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) return done(null, payload);
  const message = `${type === undefined ? 'a body without a content type' : `unsupported content type '${type}'`}: send the body as JSON with content-type: application/json`;
  // Answered through errors-http.ts as Fastify's own unsupported media type: INVALID_ARGUMENT, 415.
  done(Object.assign(new Error(message), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }));
};

const Prediction = Type.Object({
  label: Type.Union([Type.String(), Type.Null()]),
  probabilities: Type.Union([Type.Record(Type.String(), Type.Number()), Type.Null()]),
  value: Type.Optional(Type.Number()),
  confidence: Type.Union([Type.Number(), Type.Null()]),
  decision: Type.Union([Type.Literal('auto'), Type.Literal('review')]),
  model_version: Type.Integer(),
  prediction_id: Type.String(),
});

/** `/v1/models/{name}:predict`: a regex parameter, so the literal `:predict` suffix is not read as part of its name. */
const PREDICT_URL = '/v1/models/:name(^[a-z0-9][a-z0-9._-]{0,62})::predict';

declare module 'fastify' {
  interface FastifyRequest {
    /** What a prediction route served (model and version), for the request metrics; null before or without an answer. */
    mloopServed: { model: string; version: number } | null;
  }
}

/**
 * Counts one answered prediction request by deployment, model, version, protocol and status (and
 * errors by deployment and status). The counter cell of the last label set is kept, so the usual
 * request (same deployment, version and status as the one before) adds to it without building a
 * label key. Shared by the routes' onResponse hook and the direct predict path (fast-predict.ts).
 */
export function predictRequestCounter(runtime: ServingRuntime, protocol: 'v1' | 'v2'): (deployment: string, served: { model: string; version: number } | null, status: number) => void {
  let last: { deployment: string; model: string; version: number; status: number; cell: CounterCell } | null = null;
  return (deployment, served, status) => {
    const model = served?.model ?? '';
    const version = served?.version ?? -1;
    if (last !== null && last.status === status && last.version === version && last.deployment === deployment && last.model === model) last.cell.n += 1;
    else {
      const cell = runtime.metrics.requests.cell({ deployment, model, version: served ? String(version) : '', protocol, status: String(status) });
      cell.n += 1;
      last = { deployment, model, version, status, cell };
    }
    if (status >= 400) runtime.metrics.errors.inc({ deployment, status: String(status) });
  };
}

/** The onResponse hook of a prediction route: {@link predictRequestCounter} for each answered request. */
function requestMetrics(count: ReturnType<typeof predictRequestCounter>): onResponseHookHandler {
  return (request, reply, done) => {
    count((request.params as { name?: string }).name ?? '', request.mloopServed, reply.statusCode);
    done();
  };
}

export async function servingRoutes(app: FastifyInstance, opts: { ws: Workspace; runtime: ServingRuntime; v1Counter: ReturnType<typeof predictRequestCounter> }): Promise<void> {
  const { ws, runtime } = opts;
  const v2Counter = predictRequestCounter(runtime, 'v2');
  // Prediction requests' own info lines are off unless asked for (settings: log.predictionRequests).
  const predictLog = ws.config.log.predictionRequests ? {} : { logLevel: 'warn' as const };
  app.decorateRequest('mloopServed', null);

  app.post(
    PREDICT_URL,
    {
      ...predictLog,
      preParsing: jsonOnly,
      onResponse: requestMetrics(opts.v1Counter),
      config: { access: { action: 'serving:predict', project: projectOf } },
      schema: {
        summary: 'Predict rows with a deployed model; decision is auto when confidence clears the version threshold, else review',
        tags: ['serving'],
        security,
        params: Type.Object({ name: Name }),
        body: Type.Object({ instances: Type.Array(Type.Unknown(), { description: 'rows of fields, one object per row' }) }),
        response: {
          200: Type.Object({ model: Type.String(), model_version: Type.Integer(), predictions: Type.Array(Prediction) }),
          ...errorResponses,
          429: Type.Ref('ErrorBody'),
          ...unavailable,
        },
      },
    },
    async (request, reply) => {
      const { name } = request.params as { name: string };
      const { instances } = request.body as { instances: unknown[] };
      try {
        const served = await runtime.predict(name, instances, { requestId: request.id });
        request.mloopServed = { model: served.model, version: served.version };
        // Serialised here, in the 200 schema's shape: the schema serialiser checks its unions with a
        // validator per prediction (~12 µs for a 15-class answer); the answer reuses the
        // probabilities' text the runtime made for the log (serving/answer-json.ts).
        reply.type('application/json; charset=utf-8');
        return predictAnswerJson(served);
      } catch (err) {
        return retryAfter(reply, err);
      }
    },
  );

  // ---- Open Inference Protocol (KServe v2) ----
  app.get(
    '/v2/health/live',
    { config: { access: { authenticated: true } }, schema: { summary: 'OIP server liveness', tags: ['oip'], security, response: { 200: Type.Object({ live: Type.Boolean() }), ...errorResponses } } },
    async () => ({ live: true }),
  );
  app.get(
    '/v2/health/ready',
    {
      config: { access: { authenticated: true } },
      schema: { summary: 'OIP server readiness: every deployment has a loaded version', tags: ['oip'], security, response: { 200: Type.Object({ ready: Type.Boolean() }), 503: Type.Object({ ready: Type.Boolean() }), ...errorResponses } },
    },
    async (_request, reply) => (runtime.ready() ? { ready: true } : reply.status(503).send({ ready: false })),
  );
  app.get(
    '/v2',
    { config: { access: { authenticated: true } }, schema: { summary: 'OIP server metadata', tags: ['oip'], security, response: { 200: Any, ...errorResponses } } },
    async () => ({ name: 'mloop', version: MLOOP_VERSION, extensions: [] }),
  );
  app.get(
    '/v2/models/:name',
    {
      config: { access: { action: 'serving:predict', project: projectOf } },
      schema: { summary: 'OIP model metadata: inputs and outputs as tensors', tags: ['oip'], security, params: Type.Object({ name: Name }), response: { 200: Any, ...errorResponses, ...unavailable } },
    },
    async (request, reply) => {
      const { name } = request.params as { name: string };
      try {
        return oipMetadata(name, runtime.current(name));
      } catch (err) {
        return retryAfter(reply, err);
      }
    },
  );
  app.get(
    '/v2/models/:name/ready',
    {
      config: { access: { action: 'serving:predict', project: projectOf } },
      schema: { summary: 'OIP model readiness', tags: ['oip'], security, params: Type.Object({ name: Name }), response: { 200: Any, 503: Any, ...errorResponses } },
    },
    async (request, reply) => {
      const { name } = request.params as { name: string };
      const state = runtime.state(name);
      return state.ready ? { name, ready: true } : reply.status(503).send({ name, ready: false });
    },
  );
  const infer = async (request: FastifyRequest, reply: FastifyReply) => {
    const { name, version } = request.params as { name: string; version?: string };
    const body = request.body as { id?: unknown; outputs?: unknown };
    try {
      const model = runtime.current(name);
      const rows = oipRows(body, model.predictor.inputs, model.groups);
      const served = await runtime.predict(name, rows, { requestId: request.id, field: 'inputs', ...(version === undefined ? {} : { version: Number(version) }) });
      request.mloopServed = { model: served.model, version: served.version };
      return oipResponse(name, served, model.predictor.classes, body.id, body.outputs);
    } catch (err) {
      return retryAfter(reply, err);
    }
  };
  const inferSchema = (withVersion: boolean) => ({
    summary: withVersion ? 'OIP inference on a given served version' : 'OIP inference: tensors in (BYTES for text), label/probabilities/confidence/decision/prediction_id out',
    tags: ['oip'],
    security,
    params: withVersion ? Type.Object({ name: Name, version: Type.String({ pattern: '^[0-9]{1,9}$' }) }) : Type.Object({ name: Name }),
    body: Any,
    response: { 200: Any, ...errorResponses, 429: Type.Ref('ErrorBody'), ...unavailable },
  });
  app.post('/v2/models/:name/infer', { ...predictLog, preParsing: jsonOnly, onResponse: requestMetrics(v2Counter), config: { access: { action: 'serving:predict', project: projectOf } }, schema: inferSchema(false) }, infer);
  app.post('/v2/models/:name/versions/:version/infer', { ...predictLog, preParsing: jsonOnly, onResponse: requestMetrics(v2Counter), config: { access: { action: 'serving:predict', project: projectOf } }, schema: inferSchema(true) }, infer);

  // ---- deployments ----
  app.get(
    '/v1/deployments',
    { config: { access: { action: 'models:read' } }, schema: { summary: 'Deployments, with what this server has loaded', tags: ['serving'], security, response: { 200: Type.Object({ deployments: Type.Array(Any) }), ...errorResponses } } },
    async () => {
      const states = new Map(runtime.states().map((s) => [s.name, s]));
      return { deployments: (await ws.serving.listDeployments()).map((d) => ({ ...deploymentJson(d), served: states.get(d.name) ?? null })) };
    },
  );
  app.put(
    '/v1/deployments/:name',
    {
      config: { access: { action: 'serving:deploy', project: projectOf } },
      schema: {
        summary: 'Deploy model@alias (follows alias moves) or model@N under this name',
        tags: ['serving'],
        security,
        params: Type.Object({ name: Name }),
        body: Type.Object(
          {
            ref: Type.String({ minLength: 1, maxLength: 200 }),
            shadow: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()])),
            canary: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()])),
            canary_percent: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Any, ...errorResponses },
      },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      const b = request.body as { ref: string; shadow?: string | null; canary?: string | null; canary_percent?: number };
      const d = await ws.serving.deploy(request.principal!.userName, b.ref, {
        name,
        ...(b.shadow === undefined ? {} : { shadow: b.shadow }),
        ...(b.canary === undefined ? {} : { canary: b.canary }),
        ...(b.canary_percent === undefined ? {} : { canaryPercent: b.canary_percent }),
      });
      void runtime.sync();
      return deploymentJson(d);
    },
  );
  app.delete(
    '/v1/deployments/:name',
    {
      config: { access: { action: 'serving:deploy', project: projectOf } },
      schema: { summary: 'Undeploy', tags: ['serving'], security, params: Type.Object({ name: Name }), response: { 200: Any, ...errorResponses } },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      const d = await ws.serving.undeploy(request.principal!.userName, name);
      void runtime.sync();
      return deploymentJson(d);
    },
  );

  // ---- review queue and ground truth ----
  app.get(
    '/v1/review',
    {
      config: { access: { action: 'review:answer' } },
      schema: {
        summary: 'Predictions routed to people (pending by default), oldest first',
        tags: ['serving'],
        security,
        querystring: Type.Object({
          status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('answered'), Type.Literal('all')])),
          deployment: Type.Optional(Name),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
        }),
        response: { 200: Type.Object({ items: Type.Array(Any) }), ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query as { status?: 'pending' | 'answered' | 'all'; deployment?: string; limit?: number };
      return { items: (await ws.serving.listReview(q)).map(reviewJson) };
    },
  );
  app.post(
    '/v1/review/:prediction_id',
    {
      config: { access: { action: 'review:answer' } },
      schema: {
        summary: "Answer a review item; the label becomes the prediction's ground truth",
        tags: ['serving'],
        security,
        params: Type.Object({ prediction_id: Type.String({ minLength: 1, maxLength: 100 }) }),
        body: Type.Object({ label: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
        response: { 200: Any, ...errorResponses },
      },
    },
    async (request) => {
      const { prediction_id } = request.params as { prediction_id: string };
      const { label } = request.body as { label: string };
      const item = await ws.serving.answerReview(request.principal!.userName, prediction_id, label);
      return { ...reviewJson(item), warnings: item.warnings };
    },
  );
  app.post(
    '/v1/feedback',
    {
      config: { access: { action: 'serving:predict' } },
      schema: {
        summary: 'Ground truth that arrived later for a logged prediction',
        tags: ['serving'],
        security,
        body: Type.Object({ prediction_id: Type.String({ minLength: 1, maxLength: 100 }), label: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
        response: { 200: Any, ...errorResponses },
      },
    },
    async (request) => {
      const b = request.body as { prediction_id: string; label: string };
      const t = await ws.serving.feedback(request.principal!.userName, b.prediction_id, b.label);
      return { prediction_id: t.predictionId, label: t.label, source: t.source, at: t.at, warnings: t.warnings };
    },
  );
  // CSV bodies stay a stream: the import reads them line by line.
  app.addContentTypeParser(['text/csv', 'text/plain'], (_request, payload, done) => done(null, payload));
  app.post(
    '/v1/feedback/bulk',
    {
      config: { access: { action: 'serving:predict' } },
      schema: {
        summary: 'Ground truth for many logged predictions: a JSON array of {prediction_id, label}, or CSV (text/csv) with a header naming prediction_id and label',
        description: 'Every known row is recorded; each bad or unknown row is reported in issues (the first 100) with its CSV line number or JSON array index, and counted.',
        tags: ['serving'],
        security,
        body: {
          content: {
            'application/json': { schema: Type.Array(Type.Unknown(), { maxItems: 100_000, description: '[{"prediction_id": "prd_…", "label": "refund"}, …]' }) },
            'text/csv': { schema: Type.Unknown({ description: 'prediction_id,label\nprd_…,refund' }) },
            'text/plain': { schema: Type.Unknown({ description: 'CSV, as text/csv' }) },
          },
        },
        response: {
          200: Type.Object({
            rows: Type.Integer(),
            recorded: Type.Integer(),
            unknown_predictions: Type.Integer(),
            unknown_labels: Type.Integer({ description: "recorded rows whose label is neither a class of the prediction's model version nor its out-of-scope label" }),
            issues: Type.Array(Type.Object({ line: Type.Integer(), path: Type.String(), code: Type.String(), message: Type.String() })),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const actor = request.principal!.userName;
      const r = Array.isArray(request.body)
        ? await ws.serving.importFeedbackItems(actor, request.body)
        : await ws.serving.importFeedbackCsvStream(actor, request.body as NodeJS.ReadableStream, 'request');
      return { rows: r.rows, recorded: r.recorded, unknown_predictions: r.unknownPredictions, unknown_labels: r.unknownLabels, issues: r.issues };
    },
  );
  app.get(
    '/v1/predictions/:id',
    {
      config: { access: { action: 'monitoring:read' } },
      schema: { summary: 'A logged prediction with its latest ground truth', tags: ['serving'], security, params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }), response: { 200: Any, ...errorResponses } },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      return ws.serving.prediction(id);
    },
  );

  // ---- metrics ----
  app.get(
    '/metrics',
    { config: { access: { action: 'monitoring:read' } }, schema: { summary: 'Prometheus metrics (text exposition format); needs a token', tags: ['serving'], security, hide: true } },
    async (_request, reply) => {
      reply.header('content-type', runtime.metrics.contentType);
      return runtime.metrics.render();
    },
  );
}
