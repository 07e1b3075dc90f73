/**
 * The writes the dashboard's editing pages use, in-process: a user's roles (PUT /v1/users/{name}/roles),
 * an alert rule changed in place (PATCH /v1/monitoring/rules/{rule}), and the audit log entries they
 * leave; 403 for viewers and annotators, 400 for bad input, and both routes in /openapi.json.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPrincipal } from '../../auth/index.js';
import { monitoringFixture } from '../../monitoring/test-support/monitoring-fixture.js';
import type { TempWorkspace } from '../../workspace/test-support/temp-workspace.js';
import { buildServer } from '../index.js';

let f: TempWorkspace;
let app: FastifyInstance;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  f = await monitoringFixture({ rows: 300 });
  const admin = localPrincipal();
  for (const [name, role] of [
    ['vera', 'viewer'],
    ['ann', 'annotator:some-project'],
    ['eve', 'engineer'],
    ['sam', 'engineer:other-model'],
  ] as const) {
    await f.ws.auth.createUser(admin, name, [role]);
    tokens[name] = (await f.ws.auth.createToken(admin, { user: name })).token;
  }
  tokens['admin'] = f.adminToken;
  app = await buildServer(f.ws);
}, 180_000);
afterAll(async () => {
  await app?.close();
  await f?.cleanup();
});

const call = (method: 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE', url: string, who: string, payload?: unknown) =>
  app.inject({ method, url, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
const audit = async (target: string) => (await f.ws.auth.audit(localPrincipal(), { target })).map((e) => [e.action, e.actor, e.details]);

describe('editing over HTTP', () => {
  it("an admin sets a user's roles: grants and revokes recorded in the audit log; the new roles apply at once", async () => {
    const before = await call('GET', '/v1/overview', 'vera');
    expect(before.statusCode).toBe(200);
    const res = await call('PUT', '/v1/users/vera/roles', 'admin', { roles: ['annotator:some-project', 'reviewer:some-project'] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ name: 'vera', roles: expect.arrayContaining([{ role: 'annotator', scope: 'some-project' }, { role: 'reviewer', scope: 'some-project' }]) });
    expect(res.json().roles).toHaveLength(2);
    // The token's cached grants are dropped: a viewer no more.
    expect((await call('GET', '/v1/overview', 'vera')).statusCode).toBe(403);
    const log = await audit('user:vera');
    expect(log.slice(0, 3)).toEqual(
      expect.arrayContaining([
        ['role.grant', 'admin', { role: 'annotator', scope: 'some-project' }],
        ['role.grant', 'admin', { role: 'reviewer', scope: 'some-project' }],
        ['role.revoke', 'admin', { role: 'viewer', scope: '*' }],
      ]),
    );
    // The same list again changes nothing and records nothing.
    expect((await call('PUT', '/v1/users/vera/roles', 'admin', { roles: ['reviewer:some-project', 'annotator:some-project'] })).statusCode).toBe(200);
    expect(await audit('user:vera')).toHaveLength(log.length);
    expect((await call('PUT', '/v1/users/vera/roles', 'admin', { roles: ['viewer'] })).json().roles).toEqual([{ role: 'viewer', scope: '*' }]);
  });

  it('refuses role changes from anyone but an admin (403), bad roles and unknown users, and removing the last admin', async () => {
    for (const who of ['vera', 'ann', 'eve']) expect((await call('PUT', '/v1/users/ann/roles', who, { roles: ['admin'] })).statusCode, who).toBe(403);
    const bad = await call('PUT', '/v1/users/ann/roles', 'admin', { roles: ['wizard'] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain("unknown role 'wizard'");
    // Every spec is checked before anything changes.
    expect((await call('PUT', '/v1/users/ann/roles', 'admin', { roles: ['viewer', 'annotator:'] })).statusCode).toBe(400);
    expect((await f.ws.auth.listUsers(localPrincipal())).find((u) => u.name === 'ann')!.grants.map((g) => `${g.role}:${g.scope}`)).toEqual(['annotator:some-project']);
    expect((await call('PUT', '/v1/users/ann/roles', 'admin', { roles: [7] })).statusCode).toBe(400);
    expect((await call('PUT', '/v1/users/ann/roles', 'admin', { roles: ['viewer'], extra: 1 })).statusCode).toBe(400);
    expect((await call('PUT', '/v1/users/ghost/roles', 'admin', { roles: ['viewer'] })).statusCode).toBe(404);
    const last = await call('PUT', '/v1/users/admin/roles', 'admin', { roles: ['viewer'] });
    expect(last.statusCode).toBe(412);
    expect(last.json().error.message).toContain('only administrator');
  });

  it('an engineer changes an alert rule in place; the change and the removal are in the audit log', async () => {
    const created = await call('POST', '/v1/monitoring/rules', 'eve', { name: 'low-acc', model: 'support@champion', metric: 'performance.estimated_accuracy', op: '<', threshold: 0.8, webhook: 'https://hooks.example.com/services/SECRET' });
    expect(created.statusCode, created.body).toBe(201);
    const res = await call('PATCH', '/v1/monitoring/rules/low-acc', 'eve', { threshold: 0.75, consecutive: 2, enabled: false });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: created.json().id, name: 'low-acc', threshold: 0.75, consecutive: 2, enabled: false, op: '<', webhook: 'https://hooks.example.com/…', created_by: 'eve' });
    const renamed = await call('PATCH', `/v1/monitoring/rules/${created.json().id as string}`, 'eve', { name: 'acc-floor', webhook: null });
    expect(renamed.json()).toMatchObject({ name: 'acc-floor', webhook: null, threshold: 0.75 });
    const log = await audit('model:support');
    expect(log.map(([a]) => a).slice(0, 3)).toEqual(['rule.update', 'rule.update', 'rule.create']);
    expect(log[1]![2]).toMatchObject({ rule: 'low-acc', threshold: 0.75, enabled: false, webhook: 'https://hooks.example.com/…' });
    // The webhook's secret path never reaches the audit log.
    expect(JSON.stringify(log)).not.toContain('SECRET');
    expect((await call('DELETE', '/v1/monitoring/rules/acc-floor', 'eve')).statusCode).toBe(200);
    expect((await audit('model:support'))[0]).toEqual(['rule.delete', 'eve', expect.objectContaining({ rule: 'acc-floor' })]);
  });

  it('refuses rule changes from viewers, annotators and engineers of another model (403), and bad input (400, 404, 409)', async () => {
    await call('POST', '/v1/monitoring/rules', 'admin', { name: 'drift-a', model: 'support', metric: 'drift.share', op: '>', threshold: 0.5 });
    await call('POST', '/v1/monitoring/rules', 'admin', { name: 'drift-b', model: 'support', metric: 'drift.share', op: '>', threshold: 0.6 });
    for (const who of ['vera', 'ann', 'sam']) expect((await call('PATCH', '/v1/monitoring/rules/drift-a', who, { threshold: 0.1 })).statusCode, who).toBe(403);
    const badOp = await call('PATCH', '/v1/monitoring/rules/drift-a', 'eve', { op: '=' });
    expect(badOp.statusCode).toBe(400);
    expect(badOp.json().error.message).toContain("invalid comparison '='");
    expect((await call('PATCH', '/v1/monitoring/rules/drift-a', 'eve', { metric: 'accuracy' })).json().error.code).toBe('INVALID_ARGUMENT');
    expect((await call('PATCH', '/v1/monitoring/rules/drift-a', 'eve', { window: 'soon' })).statusCode).toBe(400);
    expect((await call('PATCH', '/v1/monitoring/rules/drift-a', 'eve', {})).statusCode).toBe(400);
    expect((await call('PATCH', '/v1/monitoring/rules/drift-a', 'eve', { threshold: 'high' })).statusCode).toBe(400);
    expect((await call('PATCH', '/v1/monitoring/rules/drift-a', 'eve', { model: 'ghost' })).statusCode).toBe(404);
    expect((await call('PATCH', '/v1/monitoring/rules/nope', 'eve', { threshold: 0.1 })).statusCode).toBe(404);
    expect((await call('PATCH', '/v1/monitoring/rules/drift-a', 'eve', { name: 'drift-b' })).statusCode).toBe(409);
    // Nothing changed.
    expect((await f.ws.monitoring.listRules()).find((r) => r.name === 'drift-a')).toMatchObject({ threshold: 0.5, op: '>', metric: 'drift.share', window: '7d' });
  });

  it('the retraining policy the Settings page sends: set by an engineer and audited; 403 for a viewer and an annotator; 400 with the path of a bad target', async () => {
    const body = {
      training: { dataset: 'tickets@1', settings: { label: 'intent', text: 'text', targetPrecision: 0.9 } },
      evaluation: { dataset: 'tickets@1' },
      gate: { name: 'floor', rules: [{ metric: 'accuracy', min: 0.5 }] },
      promotion: 'approval',
    };
    for (const who of ['vera', 'ann']) expect((await call('PUT', '/v1/policies/support', who, body)).statusCode, who).toBe(403);
    const ok = await call('PUT', '/v1/policies/support', 'eve', body);
    expect(ok.statusCode, ok.body).toBe(200);
    expect((await audit('model:support')).find(([a]) => a === 'policy.set')).toEqual(['policy.set', 'eve', { policy: expect.objectContaining({ model: 'support', promotion: 'approval' }) }]);
    const bad = await call('PUT', '/v1/policies/support', 'eve', { ...body, training: { ...body.training, settings: { ...body.training.settings, targetPrecision: 'high' } } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.issues).toEqual([expect.objectContaining({ path: 'training.settings.targetPrecision' })]);
    expect((await f.ws.retraining.getPolicy('support')).policy.training.settings['targetPrecision']).toBe(0.9);
  });

  it('both routes are in the OpenAPI document', async () => {
    const doc = (await call('GET', '/openapi.json', 'admin')).json() as { paths: Record<string, Record<string, unknown>> };
    expect(doc.paths['/v1/users/{name}/roles']).toHaveProperty('put');
    expect(doc.paths['/v1/monitoring/rules/{rule}']).toHaveProperty('patch');
  });
});
