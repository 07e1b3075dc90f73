/**
 * The RetrainingStore contract on every backend (SQLite always; PostgreSQL when reachable, and
 * required with CI=true): policies, runs keyed by their job, steps, approvals decided once, and
 * decisions keyed by their check — including racing writers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, type TestBackend } from '../storage/test-support/backends.js';
import { parsePolicy, SqlRetrainingStore, type Approval, type Decision, type RetrainingRun } from './index.js';

const policy = parsePolicy({ model: 'm', training: { dataset: 'd' }, gate: { rules: [{ metric: 'accuracy', min: 0.5 }] }, triggers: { drift: true } }).policy!;

const run = (id: string, key: string, model = 'm', createdAt = '2026-01-01T00:00:00.000Z'): Omit<RetrainingRun, 'steps'> => ({
  id,
  model,
  runKey: key,
  state: 'running',
  reason: 'started',
  policy,
  challenger: null,
  champion: null,
  createdAt,
  createdBy: 'test',
  updatedAt: createdAt,
});

const approval = (id: string, runId: string): Approval => ({
  id,
  runId,
  model: 'm',
  version: 2,
  status: 'pending',
  evidence: { gate: 'g' },
  createdAt: '2026-01-01T00:00:00.000Z',
  expiresAt: '2026-01-08T00:00:00.000Z',
  decidedBy: null,
  decidedAt: null,
  comment: null,
});

const decision = (id: string, key: string, at: string, retrain: boolean, model = 'm'): Decision => ({
  id,
  model,
  key,
  at,
  source: 'monitoring',
  retrain,
  reason: retrain ? 'retrain: drift' : 'no trigger fired',
  triggers: [{ trigger: 'drift', enabled: true, fired: retrain, reason: 'drift: …', values: { value: 3 } }],
  labels: { project: 12 },
  jobId: null,
  createdBy: 'test',
});

for (const factory of BACKENDS) {
  const available = await factory.available();
  describe.skipIf(!available)(`SqlRetrainingStore on ${factory.name}`, () => {
    let t: TestBackend;
    let store: SqlRetrainingStore;
    beforeAll(async () => {
      t = await factory.make();
      store = new SqlRetrainingStore(t.backend.db);
    });
    afterAll(async () => t?.cleanup());

    it('stores a policy per model, replaces it, and fills in loop settings an older policy lacks', async () => {
      await store.putPolicy(policy, '2026-01-01T00:00:00.000Z', 'a');
      await store.putPolicy({ ...policy, promotion: 'auto' }, '2026-01-02T00:00:00.000Z', 'b');
      expect(await store.getPolicy('m')).toMatchObject({ policy: { promotion: 'auto', loop: { triggers: { drift: { metric: 'drift.count' } } } }, updatedBy: 'b' });
      const { loop: _loop, ...old } = policy;
      await store.putPolicy({ ...old, model: 'old' } as typeof policy, '2026-01-01T00:00:00.000Z', 'a');
      expect((await store.getPolicy('old'))!.policy.loop.schedules.monitoring).toBe('0 2 * * *');
      expect((await store.listPolicies()).map((p) => p.policy.model)).toEqual(['m', 'old']);
      expect(await store.getPolicy('none')).toBeUndefined();
      expect(await store.removePolicy('old')).toBe(true);
      expect(await store.removePolicy('old')).toBe(false);
      expect(await store.getPolicy('old')).toBeUndefined();
      expect((await store.listPolicies()).map((p) => p.policy.model)).toEqual(['m']);
    });

    it('opens one run per key, also when racing; steps are upserted by name in order; runs filter by model and state', async () => {
      const opened = await Promise.all(Array.from({ length: 6 }, (_, i) => store.openRun(run(`run_r${i}`, 'job-1'))));
      expect(new Set(opened.map((o) => o.run.id)).size).toBe(1);
      expect(opened.filter((o) => o.created)).toHaveLength(1);
      const id = opened[0]!.run.id;
      await store.putStep(id, { step: 'trigger', status: 'done', reason: 'manual', details: {}, at: '2026-01-01T00:00:01.000Z' });
      await store.putStep(id, { step: 'shadow', status: 'running', reason: '3 of 10', details: { n: 3 }, at: '2026-01-01T00:00:02.000Z' });
      await store.putStep(id, { step: 'shadow', status: 'done', reason: 'agreed', details: { n: 10 }, at: '2026-01-01T00:00:03.000Z' });
      await store.updateRun(id, { state: 'watching', challenger: 'm@2' }, '2026-01-01T00:00:04.000Z');
      const got = (await store.getRun(id))!;
      expect(got).toMatchObject({ state: 'watching', challenger: 'm@2', reason: 'started', updatedAt: '2026-01-01T00:00:04.000Z' });
      expect(got.steps.map((s) => [s.step, s.status, s.seq])).toEqual([
        ['trigger', 'done', 1],
        ['shadow', 'done', 2],
      ]);
      await store.openRun(run('run_other', 'job-2', 'n', '2026-01-02T00:00:00.000Z'));
      expect((await store.listRuns({ limit: 10 })).map((r) => r.runKey)).toEqual(['job-2', 'job-1']);
      expect((await store.listRuns({ model: 'm', limit: 10 })).map((r) => r.id)).toEqual([id]);
      expect((await store.listRuns({ states: ['watching', 'shadowing'], limit: 10 })).map((r) => r.id)).toEqual([id]);
      expect(await store.listRuns({ states: [], limit: 10 })).toEqual([]);
      // Of two racing transitions out of the same state, one wins.
      const moved = await Promise.all([
        store.transitionRun(id, 'watching', { state: 'rolled_back', reason: 'a' }, '2026-01-01T00:00:05.000Z'),
        store.transitionRun(id, 'watching', { state: 'promoted', reason: 'b' }, '2026-01-01T00:00:05.000Z'),
      ]);
      expect(moved.filter(Boolean)).toHaveLength(1);
      expect((await store.getRun(id))!.state).toBe(moved[0] ? 'rolled_back' : 'promoted');
      expect(await store.transitionRun(id, 'watching', { state: 'promoted', reason: 'c' }, '2026-01-01T00:00:06.000Z')).toBe(false);
    });

    it('opens one approval per run; only one of two racing decisions wins', async () => {
      const r = (await store.openRun(run('run_a', 'job-a'))).run;
      const first = await store.openApproval(approval('apr_1', r.id));
      const second = await store.openApproval(approval('apr_2', r.id));
      expect(second.id).toBe(first.id);
      const results = await Promise.all([
        store.decideApproval(first.id, { status: 'approved', decidedBy: 'x', decidedAt: '2026-01-02T00:00:00.000Z', comment: 'ok' }),
        store.decideApproval(first.id, { status: 'rejected', decidedBy: 'y', decidedAt: '2026-01-02T00:00:00.000Z', comment: 'no' }),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      const decided = (await store.getApproval(first.id))!;
      expect(decided.status).toBe(results[0] ? 'approved' : 'rejected');
      expect(await store.listApprovals({ status: 'pending', limit: 10 })).toEqual([]);
      expect((await store.listApprovals({ limit: 10 })).map((a) => a.id)).toEqual([first.id]);
    });

    it('records one decision per key, also when racing; finds it by id or key; lists newest first by model and verdict', async () => {
      const raced = await Promise.all(Array.from({ length: 5 }, (_, i) => store.putDecision(decision(`dec_r${i}`, 'schedule:m.check:1', '2026-01-01T00:00:00.000Z', true))));
      expect(new Set(raced.map((r) => r.decision.id)).size).toBe(1);
      expect(raced.filter((r) => r.created)).toHaveLength(1);
      const d = raced[0]!.decision;
      expect(d).toMatchObject({ retrain: true, triggers: [{ trigger: 'drift', fired: true, values: { value: 3 } }], labels: { project: 12 }, jobId: null });
      await store.setDecisionJob(d.id, 'job_9');
      expect((await store.getDecision(d.id))!.jobId).toBe('job_9');
      expect((await store.getDecision('schedule:m.check:1'))!.id).toBe(d.id);
      expect(await store.getDecision('dec_none')).toBeUndefined();
      await store.putDecision(decision('dec_2', 'k2', '2026-01-02T00:00:00.000Z', false));
      await store.putDecision(decision('dec_3', 'k3', '2026-01-03T00:00:00.000Z', false, 'n'));
      expect((await store.listDecisions({ limit: 10 })).map((x) => x.id)).toEqual(['dec_3', 'dec_2', d.id]);
      expect((await store.listDecisions({ model: 'm', limit: 10 })).map((x) => x.id)).toEqual(['dec_2', d.id]);
      expect((await store.listDecisions({ model: 'm', retrain: true, limit: 10 })).map((x) => x.id)).toEqual([d.id]);
      expect((await store.listDecisions({ retrain: false, limit: 1 })).map((x) => x.id)).toEqual(['dec_3']);
    });
  });
}
