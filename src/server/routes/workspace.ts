/** Workspace status and the caller's identity. */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { workspaceStatus, type Workspace } from '../../workspace/index.js';
import { errorResponses } from '../schemas.js';

export async function workspaceRoutes(app: FastifyInstance, opts: { ws: Workspace }): Promise<void> {
  app.get(
    '/v1/status',
    {
      config: { access: { action: 'workspace:read' } },
      schema: {
        summary: 'Workspace status: backend, schema version, artifact usage',
        tags: ['workspace'],
        security: [{ bearer: [] }],
        response: { 200: Type.Object({}, { additionalProperties: true }), ...errorResponses },
      },
    },
    async () => workspaceStatus(opts.ws),
  );
  app.get(
    '/v1/whoami',
    {
      config: { access: { authenticated: true } },
      schema: {
        summary: 'The user behind the bearer token, with their roles',
        tags: ['auth'],
        security: [{ bearer: [] }],
        response: {
          200: Type.Object({
            user: Type.String(),
            roles: Type.Array(Type.Object({ role: Type.String(), scope: Type.String() })),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => ({
      user: request.principal!.userName,
      roles: request.principal!.grants.map((g) => ({ role: g.role, scope: g.scope })),
    }),
  );
}
