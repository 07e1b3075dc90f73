/** Retraining over HTTP, in-process: policies, runs with steps, approvals, rollback, access and errors. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPrincipal } from '../../auth/index.js';
import { generateSupportRequests, supportRequestsToCsv } from '../../demo/index.js';
import { trainModel } from '../../training/index.js';
import { tempWorkspace, type TempWorkspace } from '../../workspace/test-support/temp-workspace.js';
import { buildServer } from '../index.js';

let t: TempWorkspace;
let app: FastifyInstance;
let viewer: string;
let weak: number;
const settings = { label: 'intent', text: 'text', seed: 1 };
const policy = (extra: Record<string, unknown> = {}) => ({
  training: { dataset: 'tickets', settings },
  evaluation: { dataset: 'later@1' },
  gate: { name: 'any', rules: [{ metric: 'accuracy', min: 0 }] },
  promotion: 'approval',
  approval: { expires_in_hours: 24 },
  ...extra,
});

beforeAll(async () => {
  t = await tempWorkspace();
  const write = async (name: string, count: number, seed: number) => {
    const file = join(t.dir, `${name}.csv`);
    writeFileSync(file, supportRequestsToCsv(generateSupportRequests({ count, seed, launch: false })));
    await t.ws.datasets.importFile({ file, name, actor: 'test', roles: { text: ['text'], label: ['intent'] } });
  };
  await write('tickets', 400, 3);
  await write('later', 200, 4);
  await write('small', 60, 5);
  const r = await trainModel({ datasets: t.ws.datasets, registry: t.ws.registry }, { dataset: 'small@1', name: 'support', ...settings, actor: 'test' });
  weak = r.version.version;
  await t.ws.registry.setAlias('test', 'support', 'champion', weak, 'first model');
  await t.ws.auth.createUser(localPrincipal(), 'vera', ['viewer']);
  viewer = (await t.ws.auth.createToken(localPrincipal(), { user: 'vera' })).token;
  app = await buildServer(t.ws);
}, 120_000);
afterAll(async () => {
  await app?.close();
  await t.cleanup();
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const send = (method: 'POST' | 'PUT' | 'DELETE', url: string, payload?: object, token = t.adminToken) => app.inject({ method, url, headers: auth(token), ...(payload ? { payload } : {}) });
const post = (url: string, payload?: object, token?: string) => send('POST', url, payload, token);
const get = (url: string, token = t.adminToken) => app.inject({ method: 'GET', url, headers: auth(token) });

describe('retraining over HTTP', () => {
  it('sets a policy; a malformed one is 400 with every issue and its path; viewers get 403', async () => {
    const bad = await send('PUT', '/v1/policies/support', { training: { settings: { nope: 1 } }, evaluation: { holdout: { by: 'weekly' } }, promotion: 'maybe' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('INVALID_ARGUMENT');
    expect(bad.json().error.details.issues.map((i: { path: string }) => i.path).sort()).toEqual(['evaluation.holdout.by', 'gate', 'promotion', 'training.dataset', 'training.settings.nope']);
    const wrongModel = await send('PUT', '/v1/policies/support', { ...policy(), model: 'other' });
    expect(wrongModel.json()).toMatchObject({ error: { code: 'INVALID_ARGUMENT', details: { issues: [{ path: 'model' }] } } });
    expect((await send('PUT', '/v1/policies/support', policy(), viewer)).statusCode).toBe(403);

    const set = await send('PUT', '/v1/policies/support', policy());
    expect(set.statusCode).toBe(200);
    expect(set.json().policy).toMatchObject({ model: 'support', promotion: 'approval', approval: { expires_in_hours: 24 } });
    expect((await get('/v1/policies/support', viewer)).json()).toMatchObject({ policy: { model: 'support' }, updated_by: 'admin' });
    expect((await get('/v1/policies', viewer)).json().policies.map((p: { model: string }) => p.model)).toEqual(['support']);
    expect((await get('/v1/policies/nobody')).statusCode).toBe(404);
    // Removed (with its schedules) by someone who may manage jobs only; then set again for the tests below.
    expect((await send('DELETE', '/v1/policies/support', undefined, viewer)).statusCode).toBe(403);
    const removed = await send('DELETE', '/v1/policies/support');
    expect(removed.statusCode, removed.body).toBe(200);
    expect(removed.json()).toMatchObject({ removed: { model: 'support' } });
    expect((await get('/v1/policies/support')).statusCode).toBe(404);
    expect((await t.ws.jobs.listSchedules()).filter((x) => x.name.startsWith('support.'))).toEqual([]);
    expect((await send('DELETE', '/v1/policies/support')).statusCode).toBe(404);
    expect((await send('PUT', '/v1/policies/support', policy())).statusCode).toBe(200);
  });

  it('starts a run that completes and lists its steps; queues one without now; 404 for unknown runs', async () => {
    const started = await post('/v1/runs', { model: 'support', now: true });
    expect(started.statusCode).toBe(201);
    const run = started.json().run;
    expect(run).toMatchObject({ model: 'support', state: 'awaiting_approval', champion: `support@${weak}`, created_by: 'admin' });
    const shown = await get(`/v1/runs/${run.id}`, viewer);
    expect(shown.statusCode).toBe(200);
    expect(shown.json().run.steps.map((s: { step: string; status: string }) => [s.step, s.status])).toEqual([
      ['trigger', 'done'],
      ['training_data', 'done'],
      ['evaluation_data', 'done'],
      ['train', 'done'],
      ['evaluate', 'done'],
      ['gate', 'done'],
      ['promote', 'skipped'],
    ]);
    expect((await get('/v1/runs?model=support', viewer)).json().runs.map((r: { id: string }) => r.id)).toContain(run.id);

    const queued = await post('/v1/runs', { model: 'support', key: 'monthly-1' });
    expect(queued.statusCode).toBe(201);
    expect(queued.json()).toMatchObject({ created: true, job: { key: 'monthly-1', state: 'queued' } });
    expect((await post('/v1/runs', { model: 'support', key: 'monthly-1' })).statusCode).toBe(200);
    expect((await post('/v1/runs', { model: 'nobody' })).statusCode).toBe(404);
    expect((await post('/v1/runs', { model: 'support' }, viewer)).statusCode).toBe(403);
    expect((await get('/v1/runs/run_nope')).statusCode).toBe(404);
  }, 120_000);

  it('approves a pending approval as the token user; 403 for viewers, 404 unknown, 412 twice', async () => {
    const pending = (await get('/v1/approvals?status=pending', viewer)).json().approvals;
    expect(pending).toHaveLength(1);
    const id = pending[0].id as string;
    expect((await post(`/v1/approvals/${id}/approve`, { comment: 'looks right' }, viewer)).statusCode).toBe(403);
    expect((await post('/v1/approvals/apr_nope/approve', { comment: 'x' })).statusCode).toBe(404);
    expect((await post(`/v1/approvals/${id}/approve`, {})).statusCode).toBe(400);

    const approved = await post(`/v1/approvals/${id}/approve`, { comment: 'looks right' });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({ approval: { id, status: 'approved', decided_by: 'admin', comment: 'looks right' }, move: { alias: 'champion', actor: 'admin', to_version: pending[0].version } });
    expect((await t.ws.registry.getModel('support')).aliases['champion']).toBe(pending[0].version);
    expect((await get(`/v1/runs/${pending[0].run_id}`)).json().run.state).toBe('promoted');
    const twice = await post(`/v1/approvals/${id}/reject`, { comment: 'changed my mind' });
    expect(twice.statusCode).toBe(412);
    expect(twice.json().error.code).toBe('FAILED_PRECONDITION');
  });

  it('rolls the champion back with a reason (models:promote); 412 without a previous version', async () => {
    expect((await post('/v1/models/support/rollback', { alias: 'champion', reason: 'error rate doubled' }, viewer)).statusCode).toBe(403);
    const back = await post('/v1/models/support/rollback', { alias: 'champion', reason: 'error rate doubled' });
    expect(back.statusCode).toBe(200);
    expect(back.json()).toMatchObject({ model: 'support', alias: 'champion', to_version: weak, actor: 'admin', reason: 'rollback: error rate doubled' });
    expect((await t.ws.registry.getModel('support')).aliases['champion']).toBe(weak);
    expect((await post('/v1/models/support/rollback', { alias: 'nope', reason: 'x' })).statusCode).toBe(404);
    expect((await post('/v1/models/support/rollback', { alias: 'champion' })).statusCode).toBe(400);
  });

  it('refuses an approval after it expired (412) and shows it expired', async () => {
    expect((await send('PUT', '/v1/policies/support', policy({ approval: { expires_in_hours: 0.0001 } }))).statusCode).toBe(200);
    const run = (await post('/v1/runs', { model: 'support', now: true })).json().run;
    expect(run.state).toBe('awaiting_approval');
    const approval = (await get('/v1/approvals?status=pending')).json().approvals.find((a: { run_id: string }) => a.run_id === run.id);
    await new Promise((r) => setTimeout(r, 500));
    const late = await post(`/v1/approvals/${approval.id}/approve`, { comment: 'ok' });
    expect(late.statusCode).toBe(412);
    expect(late.json().error.message).toContain('expired');
    expect((await get(`/v1/runs/${run.id}`)).json().run.state).toBe('expired');
    expect((await t.ws.registry.getModel('support')).aliases['champion']).toBe(weak);
  }, 120_000);

  it('checks the triggers and lists the decisions with their reasons; a retried key is the same decision; viewers read but cannot check', async () => {
    expect((await send('PUT', '/v1/policies/support', policy({ schedules: false, triggers: { cooldown_hours: 0 } }))).statusCode).toBe(200);
    // No retrain job left waiting by the tests above (it would hold a retrain back).
    for (const j of await t.ws.jobs.list({ type: 'retrain', state: 'queued' })) await t.ws.jobs.cancel('test', j.id);
    expect((await post('/v1/decisions', { model: 'support' }, viewer)).statusCode).toBe(403);
    const manual = await post('/v1/decisions', { model: 'support' });
    expect(manual.statusCode).toBe(201);
    expect(manual.json().decision).toMatchObject({ model: 'support', source: 'manual', retrain: false, job_id: null });
    expect(manual.json().decision.reason).toMatch(/^no trigger fired/);
    const due = await post('/v1/decisions', { model: 'support', source: 'schedule', key: 'http-check-1' });
    expect(due.json().decision).toMatchObject({ retrain: true, key: 'http-check-1' });
    const again = await post('/v1/decisions', { model: 'support', source: 'schedule', key: 'http-check-1' });
    expect(again.statusCode).toBe(200);
    expect(again.json().decision.id).toBe(due.json().decision.id);
    const listed = await get('/v1/decisions?model=support&retrain=true', viewer);
    expect(listed.statusCode).toBe(200);
    expect(listed.json().decisions.map((d: { id: string }) => d.id)).toContain(due.json().decision.id);
    expect((await get(`/v1/decisions/${due.json().decision.id}`, viewer)).json().decision.triggers[0]).toMatchObject({ trigger: 'schedule', fired: true });
    expect((await get('/v1/decisions/dec_missing')).statusCode).toBe(404);
    expect((await post('/v1/decisions', { model: 'nope' })).statusCode).toBe(404);
    expect((await post('/v1/decisions', { model: 'support', source: 'sometimes' })).statusCode).toBe(400);
    await t.ws.jobs.cancel('test', due.json().decision.job_id);
    expect((await get('/v1/runs?state=expired')).json().runs.every((r: { state: string }) => r.state === 'expired')).toBe(true);
    expect((await get('/v1/runs?state=sometimes')).statusCode).toBe(400);
    const advanced = await post('/v1/runs/advance', { model: 'support' });
    expect(advanced.statusCode).toBe(200);
    expect(advanced.json().runs).toEqual([]);
  });

  it('pages through the runs on the server with the total; a bad page is 400', async () => {
    const all = (await get('/v1/runs?model=support&limit=1000', viewer)).json();
    expect(all.runs.length).toBeGreaterThanOrEqual(2);
    expect(all.total).toBe(all.runs.length);
    const ids: string[] = [];
    for (let offset = 0; offset < all.total; offset++) {
      const page = (await get(`/v1/runs?model=support&limit=1&offset=${offset}`, viewer)).json();
      expect(page).toMatchObject({ total: all.total, limit: 1, offset });
      ids.push(...page.runs.map((r: { id: string }) => r.id));
    }
    expect(ids).toEqual(all.runs.map((r: { id: string }) => r.id));
    const past = (await get(`/v1/runs?model=support&offset=${all.total}`)).json();
    expect(past).toMatchObject({ runs: [], total: all.total, limit: 50 });
    expect((await get('/v1/runs?model=nobody')).json()).toMatchObject({ runs: [], total: 0 });
    expect((await get('/v1/runs?limit=0')).statusCode).toBe(400);
    expect((await get('/v1/runs?offset=-1')).statusCode).toBe(400);
  });

  it('lists the routes in /openapi.json', async () => {
    const paths = Object.keys((await get('/openapi.json')).json().paths as object);
    expect(paths).toEqual(
      expect.arrayContaining(['/v1/policies', '/v1/policies/{model}', '/v1/runs', '/v1/runs/{id}', '/v1/approvals', '/v1/approvals/{id}/approve', '/v1/approvals/{id}/reject', '/v1/models/{name}/rollback', '/v1/decisions', '/v1/decisions/{id}', '/v1/runs/advance']),
    );
  });
});
