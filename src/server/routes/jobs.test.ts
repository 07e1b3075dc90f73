/** Jobs and schedules over HTTP, in-process: enqueue with keys, list, show, cancel, retry, schedules, access, OpenAPI, and the embedded worker. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPrincipal } from '../../auth/index.js';
import { tempWorkspace, type TempWorkspace } from '../../workspace/test-support/temp-workspace.js';
import { buildServer } from '../index.js';

let t: TempWorkspace;
let app: FastifyInstance;
let viewer: string;
beforeAll(async () => {
  t = await tempWorkspace();
  await t.ws.auth.createUser(localPrincipal(), 'vera', ['viewer']);
  viewer = (await t.ws.auth.createToken(localPrincipal(), { user: 'vera' })).token;
  app = await buildServer(t.ws);
});
afterAll(async () => {
  await app.close();
  await t.cleanup();
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const post = (url: string, payload?: object, token = t.adminToken) => app.inject({ method: 'POST', url, headers: auth(token), ...(payload ? { payload } : {}) });
const get = (url: string, token = t.adminToken) => app.inject({ method: 'GET', url, headers: auth(token) });

describe('jobs over HTTP', () => {
  it('enqueues once per key (201 then 200), lists, shows with logs, cancels and retries', async () => {
    const first = await post('/v1/jobs', { type: 'sleep', key: 'nightly-1', payload: { ms: 10 } });
    expect(first.statusCode).toBe(201);
    const id = first.json().job.id as string;
    const again = await post('/v1/jobs', { type: 'sleep', key: 'nightly-1', payload: { ms: 10 } });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ created: false, job: { id, state: 'queued', created_by: 'admin' } });
    expect((await get('/v1/jobs?state=queued', viewer)).json().jobs.map((j: { id: string }) => j.id)).toEqual([id]);
    const cancelled = await post(`/v1/jobs/${id}/cancel`);
    expect(cancelled.json()).toMatchObject({ state: 'cancelled' });
    expect((await post(`/v1/jobs/${id}/cancel`)).json()).toMatchObject({ error: { code: 'FAILED_PRECONDITION' } });
    expect((await post(`/v1/jobs/${id}/retry`)).json()).toMatchObject({ state: 'queued', attempts: 0 });
    const shown = (await get(`/v1/jobs/${id}`, viewer)).json();
    expect(shown.logs.map((l: { message: string }) => l.message)).toEqual(['cancel requested by admin', 'retried by admin']);
  });

  it('answers 400 for unknown types, bad payloads and states, 404 for unknown jobs, 403 for viewers who manage', async () => {
    const unknown = await post('/v1/jobs', { type: 'nope' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.message).toContain('known types: monitor, retrain, retrain-check, sleep, train');
    expect((await post('/v1/jobs', { type: 'train', payload: { dataset: 'x@1' } })).json()).toMatchObject({ error: { code: 'INVALID_ARGUMENT', details: { issues: [{ path: 'name' }] } } });
    expect((await get('/v1/jobs?state=weird')).statusCode).toBe(400);
    expect((await get('/v1/jobs/job_nope')).statusCode).toBe(404);
    expect((await post('/v1/jobs', { type: 'sleep', payload: { ms: 1 } }, viewer)).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/v1/jobs' })).statusCode).toBe(401);
  });

  it('adds, lists and removes schedules', async () => {
    const added = await post('/v1/schedules', { name: 'monthly', cron: '0 3 1 * *', job_type: 'sleep', payload: { ms: 1 } });
    expect(added.statusCode).toBe(201);
    expect(added.json().schedule).toMatchObject({ name: 'monthly', timezone: 'UTC', next_slot: expect.stringMatching(/-01T03:00:00.000Z$/) });
    expect((await post('/v1/schedules', { name: 'bad', cron: 'soon', job_type: 'sleep', payload: { ms: 1 } })).statusCode).toBe(400);
    expect((await get('/v1/schedules', viewer)).json().schedules).toHaveLength(1);
    expect((await app.inject({ method: 'DELETE', url: '/v1/schedules/monthly', headers: auth(t.adminToken) })).json()).toEqual({ removed: 'monthly' });
    expect((await app.inject({ method: 'DELETE', url: '/v1/schedules/monthly', headers: auth(t.adminToken) })).statusCode).toBe(404);
  });

  it('lists the routes in /openapi.json', async () => {
    const paths = Object.keys((await get('/openapi.json')).json().paths as object);
    expect(paths).toEqual(expect.arrayContaining(['/v1/jobs', '/v1/jobs/{id}', '/v1/jobs/{id}/cancel', '/v1/jobs/{id}/retry', '/v1/jobs/types', '/v1/schedules', '/v1/schedules/{name}']));
  });

  it('runs jobs in the server process when the embedded worker is on, and drains it on close', async () => {
    const server = await buildServer(t.ws, { jobs: { worker: true } });
    try {
      const { job } = await t.ws.jobs.enqueue('admin', { type: 'sleep', payload: { ms: 5 } });
      for (let i = 0; i < 200 && (await t.ws.jobs.get(job.id)).state !== 'succeeded'; i++) await new Promise((r) => setTimeout(r, 25));
      expect(await t.ws.jobs.get(job.id)).toMatchObject({ state: 'succeeded', result: { slept: 5 } });
    } finally {
      await server.close();
    }
  });
});
