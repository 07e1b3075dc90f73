import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoServing } from './index.js';
import { servingFixture, type ServingFixture } from './test-support/serving-fixture.js';

let f: ServingFixture;
beforeAll(async () => {
  f = await servingFixture();
}, 120_000);
afterAll(async () => f?.cleanup());

describe('demoServing', () => {
  it('deploys the champion, streams requests and reports decisions, latency and the log', async () => {
    const r = await demoServing(f.ws, { rows: f.texts.map((text) => ({ text })), labels: f.intents });
    expect(r).toMatchObject({ deployment: 'support', version: 1, requests: 200, dropped: 0, logged: 200 });
    expect(r.automated + r.review).toBe(200);
    expect(r.pendingReview).toBe(r.review);
    expect(r.automatedAccuracy!).toBeGreaterThan(0.85);
    expect(r.latencyMs.p50).toBeGreaterThan(0);
    expect(r.latencyMs.p99).toBeGreaterThanOrEqual(r.latencyMs.p50);
  });

  it('fails with NOT_FOUND when the model has no such alias', async () => {
    await expect(demoServing(f.ws, { alias: 'nope', rows: [] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
