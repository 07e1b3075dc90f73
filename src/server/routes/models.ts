/** The model registry over HTTP: models, versions, aliases, cards, bundles (download and upload) and ONNX. */
import multipart from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MloopError } from '../../errors/index.js';
import { PARITY_CONSTRAINTS, planToJson, type ParityConstraint } from '../../fairness/index.js';
import { applyMitigation, mitigateModel } from '../../training/index.js';
import { buildModelCard, checkOnnxImportAllowed, exportOnnx, importOnnx, MAX_ONNX_BYTES, modelJson, moveJson, renderCardHtml, renderCardMarkdown, versionJson } from '../../registry/index.js';
import type { Workspace } from '../../workspace/index.js';
import { errorResponses } from '../schemas.js';

/** Largest bundle accepted by `POST /v1/models/import`. */
export const MAX_BUNDLE_UPLOAD_BYTES = 1024 ** 3;

/** CSP of the HTML card: the page has no scripts and no external resources, only an inline style sheet. */
export const CARD_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Largest `schema` part of an ONNX upload, as a field or a file. */
const MAX_SCHEMA_BYTES = 1024 ** 2;

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

/** Reads a key file named by a setting, when the server starts: a missing or unreadable file stops the start with its name. */
function readKeyFile(path: string, setting: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw MloopError.invalidArgument(`cannot read the key file ${path} named by ${setting}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      hint: 'mloop models keygen --out <prefix> writes a key pair; docs/registry.md explains signing',
    });
  }
}

/** The `schema` part sent as a file (`curl -F schema=@schema.json`), read whole up to {@link MAX_SCHEMA_BYTES}. */
async function readSchemaFile(stream: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.byteLength;
    if (size > MAX_SCHEMA_BYTES) throw MloopError.resourceExhausted(`the schema part is larger than the limit of ${MAX_SCHEMA_BYTES} bytes`, { details: { maxBytes: MAX_SCHEMA_BYTES } });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Multipart errors of @fastify/multipart, as our error codes. */
function multipartError(err: unknown, maxBytes: number): unknown {
  const code = (err as { code?: string }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return MloopError.resourceExhausted(`the ONNX file is larger than the limit of ${maxBytes} bytes`, { details: { maxBytes } });
  if (typeof code === 'string' && code.startsWith('FST_')) return MloopError.invalidArgument(`bad multipart upload: ${(err as Error).message}`, { hint: 'send two parts: schema (the JSON schema) and model (the .onnx file)' });
  return err;
}

export async function modelRoutes(app: FastifyInstance, opts: { ws: Workspace; maxUploadBytes?: number }): Promise<void> {
  const registry = opts.ws.registry;
  const maxBytes = opts.maxUploadBytes ?? MAX_BUNDLE_UPLOAD_BYTES;
  const maxOnnxBytes = Math.min(maxBytes, MAX_ONNX_BYTES);
  const settings = opts.ws.config.registry;
  const signingKey = settings.signingKey === null ? undefined : readKeyFile(settings.signingKey, 'registry.signingKey');
  const trustedKeys = settings.trustedKeys.map((k) => readKeyFile(k, 'registry.trustedKeys'));
  if (settings.requireSignature && trustedKeys.length === 0) {
    throw MloopError.invalidArgument('registry.requireSignature is on but registry.trustedKeys names no key: no bundle could ever be accepted', { hint: 'set registry.trustedKeys to the public keys you trust' });
  }
  // Bundle uploads are passed on as streams and written to a temp file under the size limit.
  app.addContentTypeParser(BUNDLE_TYPES, (_request, payload, done) => done(null, payload));
  // ONNX uploads: multipart/form-data with a `schema` part (a field, or a file as `curl -F schema=@schema.json` sends it) and a `model` file.
  await app.register(multipart, { limits: { fileSize: maxOnnxBytes, files: 2, fields: 1, parts: 2, fieldSize: MAX_SCHEMA_BYTES } });
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
  app.post(
    '/v1/models/:name/versions/:ref/mitigation',
    {
      config: { access: { action: 'models:write', project: projectOf } },
      schema: {
        summary:
          'Choose group thresholds for a parity constraint on validation data and register them as a new version (201; 200 with the version made before when the same plan was applied to this version); as `mloop fairness mitigate --apply`',
        tags: ['registry'],
        security,
        params: Type.Object({ name: Name, ref: Ref }),
        body: Type.Object(
          {
            dataset: Type.String({ minLength: 1, maxLength: 100, description: 'validation data with labels and the sensitive column, name@N' }),
            attribute: Type.String({ minLength: 1, maxLength: 200, description: 'the sensitive column whose groups get their own thresholds' }),
            constraint: Type.Union(PARITY_CONSTRAINTS.map((c) => Type.Literal(c))),
            tolerance: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
            target_precision: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
            positive_label: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Any, 201: Any, ...errorResponses, 412: Type.Ref('ErrorBody') },
      },
    },
    async (request, reply) => {
      const { name, ref } = request.params as { name: string; ref: string };
      const body = request.body as { dataset: string; attribute: string; constraint: ParityConstraint; tolerance?: number; target_precision?: number; positive_label?: string };
      const deps = { datasets: opts.ws.datasets, registry };
      const r = await mitigateModel(deps, {
        model: `${name}@${ref}`,
        dataset: body.dataset,
        sensitive: body.attribute,
        constraint: body.constraint,
        ...(body.tolerance === undefined ? {} : { tolerance: body.tolerance }),
        ...(body.target_precision === undefined ? {} : { targetPrecision: body.target_precision }),
        ...(body.positive_label === undefined ? {} : { positiveLabel: body.positive_label }),
      });
      const applied = await applyMitigation(deps, request.principal!.userName, r);
      return reply.status(applied.created ? 201 : 200).send({ ...versionJson(applied.version), created: applied.created, source: applied.source, dataset: r.dataset, plan: planToJson(r.plan) });
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
      const move = await registry.removeAlias(request.principal!.userName, name, alias, reason);
      return { ...moveJson(move), warnings: await opts.ws.serving.aliasRemovalWarnings(move.model, move.alias, move.fromVersion) };
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
        summary: 'Download a version as a .mloop bundle (manifest with hashes, data-only weights), signed when the server has registry.signingKey',
        tags: ['registry'],
        security,
        params: Type.Object({ name: Name, ref: Ref }),
        response: { ...errorResponses },
      },
    },
    async (request, reply) => {
      const { name, ref } = request.params as { name: string; ref: string };
      const version = await registry.resolve(`${name}@${ref}`);
      return sendTempFile(reply, `${version.model}-${version.version}.mloop`, 'application/zip', (file) =>
        registry.exportBundle(request.principal!.userName, version.ref, file, signingKey === undefined ? {} : { signingKey }),
      );
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
        summary: `Import a .mloop bundle (the raw request body, streamed, at most ${maxBytes} bytes): verified, then registered as a new version (201), or the version it created before (200). Or import an ONNX model made elsewhere: multipart/form-data with a \`schema\` field (JSON) and a \`model\` file, and ?name= (403 under registry.requireSignature: an ONNX file carries no signature)`,
        tags: ['registry'],
        security,
        querystring: Type.Object({ name: Type.Optional(Name) }, { additionalProperties: false }),
        response: { 200: Any, 201: Any, ...errorResponses, 429: Type.Ref('ErrorBody') },
      },
    },
    async (request, reply) => {
      const { name } = request.query as { name?: string };
      const declared = Number(request.headers['content-length'] ?? 0);
      if (request.isMultipart()) {
        if (name === undefined) throw MloopError.invalidArgument('?name=<model> is required to import an ONNX model', { hint: 'POST /v1/models/import?name=<model> with parts schema and model' });
        // Refused before the upload is staged: no ONNX file could satisfy registry.requireSignature.
        checkOnnxImportAllowed({ requireSignature: settings.requireSignature });
        if (declared > maxOnnxBytes + 1024 ** 2) throw MloopError.resourceExhausted(`the upload is larger than the limit of ${maxOnnxBytes} bytes`, { details: { maxBytes: maxOnnxBytes } });
        const r = await importOnnxUpload(request, name);
        return reply.status(r.created ? 201 : 200).send({ ...versionJson(r.version), created: r.created });
      }
      if (declared > maxBytes) throw MloopError.resourceExhausted(`the upload is larger than the limit of ${maxBytes} bytes`, { details: { maxBytes } });
      const body = request.body as NodeJS.ReadableStream | undefined;
      if (body === undefined || typeof (body as { pipe?: unknown }).pipe !== 'function') {
        throw MloopError.invalidArgument(`send the bundle as the request body with Content-Type ${BUNDLE_TYPES[0]}, or an ONNX model as multipart/form-data`);
      }
      const r = await registry.importBundleUpload(request.principal!.userName, body, {
        maxBytes,
        trustedKeys,
        requireSignature: settings.requireSignature,
        ...(name === undefined ? {} : { name }),
      });
      return reply.status(r.created ? 201 : 200).send({ ...versionJson(r.version), created: r.created, signed_by: r.signedBy, source: r.source });
    },
  );

  /** Streams the `model` part to a temp file under the size limit, parses the `schema` part, and imports (the temp folder is always removed). */
  async function importOnnxUpload(request: FastifyRequest, name: string) {
    const dir = mkdtempSync(join(tmpdir(), 'mloop-onnx-'));
    try {
      const file = join(dir, 'model.onnx');
      let schemaText: string | undefined;
      let gotModel = false;
      try {
        for await (const part of request.parts()) {
          const twice = (part.fieldname === 'model' && gotModel) || (part.fieldname === 'schema' && schemaText !== undefined);
          if (twice) throw MloopError.invalidArgument(`the part '${part.fieldname}' is sent twice; send the parts schema and model once each`);
          if (part.type === 'file' && part.fieldname === 'schema') {
            schemaText = await readSchemaFile(part.file);
          } else if (part.type === 'file') {
            if (part.fieldname !== 'model') throw MloopError.invalidArgument(`unexpected file part '${part.fieldname}'; the ONNX file goes in the part named 'model'`);
            await pipeline(part.file, createWriteStream(file, { flags: 'wx' }));
            gotModel = true;
          } else if (part.fieldname === 'schema') {
            schemaText = String(part.value);
          } else {
            throw MloopError.invalidArgument(`unexpected field '${part.fieldname}'; send the parts schema and model`);
          }
        }
      } catch (err) {
        throw multipartError(err, maxOnnxBytes);
      }
      if (schemaText === undefined) throw MloopError.invalidArgument("the part 'schema' is missing: which columns feed the model's inputs, its output and classes", { hint: 'docs/onnx.md shows a schema' });
      if (!gotModel) throw MloopError.invalidArgument("the part 'model' (the .onnx file) is missing");
      let schema: unknown;
      try {
        schema = JSON.parse(schemaText);
      } catch (err) {
        throw MloopError.invalidArgument(`the schema part is not valid JSON: ${(err as Error).message}`);
      }
      return await importOnnx(registry, request.principal!.userName, file, { name, schema, requireSignature: settings.requireSignature });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
