/**
 * Rollout: hot swaps under load (including a corrupt version), shadow, canary, redaction of
 * logged inputs, and several servers on one PostgreSQL following one alias.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../server/index.js';
import { POSTGRES_ADMIN_URL, postgresReachable } from '../storage/test-support/backends.js';
import { trainModel } from '../training/index.js';
import { openWorkspace } from '../workspace/index.js';
import { servingFixture, type ServingFixture } from './test-support/serving-fixture.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(20);
  }
}

describe('on SQLite', () => {
  let f: ServingFixture;
  let app: FastifyInstance;
  const headers = () => ({ authorization: `Bearer ${f.adminToken}` });
  beforeAll(async () => {
    f = await servingFixture();
    await f.ws.serving.deploy('test', 'support@champion');
    app = await buildServer(f.ws, { serving: { pollIntervalMs: 50, log: { flushIntervalMs: 10 } } });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await f?.cleanup();
  });

  it('moves the alias three times under load (once to a corrupt version): zero failed requests, every response names its version', async () => {
    const runtime = f.ws.serving.runtime();
    let stop = false;
    const seen: Array<{ status: number; version: number | undefined; rows: number[] }> = [];
    const client = async (k: number) => {
      let i = k;
      while (!stop) {
        const res = await app.inject({ method: 'POST', url: '/v1/models/support:predict', headers: headers(), payload: { instances: [{ text: f.texts[i++ % f.texts.length] }, { text: f.texts[(i * 7) % f.texts.length] }] } });
        const body = res.json();
        seen.push({ status: res.statusCode, version: body.model_version, rows: (body.predictions ?? []).map((p: { model_version: number }) => p.model_version) });
        await new Promise((r) => setImmediate(r));
      }
    };
    const clients = Array.from({ length: 8 }, (_, k) => client(k));
    const served = () => runtime.state('support').primary?.version;
    await sleep(100);
    await f.ws.registry.setAlias('test', 'support', 'champion', 2, 'move 1');
    await until(() => served() === 2);
    await sleep(100);
    await f.ws.registry.setAlias('test', 'support', 'champion', 3, 'move 2: corrupt artifacts');
    await until(() => (runtime.state('support').lastError ?? '').includes('support@3'));
    await sleep(200);
    expect(served()).toBe(2);
    await f.ws.registry.setAlias('test', 'support', 'champion', 1, 'move 3: back');
    await until(() => served() === 1);
    await sleep(100);
    stop = true;
    await Promise.all(clients);

    expect(seen.length).toBeGreaterThan(100);
    expect(seen.filter((s) => s.status !== 200)).toEqual([]);
    for (const s of seen) {
      expect([1, 2]).toContain(s.version);
      expect(s.rows).toEqual([s.version, s.version]);
    }
    const versions = seen.map((s) => s.version);
    const firstTwo = versions.indexOf(2);
    expect(firstTwo).toBeGreaterThan(0);
    expect(versions.lastIndexOf(1)).toBeGreaterThan(firstTwo);
    expect(versions.at(-1)).toBe(1);
    const metrics = await runtime.metrics.render();
    expect(metrics).toMatch(/mloop_serving_model_loads_total\{model="support",version="3",result="failed"\} 1/);
  }, 60_000);

  it('over a real TCP listener with keep-alive clients: three alias moves (one to a corrupt bundle), zero failed requests, each response names its version', async () => {
    const runtime = f.ws.serving.runtime();
    await f.ws.registry.setAlias('test', 'support', 'champion', 1, 'start');
    await until(() => runtime.state('support').primary?.version === 1);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    // Keep-alive connections, as a load balancer holds them; destroyed at the end so the server can close.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const post = (payload: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path: '/v1/models/support:predict', method: 'POST', agent, headers: { ...headers(), 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(payload);
      });
    let stop = false;
    const seen: Array<{ status: number; version: number | undefined; rows: number[] }> = [];
    const failures: string[] = [];
    const client = async (k: number) => {
      let i = k;
      while (!stop) {
        try {
          const res = await post(JSON.stringify({ instances: [{ text: f.texts[i++ % f.texts.length] }, { text: f.texts[(i * 7) % f.texts.length] }] }));
          const body = JSON.parse(res.body) as { model_version?: number; predictions?: Array<{ model_version: number }> };
          seen.push({ status: res.status, version: body.model_version, rows: (body.predictions ?? []).map((p) => p.model_version) });
        } catch (err) {
          failures.push(err instanceof Error ? err.message : String(err));
        }
      }
    };
    const clients = Array.from({ length: 8 }, (_, k) => client(k));
    const served = () => runtime.state('support').primary?.version;
    const count = () => seen.length;
    const progress = async (n: number) => {
      const target = count() + n;
      await until(() => count() >= target);
    };
    await progress(50);
    await f.ws.registry.setAlias('test', 'support', 'champion', 2, 'tcp move 1');
    await until(() => served() === 2);
    await progress(50);
    await f.ws.registry.setAlias('test', 'support', 'champion', 3, 'tcp move 2: corrupt bundle');
    await until(() => (runtime.state('support').lastError ?? '').includes('support@3'));
    await progress(50);
    expect(served()).toBe(2);
    await f.ws.registry.setAlias('test', 'support', 'champion', 1, 'tcp move 3: back');
    await until(() => served() === 1);
    await progress(50);
    stop = true;
    await Promise.all(clients);
    agent.destroy();

    expect(failures).toEqual([]);
    expect(seen.filter((s) => s.status !== 200)).toEqual([]);
    for (const s of seen) {
      expect([1, 2]).toContain(s.version);
      expect(s.rows).toEqual([s.version, s.version]);
    }
    const versions = seen.map((s) => s.version);
    expect(versions.indexOf(2)).toBeGreaterThan(0);
    expect(versions.lastIndexOf(1)).toBeGreaterThan(versions.indexOf(2));
    expect(versions.at(-1)).toBe(1);
  }, 60_000);

  it('runs a shadow on the same requests, logs it beside the served prediction and never returns it', async () => {
    await f.ws.serving.deploy('test', 'support@champion', { shadow: 'support@challenger' });
    const runtime = f.ws.serving.runtime();
    await runtime.sync();
    expect(runtime.state('support').shadow).toEqual({ ref: 'support@challenger', version: 2 });
    const res = (await app.inject({ method: 'POST', url: '/v1/models/support:predict', headers: headers(), payload: { instances: f.texts.slice(0, 30).map((text) => ({ text })) } })).json();
    expect(res.model_version).toBe(1);
    expect(JSON.stringify(res)).not.toContain('"model_version":2');
    await sleep(50);
    await runtime.log.flush();
    const logged = await f.ws.serving.store.listPredictions({ deployment: 'support', limit: 5000 });
    const ids = new Set(res.predictions.map((p: { prediction_id: string }) => p.prediction_id));
    const shadows = logged.filter((p) => p.role === 'shadow' && p.primaryId !== null && ids.has(p.primaryId));
    expect(shadows).toHaveLength(30);
    expect(shadows.every((s) => s.version === 2)).toBe(true);
    expect(await runtime.metrics.render()).toContain('mloop_serving_predictions_total{deployment="support",model="support",version="2",role="shadow"');
    await f.ws.serving.deploy('test', 'support@champion');
  });

  it('sends the canary share of requests to the canary version, and none at 0 %', async () => {
    await f.ws.serving.deploy('test', 'support@champion', { canary: 'support@challenger', canaryPercent: 100 });
    const runtime = f.ws.serving.runtime();
    await runtime.sync();
    const ask = async () => (await app.inject({ method: 'POST', url: '/v1/models/support:predict', headers: headers(), payload: { instances: [{ text: f.texts[0] }] } })).json().model_version as number;
    expect(await Promise.all(Array.from({ length: 10 }, ask))).toEqual(Array(10).fill(2));
    await f.ws.serving.deploy('test', 'support@champion', { canary: 'support@challenger', canaryPercent: 0 });
    await runtime.sync();
    expect(await Promise.all(Array.from({ length: 10 }, ask))).toEqual(Array(10).fill(1));
    await expect(f.ws.serving.deploy('test', 'support@champion', { canaryPercent: 5 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await f.ws.serving.deploy('test', 'support@champion');
    await runtime.sync();
  });

  it('a deployment whose only version cannot load is not ready, and says why', async () => {
    await f.ws.serving.deploy('test', 'support@3', { name: 'broken' });
    const runtime = f.ws.serving.runtime();
    await runtime.sync();
    const res = await app.inject({ method: 'POST', url: '/v1/models/broken:predict', headers: headers(), payload: { instances: [{ text: 'x' }] } });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json().error.message).toContain('support@3 failed to load');
    expect((await app.inject({ url: '/v2/health/ready', headers: headers() })).statusCode).toBe(503);
    await f.ws.serving.undeploy('test', 'broken');
    await runtime.sync();
    expect((await app.inject({ url: '/v2/health/ready', headers: headers() })).statusCode).toBe(200);
  });

  it('a SQLite store locked by another process never delays a prediction; the log catches up after', async () => {
    const runtime = f.ws.serving.runtime();
    await runtime.log.flush();
    const before = runtime.log.snapshot();
    const other = new Database(join(f.dir, '.mloop', 'mloop.db'));
    other.exec('BEGIN EXCLUSIVE');
    const latencies: number[] = [];
    const ids: string[] = [];
    try {
      const end = Date.now() + 1500;
      while (Date.now() < end) {
        const t0 = performance.now();
        // The runtime directly: the HTTP auth hook writes token use times through the main connection.
        const res = await runtime.predict('support', [{ text: f.texts[3] }]);
        latencies.push(performance.now() - t0);
        ids.push(res.rows[0]!.predictionId);
        await sleep(2);
      }
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    latencies.sort((a, b) => a - b);
    expect(latencies.length).toBeGreaterThan(100);
    expect(latencies.at(-1)!).toBeLessThan(100);
    expect(runtime.log.snapshot().failedWrites).toBeGreaterThan(before.failedWrites);
    expect(runtime.log.snapshot().lastError).toContain('locked');
    // After the lock: new predictions are logged again.
    const after = await runtime.predict('support', [{ text: f.texts[4] }]);
    await sleep(1100);
    await runtime.log.flush();
    expect((await f.ws.serving.store.existingPredictions([after.rows[0]!.predictionId])).size).toBe(1);
  }, 30_000);

  it('redacts PII in logged inputs when the model was trained on redacted data', async () => {
    const red = await f.ws.datasets.redact('tickets@1', { actor: 'test', target: 'tickets-redacted' });
    await trainModel({ datasets: f.ws.datasets, registry: f.ws.registry }, { dataset: red.version.ref, name: 'support-r', actor: 'test', seed: 1 });
    await f.ws.serving.deploy('test', 'support-r@1');
    const runtime = f.ws.serving.runtime();
    await runtime.sync();
    const text = 'please refund me, write to jane.doe@example.com';
    const res = (await app.inject({ method: 'POST', url: '/v1/models/support-r:predict', headers: headers(), payload: { instances: [{ text }] } })).json();
    const plain = (await app.inject({ method: 'POST', url: '/v1/models/support:predict', headers: headers(), payload: { instances: [{ text }] } })).json();
    await runtime.log.flush();
    const logged = await f.ws.serving.prediction(res.predictions[0].prediction_id);
    expect(logged.redacted).toBe(true);
    expect(logged.inputs['text']).toBe('please refund me, write to [EMAIL]');
    const notRedacted = await f.ws.serving.prediction(plain.predictions[0].prediction_id);
    expect(notRedacted.redacted).toBe(false);
    expect(notRedacted.inputs['text']).toBe(text);
  }, 60_000);
});

const pgAvailable = await postgresReachable();
describe.skipIf(!pgAvailable)('on PostgreSQL: several servers, one database', () => {
  const dbName = `mloop_test_${randomBytes(6).toString('hex')}`;
  let f: ServingFixture;
  const others: Array<{ close(): Promise<void> }> = [];
  beforeAll(async () => {
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${dbName}`;
    f = await servingFixture({ databaseUrl: url.toString() });
  }, 120_000);
  afterAll(async () => {
    for (const o of others) await o.close();
    await f?.cleanup();
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  });

  it('serves a deployment made elsewhere and follows an alias move on every server within seconds, writing one log', async () => {
    const wsA = await openWorkspace({ workspace: f.dir, env: {} });
    const wsB = await openWorkspace({ workspace: f.dir, env: {} });
    const options = { serving: { pollIntervalMs: 200, log: { flushIntervalMs: 10 } } };
    const a = await buildServer(wsA, options);
    const b = await buildServer(wsB, options);
    others.push({ close: async () => (await a.close(), await wsA.close()) }, { close: async () => (await b.close(), await wsB.close()) });
    const ask = async (app: FastifyInstance) =>
      (await app.inject({ method: 'POST', url: '/v1/models/support:predict', headers: { authorization: `Bearer ${f.adminToken}` }, payload: { instances: [{ text: f.texts[1] }] } })).json();
    // Deployed through a third workspace (the CLI's), after both servers started.
    await f.ws.serving.deploy('test', 'support@champion');
    await until(async () => (await ask(a)).model_version === 1 && (await ask(b)).model_version === 1);
    const moved = Date.now();
    await f.ws.registry.setAlias('test', 'support', 'champion', 2, 'promote');
    await until(async () => (await ask(a)).model_version === 2 && (await ask(b)).model_version === 2, 5000);
    expect(Date.now() - moved).toBeLessThan(5000);
    const pa = (await ask(a)).predictions[0].prediction_id;
    const pb = (await ask(b)).predictions[0].prediction_id;
    await wsA.serving.runtime().log.flush();
    await wsB.serving.runtime().log.flush();
    expect([...(await f.ws.serving.store.existingPredictions([pa, pb]))].sort()).toEqual([pa, pb].sort());
    await f.ws.serving.undeploy('test', 'support');
    await until(async () => (await ask(a)).error?.code === 'NOT_FOUND' && (await ask(b)).error?.code === 'NOT_FOUND', 5000);
  }, 60_000);
});
