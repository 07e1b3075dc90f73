/** Users and tokens over HTTP. Permission checks beyond the route's own live in AuthService. */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ApiToken } from '../../auth/index.js';
import type { Workspace } from '../../workspace/index.js';
import { errorResponses } from '../schemas.js';

const TokenInfo = Type.Object({
  id: Type.String(),
  user: Type.String(),
  name: Type.String(),
  prefix: Type.String(),
  created_at: Type.String(),
  expires_at: Type.Union([Type.String(), Type.Null()]),
  last_used_at: Type.Union([Type.String(), Type.Null()]),
  revoked_at: Type.Union([Type.String(), Type.Null()]),
});

export function tokenJson(t: ApiToken) {
  return {
    id: t.id,
    user: t.userName,
    name: t.name,
    prefix: t.prefix,
    created_at: t.createdAt,
    expires_at: t.expiresAt,
    last_used_at: t.lastUsedAt,
    revoked_at: t.revokedAt,
  };
}

const UserInfo = Type.Object({
  id: Type.String(),
  name: Type.String(),
  created_at: Type.String(),
  roles: Type.Array(Type.Object({ role: Type.String(), scope: Type.String() })),
});

export async function authRoutes(app: FastifyInstance, opts: { ws: Workspace }): Promise<void> {
  const auth = opts.ws.auth;
  const security = [{ bearer: [] }];

  app.get(
    '/v1/tokens',
    {
      config: { access: { authenticated: true } },
      schema: {
        summary: "List tokens: the caller's own, or everyone's for admins",
        tags: ['auth'],
        security,
        querystring: Type.Object({ user: Type.Optional(Type.String({ maxLength: 63 })) }),
        response: { 200: Type.Object({ tokens: Type.Array(TokenInfo) }), ...errorResponses },
      },
    },
    async (request) => {
      const { user } = request.query as { user?: string };
      const tokens = await auth.listTokens(request.principal!, user === undefined ? {} : { user });
      return { tokens: tokens.map(tokenJson) };
    },
  );

  app.post(
    '/v1/tokens',
    {
      config: { access: { authenticated: true } },
      schema: {
        summary: 'Create a token; the secret is in this response only',
        tags: ['auth'],
        security,
        body: Type.Object(
          {
            user: Type.Optional(Type.String({ maxLength: 63 })),
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            expires_in_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ token: Type.String(), info: TokenInfo }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const body = request.body as { user?: string; name?: string; expires_in_days?: number };
      const created = await auth.createToken(request.principal!, {
        ...(body.user === undefined ? {} : { user: body.user }),
        ...(body.name === undefined ? {} : { name: body.name }),
        ...(body.expires_in_days === undefined ? {} : { expiresInDays: body.expires_in_days }),
      });
      return reply.status(201).send({ token: created.token, info: tokenJson(created.info) });
    },
  );

  app.delete(
    '/v1/tokens/:id',
    {
      config: { access: { authenticated: true } },
      schema: {
        summary: 'Revoke a token',
        tags: ['auth'],
        security,
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 200: TokenInfo, ...errorResponses },
      },
    },
    async (request) => tokenJson(await auth.revokeToken(request.principal!, (request.params as { id: string }).id)),
  );

  app.get(
    '/v1/users',
    {
      config: { access: { action: 'users:read' } },
      schema: {
        summary: 'List users and their roles',
        tags: ['auth'],
        security,
        response: { 200: Type.Object({ users: Type.Array(UserInfo) }), ...errorResponses },
      },
    },
    async (request) => ({
      users: (await auth.listUsers(request.principal!)).map((u) => ({
        id: u.id,
        name: u.name,
        created_at: u.createdAt,
        roles: u.grants.map((g) => ({ role: g.role, scope: g.scope })),
      })),
    }),
  );

  app.get(
    '/v1/audit',
    {
      config: { access: { action: 'users:read' } },
      schema: {
        summary: 'The audit log (user, role and token changes, approval decisions), newest first, one page at a time',
        tags: ['auth'],
        security,
        querystring: Type.Object({
          target: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
          offset: Type.Integer({ minimum: 0, default: 0 }),
        }),
        response: {
          200: Type.Object({
            entries: Type.Array(
              Type.Object({
                seq: Type.Integer(),
                at: Type.String(),
                actor: Type.String(),
                action: Type.String(),
                target: Type.String(),
                details: Type.Record(Type.String(), Type.Unknown()),
              }),
            ),
            total: Type.Integer(),
            limit: Type.Integer(),
            offset: Type.Integer(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { target, limit, offset } = request.query as { target?: string; limit: number; offset: number };
      const page = await auth.auditPage(request.principal!, { ...(target === undefined ? {} : { target }), limit, offset });
      return { ...page, limit, offset };
    },
  );

  app.post(
    '/v1/users',
    {
      config: { access: { action: 'users:manage' } },
      schema: {
        summary: 'Create a user with roles (`engineer`, or `annotator:<project>` for one project)',
        tags: ['auth'],
        security,
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 63 }), roles: Type.Array(Type.String({ maxLength: 200 }), { maxItems: 50 }) },
          { additionalProperties: false },
        ),
        response: { 201: UserInfo, ...errorResponses },
      },
    },
    async (request, reply) => {
      const body = request.body as { name: string; roles: string[] };
      const u = await auth.createUser(request.principal!, body.name, body.roles);
      return reply.status(201).send({
        id: u.id,
        name: u.name,
        created_at: u.createdAt,
        roles: u.grants.map((g) => ({ role: g.role, scope: g.scope })),
      });
    },
  );

  app.put(
    '/v1/users/:name/roles',
    {
      config: { access: { action: 'users:manage' } },
      schema: {
        summary: "Set a user's roles to exactly this list (`engineer`, or `annotator:<project>` for one project): missing ones are granted, others revoked, each in the audit log. 412 when no administrator would be left",
        tags: ['auth'],
        security,
        params: Type.Object({ name: Type.String({ minLength: 1, maxLength: 63 }) }),
        body: Type.Object({ roles: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 50 }) }, { additionalProperties: false }),
        response: { 200: UserInfo, ...errorResponses, 412: Type.Ref('ErrorBody') },
      },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      const { roles } = request.body as { roles: string[] };
      const u = await auth.setRoles(request.principal!, name, roles);
      return { id: u.id, name: u.name, created_at: u.createdAt, roles: u.grants.map((g) => ({ role: g.role, scope: g.scope })) };
    },
  );
}
