/** The model registry over HTTP. */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { modelJson, moveJson, versionJson } from '../../registry/index.js';
import type { Workspace } from '../../workspace/index.js';
import { errorResponses } from '../schemas.js';

const security = [{ bearer: [] }];
const projectOf = (request: FastifyRequest) => (request.params as { name?: string }).name;
const Name = Type.String({ minLength: 1, maxLength: 63 });
const Any = Type.Object({}, { additionalProperties: true });

export async function modelRoutes(app: FastifyInstance, opts: { ws: Workspace }): Promise<void> {
  const registry = opts.ws.registry;
  app.get(
    '/v1/models',
    { config: { access: { action: 'models:read' } }, schema: { summary: 'List models', tags: ['registry'], security, response: { 200: Type.Object({ models: Type.Array(Any) }), ...errorResponses } } },
    async () => ({ models: (await registry.listModels()).map(modelJson) }),
  );
  app.get(
    '/v1/models/:name',
    {
      config: { access: { action: 'models:read', project: projectOf } },
      schema: { summary: 'A model with all its versions', tags: ['registry'], security, params: Type.Object({ name: Name }), response: { 200: Any, ...errorResponses } },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      return { model: modelJson(await registry.getModel(name)), versions: (await registry.listVersions(name)).map(versionJson) };
    },
  );
  app.get(
    '/v1/models/:name/versions/:ref',
    {
      config: { access: { action: 'models:read', project: projectOf } },
      schema: {
        summary: 'One version, by number or alias',
        tags: ['registry'],
        security,
        params: Type.Object({ name: Name, ref: Type.String({ minLength: 1, maxLength: 32 }) }),
        response: { 200: Any, ...errorResponses },
      },
    },
    async (request) => {
      const { name, ref } = request.params as { name: string; ref: string };
      return versionJson(await registry.resolve(`${name}@${ref}`));
    },
  );
  app.put(
    '/v1/models/:name/aliases/:alias',
    {
      config: { access: { action: 'models:promote', project: projectOf } },
      schema: {
        summary: 'Move an alias to a version (recorded with its reason in the history)',
        tags: ['registry'],
        security,
        params: Type.Object({ name: Name, alias: Type.String({ minLength: 1, maxLength: 32 }) }),
        body: Type.Object({ version: Type.Integer({ minimum: 1 }), reason: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false }),
        response: { 200: Any, ...errorResponses },
      },
    },
    async (request) => {
      const { name, alias } = request.params as { name: string; alias: string };
      const { version, reason } = request.body as { version: number; reason: string };
      const v = await registry.resolve(`${name}@${version}`);
      return moveJson(await registry.setAlias(request.principal!.userName, name, alias, version, reason, { metrics: v.record.metrics }));
    },
  );
  app.delete(
    '/v1/models/:name/aliases/:alias',
    {
      config: { access: { action: 'models:promote', project: projectOf } },
      schema: {
        summary: 'Remove an alias (recorded in the history)',
        tags: ['registry'],
        security,
        params: Type.Object({ name: Name, alias: Type.String({ minLength: 1, maxLength: 32 }) }),
        querystring: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000 }) }),
        response: { 200: Any, ...errorResponses },
      },
    },
    async (request) => {
      const { name, alias } = request.params as { name: string; alias: string };
      const { reason } = request.query as { reason: string };
      return moveJson(await registry.removeAlias(request.principal!.userName, name, alias, reason));
    },
  );
  app.get(
    '/v1/models/:name/history',
    {
      config: { access: { action: 'models:read', project: projectOf } },
      schema: {
        summary: 'The append-only alias history (no route edits or deletes it)',
        tags: ['registry'],
        security,
        params: Type.Object({ name: Name }),
        querystring: Type.Object({ alias: Type.Optional(Type.String({ maxLength: 32 })) }),
        response: { 200: Type.Object({ model: Type.String(), history: Type.Array(Any) }), ...errorResponses },
      },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      const { alias } = request.query as { alias?: string };
      return { model: name, history: (await registry.history(name, alias)).map(moveJson) };
    },
  );
}
