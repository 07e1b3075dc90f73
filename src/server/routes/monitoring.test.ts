/** Monitoring over HTTP, in-process, on a replayed drifting prediction log: report, rules, run, alerts, access. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPrincipal } from '../../auth/index.js';
import { demoMonitoring } from '../../monitoring/index.js';
import { monitoringFixture } from '../../monitoring/test-support/monitoring-fixture.js';
import type { TempWorkspace } from '../../workspace/test-support/temp-workspace.js';
import { buildServer } from '../index.js';

let f: TempWorkspace;
let app: FastifyInstance;
let viewer: string;
beforeAll(async () => {
  f = await monitoringFixture();
  await demoMonitoring(f.ws);
  await f.ws.auth.createUser(localPrincipal(), 'vera', ['viewer']);
  viewer = (await f.ws.auth.createToken(localPrincipal(), { user: 'vera' })).token;
  app = await buildServer(f.ws);
}, 180_000);
afterAll(async () => {
  await app?.close();
  await f?.cleanup();
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const get = (url: string, token = f.adminToken) => app.inject({ url, headers: auth(token) });
const send = (method: 'POST' | 'DELETE', url: string, payload?: object, token = f.adminToken) => app.inject({ method, url, headers: auth(token), ...(payload ? { payload } : {}) });

describe('monitoring over HTTP', () => {
  it('serves the JSON report to a viewer, and an HTML page under a strict CSP', async () => {
    const r = await get('/v1/monitoring/support@champion/report?window=7d', viewer);
    expect(r.statusCode, r.body).toBe(200);
    const j = r.json();
    expect(j).toMatchObject({ model: 'support', version: 1, window: '7d', dataset_drift: { drifted: 1, total: 1, detected: true } });
    expect(j.features[0]).toMatchObject({ name: 'text', test: 'drift:text-oov', drift: true });
    expect(j.windows.length).toBeGreaterThan(0);
    // bias drift: the logged region of each request gives every window its group gaps
    expect(j.fairness.attributes[0].attribute).toBe('region');
    const gaps = j.windows.map((w: { values: Record<string, number | null> }) => w.values['fairness.region.auto_share_difference']);
    expect(gaps.some((v: number | null) => typeof v === 'number')).toBe(true);
    const small = (await get('/v1/monitoring/support@champion/report?window=7d&min_group_size=10', viewer)).json();
    const count = (x: { windows: Array<{ values: Record<string, number | null> }> }) => x.windows.filter((w) => typeof w.values['fairness.region.auto_share_difference'] === 'number').length;
    expect(count(small)).toBeGreaterThan(count(j));
    expect((await get('/v1/monitoring/support@champion/report?min_group_size=0', viewer)).statusCode).toBe(400);
    expect(j.fairness_series.some((s: { attribute: string }) => s.attribute === 'region')).toBe(true);
    const html = await get('/v1/monitoring/support@champion/report?format=html', viewer);
    expect(html.headers['content-security-policy']).toContain("default-src 'none'");
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.body).not.toMatch(/<script/i);
  }, 60_000);

  it('answers 404 for an unknown model and 400 for a bad window or half a reference range', async () => {
    const missing = await get('/v1/monitoring/nope/report');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('NOT_FOUND');
    expect((await get('/v1/monitoring/support/report?window=3x')).json().error).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('invalid window') });
    expect((await get('/v1/monitoring/support/report?reference_from=2024-01-01T00:00:00Z')).statusCode).toBe(400);
    expect((await get('/v1/monitoring/support/report')).statusCode).toBe(200);
    expect((await app.inject({ url: '/v1/monitoring/support/report' })).statusCode).toBe(401);
  }, 60_000);

  it('adds, lists and removes rules, runs once, and lists alerts; a viewer reads but cannot change', async () => {
    const rule = { name: 'low-acc', model: 'support@champion', metric: 'performance.estimated_accuracy', op: '<', threshold: 0.86, consecutive: 2, webhook: 'http://127.0.0.1:9/services/T000/B000/SECRET' };
    expect((await send('POST', '/v1/monitoring/rules', rule, viewer)).statusCode).toBe(403);
    const added = await send('POST', '/v1/monitoring/rules', rule);
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json()).toMatchObject({ name: 'low-acc', model: 'support@champion', op: '<', threshold: 0.86, consecutive: 2, window: '7d', created_by: 'admin', webhook: 'http://127.0.0.1:9/…' });
    expect((await send('POST', '/v1/monitoring/rules', rule)).statusCode).toBe(409);
    expect((await send('POST', '/v1/monitoring/rules', { ...rule, name: 'x', metric: 'accuracy' })).json().error.code).toBe('INVALID_ARGUMENT');
    expect((await send('POST', '/v1/monitoring/rules', { ...rule, name: 'y', model: 'ghost' })).statusCode).toBe(404);
    const listed = (await get('/v1/monitoring/rules?model=support@champion', viewer)).json().rules;
    expect(listed.map((r: { name: string }) => r.name)).toEqual(['low-acc']);
    expect(JSON.stringify(listed)).not.toContain('SECRET');

    expect((await send('POST', '/v1/monitoring/run', {}, viewer)).statusCode).toBe(403);
    const run = await send('POST', '/v1/monitoring/run', { window: '7d' });
    expect(run.statusCode, run.body).toBe(200);
    expect(run.json().models[0]).toMatchObject({ model: 'support@champion', error: null });
    // A private webhook address is refused by default (no request is made): the alert is recorded, its delivery fails.
    expect(run.json().models[0].rules[0]).toMatchObject({ rule: 'low-acc', state: 'new', delivery: 'failed', alert: { rule: 'low-acc', status: 'firing' } });
    expect(run.json().models[0].rules[0].delivery_error).toContain('PERMISSION_DENIED');
    const alerts = (await get('/v1/monitoring/alerts?status=firing', viewer)).json().alerts;
    expect(alerts.map((a: { rule: string }) => a.rule)).toEqual(['low-acc']);
    expect((await get('/v1/monitoring/alerts?status=resolved', viewer)).json().alerts).toEqual([]);
    expect((await get('/v1/monitoring/alerts?status=open')).statusCode).toBe(400);

    expect((await send('DELETE', '/v1/monitoring/rules/low-acc', undefined, viewer)).statusCode).toBe(403);
    expect((await send('DELETE', '/v1/monitoring/rules/low-acc')).json()).toMatchObject({ name: 'low-acc' });
    expect((await send('DELETE', '/v1/monitoring/rules/low-acc')).statusCode).toBe(404);
    expect((await get('/v1/monitoring/rules')).json().rules).toEqual([]);
    expect((await get('/v1/monitoring/alerts')).json().alerts).toHaveLength(1);
  }, 60_000);

  it('lists the routes in /openapi.json', async () => {
    const spec = (await get('/openapi.json')).json() as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/v1/monitoring/{model}/report', '/v1/monitoring/rules', '/v1/monitoring/rules/{rule}', '/v1/monitoring/alerts', '/v1/monitoring/run']));
  });
});
