/** The MonitoringStore contract, written once and run against every backend. */
import { describe, expect, it } from 'vitest';
import type { ServingStore } from '../../serving/index.js';
import type { Alert, AlertRule } from '../monitoring.js';
import type { MonitoringStore } from '../monitoring-store.js';

const rule = (name: string, extra: Partial<AlertRule> = {}): AlertRule => ({
  id: `rul_${name}`,
  name,
  model: 'support@champion',
  metric: 'performance.estimated_accuracy',
  op: '<',
  threshold: 0.8,
  consecutive: 2,
  window: '7d',
  webhook: null,
  enabled: true,
  createdAt: '2026-01-01T00:00:00.000Z',
  createdBy: 'alice',
  ...extra,
});

const alert = (id: string, key: string, extra: Partial<Alert> = {}): Alert => ({
  id,
  ruleId: 'rul_acc',
  ruleName: 'acc',
  model: 'support',
  metric: 'performance.estimated_accuracy',
  dedupKey: key,
  status: 'firing',
  firstWindow: '2026-01-05T00:00:00.000Z',
  lastWindow: '2026-01-12T00:00:00.000Z',
  windows: 2,
  value: 0.7,
  threshold: 0.8,
  message: 'low',
  createdAt: '2026-01-13T00:00:00.000Z',
  updatedAt: '2026-01-13T00:00:00.000Z',
  resolvedAt: null,
  delivery: 'none',
  deliveryError: null,
  deliveredAt: null,
  ...extra,
});

export function runMonitoringStoreContract(name: string, make: () => Promise<{ store: MonitoringStore; serving: ServingStore; cleanup: () => Promise<void> }>, skip = false): void {
  describe.skipIf(skip)(`MonitoringStore contract: ${name}`, () => {
    it('scans primary and canary predictions in (at, id) pages with their latest ground truth', async () => {
      const { store, serving, cleanup } = await make();
      try {
        const base = { deployment: 'support', model: 'support', primaryId: null, requestId: null, outputs: {}, latencyMs: 1, redacted: false } as const;
        const rows = Array.from({ length: 7 }, (_, i) => ({
          ...base,
          id: `prd_${i}`,
          at: `2026-01-0${1 + Math.floor(i / 2)}T00:00:00.000Z`,
          version: i === 6 ? 2 : 1,
          role: i === 5 ? ('shadow' as const) : ('primary' as const),
          inputs: { text: `t${i}` },
          label: 'billing',
          confidence: 0.5 + i / 20,
          decision: i % 2 ? ('auto' as const) : ('review' as const),
          ...(i === 1 ? { groups: { region: 'south', sex: null } } : {}),
        }));
        await serving.insertPredictions(rows);
        await serving.addTruth({ predictionId: 'prd_1', label: 'other', source: 'feedback', actor: 'a', at: '2026-02-01T00:00:00.000Z' });
        await serving.addTruth({ predictionId: 'prd_1', label: 'billing', source: 'import', actor: 'a', at: '2026-02-02T00:00:00.000Z' });
        const seen: string[] = [];
        let after: { at: string; id: string } | undefined;
        for (;;) {
          const page = await store.scanPredictions({ model: 'support', limit: 2, ...(after ? { after } : {}) });
          if (page.length === 0) break;
          seen.push(...page.map((p) => p.id));
          after = { at: page.at(-1)!.at, id: page.at(-1)!.id };
        }
        expect(seen).toEqual(['prd_0', 'prd_1', 'prd_2', 'prd_3', 'prd_4', 'prd_6']);
        const one = (await store.scanPredictions({ model: 'support', limit: 10, from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z' }));
        expect(one.map((p) => [p.id, p.truth, p.decision, p.inputs, p.groups])).toEqual([
          ['prd_0', null, 'review', { text: 't0' }, null],
          ['prd_1', 'billing', 'auto', { text: 't1' }, { region: 'south', sex: null }],
        ]);
        expect((await store.scanPredictions({ model: 'support', version: 2, limit: 10 })).map((p) => p.id)).toEqual(['prd_6']);
        expect(await store.scanPredictions({ model: 'other', limit: 10 })).toEqual([]);
      } finally {
        await cleanup();
      }
    });

    it('keeps rules with unique names; lists by model, gets by id or name, deletes', async () => {
      const { store, cleanup } = await make();
      try {
        await store.insertRule(rule('acc'));
        await store.insertRule(rule('drift', { model: 'churn', metric: 'drift.share', op: '>=', threshold: 0.5, webhook: 'https://hooks.example.com/x' }));
        await expect(store.insertRule(rule('acc', { id: 'rul_other' }))).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
        expect((await store.listRules()).map((r) => r.name)).toEqual(['acc', 'drift']);
        expect((await store.listRules({ model: 'support' })).map((r) => r.name)).toEqual(['acc']);
        expect(await store.getRule('drift')).toEqual(rule('drift', { model: 'churn', metric: 'drift.share', op: '>=', threshold: 0.5, webhook: 'https://hooks.example.com/x' }));
        expect(await store.getRule('rul_acc')).toMatchObject({ name: 'acc', consecutive: 2, enabled: true });
        expect(await store.deleteRule('rul_acc')).toBe(true);
        expect(await store.deleteRule('rul_acc')).toBe(false);
        expect(await store.getRule('acc')).toBeUndefined();
      } finally {
        await cleanup();
      }
    });

    it('de-duplicates alerts by key, resolves the others and records delivery', async () => {
      const { store, cleanup } = await make();
      try {
        const first = await store.upsertAlert(alert('alt_1', 'rul_acc:w1'));
        expect(first.created).toBe(true);
        const again = await store.upsertAlert(alert('alt_2', 'rul_acc:w1', { lastWindow: '2026-01-19T00:00:00.000Z', windows: 3, value: 0.6, updatedAt: '2026-01-20T00:00:00.000Z' }));
        expect(again.created).toBe(false);
        expect(again.alert).toMatchObject({ id: 'alt_1', windows: 3, value: 0.6, lastWindow: '2026-01-19T00:00:00.000Z', createdAt: '2026-01-13T00:00:00.000Z' });
        await store.setDelivery('alt_1', 'failed', 'UNAVAILABLE: down', null);
        expect((await store.listAlerts({ limit: 10 }))[0]).toMatchObject({ delivery: 'failed', deliveryError: 'UNAVAILABLE: down' });
        await store.upsertAlert(alert('alt_3', 'rul_acc:w5', { createdAt: '2026-02-01T00:00:00.000Z' }));
        const resolved = await store.resolveAlerts('rul_acc', 'rul_acc:w5', '2026-02-01T00:00:00.000Z');
        expect(resolved.map((a) => [a.id, a.status])).toEqual([['alt_1', 'resolved']]);
        expect((await store.listAlerts({ status: 'firing', limit: 10 })).map((a) => a.id)).toEqual(['alt_3']);
        expect((await store.listAlerts({ limit: 10 })).map((a) => a.id)).toEqual(['alt_3', 'alt_1']);
        expect(await store.resolveAlerts('rul_acc', 'rul_acc:w5', '2026-02-02T00:00:00.000Z')).toEqual([]);
      } finally {
        await cleanup();
      }
    });
  });
}
