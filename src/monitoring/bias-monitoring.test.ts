/**
 * Bias drift over the prediction log: a served model whose accuracy for one region falls part-way
 * through; group gaps per window, rules on their confidence bounds, and small windows staying quiet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PredictionRecord } from '../serving/index.js';
import { mulberry32 } from '../stats/index.js';
import type { TempWorkspace } from '../workspace/test-support/temp-workspace.js';
import { monitoringFixture } from './test-support/monitoring-fixture.js';

let f: TempWorkspace;
const WEEK = 7 * 86_400_000;
const START = Date.parse('2026-03-02T00:00:00Z'); // a Monday

/** 8 weeks × 600 predictions; from week 4 the south region's predictions are right 60 % of the time instead of 90 %. */
async function replay(): Promise<void> {
  const rand = mulberry32(3);
  const version = await f.ws.registry.resolve('support@champion');
  const records: PredictionRecord[] = [];
  const truths: Array<{ id: string; label: string }> = [];
  for (let week = 0; week < 8; week++) {
    for (let i = 0; i < 600; i++) {
      const region = ['north', 'south', 'east'][i % 3]!;
      const id = `prd_w${week}_${i}`;
      const right = rand() < (region === 'south' && week >= 4 ? 0.6 : 0.9);
      records.push({
        id,
        at: new Date(START + week * WEEK + i * 1000).toISOString(),
        deployment: 'support',
        model: version.model,
        version: version.version,
        role: 'primary',
        primaryId: null,
        requestId: null,
        inputs: { text: 'my order has not arrived yet' },
        outputs: {},
        label: 'order_status',
        confidence: 0.9,
        // south is sent to review twice as often
        decision: rand() < (region === 'south' ? 0.4 : 0.2) ? 'review' : 'auto',
        latencyMs: 1,
        redacted: false,
        groups: { region },
      });
      truths.push({ id, label: right ? 'order_status' : 'refund_request' });
    }
  }
  await f.ws.serving.store.insertPredictions(records);
  for (const t of truths) await f.ws.serving.store.addTruth({ predictionId: t.id, label: t.label, source: 'import', actor: 'test', at: '2026-06-01T00:00:00Z' });
}

beforeAll(async () => {
  f = await monitoringFixture();
  await replay();
}, 180_000);
afterAll(async () => f?.cleanup());

describe('bias drift', () => {
  it("tracks each window's group gaps with bounds; the accuracy gap opens when south falls behind", async () => {
    const r = await f.ws.monitoring.report({ model: 'support@champion', window: '7d' });
    expect(r.windows).toHaveLength(8);
    for (const [i, w] of r.windows.entries()) {
      const region = w.fairness!.attributes.find((a) => a.attribute === 'region')!;
      expect(region.groups.map((g) => g.n)).toEqual([200, 200, 200]);
      const acc = region.gaps.accuracy_difference;
      expect(acc.lower!).toBeLessThanOrEqual(acc.value!);
      expect(w.values['fairness.region.accuracy_difference']).toBe(acc.value);
      expect(w.values['fairness.region.accuracy_difference.lower']).toBe(acc.lower);
      if (i < 4) expect(acc.lower).toBe(0);
      else {
        expect(acc.min!.group).toBe('south');
        expect(acc.lower!).toBeGreaterThan(0.1);
      }
      // the review-share gap (0.4 vs 0.2) is there from the start, without any label
      expect(region.gaps.auto_share_difference.min!.group).toBe('south');
    }
    const reviewBounds = r.windows.map((w) => w.values['fairness.region.auto_share_difference.lower']!);
    expect(reviewBounds.filter((b) => b > 0).length).toBeGreaterThanOrEqual(6);
    expect(r.fairness_series.filter((s) => s.attribute === 'region' && s.metric === 'accuracy_difference')).toHaveLength(8);
  });

  it('alerts on the lower bound of the gap; windows too small to tell stay quiet', async () => {
    await f.ws.monitoring.addRule('test', { name: 'south-acc', model: 'support@champion', metric: 'fairness.region.accuracy_difference.lower', op: '>', threshold: 0.05, consecutive: 2, window: '7d' });
    await f.ws.monitoring.addRule('test', { name: 'south-acc-small', model: 'support@champion', metric: 'fairness.region.accuracy_difference.lower', op: '>', threshold: 0.05, window: '90' });
    const [run] = await f.ws.monitoring.run({ window: '7d' });
    const weekly = run!.rules.find((x) => x.rule === 'south-acc')!;
    expect(weekly.state).toBe('new');
    expect(weekly.alert!.windows).toBe(4);
    expect(weekly.alert!.message).toMatch(/accuracy: south 0\.\d+, \w+ 0\.\d+; bounds/);
    // windows of 90 predictions: 30 per region; the point gap is often above 0.05, its bound never
    const small = await f.ws.monitoring.report({ model: 'support@champion', window: '90' });
    const points = small.windows.map((w) => w.values['fairness.region.accuracy_difference'] ?? 0);
    expect(points.filter((v) => v > 0.05).length).toBeGreaterThan(10);
    expect(run!.rules.find((x) => x.rule === 'south-acc-small')!.state).toBe('ok');
  });

  it('refuses a rule on a gap that is not tracked', async () => {
    await expect(
      f.ws.monitoring.addRule('test', { name: 'bad', model: 'support@champion', metric: 'fairness.region.demographic_parity_ratio', op: '<', threshold: 0.8 }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('reports a window whose input is missing throughout (its test cannot run) without failing the others', async () => {
    const version = await f.ws.registry.resolve('support@champion');
    const at = START + 9 * WEEK;
    await f.ws.serving.store.insertPredictions(
      Array.from({ length: 40 }, (_, i): PredictionRecord => ({
        id: `prd_empty_${i}`, at: new Date(at + i * 1000).toISOString(), deployment: 'support', model: version.model, version: version.version,
        role: 'primary', primaryId: null, requestId: null, inputs: {}, outputs: {}, label: 'order_status', confidence: 0.9, decision: 'auto', latencyMs: 1, redacted: false,
      })),
    );
    const r = await f.ws.monitoring.report({ model: 'support@champion', window: '7d' });
    const last = r.windows.at(-1)!;
    expect(last.predictions).toBe(40);
    expect(last.features![0]).toMatchObject({ name: 'text', drift: false });
    expect(last.fairness).toBeNull();
    expect(r.windows.slice(0, 8).some((w) => w.dataset_drift !== null)).toBe(true);
  });
});
