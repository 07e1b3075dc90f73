import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPrincipal } from '../auth/index.js';
import { MIGRATIONS } from '../storage/index.js';
import { tempWorkspace, type TempWorkspace } from '../workspace/test-support/temp-workspace.js';
import Fastify from 'fastify';
import { installAuth } from './auth-hook.js';
import { buildServer } from './index.js';

let t: TempWorkspace;
let app: FastifyInstance;
let annotatorToken: string;
let viewerToken: string;

beforeAll(async () => {
  t = await tempWorkspace();
  app = await buildServer(t.ws);
  const admin = localPrincipal();
  await t.ws.auth.createUser(admin, 'ann', ['annotator:proj-a']);
  await t.ws.auth.createUser(admin, 'vic', ['viewer']);
  annotatorToken = (await t.ws.auth.createToken(admin, { user: 'ann' })).token;
  viewerToken = (await t.ws.auth.createToken(admin, { user: 'vic' })).token;
});
afterAll(async () => {
  await app.close();
  await t.cleanup();
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

describe('public routes', () => {
  it('answers liveness and readiness without a token', async () => {
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { server: 'ok', database: 'ok' } });
  });
});

describe('authentication', () => {
  it('answers 401 with the error body without a token, with a wrong token, and with a malformed header', async () => {
    for (const headers of [{}, auth('mlp_' + 'x'.repeat(43)), { authorization: 'Basic abc' }, auth('short')]) {
      const res = await app.inject({ url: '/v1/status', headers });
      expect(res.statusCode).toBe(401);
      const body = res.json();
      expect(body.error.code).toBe('UNAUTHENTICATED');
      expect(typeof body.error.message).toBe('string');
      expect(body.error.request_id).toBe(res.headers['x-request-id']);
    }
  });

  it('requires a token even for unknown routes, then says 404', async () => {
    expect((await app.inject({ url: '/v1/nope' })).statusCode).toBe(401);
    const res = await app.inject({ url: '/v1/nope', headers: auth(t.adminToken) });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
  });

  it('serves the status to a valid token', async () => {
    const res = await app.inject({ url: '/v1/status', headers: auth(t.adminToken) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ backend: 'sqlite', schema: { version: MIGRATIONS.length } });
  });

  it('rejects a revoked token', async () => {
    const created = await t.ws.auth.createToken(localPrincipal(), { user: 'vic', name: 'temp' });
    expect((await app.inject({ url: '/v1/whoami', headers: auth(created.token) })).statusCode).toBe(200);
    const del = await app.inject({ method: 'DELETE', url: `/v1/tokens/${created.info.id}`, headers: auth(created.token) });
    expect(del.statusCode).toBe(200);
    expect((await app.inject({ url: '/v1/whoami', headers: auth(created.token) })).statusCode).toBe(401);
  });
});

describe('authorization', () => {
  it('lets an annotator see who they are but nothing of the workspace', async () => {
    const me = await app.inject({ url: '/v1/whoami', headers: auth(annotatorToken) });
    expect(me.json()).toEqual({ user: 'ann', roles: [{ role: 'annotator', scope: 'proj-a' }] });
    for (const url of ['/v1/status', '/v1/users', '/openapi.json']) {
      const res = await app.inject({ url, headers: auth(annotatorToken) });
      expect(res.statusCode, url).toBe(403);
      expect(res.json().error.code).toBe('PERMISSION_DENIED');
    }
  });

  it('lets a viewer read but not create users or tokens for others', async () => {
    expect((await app.inject({ url: '/v1/status', headers: auth(viewerToken) })).statusCode).toBe(200);
    expect((await app.inject({ url: '/v1/users', headers: auth(viewerToken) })).statusCode).toBe(403);
    const create = await app.inject({ method: 'POST', url: '/v1/users', headers: auth(viewerToken), payload: { name: 'zed', roles: [] } });
    expect(create.statusCode).toBe(403);
    const tok = await app.inject({ method: 'POST', url: '/v1/tokens', headers: auth(viewerToken), payload: { user: 'admin' } });
    expect(tok.statusCode).toBe(403);
  });

  it('lets an admin create a user and a token for them, shown once', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/users', headers: auth(t.adminToken), payload: { name: 'eng', roles: ['engineer'] } });
    expect(res.statusCode).toBe(201);
    const tok = await app.inject({ method: 'POST', url: '/v1/tokens', headers: auth(t.adminToken), payload: { user: 'eng', name: 'ci' } });
    expect(tok.statusCode).toBe(201);
    const { token, info } = tok.json();
    expect(token).toMatch(/^mlp_/);
    const list = await app.inject({ url: '/v1/tokens', headers: auth(t.adminToken) });
    expect(JSON.stringify(list.json())).not.toContain(token);
    expect(list.json().tokens.some((x: { id: string }) => x.id === info.id)).toBe(true);
    const me = await app.inject({ url: '/v1/whoami', headers: auth(token) });
    expect(me.json().user).toBe('eng');
  });

  it('pages through the audit log for admins and refuses annotators and viewers', async () => {
    for (let i = 0; i < 3; i++) await t.ws.auth.recordAudit({ actor: 'admin', action: 'approval.approve', target: 'model:audited', details: { i } });
    const first = await app.inject({ url: '/v1/audit?target=model:audited&limit=2', headers: auth(t.adminToken) });
    expect(first.statusCode).toBe(200);
    expect(first.json().total).toBe(3);
    expect(first.json().entries.map((e: { details: { i: number } }) => e.details.i)).toEqual([2, 1]);
    const second = await app.inject({ url: '/v1/audit?target=model:audited&limit=2&offset=2', headers: auth(t.adminToken) });
    expect(second.json().entries.map((e: { details: { i: number } }) => e.details.i)).toEqual([0]);
    const all = await app.inject({ url: '/v1/audit', headers: auth(t.adminToken) });
    expect(all.json().entries.some((e: { action: string }) => e.action === 'user.create')).toBe(true);
    expect((await app.inject({ url: '/v1/audit?limit=0', headers: auth(t.adminToken) })).statusCode).toBe(400);
    for (const token of [annotatorToken, viewerToken]) expect((await app.inject({ url: '/v1/audit', headers: auth(token) })).statusCode).toBe(403);
  });

  it('refuses to register a route without an access declaration', async () => {
    const other = Fastify();
    installAuth(other, t.ws.auth);
    expect(() => other.get('/v1/unguarded', async () => 'x')).toThrow(/declares no access/);
    other.get('/v1/guarded', { config: { access: { authenticated: true } } }, async () => 'x');
    await other.close();
  });
});

describe('request handling', () => {
  it('keeps a valid incoming request id and makes one otherwise', async () => {
    const kept = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers['x-request-id']).toBe('abc-123');
    const made = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'bad id with spaces' } });
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers validation failures with INVALID_ARGUMENT and the issues', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/users', headers: auth(t.adminToken), payload: { name: 'x', roles: 'admin', extra: 1 } });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error.code).toBe('INVALID_ARGUMENT');
    expect(body.error.details.issues.length).toBeGreaterThan(0);
    const bad = await app.inject({ method: 'POST', url: '/v1/users', headers: { ...auth(t.adminToken), 'content-type': 'application/json' }, payload: '{not json' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('INVALID_ARGUMENT');
  });

  it('answers 413 RESOURCE_EXHAUSTED for a body over the limit', async () => {
    const huge = JSON.stringify({ name: 'x'.repeat(t.ws.config.server.bodyLimitBytes), roles: [] });
    const res = await app.inject({ method: 'POST', url: '/v1/users', headers: { ...auth(t.adminToken), 'content-type': 'application/json' }, payload: huge });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('RESOURCE_EXHAUSTED');
  });

  it('publishes an OpenAPI document listing the routes and bearer security', async () => {
    const res = await app.inject({ url: '/openapi.json', headers: auth(viewerToken) });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/v1/status', '/v1/tokens', '/v1/tokens/{id}', '/v1/users', '/v1/whoami']));
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
  });

  it('never answers 5xx to arbitrary input (property)', async () => {
    const method = fc.constantFrom('GET', 'POST', 'DELETE', 'PUT');
    const path = fc.constantFrom('/v1/users', '/v1/tokens', '/v1/tokens/abc', '/v1/status', '/v1/whoami', '/healthz', '/v1/x');
    await fc.assert(
      fc.asyncProperty(method, path, fc.jsonValue(), fc.boolean(), async (m, p, body, withToken) => {
        const res = await app.inject({
          method: m as 'GET',
          url: p,
          headers: withToken ? auth(t.adminToken) : {},
          ...(m === 'GET' || m === 'DELETE' ? {} : { payload: JSON.stringify(body), headers: { ...(withToken ? auth(t.adminToken) : {}), 'content-type': 'application/json' } }),
        });
        return res.statusCode < 500;
      }),
      { numRuns: 150 },
    );
  });
});
