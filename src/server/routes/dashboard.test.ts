/** Dashboard reads over HTTP, in-process: session, overview, compare, traffic, decisions, alerts, monitoring; 401 and 403. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPrincipal } from '../../auth/index.js';
import { generateSupportRequests } from '../../demo/index.js';
import { monitoringFixture } from '../../monitoring/test-support/monitoring-fixture.js';
import { demoServing } from '../../serving/index.js';
import { evaluateModel } from '../../training/index.js';
import type { TempWorkspace } from '../../workspace/test-support/temp-workspace.js';
import { buildServer } from '../index.js';

const REQUESTS = 60;
let f: TempWorkspace;
let app: FastifyInstance;
const tokens: Record<string, string> = {};
let served: Awaited<ReturnType<typeof demoServing>>;

beforeAll(async () => {
  f = await monitoringFixture({ rows: 600 });
  const e = await evaluateModel({ datasets: f.ws.datasets, registry: f.ws.registry }, { model: 'support@1', dataset: 'tickets@1', sensitive: ['region'], replicates: 20, seed: 1 });
  await f.ws.registry.recordEvaluation('test', e.model, e.dataset, e, { accuracy: e.report.metrics['accuracy']?.value }, null);
  const traffic = generateSupportRequests({ count: REQUESTS, seed: 9, launch: false });
  served = await demoServing(f.ws, { model: 'support', rows: traffic.map((t) => ({ text: t.text })), labels: traffic.map((t) => t.intent), actor: 'test' });
  const admin = localPrincipal();
  for (const [name, role] of [
    ['vera', 'viewer'],
    ['ann', 'annotator:some-project'],
    ['olga', 'owner'],
    ['rita', 'reviewer:some-project'],
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

const get = (url: string, who: string | null = 'admin') => app.inject({ url, headers: who === null ? {} : { authorization: `Bearer ${tokens[who]}` } });

describe('dashboard reads', () => {
  it("tells each caller the actions and pages their roles allow", async () => {
    const pages = async (who: string) => (await get('/v1/dashboard/session', who)).json() as { user: string; actions: string[]; pages: string[] };
    expect((await pages('admin')).pages).toEqual(['overview', 'datasets', 'labeling', 'models', 'monitoring', 'runs', 'settings']);
    const ann = await pages('ann');
    expect(ann).toMatchObject({ user: 'ann', actions: ['labeling:annotate'], global_actions: [], pages: ['labeling'] });
    const viewer = await pages('vera');
    expect(viewer.pages).toEqual(['overview', 'datasets', 'models', 'monitoring', 'runs']);
    expect(viewer.actions).not.toContain('approvals:decide');
    const owner = await pages('olga');
    expect(owner.actions).toContain('approvals:decide');
    // An owner manages labeling without annotating: the labeling page is theirs too.
    expect(owner.pages).toContain('labeling');
    // Settings is for roles that may change a policy, an alert rule or a user: not an owner or a viewer.
    expect(owner.pages).not.toContain('settings');
    // A reviewer of one project reads only that project: workspace-wide pages need a global grant.
    const rita = await pages('rita');
    expect(rita.actions).toContain('models:read');
    expect(rita.pages).toEqual(['labeling']);
    expect((await get('/v1/overview', 'rita')).statusCode).toBe(403);
    expect((await get('/v1/dashboard/session', null)).statusCode).toBe(401);
  });

  it('overview: champion, deployment, traffic and decisions of every model', async () => {
    // Ground truth for ten predictions: six confirm the answer, four correct it.
    const page = (await get('/v1/dashboard/models/support/decisions?sort=at&order=asc&limit=10')).json() as { rows: Array<{ id: string; label: string }> };
    const classes = (await f.ws.registry.resolve('support@1')).record.classes!;
    for (const [i, r] of page.rows.entries()) await f.ws.serving.feedback('test', r.id, i < 6 ? r.label : classes.find((c) => c !== r.label)!);
    const res = await get('/v1/overview', 'vera');
    expect(res.statusCode).toBe(200);
    const [m] = (res.json() as { models: Array<Record<string, unknown> & { traffic: { auto_share: number }; accuracy: { estimated: number } }> }).models;
    expect(m).toMatchObject({ name: 'support', champion: 1, challenger: null, open_alerts: 0, pending_approvals: 0, next_run: null });
    expect(m!['deployments']).toEqual([{ name: 'support', ref: 'support@champion', shadow: null, canary: null, canary_percent: 0 }]);
    expect(m!['traffic']).toMatchObject({ last_7d: REQUESTS, auto: served.automated, review: served.review });
    expect(m!.traffic.auto_share).toBeCloseTo(served.automated / REQUESTS, 10);
    expect(m!['accuracy']).toMatchObject({ labels: 10, realized: 0.6 });
    expect(m!.accuracy.estimated).toBeGreaterThan(0.3);
  });

  it('overview refuses a missing token (401) and an annotator (403)', async () => {
    expect((await get('/v1/overview', null)).statusCode).toBe(401);
    const res = await get('/v1/overview', 'ann');
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: { code: 'PERMISSION_DENIED' } });
    for (const url of ['/v1/dashboard/models/support/compare', '/v1/dashboard/models/support/decisions', '/v1/dashboard/alerts', '/v1/dashboard/models/support/traffic'])
      expect((await get(url, 'ann')).statusCode, url).toBe(403);
  });

  it('compare: the champion with its card and the coverage–precision curve of its saved evaluation', async () => {
    const res = await get('/v1/dashboard/models/support/compare');
    expect(res.statusCode).toBe(200);
    const body = res.json() as { a: { version: number; card: { ref: string }; curve: { dataset: string; points: Array<{ coverage: number; precision: number }> } }; b: unknown };
    expect(body.a.version).toBe(1);
    expect(body.a.card.ref).toBe('support@1');
    expect(body.b).toBeNull();
    expect(body.a.curve.dataset).toBe('tickets@1');
    expect(body.a.curve.points.length).toBeGreaterThan(10);
    // Per-group accuracy of the audit over 'region': every row in one group, and the difference is the widest gap between compared groups.
    const { groups, differences } = (body.a as unknown as { groups: { groups: Array<{ attribute: string; n: number; status: string; accuracy: { value: number } }>; differences: Record<string, number> } }).groups;
    expect(groups.map((g) => g.attribute)).toEqual(groups.map(() => 'region'));
    expect(groups.reduce((n, g) => n + g.n, 0)).toBe(600);
    const ok = groups.filter((g) => g.status === 'ok').map((g) => g.accuracy.value);
    expect(differences['region']).toBeCloseTo(Math.max(...ok) - Math.min(...ok), 12);
    for (const p of body.a.curve.points) expect(p.coverage).toBeGreaterThanOrEqual(0);
    expect((await get('/v1/dashboard/models/nope/compare')).statusCode).toBe(404);
  });

  it('traffic per day adds up to the requests served', async () => {
    const body = (await get('/v1/dashboard/models/support/traffic')).json() as { days: Array<{ predictions: number; auto: number; review: number; latency: { p50: number; p99: number } }> };
    expect(body.days.reduce((n, d) => n + d.predictions, 0)).toBe(REQUESTS);
    expect(body.days.reduce((n, d) => n + d.auto, 0)).toBe(served.automated);
    for (const d of body.days) expect(d.latency.p99).toBeGreaterThanOrEqual(d.latency.p50);
  });

  it('decisions are sorted and paginated on the server', async () => {
    const page = async (q: string) => (await get(`/v1/dashboard/models/support/decisions?${q}`)).json() as { total: number; rows: Array<{ id: string; confidence: number }> };
    const first = await page('sort=confidence&order=asc&limit=25');
    const second = await page('sort=confidence&order=asc&limit=25&offset=25');
    expect(first.total).toBe(REQUESTS);
    expect(first.rows).toHaveLength(25);
    const all = [...first.rows, ...second.rows];
    expect(new Set(all.map((r) => r.id)).size).toBe(50);
    for (let i = 1; i < all.length; i++) expect(all[i]!.confidence).toBeGreaterThanOrEqual(all[i - 1]!.confidence);
    expect((await page('decision=review&limit=500')).total).toBe(served.review);
    expect((await get('/v1/dashboard/models/support/decisions?sort=inputs_json')).statusCode).toBe(400);
    expect((await get('/v1/dashboard/models/support/decisions?limit=100000')).statusCode).toBe(400);
  });

  it('alerts: an empty history is an empty page', async () => {
    expect((await get('/v1/dashboard/alerts?sort=model&order=asc', 'vera')).json()).toEqual({ total: 0, offset: 0, limit: 50, rows: [] });
  });

  it('alerts: filtered, sorted and paged in SQL with the total; bad parameters are 400, a viewer may read, an annotator not', async () => {
    const base = { ruleId: 'rul_x', metric: 'drift.share', firstWindow: '2026-01-05T00:00:00.000Z', lastWindow: '2026-01-12T00:00:00.000Z', threshold: 0.5, message: 'm', resolvedAt: null, delivery: 'none' as const, deliveryError: null, deliveredAt: null };
    for (let i = 0; i < 7; i++)
      await f.ws.monitoring.store.upsertAlert({ ...base, id: `alt_p${i}`, ruleName: `r${i % 3}`, dedupKey: `p${i}`, model: i < 5 ? (i % 2 ? 'support@champion' : 'support') : 'other', status: i % 3 ? 'firing' : 'resolved', windows: 1 + (i % 4), value: i === 2 ? null : i / 10, createdAt: `2026-02-0${1 + i}T00:00:00.000Z`, updatedAt: `2026-02-1${i}T00:00:00.000Z` });
    const page = (await get('/v1/dashboard/alerts?model=support&limit=2&offset=1&sort=updated_at&order=desc', 'vera')).json() as { total: number; rows: Array<{ id: string; model: string }> };
    expect(page.total).toBe(5);
    expect(page.rows.map((r) => r.id)).toEqual(['alt_p3', 'alt_p2']);
    const firing = (await get('/v1/dashboard/alerts?status=firing&sort=value&order=asc')).json() as { total: number; rows: Array<{ id: string; value: number | null }> };
    expect(firing.total).toBe(4);
    expect(firing.rows.map((r) => r.id)).toEqual(['alt_p2', 'alt_p1', 'alt_p4', 'alt_p5']);
    expect((await get('/v1/dashboard/alerts?sort=nope')).statusCode).toBe(400);
    expect((await get('/v1/dashboard/alerts?limit=0')).statusCode).toBe(400);
    expect((await get('/v1/dashboard/alerts', 'ann')).statusCode).toBe(403);
    for (const a of await f.ws.monitoring.listAlerts({ limit: 100 })) await f.ws.backend.db.deleteFrom('monitoring_alerts').where('id', '=', a.id).execute();
  });

  it('monitoring: the report trimmed for charts, computed once and then served from memory', async () => {
    const first = await get('/v1/dashboard/models/support/monitoring');
    expect(first.statusCode).toBe(200);
    const body = first.json() as { computed_at: string; windows: Array<{ predictions: number }>; distributions: unknown[] };
    expect(body.windows.reduce((n, w) => n + w.predictions, 0)).toBe(REQUESTS);
    expect(body.distributions.length).toBeGreaterThan(0);
    const again = (await get('/v1/dashboard/models/support/monitoring', 'vera')).json() as { computed_at: string; fresh: boolean };
    expect(again).toMatchObject({ computed_at: body.computed_at, fresh: true });
  });

  it("overview: the estimated accuracy is the monitoring report's estimate (CBPE) of its latest window, not the mean confidence", async () => {
    const report = (await get('/v1/dashboard/models/support/monitoring?refresh=true')).json() as { windows: Array<{ start: string; estimated: number | null }> };
    const latest = report.windows.at(-1)!;
    const [m] = ((await get('/v1/overview')).json() as { models: Array<{ accuracy: { estimated: number; estimated_method: string; estimated_window: { start: string; predictions: number }; estimated_interval: { lower: number; upper: number } } }> }).models;
    expect(latest.estimated).not.toBeNull();
    expect(m!.accuracy.estimated).toBeCloseTo(latest.estimated!, 12);
    expect(m!.accuracy.estimated_window.start).toBe(latest.start);
    expect(m!.accuracy.estimated_method).toMatch(/^CBPE over the week from \d{4}-\d\d-\d\d, as on the monitoring page .*calibrated on validation data/);
    expect(m!.accuracy.estimated_interval.lower).toBeLessThanOrEqual(m!.accuracy.estimated);
    // The mean confidence (the former overview figure) differs: the calibration matters.
    const rows = ((await get('/v1/dashboard/models/support/decisions?limit=500')).json() as { rows: Array<{ confidence: number; role: string }> }).rows.filter((r) => r.role === 'primary');
    const meanConfidence = rows.reduce((a, r) => a + r.confidence, 0) / rows.length;
    expect(Math.abs(m!.accuracy.estimated - meanConfidence)).toBeGreaterThan(1e-6);
  });

  it('the latest estimate: nothing in an empty week, and count windows refused', async () => {
    const empty = await f.ws.monitoring.estimateLatest({ model: 'support', last: '2001-01-03T00:00:00.000Z' });
    expect(empty).toMatchObject({ start: '2001-01-01T00:00:00.000Z', end: '2001-01-08T00:00:00.000Z', predictions: 0, estimated_accuracy: null, realized_accuracy: null });
    await expect(f.ws.monitoring.estimateLatest({ model: 'support', window: '500', last: '2026-01-01T00:00:00.000Z' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(f.ws.monitoring.estimateLatest({ model: 'nope', last: '2026-01-01T00:00:00.000Z' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('the automation target: set by whoever may promote, into the retraining policy only', async () => {
    const put = (who: string, body: object) => app.inject({ method: 'PUT', url: '/v1/dashboard/models/support/target-precision', headers: { authorization: `Bearer ${tokens[who]}` }, payload: body });
    expect((await put('olga', { target_precision: 0.9 })).statusCode).toBe(404); // no policy yet
    await f.ws.retraining.setPolicy('test', {
      model: 'support',
      training: { dataset: 'tickets', settings: { label: 'intent', text: 'text', targetPrecision: 0.97 } },
      evaluation: { dataset: 'tickets@1' },
      gate: { name: 'g', rules: [{ metric: 'accuracy', min: 0.5 }] },
      promotion: 'approval',
    });
    const before = (await f.ws.retraining.getPolicy('support')).policy;
    expect((await put('vera', { target_precision: 0.9 })).statusCode).toBe(403);
    expect((await put('ann', { target_precision: 0.9 })).statusCode).toBe(403);
    expect((await put('olga', { target_precision: 1.5 })).statusCode).toBe(400);
    const res = await put('olga', { target_precision: 0.9 });
    expect(res.statusCode).toBe(200);
    const after = await f.ws.retraining.getPolicy('support');
    expect(after.updatedBy).toBe('olga');
    expect(after.policy.training.settings).toEqual({ ...before.training.settings, targetPrecision: 0.9 });
    expect({ ...after.policy, training: before.training }).toEqual(before);
  });

  it('a log that runs ahead of the clock (replayed or simulated) moves the windows to its newest prediction', async () => {
    const ahead = new Date(Date.now() + 30 * 86_400_000).toISOString();
    await f.ws.backend.db
      .insertInto('predictions')
      .values({ id: 'pred_ahead', at: ahead, deployment: 'support', model: 'support', version: 1, role: 'primary', primary_id: null, request_id: null, inputs_json: '{}', outputs_json: '{}', label: 'x', confidence: 0.99, decision: 'auto', latency_ms: 1, redacted: 0, groups_json: null })
      .execute();
    const body = (await get('/v1/overview')).json() as { as_of: string; models: Array<{ traffic: { last_7d: number; auto: number } }> };
    expect(body.as_of).toBe(ahead);
    expect(body.models[0]!.traffic).toMatchObject({ last_7d: 1, auto: 1 });
    const days = (await get('/v1/dashboard/models/support/traffic?days=7')).json() as { days: Array<{ predictions: number }> };
    expect(days.days.reduce((n, d) => n + d.predictions, 0)).toBe(1);
  });

  it('every dashboard route is in the OpenAPI document', async () => {
    const doc = (await get('/openapi.json')).json() as { paths: Record<string, unknown> };
    for (const p of ['/v1/overview', '/v1/dashboard/session', '/v1/dashboard/models/{name}/compare', '/v1/dashboard/models/{name}/decisions', '/v1/dashboard/alerts', '/v1/dashboard/models/{name}/monitoring', '/v1/dashboard/models/{name}/traffic', '/v1/dashboard/models/{name}/target-precision'])
      expect(doc.paths, p).toHaveProperty([p]);
    // A dataset version's profile and validation are the datasets routes' (kept by the datasets service).
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/v1/dashboard/datasets'))).toEqual([]);
  });
});
