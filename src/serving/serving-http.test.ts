/** Serving over HTTP, in-process (fastify.inject): plain JSON, OIP, review, feedback, metrics. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPrincipal } from '../auth/index.js';
import { buildServer } from '../server/index.js';
import { servingFixture, type ServingFixture } from './test-support/serving-fixture.js';

let f: ServingFixture;
let app: FastifyInstance;
let viewer: string;
let reviewer: string;
const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const admin = () => auth(f.adminToken);

beforeAll(async () => {
  f = await servingFixture();
  await f.ws.serving.deploy('test', 'support@champion');
  app = await buildServer(f.ws, { serving: { pollIntervalMs: 60_000, log: { flushIntervalMs: 10 } } });
  const p = localPrincipal();
  await f.ws.auth.createUser(p, 'vic', ['viewer']);
  await f.ws.auth.createUser(p, 'rita', ['reviewer']);
  viewer = (await f.ws.auth.createToken(p, { user: 'vic' })).token;
  reviewer = (await f.ws.auth.createToken(p, { user: 'rita' })).token;
}, 120_000);
afterAll(async () => {
  await app?.close();
  await f?.cleanup();
});

const predict = (instances: unknown, headers = admin(), name = 'support') =>
  app.inject({ method: 'POST', url: `/v1/models/${name}:predict`, headers, payload: { instances } });

describe('POST /v1/models/{name}:predict', () => {
  it('answers label, probabilities, decision by the stored threshold, version and prediction id', async () => {
    const res = await predict(f.texts.slice(0, 20).map((text) => ({ text, ticket: 'ignored' })));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = res.json();
    // Exactly the documented fields, in order (the route serialises the answer itself).
    expect(Object.keys(body)).toEqual(['model', 'model_version', 'predictions']);
    for (const p of body.predictions) expect(Object.keys(p)).toEqual(['label', 'probabilities', 'confidence', 'decision', 'model_version', 'prediction_id']);
    expect(body.model_version).toBe(1);
    expect(body.predictions).toHaveLength(20);
    const v1 = await f.ws.registry.resolve('support@1');
    const threshold = v1.record.thresholds!['confidence'] as number;
    expect(typeof threshold).toBe('number');
    let correct = 0;
    body.predictions.forEach((p: { label: string; probabilities: Record<string, number>; confidence: number; decision: string; model_version: number; prediction_id: string }, i: number) => {
      const sum = Object.values(p.probabilities).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 5);
      expect(p.confidence).toBeCloseTo(Math.max(...Object.values(p.probabilities)), 10);
      expect(p.label).toBe(Object.entries(p.probabilities).sort((a, b) => b[1] - a[1])[0]![0]);
      expect(p.decision).toBe(p.confidence >= threshold ? 'auto' : 'review');
      expect(p.model_version).toBe(1);
      expect(p.prediction_id).toMatch(/^prd_[a-f0-9]{32}$/);
      if (p.label === f.intents[i]) correct++;
    });
    expect(correct).toBeGreaterThanOrEqual(14);
  });

  it('answers 400 naming the field for a missing or mistyped input, and for a non-array', async () => {
    const missing = await predict([{ text: 'hello' }, { txt: 'oops' }]);
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.message).toContain('instances.1.text');
    expect(missing.json().error.details.issues[0]).toMatchObject({ path: 'instances.1.text', code: 'required' });
    const typed = await predict([{ text: 42 }]);
    expect(typed.statusCode).toBe(400);
    expect(typed.json().error.message).toMatch(/instances\.0\.text.*must be a string/);
    expect((await predict([])).statusCode).toBe(400);
    const notRows = await app.inject({ method: 'POST', url: '/v1/models/support:predict', headers: admin(), payload: { rows: [] } });
    expect(notRows.statusCode).toBe(400);
  });

  it('limits the batch size, names unknown deployments, and needs a token with serving:predict', async () => {
    const big = await predict(Array.from({ length: 1001 }, () => ({ text: 'x' })));
    expect(big.statusCode).toBe(429);
    expect(big.json().error).toMatchObject({ code: 'RESOURCE_EXHAUSTED', details: { limit: 1000 } });
    const unknown = await predict([{ text: 'x' }], admin(), 'nope');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.message).toContain("deployment 'nope'");
    expect((await app.inject({ method: 'POST', url: '/v1/models/support:predict', payload: { instances: [{ text: 'x' }] } })).statusCode).toBe(401);
    expect((await predict([{ text: 'x' }], auth(viewer))).statusCode).toBe(403);
  });
});

describe('Open Inference Protocol', () => {
  it('answers health, server and model metadata and readiness, behind a token', async () => {
    expect((await app.inject({ url: '/v2/health/live' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/v2/health/live', headers: admin() })).json()).toEqual({ live: true });
    expect((await app.inject({ url: '/v2/health/ready', headers: admin() })).json()).toEqual({ ready: true });
    expect((await app.inject({ url: '/v2/models/support/ready', headers: admin() })).json()).toEqual({ name: 'support', ready: true });
    const meta = (await app.inject({ url: '/v2/models/support', headers: admin() })).json();
    expect(meta).toMatchObject({ name: 'support', versions: ['1'], inputs: [{ name: 'text', datatype: 'BYTES', shape: [-1] }] });
    expect(meta.outputs.map((o: { name: string }) => o.name)).toEqual(['label', 'probabilities', 'confidence', 'decision', 'prediction_id']);
    expect(meta.parameters.group_columns).toEqual(['region']);
    expect((await app.inject({ url: '/v2/models/nope', headers: admin() })).statusCode).toBe(404);
  });

  it('infers from a BYTES tensor, with the same answer as the plain endpoint', async () => {
    const texts = f.texts.slice(0, 3);
    const res = await app.inject({
      method: 'POST',
      url: '/v2/models/support/infer',
      headers: admin(),
      payload: { id: 'req-7', inputs: [{ name: 'text', shape: [3, 1], datatype: 'BYTES', data: texts }] },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ model_name: 'support', model_version: '1', id: 'req-7' });
    const out = Object.fromEntries(body.outputs.map((o: { name: string }) => [o.name, o]));
    expect(out.label.shape).toEqual([3]);
    expect(out.probabilities.shape[0]).toBe(3);
    const plain = (await predict(texts.map((text) => ({ text })))).json();
    expect(out.label.data).toEqual(plain.predictions.map((p: { label: string }) => p.label));
    expect(out.confidence.data[0]).toBeCloseTo(plain.predictions[0].confidence, 12);
    const only = await app.inject({ method: 'POST', url: '/v2/models/support/infer', headers: admin(), payload: { inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['hi'] }], outputs: [{ name: 'label' }] } });
    expect(only.json().outputs.map((o: { name: string }) => o.name)).toEqual(['label']);
    const pinned = await app.inject({ method: 'POST', url: '/v2/models/support/versions/2/infer', headers: admin(), payload: { inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['hi'] }] } });
    expect(pinned.statusCode).toBe(404);
  });

  it('answers 400 for a wrong datatype, a shape that does not match the data, or a missing tensor', async () => {
    const bad = async (inputs: unknown) => app.inject({ method: 'POST', url: '/v2/models/support/infer', headers: admin(), payload: { inputs } });
    const dt = await bad([{ name: 'text', shape: [1], datatype: 'FP32', data: [1] }]);
    expect(dt.statusCode).toBe(400);
    expect(dt.json().error.message).toContain('BYTES');
    const shape = await bad([{ name: 'text', shape: [2], datatype: 'BYTES', data: ['a'] }]);
    expect(shape.statusCode).toBe(400);
    expect(shape.json().error.details.issues[0].path).toBe('inputs.0.data');
    expect((await bad([])).statusCode).toBe(400);
    expect((await bad([{ name: 'a', shape: [1], datatype: 'BYTES', data: ['x'] }, { name: 'b', shape: [1], datatype: 'BYTES', data: ['y'] }])).statusCode).toBe(400);
  });
});

describe('review queue, feedback and the prediction log', () => {
  it('queues review decisions; a person answers over HTTP and the answer is the ground truth', async () => {
    const res = (await predict(f.texts.slice(0, 60).map((text) => ({ text })))).json();
    const review = res.predictions.filter((p: { decision: string }) => p.decision === 'review');
    expect(review.length).toBeGreaterThan(0);
    await f.ws.serving.runtime().log.flush();
    const list = await app.inject({ url: '/v1/review?limit=1000', headers: auth(reviewer) });
    expect(list.statusCode).toBe(200);
    const ids = list.json().items.map((i: { prediction_id: string }) => i.prediction_id);
    for (const p of review) expect(ids).toContain(p.prediction_id);
    const item = list.json().items.find((i: { prediction_id: string }) => i.prediction_id === review[0].prediction_id);
    expect(item).toMatchObject({ status: 'pending', deployment: 'support', version: 1, inputs: { text: expect.any(String) } });

    const answer = await app.inject({ method: 'POST', url: `/v1/review/${review[0].prediction_id}`, headers: auth(reviewer), payload: { label: 'refund' } });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({ status: 'answered', answer: 'refund', answered_by: 'rita' });
    const logged = (await app.inject({ url: `/v1/predictions/${review[0].prediction_id}`, headers: admin() })).json();
    expect(logged).toMatchObject({ decision: 'review', version: 1, truth: { label: 'refund', source: 'review' } });
    expect(logged.latencyMs).toBeGreaterThan(0);
    expect((await app.inject({ method: 'POST', url: '/v1/review/prd_nope', headers: auth(reviewer), payload: { label: 'x' } })).statusCode).toBe(404);
    expect((await app.inject({ url: '/v1/review', headers: auth(viewer) })).statusCode).toBe(403);
  });

  it('records a review answer or feedback the model has no class for, with a warning naming it', async () => {
    const res = (await predict(f.texts.slice(0, 60).map((text) => ({ text })))).json();
    const review = res.predictions.filter((p: { decision: string }) => p.decision === 'review');
    await f.ws.serving.runtime().log.flush();
    const answer = await app.inject({ method: 'POST', url: `/v1/review/${review[0].prediction_id}`, headers: auth(reviewer), payload: { label: 'purple' } });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({ status: 'answered', answer: 'purple' });
    expect(answer.json().warnings).toEqual([expect.stringMatching(/^label 'purple' is not a class of support@1 \('.*'\); recorded anyway/)]);
    expect(answer.json().warnings[0]).toContain(`'${f.intents[0]}'`);
    const fb = await app.inject({ method: 'POST', url: '/v1/feedback', headers: admin(), payload: { prediction_id: res.predictions[1].prediction_id, label: 'refnud' } });
    expect(fb.statusCode).toBe(200);
    expect(fb.json().warnings).toEqual([expect.stringContaining("label 'refnud' is not a class of support@1")]);
    expect((await f.ws.serving.prediction(res.predictions[1].prediction_id)).truth).toMatchObject({ label: 'refnud' });
    const good = await app.inject({ method: 'POST', url: '/v1/feedback', headers: admin(), payload: { prediction_id: res.predictions[1].prediction_id, label: f.intents[0] } });
    expect(good.json().warnings).toEqual([]);
  });

  it('joins feedback to a logged prediction (even one still queued) and refuses unknown ids', async () => {
    const res = (await predict([{ text: f.texts[5] }])).json();
    const id = res.predictions[0].prediction_id;
    const fb = await app.inject({ method: 'POST', url: '/v1/feedback', headers: admin(), payload: { prediction_id: id, label: 'billing' } });
    expect(fb.statusCode).toBe(200);
    await f.ws.serving.runtime().log.flush();
    expect((await f.ws.serving.prediction(id)).truth).toMatchObject({ label: 'billing', source: 'feedback' });
    const unknown = await app.inject({ method: 'POST', url: '/v1/feedback', headers: admin(), payload: { prediction_id: 'prd_0000', label: 'x' } });
    expect(unknown.statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/v1/feedback', headers: admin(), payload: { prediction_id: id } })).statusCode).toBe(400);
  });
});

describe('DELETE /v1/models/{name}/aliases/{alias}', () => {
  it('answers warnings naming the deployments that follow the removed alias', async () => {
    await f.ws.registry.setAlias('test', 'support', 'gone', 2, 'try');
    await f.ws.serving.deploy('test', 'support@1', { name: 'canaried', canary: 'support@gone', canaryPercent: 5 });
    try {
      const res = await app.inject({ method: 'DELETE', url: '/v1/models/support/aliases/gone?reason=done', headers: admin() });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ alias: 'gone', from_version: 2, to_version: null });
      expect(res.json().warnings).toEqual([expect.stringMatching(/^deployment 'canaried' runs as its canary support@gone: servers keep serving the version it loaded \(support@2\)/)]);
      await f.ws.registry.setAlias('test', 'support', 'gone', 2, 'again');
      await f.ws.serving.undeploy('test', 'canaried');
      const quiet = await app.inject({ method: 'DELETE', url: '/v1/models/support/aliases/gone?reason=done', headers: admin() });
      expect(quiet.json().warnings).toEqual([]);
    } finally {
      await f.ws.serving.undeploy('test', 'canaried').catch(() => undefined);
    }
  });
});

describe('POST /v1/feedback/bulk', () => {
  it('records a JSON array of ground truth, reporting bad and unknown items by index', async () => {
    const ids = (await predict(f.texts.slice(0, 3).map((text) => ({ text })))).json().predictions.map((p: { prediction_id: string }) => p.prediction_id);
    await f.ws.serving.runtime().log.flush();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/feedback/bulk',
      headers: admin(),
      payload: [{ prediction_id: ids[0], label: 'refund', note: 'ignored' }, { prediction_id: ids[1], label: 'billing' }, { prediction_id: 'prd_unknown', label: 'x' }, 42, { prediction_id: ids[2], label: '' }],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ rows: 5, recorded: 2, unknown_predictions: 1 });
    expect(res.json().issues).toEqual([
      { line: 3, path: '3', code: 'invalid_type', message: expect.any(String) },
      { line: 4, path: '4.label', code: 'invalid_value', message: 'empty or too long label' },
      { line: 2, path: '2.prediction_id', code: 'not_found', message: "prediction 'prd_unknown' is not in the log" },
    ]);
    expect((await f.ws.serving.prediction(ids[0])).truth).toMatchObject({ label: 'refund', source: 'import', actor: 'admin' });
    expect((await f.ws.serving.prediction(ids[1])).truth).toMatchObject({ label: 'billing', source: 'import' });
    expect((await f.ws.serving.prediction(ids[2])).truth).toBeNull();
  });

  it('counts recorded rows whose label is not a class of their model version', async () => {
    const ids = (await predict(f.texts.slice(0, 3).map((text) => ({ text })))).json().predictions.map((p: { prediction_id: string }) => p.prediction_id);
    await f.ws.serving.runtime().log.flush();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/feedback/bulk',
      headers: admin(),
      payload: [{ prediction_id: ids[0], label: f.intents[0] }, { prediction_id: ids[1], label: 'purple' }, { prediction_id: ids[2], label: 'bilin' }],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ rows: 3, recorded: 3, unknown_predictions: 0, unknown_labels: 2, issues: [] });
    expect((await f.ws.serving.prediction(ids[1])).truth).toMatchObject({ label: 'purple', source: 'import' });
  });

  it('records CSV (text/csv), a prediction still in the log queue included, with line numbers for problems', async () => {
    const ids = (await predict(f.texts.slice(3, 5).map((text) => ({ text })))).json().predictions.map((p: { prediction_id: string }) => p.prediction_id);
    // Not flushed: the second id may still wait in the log queue, and counts as known.
    const csv = `source,prediction_id,label\r\ncrm,${ids[0]},"refund"\r\ncrm,${ids[1]},billing\r\ncrm,prd_nope,x\r\ncrm,,x\r\n`;
    const res = await app.inject({ method: 'POST', url: '/v1/feedback/bulk', headers: { ...admin(), 'content-type': 'text/csv' }, payload: csv });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ rows: 4, recorded: 2, unknown_predictions: 1 });
    expect(res.json().issues.map((i: { line: number; code: string }) => [i.line, i.code])).toEqual([
      [5, 'invalid_value'],
      [4, 'not_found'],
    ]);
    await f.ws.serving.runtime().log.flush();
    expect((await f.ws.serving.prediction(ids[1])).truth).toMatchObject({ label: 'billing', source: 'import' });
  });

  it('answers 400 for a CSV without the columns or a body that is not an array, 403 without serving:predict', async () => {
    const noColumns = await app.inject({ method: 'POST', url: '/v1/feedback/bulk', headers: { ...admin(), 'content-type': 'text/csv' }, payload: 'id,truth\nprd_1,x\n' });
    expect(noColumns.statusCode).toBe(400);
    expect(noColumns.json().error.message).toContain("'prediction_id' and 'label'");
    const notArray = await app.inject({ method: 'POST', url: '/v1/feedback/bulk', headers: admin(), payload: { prediction_id: 'prd_1', label: 'x' } });
    expect(notArray.statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/v1/feedback/bulk', headers: auth(viewer), payload: [] })).statusCode).toBe(403);
  });
});

describe('group (sensitive) columns', () => {
  it('accepts them beside the inputs, keeps them from the model and logs them as groups (v1 and v2)', async () => {
    const plain = (await predict([{ text: f.texts[0] }])).json().predictions[0];
    const res = await predict([{ text: f.texts[0], region: 'EU' }, { text: f.texts[1], region: null }, { text: f.texts[2] }, { text: f.texts[3], region: 7 }]);
    expect(res.statusCode).toBe(200);
    const rows = res.json().predictions;
    // The model never sees the group column: same answer as without it.
    expect(rows[0].probabilities).toEqual(plain.probabilities);
    const v2 = await app.inject({
      method: 'POST',
      url: '/v2/models/support/infer',
      headers: admin(),
      payload: { inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: [f.texts[0]] }, { name: 'region', shape: [1], datatype: 'BYTES', data: ['APAC'] }] },
    });
    expect(v2.statusCode).toBe(200);
    const v2id = v2.json().outputs.find((o: { name: string }) => o.name === 'prediction_id').data[0];
    await f.ws.serving.runtime().log.flush();
    const logged = await Promise.all([...rows.map((r: { prediction_id: string }) => r.prediction_id), v2id].map((id: string) => f.ws.serving.prediction(id)));
    expect(logged.map((p) => p.groups)).toEqual([{ region: 'EU' }, { region: null }, {}, { region: '7' }, { region: 'APAC' }]);
    expect(logged[0]!.inputs).toEqual({ text: f.texts[0] });
    const http = (await app.inject({ url: `/v1/predictions/${rows[0].prediction_id}`, headers: admin() })).json();
    expect(http.groups).toEqual({ region: 'EU' });
  });

  it('answers 400 naming the field when a group value is not a scalar', async () => {
    const res = await predict([{ text: 'hello', region: { name: 'EU' } }]);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details.issues[0]).toMatchObject({ path: 'instances.0.region', code: 'invalid_type' });
  });
});

describe('metrics and overload', () => {
  it('exposes Prometheus metrics behind a token, per model and version', async () => {
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(401);
    const res = await app.inject({ url: '/metrics', headers: admin() });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(/mloop_serving_requests_total\{deployment="support",model="support",version="1",protocol="v1",status="200"\} \d+/);
    expect(res.body).toMatch(/mloop_serving_predictions_total\{[^}]*decision="review"\} \d+/);
    expect(res.body).toContain('mloop_serving_request_duration_seconds_bucket');
    expect(res.body).toContain('mloop_serving_log_queue_depth');
    expect(res.body).toContain('mloop_serving_log_dropped_total');
  });
});

describe('request log lines of prediction requests', () => {
  /** Messages an app logs at info for one predict, one infer and one other request, by URL. */
  async function linesWith(env: NodeJS.ProcessEnv): Promise<Array<{ url: string; msg: string }>> {
    const { openWorkspace } = await import('../workspace/index.js');
    const { pino } = await import('pino');
    const lines: Array<{ url: string; msg: string }> = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as { url: string; msg: string }) });
    const ws = await openWorkspace({ workspace: f.dir, env });
    const logged = await buildServer(ws, { logger, serving: { pollIntervalMs: 60_000, logPredictions: false } });
    try {
      const p = await logged.inject({ method: 'POST', url: '/v1/models/support:predict', headers: admin(), payload: { instances: [{ text: f.texts[0] }] } });
      const v2 = await logged.inject({ method: 'POST', url: '/v2/models/support/infer', headers: admin(), payload: { inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: [f.texts[0]] }] } });
      const other = await logged.inject({ method: 'GET', url: '/v1/deployments', headers: admin() });
      expect([p.statusCode, v2.statusCode, other.statusCode]).toEqual([200, 200, 200]);
      const bad = await logged.inject({ method: 'POST', url: '/v1/models/support:predict', headers: admin(), payload: { instances: [{ nope: 1 }] } });
      expect(bad.statusCode).toBe(400);
    } finally {
      await logged.close();
      await ws.close();
    }
    return lines.map((l) => ({ url: (l as { req?: { url?: string } }).req?.url ?? '', msg: l.msg })).filter((l) => l.url !== '');
  }

  it('writes none for /v1 predict and /v2 infer by default, and the usual ones for other routes', async () => {
    const lines = await linesWith({});
    expect(lines.filter((l) => /predict|infer/.test(l.url))).toEqual([]);
    expect(lines.filter((l) => l.url === '/v1/deployments').map((l) => l.msg)).toEqual(['incoming request']);
  }, 60_000);

  it('writes them with MLOOP_LOG_PREDICTION_REQUESTS=true', async () => {
    const lines = await linesWith({ MLOOP_LOG_PREDICTION_REQUESTS: 'true' });
    expect(lines.filter((l) => l.url === '/v1/models/support:predict').length).toBeGreaterThanOrEqual(2);
    expect(lines.filter((l) => l.url === '/v2/models/support/infer')).toHaveLength(1);
  }, 60_000);
});
