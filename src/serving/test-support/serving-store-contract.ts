/** The ServingStore contract, written once and run against every backend. */
import { describe, expect, it } from 'vitest';
import { ClassifierRecord } from '../log-codec.js';
import type { Deployment, PredictionRecord } from '../serving.js';
import type { ServingStore } from '../serving-store.js';

const dep = (name: string, extra: Partial<Deployment> = {}): Deployment => ({
  name,
  model: name,
  ref: `${name}@champion`,
  shadowRef: null,
  canaryRef: null,
  canaryPercent: 0,
  createdAt: '2026-01-01T00:00:00.000Z',
  createdBy: 'alice',
  updatedAt: '2026-01-01T00:00:00.000Z',
  updatedBy: 'alice',
  ...extra,
});

export const prediction = (id: string, extra: Partial<PredictionRecord> = {}): PredictionRecord => ({
  id,
  at: '2026-01-02T00:00:00.000Z',
  deployment: 'support',
  model: 'support',
  version: 1,
  role: 'primary',
  primaryId: null,
  requestId: 'req-1',
  inputs: { text: 'my card was charged twice' },
  outputs: { label: 'billing', probabilities: { billing: 0.6, other: 0.4 } },
  label: 'billing',
  confidence: 0.6,
  decision: 'review',
  latencyMs: 1.25,
  redacted: false,
  groups: {},
  ...extra,
});

export function runServingStoreContract(name: string, make: () => Promise<{ store: ServingStore; cleanup: () => Promise<void> }>, skip = false): void {
  describe.skipIf(skip)(`ServingStore contract: ${name}`, () => {
    it('creates, replaces (keeping creation), lists and deletes deployments', async () => {
      const { store, cleanup } = await make();
      try {
        await store.putDeployment(dep('support'));
        await store.putDeployment(dep('churn'));
        const replaced = await store.putDeployment(dep('support', { shadowRef: 'support@challenger', canaryRef: 'support@3', canaryPercent: 20, createdBy: 'bob', updatedBy: 'bob', updatedAt: '2026-02-01T00:00:00.000Z' }));
        expect(replaced).toMatchObject({ createdBy: 'alice', updatedBy: 'bob', shadowRef: 'support@challenger', canaryPercent: 20 });
        expect(await store.getDeployment('support')).toEqual(replaced);
        expect((await store.listDeployments()).map((d) => d.name)).toEqual(['churn', 'support']);
        expect(await store.deleteDeployment('churn')).toBe(true);
        expect(await store.deleteDeployment('churn')).toBe(false);
        expect(await store.getDeployment('churn')).toBeUndefined();
      } finally {
        await cleanup();
      }
    });

    it('logs predictions idempotently and queues review decisions of primary and canary rows only', async () => {
      const { store, cleanup } = await make();
      try {
        const rows = [
          prediction('prd_a'),
          prediction('prd_b', { decision: 'auto', confidence: 0.99 }),
          prediction('prd_c', { role: 'shadow', primaryId: 'prd_a' }),
          prediction('prd_d', { role: 'canary', version: 2, at: '2026-01-03T00:00:00.000Z' }),
        ];
        await store.insertPredictions(rows);
        await store.insertPredictions([rows[0]!]);
        expect(await store.getPrediction('prd_c')).toEqual(rows[2]);
        expect(await store.getPrediction('prd_x')).toBeUndefined();
        expect([...(await store.existingPredictions(['prd_a', 'prd_x', 'prd_d']))].sort()).toEqual(['prd_a', 'prd_d']);
        const versions = await store.predictionVersions(['prd_a', 'prd_x', 'prd_d']);
        expect([...versions.keys()].sort()).toEqual(['prd_a', 'prd_d']);
        expect(versions.get('prd_d')).toEqual({ model: rows[3]!.model, version: 2 });
        const pending = await store.listReview({ status: 'pending', limit: 10 });
        expect(pending.map((p) => p.predictionId)).toEqual(['prd_a', 'prd_d']);
        expect(pending[0]).toMatchObject({ predicted: 'billing', confidence: 0.6, status: 'pending', inputs: { text: 'my card was charged twice' } });
        const listed = await store.listPredictions({ deployment: 'support', limit: 2 });
        expect(listed.map((p) => p.id)).toEqual(['prd_d', 'prd_a']);
      } finally {
        await cleanup();
      }
    });

    it('reads back the serving runtime\'s classifier records (probabilities stored as numbers) as the JSON form would', async () => {
      const { store, cleanup } = await make();
      try {
        // Integer-like names (ordered first by JavaScript objects), __proto__, quotes, non-ASCII; -0, NaN, tiny and thirds.
        const classes = ['b"c', '10', '__proto__', 'é', '2', 'z'];
        const values = [1 / 3, -0, 2 ** -1074, 0.1 + 0.2, Number.NaN, 1e-300];
        const probabilities: Record<string, number> = {};
        classes.forEach((c, i) => Object.defineProperty(probabilities, c, { value: values[i], enumerable: true, writable: true, configurable: true }));
        const fairness = { attribute: 'region', group: 'EU', threshold: 0.7 };
        const record = (id: string, withFairness: boolean) =>
          new ClassifierRecord(id, '2026-01-02T00:00:00.000Z', 'support', 'support', 1, 'primary', null, 'req-1', { text: 'hi' }, probabilities, classes, withFairness ? fairness : undefined, '10', 0.3, 'review', 1.25, false, { region: 'EU' });
        await store.insertPredictions([record('prd_p', false), record('prd_q', true)]);
        await store.insertPredictions([record('prd_r', false)]);
        const json = (o: object) => JSON.parse(JSON.stringify(o)) as Record<string, unknown>;
        for (const [id, withFairness] of [['prd_p', false], ['prd_q', true], ['prd_r', false]] as const) {
          const outputs = withFairness ? { label: '10', probabilities, fairness } : { label: '10', probabilities };
          const got = (await store.getPrediction(id))!;
          // The same keys in the same order and the same doubles as JSON text would have kept.
          expect(JSON.stringify(got.outputs)).toBe(JSON.stringify(outputs));
          expect(got).toEqual({ ...json(prediction(id, { inputs: { text: 'hi' }, label: '10', confidence: 0.3, groups: { region: 'EU' } })), outputs: json(outputs) });
          expect(Object.getPrototypeOf(got.outputs['probabilities'])).toBe(Object.prototype);
        }
        const listed = await store.listPredictions({ deployment: 'support', limit: 10 });
        expect(listed.map((p) => JSON.stringify(p.outputs))).toEqual([false, true, false].map((f) => JSON.stringify(f ? { label: '10', probabilities, fairness } : { label: '10', probabilities })));
      } finally {
        await cleanup();
      }
    });

    it('lists predictions newest first by model, by deployment, or by both', async () => {
      const { store, cleanup } = await make();
      try {
        const at = (h: number) => `2026-01-02T0${h}:00:00.000Z`;
        await store.insertPredictions([
          prediction('prd_1', { at: at(1) }),
          prediction('prd_2', { at: at(2), model: 'churn', deployment: 'churn' }),
          prediction('prd_3', { at: at(3), deployment: 'support-eu' }),
          prediction('prd_4', { at: at(3) }),
          prediction('prd_5', { at: at(4), model: 'churn', deployment: 'support' }),
        ]);
        const ids = async (filter: { model?: string; deployment?: string }) => (await store.listPredictions({ ...filter, limit: 10 })).map((p) => p.id);
        expect(await ids({ model: 'support' })).toEqual(['prd_3', 'prd_4', 'prd_1']);
        expect(await ids({ deployment: 'support' })).toEqual(['prd_5', 'prd_4', 'prd_1']);
        expect(await ids({ model: 'support', deployment: 'support' })).toEqual(['prd_4', 'prd_1']);
        expect(await ids({ model: 'churn', deployment: 'churn' })).toEqual(['prd_2']);
        expect(await ids({})).toEqual(['prd_5', 'prd_3', 'prd_4', 'prd_2', 'prd_1']);
      } finally {
        await cleanup();
      }
    });

    it('keeps each prediction\'s group columns, and reads {} where none were logged', async () => {
      const { store, cleanup } = await make();
      try {
        const withGroups = prediction('prd_g', { groups: { region: 'EU', tier: null } });
        const { groups: _omitted, ...without } = prediction('prd_h');
        await store.insertPredictions([withGroups, without]);
        expect(await store.getPrediction('prd_g')).toEqual(withGroups);
        expect((await store.getPrediction('prd_h'))!.groups).toEqual({});
        const listed = await store.listPredictions({ deployment: 'support', limit: 10 });
        expect(Object.fromEntries(listed.map((p) => [p.id, p.groups]))).toEqual({ prd_g: { region: 'EU', tier: null }, prd_h: {} });
      } finally {
        await cleanup();
      }
    });

    it('aggregates the log for dashboards: latest time, traffic per model with realized accuracy (latest truth wins), days, sorted pages', async () => {
      const { store, cleanup } = await make();
      try {
        expect(await store.latestPredictionAt()).toBeNull();
        await store.insertPredictions([
          prediction('prd_a', { latencyMs: 10 }),
          prediction('prd_b', { decision: 'auto', confidence: 0.9, latencyMs: 30, at: '2026-01-02T10:00:00.000Z' }),
          prediction('prd_s', { role: 'shadow', primaryId: 'prd_a', label: 'billing' }),
          prediction('prd_c', { decision: 'auto', confidence: 0.8, label: 'refund', at: '2026-01-03T00:00:00.000Z' }),
          prediction('prd_old', { at: '2025-06-01T00:00:00.000Z' }),
        ]);
        await store.addTruth({ predictionId: 'prd_a', label: 'refund', source: 'feedback', actor: 'crm', at: '2026-01-05T00:00:00.000Z' });
        await store.addTruth({ predictionId: 'prd_a', label: 'billing', source: 'import', actor: 'crm', at: '2026-01-06T00:00:00.000Z' });
        await store.addTruth({ predictionId: 'prd_c', label: 'billing', source: 'feedback', actor: 'crm', at: '2026-01-06T00:00:00.000Z' });
        expect(await store.latestPredictionAt()).toBe('2026-01-03T00:00:00.000Z');
        const t = (await store.trafficByModel('2026-01-01T00:00:00.000Z')).get('support')!;
        expect(t).toMatchObject({ predictions: 3, auto: 2, review: 1, lastAt: '2026-01-03T00:00:00.000Z', labelled: 2, correct: 1, labelledThrough: '2026-01-03T00:00:00.000Z' });
        expect(t.meanConfidence).toBeCloseTo((0.6 + 0.9 + 0.8) / 3, 9);
        const days = await store.dailyTraffic('support', { since: '2026-01-01T00:00:00.000Z' });
        expect(days.map((d) => [d.day, d.predictions, d.shadow, d.shadowAgree, d.labelled, d.correct])).toEqual([
          ['2026-01-02', 2, 1, 1, 1, 1],
          ['2026-01-03', 1, 0, 0, 1, 0],
        ]);
        expect(days[0]!.latency.p50).toBeCloseTo(20, 9);
        const page = await store.decisions({ model: 'support', decision: 'auto', offset: 0, limit: 1, sort: 'confidence', order: 'asc' });
        expect(page.total).toBe(2);
        expect(page.rows.map((r) => [r.id, r.confidence, r.truth])).toEqual([['prd_c', 0.8, 'billing']]);
      } finally {
        await cleanup();
      }
    });

    it('writes a large batch in one call (chunked under parameter limits)', async () => {
      const { store, cleanup } = await make();
      try {
        const many = Array.from({ length: 1200 }, (_, i) => prediction(`prd_${i}`, { decision: i % 2 ? 'auto' : 'review' }));
        await store.insertPredictions(many);
        expect((await store.existingPredictions(many.map((m) => m.id))).size).toBe(1200);
        expect((await store.listReview({ status: 'pending', limit: 10000 })).length).toBe(600);
      } finally {
        await cleanup();
      }
    });

    it('records review answers as ground truth, and refuses answers without a review item', async () => {
      const { store, cleanup } = await make();
      try {
        await store.insertPredictions([prediction('prd_a'), prediction('prd_b', { decision: 'auto' })]);
        expect(await store.addTruth({ predictionId: 'prd_a', label: 'refund', source: 'review', actor: 'rita', at: '2026-01-05T00:00:00.000Z' })).toBe(true);
        expect(await store.getReview('prd_a')).toMatchObject({ status: 'answered', answer: 'refund', answeredBy: 'rita' });
        expect(await store.addTruth({ predictionId: 'prd_b', label: 'refund', source: 'review', actor: 'rita', at: '2026-01-05T00:00:00.000Z' })).toBe(false);
        expect(await store.getTruth('prd_b')).toBeUndefined();
        expect(await store.addTruth({ predictionId: 'prd_b', label: 'billing', source: 'feedback', actor: 'crm', at: '2026-01-06T00:00:00.000Z' })).toBe(true);
        await store.addTruth({ predictionId: 'prd_b', label: 'other', source: 'import', actor: 'crm', at: '2026-01-07T00:00:00.000Z' });
        expect(await store.getTruth('prd_b')).toMatchObject({ label: 'other', source: 'import' });
        expect((await store.listReview({ status: 'pending', limit: 10 })).length).toBe(0);
        expect((await store.listReview({ status: 'answered', limit: 10 })).map((r) => r.predictionId)).toEqual(['prd_a']);
        const joined = await store.listPredictions({ limit: 10 });
        expect(joined.find((p) => p.id === 'prd_a')!.truth).toMatchObject({ label: 'refund', source: 'review' });
      } finally {
        await cleanup();
      }
    });
  });
}
