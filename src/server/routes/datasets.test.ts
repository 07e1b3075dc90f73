/** The datasets HTTP API in-process: streamed upload with a size limit, reads, validation, access. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { localPrincipal } from '../../auth/index.js';
import { buildServer } from '../index.js';
import { datasetRoutes } from './datasets.js';
import { sendError } from '../errors-http.js';
import { ErrorBody } from '../schemas.js';
import { initWorkspace, openWorkspace, type Workspace } from '../../workspace/index.js';

let dir: string;
let ws: Workspace;
let app: FastifyInstance;
let admin: string;
let viewer: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mloop-datasets-http-'));
  const init = await initWorkspace(join(dir, 'ws'), { env: {} });
  admin = init.admin!.token;
  ws = await openWorkspace({ workspace: join(dir, 'ws'), env: {} });
  await ws.auth.createUser(localPrincipal(), 'vera', ['viewer']);
  viewer = (await ws.auth.createToken(localPrincipal(), { user: 'vera' })).token;
  app = await buildServer(ws);
});
afterAll(async () => {
  await app.close();
  await ws.close();
  rmSync(dir, { recursive: true, force: true });
});

const CSV = 'id,age,income,sex\n1,39,<=50K,Male\n2,?,>50K,Female\n3,50,<=50K,Male\n';
const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const upload = (body: string, query: string, token = admin) =>
  app.inject({ method: 'POST', url: `/v1/datasets/people/import?${query}`, headers: { ...auth(token), 'content-type': 'text/csv' }, payload: body });

describe('datasets over HTTP', () => {
  it('imports an upload, returns the same version for the same bytes, and serves reads', async () => {
    const first = await upload(CSV, 'format=csv&label=income&sensitive=sex&na=%3F&file_name=people.csv&licence=CC0');
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ created: true, ref: 'people@1', row_count: 3, provenance: { licence: 'CC0', imported_by: 'admin', source: { kind: 'upload', file: 'people.csv', format: 'csv' } } });
    const again = await upload(CSV, 'format=csv&label=income&na=%3F');
    expect([again.statusCode, again.json().ref]).toEqual([200, 'people@1']);

    const list = await app.inject({ url: '/v1/datasets', headers: auth(viewer) });
    expect(list.json()).toEqual({ datasets: [expect.objectContaining({ name: 'people', latest: 'people@1', rows: 3 })] });
    expect((await app.inject({ url: '/v1/datasets/people@1', headers: auth(viewer) })).json()).toMatchObject({ ref: 'people@1' });
    expect((await app.inject({ url: '/v1/datasets/people/versions', headers: auth(viewer) })).json().versions).toHaveLength(1);
    expect((await app.inject({ url: '/v1/datasets/people@1/lineage', headers: auth(viewer) })).json()).toMatchObject({ ref: 'people@1', parents: [] });
    const profile = (await app.inject({ url: '/v1/datasets/people@1/profile', headers: auth(viewer) })).json();
    expect(profile.labels[0].distribution).toEqual([
      { value: '<=50K', count: 2, share: 0.666667 },
      { value: '>50K', count: 1, share: 0.333333 },
    ]);
    const ok = await app.inject({ method: 'POST', url: '/v1/datasets/people@1/validate', headers: auth(viewer), payload: {} });
    expect(ok.json()).toMatchObject({ passed: true });
    const failed = await app.inject({ method: 'POST', url: '/v1/datasets/people@1/validate', headers: auth(viewer), payload: { expectations: { min_rows: 10 } } });
    expect(failed.json()).toMatchObject({ passed: false, counts: { fail: 1 } });
  });

  it('answers errors with the error body: bad input, unknown refs, limits and permissions', async () => {
    const bad = await upload('a,b\n1,2\n3\n', 'format=csv');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'INVALID_ARGUMENT', message: "'upload.csv' line 3: expected 2 fields, found 1" });
    expect((await upload(CSV, 'format=xlsx')).statusCode).toBe(400);
    expect((await app.inject({ url: '/v1/datasets/ghost@1', headers: auth(admin) })).statusCode).toBe(404);
    expect((await app.inject({ url: '/v1/datasets/..%2Fetc', headers: auth(admin) })).json().error.code).toBe('INVALID_ARGUMENT');
    const badSchema = await app.inject({ method: 'POST', url: '/v1/datasets/people@1/validate', headers: auth(admin), payload: { expectations: { columns: { age: { rnage: [1, 2] } } } } });
    expect(badSchema.json().error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { issues: [{ path: 'columns.age.rnage' }] } });
    expect((await app.inject({ url: '/v1/datasets' })).statusCode).toBe(401);
    expect((await upload(CSV, 'format=csv', viewer)).statusCode).toBe(403);
    expect((await app.inject({ url: '/v1/datasets', headers: auth(admin) })).json().datasets).toHaveLength(1);
  });

  it('stops an upload past the size limit and keeps nothing', async () => {
    const limited = (await import('fastify')).default();
    limited.addSchema(ErrorBody);
    limited.setErrorHandler((err, request, reply) => sendError(request, reply, err));
    limited.addHook('onRequest', async (request) => {
      request.principal = localPrincipal();
    });
    await limited.register(datasetRoutes, { ws, maxUploadBytes: 1000 });
    const big = 'a,b\n' + '1,2\n'.repeat(500);
    const r = await limited.inject({ method: 'POST', url: '/v1/datasets/big/import?format=csv', headers: { 'content-type': 'text/csv' }, payload: big });
    expect(r.statusCode).toBe(429);
    expect(JSON.stringify(r.json())).toMatch(/larger than the limit of 1000 bytes/);
    expect(await ws.datasets.list()).toHaveLength(1);
    await limited.close();
  });

  it('redacts, splits and exports over HTTP, with permissions', async () => {
    const text = 'id,text,label\n1,mail me at ann.lee@example.com,a\n2,call 555-0134 please,b\n3,nothing here,a\n4,all good,b\n5,fine,a\n6,ok,b\n';
    const up = await app.inject({ method: 'POST', url: '/v1/datasets/notes/import?format=csv&text=text&label=label', headers: { ...auth(admin), 'content-type': 'text/csv' }, payload: text });
    expect(up.statusCode).toBe(201);
    expect((await app.inject({ method: 'POST', url: '/v1/datasets/notes@1/redact', headers: auth(viewer), payload: {} })).statusCode).toBe(403);
    const red = await app.inject({ method: 'POST', url: '/v1/datasets/notes@1/redact', headers: auth(admin), payload: {} });
    expect(red.statusCode).toBe(201);
    expect(red.json()).toMatchObject({ ref: 'notes@2' });
    const csv = await app.inject({ url: '/v1/datasets/notes@2/export?format=csv', headers: auth(viewer) });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body).toContain('[EMAIL]');
    expect(csv.body).not.toContain('ann.lee@example.com');
    const split = await app.inject({ method: 'POST', url: '/v1/datasets/notes@2/split', headers: auth(admin), payload: { by: 'random', ratios: [0.5, 0.5], seed: 1 } });
    expect(split.statusCode, split.body).toBe(200);
    const parts = split.json().parts as Array<{ row_count: number }>;
    expect(parts.reduce((n, p) => n + p.row_count, 0)).toBe(6);
    expect((await app.inject({ url: '/v1/datasets/notes@2/export?format=xml', headers: auth(viewer) })).statusCode).toBe(400);
  });

  it("keeps a version's profile and validation: a second read does not compute; other options, rules or against do; 404, 403 and 401", async () => {
    await app.inject({ method: 'POST', url: '/v1/datasets/kept/import?format=csv&label=income&id=id&na=%3F', headers: { ...auth(admin), 'content-type': 'text/csv' }, payload: CSV });
    await app.inject({ method: 'POST', url: '/v1/datasets/kept/import?format=csv&label=income&id=id&na=%3F', headers: { ...auth(admin), 'content-type': 'text/csv' }, payload: `${CSV}4,41,>50K,Female\n` });
    await ws.auth.createUser(localPrincipal(), 'ann', ['annotator:some-project']);
    const annotator = (await ws.auth.createToken(localPrincipal(), { user: 'ann' })).token;
    const get = (url: string, token: string | null = viewer) => app.inject({ url, headers: token === null ? {} : auth(token) });
    const computed = vi.spyOn(ws.datasets, 'withEngine');
    try {
      const first = await get('/v1/datasets/kept@1/profile');
      expect(first.statusCode).toBe(200);
      expect((await get('/v1/datasets/kept@1/profile')).json()).toEqual(first.json());
      expect(computed).toHaveBeenCalledTimes(1);
      expect((await get('/v1/datasets/kept@1/profile?min_slice_rows=2')).json().options).toMatchObject({ minSliceRows: 2 });
      expect((await get('/v1/datasets/kept/profile')).json()).toMatchObject({ ref: 'kept@2', rows: 4 }); // the latest version's name
      expect(computed).toHaveBeenCalledTimes(3);

      const v = await get('/v1/datasets/kept@2/validation');
      expect(v.json()).toMatchObject({ ref: 'kept@2', passed: true, against: null });
      const against = await get('/v1/datasets/kept@2/validation?against=kept@1');
      expect(against.json()).toMatchObject({ against: 'kept@1' });
      expect(computed).toHaveBeenCalledTimes(5);
      // The POST without expectations is the same validation, read back.
      const posted = await app.inject({ method: 'POST', url: '/v1/datasets/kept@2/validate', headers: auth(viewer), payload: { against: 'kept@1' } });
      expect(posted.json()).toEqual(against.json());
      expect((await get('/v1/datasets/kept@2/validation')).json()).toEqual(v.json());
      expect(computed).toHaveBeenCalledTimes(5);
      // Other rules: computed.
      const strict = await app.inject({ method: 'POST', url: '/v1/datasets/kept@2/validate', headers: auth(viewer), payload: { expectations: { min_rows: 10 } } });
      expect(strict.json()).toMatchObject({ passed: false });
      expect(computed).toHaveBeenCalledTimes(6);
    } finally {
      computed.mockRestore();
    }
    expect((await get('/v1/datasets/nope@1/profile')).statusCode).toBe(404);
    expect((await get('/v1/datasets/nope@1/validation')).statusCode).toBe(404);
    expect((await get('/v1/datasets/kept@1/validation?against=nope@2')).statusCode).toBe(404);
    expect((await get('/v1/datasets/kept@1/validation?bogus=1')).statusCode).toBe(400);
    expect((await get('/v1/datasets/kept@1/profile', annotator)).statusCode).toBe(403);
    expect((await get('/v1/datasets/kept@1/validation', annotator)).statusCode).toBe(403);
    expect((await get('/v1/datasets/kept@1/profile', null)).statusCode).toBe(401);
    expect((await get('/v1/datasets/kept@1/validation', null)).statusCode).toBe(401);
  });

  it('lists the routes in /openapi.json', async () => {
    const spec = (await app.inject({ url: '/openapi.json', headers: auth(admin) })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/v1/datasets', '/v1/datasets/{ref}', '/v1/datasets/{ref}/profile', '/v1/datasets/{ref}/validation', '/v1/datasets/{ref}/validate', '/v1/datasets/{name}/import']));
  });
});
