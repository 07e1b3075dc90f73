/** POST /v1/models/{name}/versions/{ref}/mitigation, in-process: a plan applied as a new version, idempotence, refusals and access. */
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
const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const mitigate = (payload: Record<string, unknown>, headers: Record<string, string> = auth(t.adminToken)) =>
  app.inject({ method: 'POST', url: '/v1/models/support/versions/1/mitigation', headers, payload });
const body = { dataset: 'tickets@1', attribute: 'region', constraint: 'auto_share', tolerance: 0.05 };

beforeAll(async () => {
  t = await tempWorkspace();
  writeFileSync(join(t.dir, 'support.csv'), supportRequestsToCsv(generateSupportRequests({ count: 1200, seed: 3 })));
  await t.ws.datasets.importFile({ file: join(t.dir, 'support.csv'), name: 'tickets', actor: 'test', roles: { text: ['text'], label: ['intent'], sensitive: ['region'] } });
  // every region under 30 rows: no group can be adjusted
  writeFileSync(join(t.dir, 'few.csv'), supportRequestsToCsv(generateSupportRequests({ count: 60, seed: 9 })));
  await t.ws.datasets.importFile({ file: join(t.dir, 'few.csv'), name: 'few', actor: 'test' });
  await trainModel({ datasets: t.ws.datasets, registry: t.ws.registry }, { dataset: 'tickets@1', name: 'support', targetPrecision: 0.95, actor: 'test', seed: 1 });
  await t.ws.auth.createUser(localPrincipal(), 'vera', ['viewer']);
  viewer = (await t.ws.auth.createToken(localPrincipal(), { user: 'vera' })).token;
  app = await buildServer(t.ws);
}, 120_000);
afterAll(async () => {
  await app?.close();
  await t?.cleanup();
});

describe('POST /v1/models/{name}/versions/{ref}/mitigation', () => {
  it('registers the plan as a new version (201), and returns it again for the same plan (200)', async () => {
    const first = await mitigate(body);
    expect(first.statusCode).toBe(201);
    const v = first.json();
    expect(v).toMatchObject({ ref: 'support@2', created: true, source: 'support@1', dataset: 'tickets@1', plan: { constraint: 'auto_share', attribute: 'region', feasible: true } });
    const stored = await t.ws.registry.resolve('support@2');
    expect(stored.record.thresholds!['groups']).toEqual(v.plan);
    expect(stored.tags['mitigated_from']).toBe('support@1');

    const again = await mitigate(body);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ ref: 'support@2', created: false });
  }, 60_000);

  it('refuses an infeasible plan and bad options with 400', async () => {
    const infeasible = await mitigate({ ...body, dataset: 'few@1' });
    expect(infeasible.statusCode).toBe(400);
    expect(infeasible.json().error).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(infeasible.json().error.message).toMatch(/changes nothing/);
    expect((await mitigate({ ...body, constraint: 'nope' })).statusCode).toBe(400);
    expect((await mitigate({ dataset: 'tickets@1', constraint: 'auto_share' })).statusCode).toBe(400);
    expect((await t.ws.registry.listVersions('support')).length).toBe(2);
  }, 60_000);

  it('needs a token (401) that may write models (403)', async () => {
    expect((await mitigate(body, {})).statusCode).toBe(401);
    const denied = await mitigate(body, auth(viewer));
    expect(denied.statusCode).toBe(403);
  });

  it('is in /openapi.json', async () => {
    const spec = (await app.inject({ url: '/openapi.json', headers: auth(viewer) })).json() as { paths: Record<string, Record<string, unknown>> };
    expect(spec.paths['/v1/models/{name}/versions/{ref}/mitigation']?.['post']).toBeDefined();
  });
});
