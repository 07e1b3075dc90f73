/** The registry over HTTP, in-process: cards in three formats, bundle download and upload, ONNX, access. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPrincipal } from '../../auth/index.js';
import type { VersionRecord } from '../../registry/index.js';
import { tempWorkspace, type TempWorkspace } from '../../workspace/test-support/temp-workspace.js';
import { sendError } from '../errors-http.js';
import { buildServer } from '../index.js';
import { ErrorBody } from '../schemas.js';
import { CARD_CSP, modelRoutes } from './models.js';

let a: TempWorkspace;
let b: TempWorkspace;
let app: FastifyInstance;
let other: FastifyInstance;
let viewer: string;
const record: VersionRecord = { datasets: ['tickets@1'], inputSchema: [{ name: 'text', type: 'text' }], learner: 'test', params: {}, seed: 7, codeVersion: 'test', metrics: { accuracy: 0.91 } };
const weights = Buffer.from(Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i)).buffer);

beforeAll(async () => {
  a = await tempWorkspace();
  b = await tempWorkspace();
  await a.ws.registry.registerVersion('eng', {
    model: 'support',
    task: 'text-classification',
    record,
    files: [
      { name: 'model.json', data: JSON.stringify({ labels: ['a', 'b'] }) },
      { name: 'weights.f32', data: weights },
    ],
    description: { intendedUse: 'route <script>alert("x")</script> tickets & more' },
  });
  await b.ws.auth.createUser(localPrincipal(), 'vera', ['viewer']);
  viewer = (await b.ws.auth.createToken(localPrincipal(), { user: 'vera' })).token;
  app = await buildServer(a.ws);
  other = await buildServer(b.ws);
});
afterAll(async () => {
  await app?.close();
  await other?.close();
  await a?.cleanup();
  await b?.cleanup();
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const upload = (target: FastifyInstance, body: Buffer, token: string, query = '') =>
  target.inject({ method: 'POST', url: `/v1/models/import${query}`, headers: { ...auth(token), 'content-type': 'application/octet-stream' }, payload: body });

describe('model cards over HTTP', () => {
  it('serves JSON, Markdown and an escaped HTML page under a strict CSP', async () => {
    const json = await app.inject({ url: '/v1/models/support/versions/1/card', headers: auth(a.adminToken) });
    expect(json.statusCode).toBe(200);
    expect(json.json()).toMatchObject({ ref: 'support@1', task: 'text-classification' });
    const md = await app.inject({ url: '/v1/models/support/versions/1/card?format=markdown', headers: auth(a.adminToken) });
    expect(md.headers['content-type']).toContain('text/markdown');
    expect(md.body).toContain('## Intended use');
    const html = await app.inject({ url: '/v1/models/support/versions/1/card?format=html', headers: auth(a.adminToken) });
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.headers['content-security-policy']).toBe(CARD_CSP);
    expect(CARD_CSP).toContain("default-src 'none'");
    expect(html.headers['x-content-type-options']).toBe('nosniff');
    expect(html.body).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; tickets &amp; more');
    expect(html.body).not.toMatch(/<script/i);
  });

  it('answers 404 for an unknown version, 400 for an unknown format, 401 without a token', async () => {
    expect((await app.inject({ url: '/v1/models/support/versions/9/card', headers: auth(a.adminToken) })).json().error.code).toBe('NOT_FOUND');
    expect((await app.inject({ url: '/v1/models/ghost/versions/1/card', headers: auth(a.adminToken) })).statusCode).toBe(404);
    expect((await app.inject({ url: '/v1/models/support/versions/1/card?format=pdf', headers: auth(a.adminToken) })).statusCode).toBe(400);
    expect((await app.inject({ url: '/v1/models/support/versions/1/card' })).statusCode).toBe(401);
  });
});

describe('bundles over HTTP', () => {
  let bundle: Buffer;
  it('downloads a bundle that imports into another workspace once (201, then 200); a viewer reads the card but cannot import', async () => {
    const res = await app.inject({ url: '/v1/models/support/versions/1/bundle', headers: auth(a.adminToken) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['content-disposition']).toBe('attachment; filename="support-1.mloop"');
    bundle = res.rawPayload;
    expect(bundle.subarray(0, 2).toString('latin1')).toBe('PK');

    const denied = await upload(other, bundle, viewer);
    expect(denied.statusCode).toBe(403);
    expect(await b.ws.registry.listModels()).toEqual([]);

    const first = await upload(other, bundle, b.adminToken, '?name=copy');
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({ ref: 'copy@1', created: true, signed_by: null, source: { model: 'support', version: 1 } });
    const again = await upload(other, bundle, b.adminToken, '?name=copy');
    expect([again.statusCode, again.json().ref, again.json().created]).toEqual([200, 'copy@1', false]);
    expect((await b.ws.registry.readArtifact(await b.ws.registry.resolve('copy@1'), 'weights.f32')).equals(weights)).toBe(true);

    const card = await other.inject({ url: '/v1/models/copy/versions/1/card?format=markdown', headers: auth(viewer) });
    expect(card.statusCode).toBe(200);
    expect(card.body).toContain('copy@1');
  });

  it('refuses a tampered upload, garbage and an empty body, leaving no version', async () => {
    const at = bundle.indexOf(weights.subarray(400, 432));
    expect(at).toBeGreaterThan(0);
    const flipped = Buffer.from(bundle);
    flipped[at + 3] = flipped[at + 3]! ^ 0xff;
    const tampered = await upload(other, flipped, b.adminToken, '?name=tampered');
    expect(tampered.statusCode).toBe(400);
    expect(tampered.json().error.message).toMatch(/weights.f32' does not match its sha256/);
    const garbage = await upload(other, Buffer.from('not a zip at all'), b.adminToken, '?name=garbage');
    expect(garbage.json().error).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/not a readable zip archive/) });
    expect((await upload(other, bundle, b.adminToken, '?name=Bad%2FName')).statusCode).toBe(400);
    const json = await other.inject({ method: 'POST', url: '/v1/models/import?name=json', headers: auth(b.adminToken), payload: { bundle: 'x' } });
    expect(json.statusCode).toBe(400);
    expect((await b.ws.registry.listModels()).map((m) => m.name)).toEqual(['copy']);
  });

  it('stops an upload past the size limit and keeps nothing', async () => {
    const limited = (await import('fastify')).default();
    limited.addSchema(ErrorBody);
    limited.setErrorHandler((err, request, reply) => sendError(request, reply, err));
    limited.addHook('onRequest', async (request) => {
      request.principal = localPrincipal();
    });
    await limited.register(modelRoutes, { ws: b.ws, maxUploadBytes: 1000 });
    const r = await limited.inject({ method: 'POST', url: '/v1/models/import?name=big', headers: { 'content-type': 'application/octet-stream' }, payload: bundle });
    expect(r.statusCode).toBe(429);
    expect(JSON.stringify(r.json())).toMatch(/larger than the limit of 1000 bytes/);
    expect((await b.ws.registry.listModels()).map((m) => m.name)).toEqual(['copy']);
    await limited.close();
  });

  it('answers 404 for an unknown version and 412 for ONNX of a learner that does not export', async () => {
    expect((await app.inject({ url: '/v1/models/support/versions/7/bundle', headers: auth(a.adminToken) })).statusCode).toBe(404);
    const onnx = await app.inject({ url: '/v1/models/support/versions/1/onnx', headers: auth(a.adminToken) });
    expect(onnx.statusCode).toBe(412);
    expect(onnx.json().error).toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringMatching(/learner 'test' does not export to ONNX/) });
  });

  it('lists the routes in /openapi.json', async () => {
    const spec = (await app.inject({ url: '/openapi.json', headers: auth(a.adminToken) })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/v1/models/{name}/versions/{ref}/card', '/v1/models/{name}/versions/{ref}/bundle', '/v1/models/{name}/versions/{ref}/onnx', '/v1/models/import']),
    );
  });
});
