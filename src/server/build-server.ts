/** Builds the Fastify app: hooks, error body, OpenAPI and the routes of every concept. */
import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import { createServer, type ServerOptions } from 'node:http';
import { Server } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { MloopError } from '../errors/index.js';
import { JobWorker, Scheduler } from '../jobs/index.js';
import type { ServingRuntimeOptions } from '../serving/index.js';
import { MLOOP_VERSION, type Workspace } from '../workspace/index.js';
import './access.js';
import { installAuth } from './auth-hook.js';
import { createFastPredict, type FastPredict } from './fast-predict.js';
import { installJsonParser } from './json-body.js';
import { lazyChildLoggerFactory } from './request-logger.js';
import { sendError, serverBodyLimit } from './errors-http.js';
import { authRoutes } from './routes/auth.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { datasetRoutes } from './routes/datasets.js';
import { healthRoutes } from './routes/health.js';
import { jobRoutes } from './routes/jobs.js';
import { labelingRoutes } from './routes/labeling.js';
import { labelingWebRoutes } from './routes/labeling-web.js';
import { modelRoutes } from './routes/models.js';
import { monitoringRoutes } from './routes/monitoring.js';
import { retrainingRoutes } from './routes/retraining.js';
import { predictRequestCounter, servingRoutes } from './routes/serving.js';
import { workspaceRoutes } from './routes/workspace.js';
import { ErrorBody } from './schemas.js';

export interface BuildServerOptions {
  /** A pino logger for JSON request logs; omit for silence (tests). */
  logger?: Logger;
  /** Extra route plugins (each route must still declare its access). */
  plugins?: FastifyPluginAsync[];
  /** Limits of the serving runtime (concurrency, timeouts, prediction log). */
  serving?: ServingRuntimeOptions;
  /** Run a job worker and the cron scheduler in this process (embedded mode); they drain on close. Default off. */
  jobs?: { worker: boolean };
  /** Answer the usual predict request on the direct path (fast-predict.ts). Default: the setting `server.fastPredict`. */
  fastPredict?: boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Shutdown state shared by the hooks and the readiness route. */
export interface ServerState {
  closing: boolean;
}

/**
 * Builds the HTTP API for an open workspace. The caller owns `listen` and `close`.
 *
 * @example
 * const app = await buildServer(ws);
 * const res = await app.inject({ method: 'GET', url: '/healthz' });
 */
export async function buildServer(
  ws: Workspace,
  options: BuildServerOptions = {},
): Promise<FastifyInstance & { mloopState: ServerState }> {
  const state: ServerState = { closing: false };
  // The direct predict path, set once the serving runtime exists; until then (and when off) every
  // request goes to Fastify. The server is made as Fastify makes its own (fastify/lib/server.js).
  let fast: FastPredict | null = null;
  const app = Fastify({
    serverFactory: (handler, options) => {
      const opts = options as { http?: ServerOptions; keepAliveTimeout?: number; requestTimeout?: number; connectionTimeout?: number; maxRequestsPerSocket?: number | null };
      const server = createServer(opts.http ?? {}, (req, res) => {
        if (fast === null || !fast(req, res)) handler(req, res);
      });
      if (opts.keepAliveTimeout !== undefined) server.keepAliveTimeout = opts.keepAliveTimeout;
      if (opts.requestTimeout !== undefined) server.requestTimeout = opts.requestTimeout;
      server.setTimeout(opts.connectionTimeout ?? 0);
      if (opts.maxRequestsPerSocket !== undefined && opts.maxRequestsPerSocket !== null && opts.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = opts.maxRequestsPerSocket;
      return server;
    },
    // With a logger, each request's pino child is made only when the request logs a line.
    ...(options.logger ? { loggerInstance: options.logger, childLoggerFactory: lazyChildLoggerFactory } : { logger: false }),
    bodyLimit: ws.config.server.bodyLimitBytes,
    requestTimeout: ws.config.server.requestTimeoutMs,
    trustProxy: ws.config.server.trustProxy,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Requests that reach us while draining are answered normally, with Connection: close.
    return503OnClosing: false,
    // Idle keep-alive sockets are closed by the drain in run-server.ts after a grace period.
    forceCloseConnections: false,
    ajv: { customOptions: { coerceTypes: 'array', useDefaults: true, removeAdditional: false } },
  }) as unknown as FastifyInstance;
  // Node's http.Server#close closes idle keep-alive sockets at once, racing clients that are about
  // to reuse them; stop listening only, and let the drain close idle sockets after a grace period.
  app.server.close = function close(this: Server, cb?: (err?: Error) => void) {
    return Server.prototype.close.call(this, cb);
  } as typeof app.server.close;

  app.addSchema(ErrorBody);
  installJsonParser(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'mloop API',
        version: MLOOP_VERSION,
        description: 'Every route but /healthz and /readyz needs `Authorization: Bearer <token>`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });

  // Callback hooks, not async ones: Fastify wraps each async hook's promise on every request. One
  // onSend hook sets both headers (it runs for every answer, errors and 404s included).
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    if (state.closing) reply.header('connection', 'close');
    done(null, payload);
  });
  const bodyLimit = ws.config.server.bodyLimitBytes;
  // A 413 names the limit, and the setting when the route reads the server's (uploads have their own).
  app.setErrorHandler((err, request, reply) => {
    const limit = request.routeOptions.bodyLimit;
    return sendError(request, reply, err, limit === bodyLimit ? serverBodyLimit(bodyLimit) : { bytes: limit });
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, MloopError.notFound('route', `${request.method} ${request.url.split('?')[0]}`)),
  );
  installAuth(app, ws.auth);

  await app.register(healthRoutes, { ws, isClosing: () => state.closing });
  await app.register(workspaceRoutes, { ws });
  await app.register(authRoutes, { ws });
  await app.register(datasetRoutes, { ws });
  await app.register(modelRoutes, { ws });
  await app.register(labelingRoutes, { ws });
  await app.register(labelingWebRoutes);
  const limits = ws.config.serving;
  const runtime = ws.serving.runtime(
    options.serving ?? {
      pollIntervalMs: limits.pollIntervalMs,
      maxRowsPerRequest: limits.maxRowsPerRequest,
      maxInflight: limits.maxInflight,
      requestTimeoutMs: limits.requestTimeoutMs,
      logPredictions: limits.logPredictions,
    },
    {
      info: (o, m) => app.log.info(o, m),
      warn: (o, m) => app.log.warn(o, m),
      error: (o, m) => app.log.error(o, m),
    },
  );
  await runtime.start();
  const v1Counter = predictRequestCounter(runtime, 'v1');
  await app.register(servingRoutes, { ws, runtime, v1Counter });
  // Off while prediction requests write their request lines: those come from Fastify's request logger.
  if ((options.fastPredict ?? ws.config.server.fastPredict) && !ws.config.log.predictionRequests) {
    fast = createFastPredict({
      auth: ws.auth,
      runtime,
      isClosing: () => state.closing,
      bodyLimitBytes: ws.config.server.bodyLimitBytes,
      count: v1Counter,
      logError: (details, message) => app.log.error(details, message),
    });
  }
  await app.register(jobRoutes, { ws });
  await app.register(monitoringRoutes, { ws });
  await app.register(retrainingRoutes, { ws });
  await app.register(dashboardRoutes, { ws });
  if (options.jobs?.worker) {
    const log = {
      info: (o: object, m: string) => app.log.info(o, m),
      warn: (o: object, m: string) => app.log.warn(o, m),
      error: (o: object, m: string) => app.log.error(o, m),
    };
    const worker = new JobWorker(ws.jobs, {
      concurrency: ws.config.jobs.concurrency,
      leaseMs: ws.config.jobs.leaseMs,
      pollMs: ws.config.jobs.pollMs,
      log,
    });
    const scheduler = new Scheduler(ws.jobs, (err) => app.log.warn({ err: (err as Error)?.message }, 'schedule tick failed'));
    app.addHook('onReady', async () => {
      worker.start();
      scheduler.start(ws.config.jobs.scheduleIntervalMs);
    });
    app.addHook('onClose', async () => {
      await Promise.all([scheduler.stop(), worker.stop()]);
    });
  }
  for (const plugin of options.plugins ?? []) await app.register(plugin);
  app.get('/openapi.json', { config: { access: { action: 'workspace:read' } }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
  await app.ready();
  return Object.assign(app, { mloopState: state });
}
