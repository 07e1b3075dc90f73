/** The model registry over HTTP: models, versions, aliases, cards, bundles (download and upload) and ONNX. */
import { Type } from '@sinclair/typebox';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MloopError } from '../../errors/index.js';
import { buildModelCard, exportOnnx, modelJson, moveJson, renderCardHtml, renderCardMarkdown, versionJson } from '../../registry/index.js';
import type { Workspace } from '../../workspace/index.js';
import { errorResponses } from '../schemas.js';

/** Largest bundle accepted by `POST /v1/models/import`. */
export const MAX_BUNDLE_UPLOAD_BYTES = 1024 ** 3;

/** CSP of the HTML card: the page has no scripts and no external resources, only an inline style sheet. */
export const CARD_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const BUNDLE_TYPES = ['application/octet-stream', 'application/zip', 'application/vnd.mloop.bundle'];
const Ref = Type.String({ minLength: 1, maxLength: 32 });

const security = [{ bearer: [] }];
const projectOf = (request: FastifyRequest) => (request.params as { name?: string }).name;
const Name = Type.String({ minLength: 1, maxLength: 63 });
const Any = Type.Object({}, { additionalProperties: true });

/** Writes a file into a fresh temp folder with `write`, streams it as the reply and removes the folder when the stream closes. */
async function sendTempFile(reply: FastifyReply, fileName: string, type: string, write: (file: string) => Promise<unknown>): Promise<FastifyReply> {
  const dir = mkdtempSync(join(tmpdir(), 'mloop-model-'));
  try {
    const file = join(dir, fileName);
    await write(file);
    const stream = createReadStream(file);
    stream.on('close', () => rmSync(dir, { recursive: true, force: true }));
    return reply.header('content-type', type).header('content-disposition', `attachment; filename="${fileName}"`).send(stream);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

export async function modelRoutes(app: FastifyInstance, opts: { ws: Workspace; maxUploadBytes?: number }): Promise<void> {
  const registry = opts.ws.registry;
  const maxBytes = opts.maxUploadBytes ?? MAX_BUNDLE_UPLOAD_BYTES;
  // Bundle uploads are passed on as streams and written to a temp file under the size limit.
  app.addContentTypeParser(BUNDLE_TYPES, (_request, payload, done) => done(null, payload));
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
  app.get(
    '/v1/models/:name/versions/:ref/card',
    {
      config: { access: { action: 'models:read', project: projectOf } },
      schema: {
        summary: 'The model card of a version, generated from recorded evidence: JSON, Markdown or a self-contained HTML page',
        tags: ['registry'],
        security,
        params: Type.Object({ name: Name, ref: Ref }),
        querystring: Type.Object({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('markdown'), Type.Literal('html')], { default: 'json' })) }, { additionalProperties: false }),
        response: { ...errorResponses },
      },
    },
    async (request, reply) => {
      const { name, ref } = request.params as { name: string; ref: string };
      const { format } = request.query as { format: 'json' | 'markdown' | 'html' };
      const card = await buildModelCard({ registry, datasets: opts.ws.datasets }, `${name}@${ref}`);
      if (format === 'markdown') return reply.header('content-type', 'text/markdown; charset=utf-8').send(renderCardMarkdown(card));
      if (format === 'html') {
        return reply
          .header('content-type', 'text/html; charset=utf-8')
          .header('content-security-policy', CARD_CSP)
          .header('x-content-type-options', 'nosniff')
          .header('referrer-policy', 'no-referrer')
          .send(renderCardHtml(card));
      }
      return reply.header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(card));
    },
  );
  app.get(
    '/v1/models/:name/versions/:ref/bundle',
    {
      config: { access: { action: 'models:read', project: projectOf } },
      schema: {
        summary: 'Download a version as a .mloop bundle (manifest with hashes, data-only weights; unsigned)',
        tags: ['registry'],
        security,
        params: Type.Object({ name: Name, ref: Ref }),
        response: { ...errorResponses },
      },
    },
    async (request, reply) => {
      const { name, ref } = request.params as { name: string; ref: string };
      const version = await registry.resolve(`${name}@${ref}`);
      return sendTempFile(reply, `${version.model}-${version.version}.mloop`, 'application/zip', (file) => registry.exportBundle(request.principal!.userName, version.ref, file));
    },
  );
  app.get(
    '/v1/models/:name/versions/:ref/onnx',
    {
      config: { access: { action: 'models:read', project: projectOf } },
      schema: {
        summary: 'Download a version as an ONNX model (GBDT, linear and imported ONNX versions; 412 for others)',
        tags: ['registry'],
        security,
        params: Type.Object({ name: Name, ref: Ref }),
        response: { ...errorResponses, 412: Type.Ref('ErrorBody') },
      },
    },
    async (request, reply) => {
      const { name, ref } = request.params as { name: string; ref: string };
      const version = await registry.resolve(`${name}@${ref}`);
      return sendTempFile(reply, `${version.model}-${version.version}.onnx`, 'application/octet-stream', (file) => exportOnnx(registry, version.ref, file));
    },
  );
  app.post(
    '/v1/models/import',
    {
      config: { access: { action: 'models:write', project: (request) => (request.query as { name?: string }).name } },
      bodyLimit: maxBytes,
      schema: {
        summary: `Import a .mloop bundle (the raw request body, streamed, at most ${maxBytes} bytes): verified, then registered as a new version (201), or the version it created before (200)`,
        tags: ['registry'],
        security,
        querystring: Type.Object({ name: Type.Optional(Name) }, { additionalProperties: false }),
        response: { 200: Any, 201: Any, ...errorResponses, 429: Type.Ref('ErrorBody') },
      },
    },
    async (request, reply) => {
      const { name } = request.query as { name?: string };
      const declared = Number(request.headers['content-length'] ?? 0);
      if (declared > maxBytes) throw MloopError.resourceExhausted(`the upload is larger than the limit of ${maxBytes} bytes`, { details: { maxBytes } });
      const body = request.body as NodeJS.ReadableStream | undefined;
      if (body === undefined || typeof (body as { pipe?: unknown }).pipe !== 'function') {
        throw MloopError.invalidArgument(`send the bundle as the request body with Content-Type ${BUNDLE_TYPES[0]}`);
      }
      const r = await registry.importBundleUpload(request.principal!.userName, body, { maxBytes, ...(name === undefined ? {} : { name }) });
      return reply.status(r.created ? 201 : 200).send({ ...versionJson(r.version), created: r.created, signed_by: r.signedBy, source: r.source });
    },
  );
}
