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
    it('updates a rule in place, keeping its id; a taken name is ALREADY_EXISTS', async () => {
      const { store, cleanup } = await make();
      try {
        await store.insertRule(rule('acc'));
        await store.insertRule(rule('drift', { metric: 'drift.share' }));
        const changed = rule('acc-low', { id: 'rul_acc', threshold: 0.75, consecutive: 3, op: '<=', enabled: false, webhook: 'https://hooks.example.com/y' });
        expect(await store.updateRule(changed)).toBe(true);
        expect(await store.getRule('rul_acc')).toEqual(changed);
        expect(await store.getRule('acc')).toBeUndefined();
        await expect(store.updateRule(rule('drift', { id: 'rul_acc' }))).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
        expect(await store.updateRule(rule('ghost', { id: 'rul_ghost' }))).toBe(false);
      } finally {
        await cleanup();
      }
    });

    it('pages alerts in SQL: filtered by model (name and name@…) and status, sorted with ties by id, with the total', async () => {
      const { store, cleanup } = await make();
      try {
        const made = [
          alert('alt_a', 'k1', { model: 'support', ruleName: 'acc', value: 0.7, windows: 2, updatedAt: '2026-01-03T00:00:00.000Z' }),
          alert('alt_b', 'k2', { model: 'support@champion', ruleName: 'drift', value: null, windows: 5, updatedAt: '2026-01-05T00:00:00.000Z', status: 'resolved' }),
          alert('alt_c', 'k3', { model: 'support_x', ruleName: 'acc', value: 0.9, windows: 1, updatedAt: '2026-01-04T00:00:00.000Z' }),
          alert('alt_d', 'k4', { model: 'supportx@1', ruleName: 'acc', value: 0.1, windows: 2, updatedAt: '2026-01-04T00:00:00.000Z' }),
          alert('alt_e', 'k5', { model: 'support@2', ruleName: 'bias', value: 0.4, windows: 2, updatedAt: '2026-01-01T00:00:00.000Z' }),
        ];
        for (const a of made) await store.upsertAlert(a);
        const ids = async (q: Partial<Parameters<MonitoringStore['pageAlerts']>[0]>) => {
          const page = await store.pageAlerts({ sort: 'updated_at', order: 'desc', offset: 0, limit: 50, ...q });
          return [page.total, page.alerts.map((a) => a.id)];
        };
        expect(await ids({})).toEqual([5, ['alt_b', 'alt_d', 'alt_c', 'alt_a', 'alt_e']]);
        expect(await ids({ order: 'asc' })).toEqual([5, ['alt_e', 'alt_a', 'alt_c', 'alt_d', 'alt_b']]);
        // 'support' matches support and support@…, never support_x ('_' is no wildcard) or supportx@1.
        expect(await ids({ model: 'support' })).toEqual([3, ['alt_b', 'alt_a', 'alt_e']]);
        expect(await ids({ model: 'support_x' })).toEqual([1, ['alt_c']]);
        expect(await ids({ model: 'support', status: 'firing' })).toEqual([2, ['alt_a', 'alt_e']]);
        // Alerts without a value sort lowest; ties (windows 2) follow the id in the same direction.
        expect(await ids({ sort: 'value', order: 'asc' })).toEqual([5, ['alt_b', 'alt_d', 'alt_e', 'alt_a', 'alt_c']]);
        expect(await ids({ sort: 'value', order: 'desc' })).toEqual([5, ['alt_c', 'alt_a', 'alt_e', 'alt_d', 'alt_b']]);
        expect(await ids({ sort: 'windows', order: 'desc' })).toEqual([5, ['alt_b', 'alt_e', 'alt_d', 'alt_a', 'alt_c']]);
        expect(await ids({ sort: 'rule', order: 'asc' })).toEqual([5, ['alt_a', 'alt_c', 'alt_d', 'alt_e', 'alt_b']]);
        expect(await ids({ sort: 'model', order: 'asc', offset: 1, limit: 2 })).toEqual([5, ['alt_e', 'alt_b']]);
        expect(await ids({ offset: 10 })).toEqual([5, []]);
      } finally {
        await cleanup();
      }
    });

    it("states a model's log: primary and canary predictions, the newest, and the newest ground truth", async () => {
      const { store, serving, cleanup } = await make();
      try {
        expect(await store.logState('support')).toEqual({ predictions: 0, lastId: null, lastAt: null, truthSeq: 0 });
        const base = { deployment: 'support', model: 'support', primaryId: null, requestId: null, outputs: {}, latencyMs: 1, redacted: false, version: 1, inputs: { text: 't' }, label: 'billing', confidence: 0.9, decision: 'auto' as const };
        await serving.insertPredictions([
          { ...base, id: 'prd_1', at: '2026-01-01T00:00:00.000Z', role: 'primary' as const },
          { ...base, id: 'prd_2', at: '2026-01-02T00:00:00.000Z', role: 'canary' as const },
          { ...base, id: 'prd_3', at: '2026-01-03T00:00:00.000Z', role: 'shadow' as const },
          { ...base, id: 'prd_4', at: '2026-01-04T00:00:00.000Z', role: 'primary' as const, model: 'other' },
        ]);
        const before = await store.logState('support');
        expect(before).toEqual({ predictions: 2, lastId: 'prd_2', lastAt: '2026-01-02T00:00:00.000Z', truthSeq: 0 });
        await serving.addTruth({ predictionId: 'prd_1', label: 'other', source: 'feedback', actor: 'a', at: '2026-02-01T00:00:00.000Z' });
        const after = await store.logState('support');
        expect(after.truthSeq).toBeGreaterThan(0);
        expect({ ...after, truthSeq: 0 }).toEqual(before);
      } finally {
        await cleanup();
      }
    });
  });
}
