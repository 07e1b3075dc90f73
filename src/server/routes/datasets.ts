/** Datasets over HTTP: streamed upload, list, show, lineage, profile, validate, redact, split and export. */
import { Type } from '@sinclair/typebox';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { parseExpectations, versionJson } from '../../datasets/index.js';
import { MloopError } from '../../errors/index.js';
import type { Workspace } from '../../workspace/index.js';
import { errorResponses } from '../schemas.js';

/** Largest upload accepted by `POST /v1/datasets/{name}/import`. */
export const MAX_UPLOAD_BYTES = 1024 ** 3;

const UPLOAD_TYPES = ['application/octet-stream', 'text/csv', 'text/tab-separated-values', 'application/x-ndjson', 'application/jsonl', 'application/vnd.apache.parquet'];

const AnyObject = Type.Object({}, { additionalProperties: true });
const Ref = Type.Object({ ref: Type.String({ minLength: 1, maxLength: 80, description: 'name@N, or name for the latest version' }) });
const Name = Type.Object({ name: Type.String({ minLength: 1, maxLength: 63 }) });
const list = (s: string | undefined): string[] | undefined => (s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter((x) => x !== ''));

export async function datasetRoutes(app: FastifyInstance, opts: { ws: Workspace; maxUploadBytes?: number }): Promise<void> {
  const datasets = opts.ws.datasets;
  const maxBytes = opts.maxUploadBytes ?? MAX_UPLOAD_BYTES;
  const security = [{ bearer: [] }];
  // Upload bodies are passed on as streams; the service enforces the size limit as bytes arrive.
  app.addContentTypeParser(UPLOAD_TYPES, (_request, payload, done) => done(null, payload));

  app.get(
    '/v1/datasets',
    {
      config: { access: { action: 'datasets:read' } },
      schema: { summary: 'List datasets with their latest version', tags: ['datasets'], security, response: { 200: Type.Object({ datasets: Type.Array(AnyObject) }), ...errorResponses } },
    },
    async () => ({
      datasets: (await datasets.list()).map((d) => ({ name: d.name, versions: d.versions, latest: `${d.name}@${d.latest}`, rows: d.latestRowCount, created_at: d.createdAt, updated_at: d.updatedAt })),
    }),
  );

  app.get(
    '/v1/datasets/:name/versions',
    {
      config: { access: { action: 'datasets:read' } },
      schema: { summary: 'Every version of a dataset', tags: ['datasets'], security, params: Name, response: { 200: Type.Object({ versions: Type.Array(AnyObject) }), ...errorResponses } },
    },
    async (request) => ({ versions: (await datasets.versions((request.params as { name: string }).name)).map(versionJson) }),
  );

  app.get(
    '/v1/datasets/:ref',
    {
      config: { access: { action: 'datasets:read' } },
      schema: { summary: 'A version: provenance, schema, lineage', tags: ['datasets'], security, params: Ref, response: { 200: AnyObject, ...errorResponses } },
    },
    async (request) => versionJson(await datasets.show((request.params as { ref: string }).ref)),
  );

  app.get(
    '/v1/datasets/:ref/lineage',
    {
      config: { access: { action: 'datasets:read' } },
      schema: { summary: 'Parents (with transforms, recursively) and children of a version', tags: ['datasets'], security, params: Ref, response: { 200: AnyObject, ...errorResponses } },
    },
    async (request) => datasets.lineage((request.params as { ref: string }).ref),
  );

  app.get(
    '/v1/datasets/:ref/profile',
    {
      config: { access: { action: 'datasets:read' } },
      schema: {
        summary: 'Profile: column statistics, duplicates, labels, coverage per slice, PII counts. Kept after its first computation for the version and these options',
        tags: ['datasets'],
        security,
        params: Ref,
        querystring: Type.Object({ min_slice_rows: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })), min_label_rows: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })) }),
        response: { 200: AnyObject, ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query as { min_slice_rows?: number; min_label_rows?: number };
      return datasets.profile((request.params as { ref: string }).ref, {
        ...(q.min_slice_rows === undefined ? {} : { minSliceRows: q.min_slice_rows }),
        ...(q.min_label_rows === undefined ? {} : { minLabelRows: q.min_label_rows }),
      });
    },
  );

  app.get(
    '/v1/datasets/:ref/validation',
    {
      config: { access: { action: 'datasets:read' } },
      schema: {
        summary:
          "Validate a version against the expectations of its own schema and roles and, with `against`, report its schema changes from that version (as POST /v1/datasets/{ref}/validate without expectations). Kept after its first computation, like every profile and validation",
        tags: ['datasets'],
        security,
        params: Ref,
        querystring: Type.Object({ against: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })) }, { additionalProperties: false }),
        response: { 200: AnyObject, ...errorResponses },
      },
    },
    async (request) => datasets.validate((request.params as { ref: string }).ref, { against: (request.query as { against?: string }).against }),
  );

  app.post(
    '/v1/datasets/:ref/validate',
    {
      config: { access: { action: 'datasets:read' } },
      schema: {
        summary: 'Validate a version against expectations (default: from its schema); `passed` says the outcome. Kept after its first computation for the version, the expectations and `against`',
        tags: ['datasets'],
        security,
        params: Ref,
        body: Type.Optional(Type.Object({ expectations: Type.Optional(AnyObject), against: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })) }, { additionalProperties: false })),
        response: { 200: AnyObject, ...errorResponses },
      },
    },
    async (request) => {
      const body = (request.body ?? {}) as { expectations?: unknown; against?: string };
      const expectations = body.expectations === undefined ? undefined : parseExpectations(body.expectations, 'expectations');
      return datasets.validate((request.params as { ref: string }).ref, { expectations, against: body.against });
    },
  );

  app.post(
    '/v1/datasets/:name/import',
    {
      config: { access: { action: 'datasets:write' } },
      bodyLimit: maxBytes,
      schema: {
        summary: `Import an uploaded file (the raw request body, streamed, at most ${maxBytes} bytes) as the next version`,
        tags: ['datasets'],
        security,
        params: Name,
        querystring: Type.Object(
          {
            format: Type.Union([Type.Literal('csv'), Type.Literal('tsv'), Type.Literal('jsonl'), Type.Literal('parquet')]),
            file_name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            text: Type.Optional(Type.String({ maxLength: 2000 })),
            label: Type.Optional(Type.String({ maxLength: 2000 })),
            id: Type.Optional(Type.String({ maxLength: 2000 })),
            time: Type.Optional(Type.String({ maxLength: 2000 })),
            sensitive: Type.Optional(Type.String({ maxLength: 2000 })),
            na: Type.Optional(Type.String({ maxLength: 2000 })),
            skip_bad_rows: Type.Optional(Type.Boolean()),
            encoding: Type.Optional(Type.String({ maxLength: 20 })),
            owner: Type.Optional(Type.String({ maxLength: 200 })),
            licence: Type.Optional(Type.String({ maxLength: 200 })),
            description: Type.Optional(Type.String({ maxLength: 2000 })),
            collection_period: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: AnyObject, 201: AnyObject, ...errorResponses },
      },
    },
    async (request, reply) => {
      const q = request.query as Record<string, string | boolean | undefined>;
      const str = (k: string) => (typeof q[k] === 'string' ? (q[k] as string) : undefined);
      const declared = Number(request.headers['content-length'] ?? 0);
      if (declared > maxBytes) throw MloopError.resourceExhausted(`the upload is larger than the limit of ${maxBytes} bytes`, { details: { maxBytes } });
      const body = request.body as NodeJS.ReadableStream | undefined;
      if (body === undefined || typeof (body as { pipe?: unknown }).pipe !== 'function') {
        throw MloopError.invalidArgument(`send the file as the request body with Content-Type ${UPLOAD_TYPES[0]}`);
      }
      const format = str('format') as 'csv' | 'tsv' | 'jsonl' | 'parquet';
      const r = await datasets.importUpload(body, {
        name: (request.params as { name: string }).name,
        fileName: str('file_name') ?? `upload.${format}`,
        format,
        maxBytes,
        roles: { text: list(str('text')), label: list(str('label')), id: list(str('id')), time: list(str('time')), sensitive: list(str('sensitive')) },
        na: list(str('na')),
        skipBadRows: q['skip_bad_rows'] === true,
        encoding: str('encoding'),
        owner: str('owner'),
        licence: str('licence'),
        description: str('description'),
        collectionPeriod: str('collection_period'),
        actor: request.principal!.userName,
      });
      return reply.status(r.created ? 201 : 200).send({ created: r.created, ...versionJson(r.version) });
    },
  );

  app.post(
    '/v1/datasets/:ref/redact',
    {
      config: { access: { action: 'datasets:write' } },
      schema: {
        summary: 'Write a new version with PII in text columns replaced by typed placeholders ([EMAIL], …), with lineage',
        tags: ['datasets'],
        security,
        params: Ref,
        body: Type.Optional(
          Type.Object(
            { target: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })), columns: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 200 })) },
            { additionalProperties: false },
          ),
        ),
        response: { 200: AnyObject, 201: AnyObject, ...errorResponses },
      },
    },
    async (request, reply) => {
      const body = (request.body ?? {}) as { target?: string; columns?: string[] };
      const r = await datasets.redact((request.params as { ref: string }).ref, { actor: request.principal!.userName, target: body.target, columns: body.columns });
      return reply.status(r.created ? 201 : 200).send({ created: r.created, ...versionJson(r.version), redacted: r.redacted });
    },
  );

  app.post(
    '/v1/datasets/:ref/split',
    {
      config: { access: { action: 'datasets:write' } },
      schema: {
        summary: 'Split a version into child versions (random, stratified or by time), deterministic for a seed',
        tags: ['datasets'],
        security,
        params: Ref,
        body: Type.Object(
          {
            by: Type.String({ minLength: 1, maxLength: 20 }),
            ratios: Type.Array(Type.Number({ exclusiveMinimum: 0, maximum: 1 }), { minItems: 2, maxItems: 10 }),
            seed: Type.Optional(Type.Integer({ minimum: 0 })),
            names: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 63 }), { maxItems: 10 })),
            column: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ parts: Type.Array(AnyObject) }), ...errorResponses },
      },
    },
    async (request) => {
      const b = request.body as { by: string; ratios: number[]; seed?: number; names?: string[]; column?: string };
      const parts = await datasets.split((request.params as { ref: string }).ref, { by: b.by, ratios: b.ratios, seed: b.seed, names: b.names, column: b.column, actor: request.principal!.userName });
      return { parts: parts.map((p) => ({ part: p.part, created: p.created, ...versionJson(p.version) })) };
    },
  );

  app.get(
    '/v1/datasets/:ref/export',
    {
      config: { access: { action: 'datasets:read' } },
      schema: {
        summary: 'Download a version as CSV, JSON Lines or Parquet',
        tags: ['datasets'],
        security,
        params: Ref,
        querystring: Type.Object({ format: Type.Union([Type.Literal('csv'), Type.Literal('jsonl'), Type.Literal('parquet')]) }, { additionalProperties: false }),
        response: { ...errorResponses },
      },
    },
    async (request, reply) => {
      const { format } = request.query as { format: 'csv' | 'jsonl' | 'parquet' };
      const dir = mkdtempSync(join(tmpdir(), 'mloop-export-'));
      try {
        const r = await datasets.export((request.params as { ref: string }).ref, join(dir, `export.${format}`));
        const stream = createReadStream(r.output);
        stream.on('close', () => rmSync(dir, { recursive: true, force: true }));
        const type = { csv: 'text/csv', jsonl: 'application/x-ndjson', parquet: 'application/vnd.apache.parquet' }[format];
        return reply
          .header('content-type', type)
          .header('content-disposition', `attachment; filename="${r.ref.replace('@', '-')}.${format}"`)
          .send(stream);
      } catch (err) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    },
  );
}
