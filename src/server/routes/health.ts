/** Liveness and readiness: the only routes that need no token. */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Workspace } from '../../workspace/index.js';

export async function healthRoutes(app: FastifyInstance, opts: { ws: Workspace; isClosing: () => boolean }): Promise<void> {
  app.get(
    '/healthz',
    {
      config: { access: { public: true } },
      schema: {
        summary: 'Liveness: the process is up',
        tags: ['health'],
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      config: { access: { public: true } },
      schema: {
        summary: 'Readiness: the metadata store answers and the server is not shutting down',
        tags: ['health'],
        response: {
          200: Type.Object({ status: Type.Literal('ready'), checks: Type.Record(Type.String(), Type.String()) }),
          503: Type.Object({ status: Type.Literal('unavailable'), checks: Type.Record(Type.String(), Type.String()) }),
        },
      },
    },
    async (_request, reply) => {
      const checks: Record<string, string> = {};
      let ok = true;
      if (opts.isClosing()) {
        checks['server'] = 'shutting down';
        ok = false;
      } else checks['server'] = 'ok';
      try {
        await opts.ws.backend.ping();
        checks['database'] = 'ok';
      } catch {
        checks['database'] = 'unreachable';
        ok = false;
      }
      return ok ? { status: 'ready' as const, checks } : reply.status(503).send({ status: 'unavailable' as const, checks });
    },
  );
}
