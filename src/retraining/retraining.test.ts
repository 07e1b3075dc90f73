import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPrincipal } from '../auth/index.js';
import { generateSupportRequests, SUPPORT_INTENTS, supportRequestsToCsv } from '../demo/index.js';
import type { MloopError } from '../errors/index.js';
import { JobWorker } from '../jobs/index.js';
import type { RegistryService } from '../registry/index.js';
import { trainModel } from '../training/index.js';
import { tempWorkspace, type TempWorkspace } from '../workspace/test-support/temp-workspace.js';
import { RetrainingService, SqlRetrainingStore, parsePolicy } from './index.js';

let t: TempWorkspace;
const code = async (p: Promise<unknown>) => ((await p.catch((e: unknown) => e)) as MloopError).code;
const settings = { label: 'intent', text: 'text', seed: 1 };
const policy = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  training: { dataset: 'tickets', settings },
  evaluation: { dataset: 'later@1' },
  gate: { name: 'beats', rules: [{ metric: 'accuracy', beats_champion_by: 0.02, bound: 'lower' }] },
  promotion: 'auto',
  ...extra,
});

/** Registers a weak champion (trained on a few rows) for `model`. */
async function weakChampion(model: string): Promise<number> {
  const r = await trainModel({ datasets: t.ws.datasets, registry: t.ws.registry }, { dataset: 'small@1', name: model, ...settings, actor: 'test' });
  await t.ws.registry.setAlias('test', model, 'champion', r.version.version, 'first model');
  return r.version.version;
}

beforeAll(async () => {
  t = await tempWorkspace();
  const write = async (name: string, count: number, seed: number) => {
    const file = join(t.dir, `${name}.csv`);
    writeFileSync(file, supportRequestsToCsv(generateSupportRequests({ count, seed, launch: false })));
    await t.ws.datasets.importFile({ file, name, actor: 'test', roles: { text: ['text'], label: ['intent'] } });
  };
  await write('tickets', 1200, 3);
  await write('later', 500, 4);
  await write('small', 60, 5);
}, 120_000);
afterAll(async () => t.cleanup());

describe('parsePolicy', () => {
  it('accepts a policy and lists every problem of a bad one as data', () => {
    expect(parsePolicy(policy('support')).issues).toEqual([]);
    const bad = parsePolicy({ model: 'Bad Name', training: { settings: { nope: 1 } }, evaluation: { holdout: { by: 'weekly', fraction: 2 } }, promotion: 'maybe' });
    expect(bad.policy).toBeNull();
    expect(bad.issues.map((i) => i.path).sort()).toEqual(['evaluation.holdout.by', 'evaluation.holdout.fraction', 'gate', 'model', 'promotion', 'training.dataset', 'training.settings.nope']);
  });

  it('takes labeling projects as a list of names', () => {
    expect(parsePolicy(policy('support', { training: { dataset: 't', labeling_projects: ['a'] } })).policy!.training.labelingProjects).toEqual(['a']);
    expect(parsePolicy(policy('support', { training: { dataset: 't', labeling_projects: 'a' } })).issues.map((i) => i.path)).toEqual(['training.labeling_projects']);
  });

  it('keeps the out-of-scope mode among the training settings', () => {
    const r = parsePolicy(policy('support', { training: { dataset: 't', settings: { outOfScope: { label: 'oos', minInScopeAccuracy: 0.9 } } } }));
    expect(r.issues).toEqual([]);
    expect(r.policy!.training.settings['outOfScope']).toEqual({ label: 'oos', minInScopeAccuracy: 0.9 });
  });

  it('rejects a bad gate rule with its path', () => {
    const r = parsePolicy(policy('support', { gate: { rules: [{ metric: 'accuracy' }] } }));
    expect(r.policy).toBeNull();
    expect(r.issues[0]!.path.startsWith('gate')).toBe(true);
  });

  it('refuses a target precision that is not a number in (0, 1], with its path', () => {
    for (const bad of ['0.9', 0, 1.5, null]) {
      const r = parsePolicy(policy('support', { training: { dataset: 'tickets@1', settings: { label: 'intent', targetPrecision: bad } } }));
      expect(r.policy, String(bad)).toBeNull();
      expect(r.issues.map((i) => i.path)).toEqual(['training.settings.targetPrecision']);
    }
    expect(parsePolicy(policy('support', { training: { dataset: 'tickets@1', settings: { label: 'intent', targetPrecision: 0.95 } } })).policy).not.toBeNull();
  });
});

describe('retraining runs', () => {
  it('trains on the data plus review answers, gates past the champion on the lower bound, and promotes with evidence', async () => {
    const first = await weakChampion('support');
    // Two answered review items of the model become labelled training rows.
    const at = new Date().toISOString();
    const records = ['refund please for my order', 'cannot log in to my account'].map((text, i) => ({
      id: `p${i}`, at, deployment: 'support', model: 'support', version: first, role: 'primary' as const, primaryId: null, requestId: null,
      inputs: { text }, outputs: {}, label: null, confidence: 0.3, decision: 'review' as const, latencyMs: 1, redacted: false,
    }));
    await t.ws.serving.store.insertPredictions(records);
    await t.ws.serving.answerReview('ann', 'p0', 'refund_request');
    await t.ws.serving.answerReview('ann', 'p1', 'account_access');
    await t.ws.retraining.setPolicy('test', policy('support', { training: { dataset: 'tickets', include_review_answers: true, settings } }));

    const job = await t.ws.jobs.enqueue('test', { type: 'retrain', payload: { model: 'support' }, key: 'retrain-1' });
    const run = await t.ws.retraining.run({ key: job.job.key, model: 'support', actor: 'test' });
    expect(run.state).toBe('promoted');
    expect(run.champion).toBe(`support@${first}`);
    expect(run.steps.map((s) => [s.step, s.status])).toEqual([['trigger', 'done'], ['training_data', 'done'], ['evaluation_data', 'done'], ['train', 'done'], ['evaluate', 'done'], ['gate', 'done'], ['promote', 'done']]);
    const data = run.steps.find((s) => s.step === 'training_data')!.details as { dataset: string; parents: string[]; review_answers: number };
    expect(data.review_answers).toBe(2);
    expect(data.parents).toEqual(['tickets@1', 'support-review-answers@1']);
    expect((await t.ws.datasets.show(data.dataset)).rowCount).toBe(1202);
    const model = await t.ws.registry.getModel('support');
    expect(`support@${model.aliases['champion']}`).toBe(run.challenger);
    const last = (await t.ws.registry.history('support', 'champion')).at(-1)!;
    expect(last.reason).toContain(run.id);
    expect(last.evidence['run_id']).toBe(run.id);
    expect(await t.ws.registry.evaluations(run.challenger!)).toHaveLength(1);
    // Listed, and the job type is registered.
    expect((await t.ws.retraining.listRuns({ model: 'support' })).map((r) => r.id)).toContain(run.id);
    expect(t.ws.jobs.types().map((h) => h.type)).toContain('retrain');
    expect(await code(t.ws.jobs.enqueue('test', { type: 'retrain', payload: {} }))).toBe('INVALID_ARGUMENT');
  }, 120_000);

  it('adds the final labels of the policy\'s labeling projects as training rows', async () => {
    await weakChampion('labelled');
    const small = generateSupportRequests({ count: 60, seed: 5, launch: false });
    await t.ws.labeling.createProject({ name: 'small-intents', dataset: 'small@1', labels: [...SUPPORT_INTENTS], idColumn: 'id', showColumns: ['text'], consensus: 'mv', actor: 'test' });
    await t.ws.labeling.importAnswers('small-intents', small.slice(0, 20).map((r) => ({ item: r.id, worker: 'ann', label: r.intent })));
    await t.ws.retraining.setPolicy('test', policy('labelled', { training: { dataset: 'tickets', labeling_projects: ['small-intents', 'empty-project'], settings } }));
    await t.ws.labeling.createProject({ name: 'empty-project', dataset: 'small@1', labels: [...SUPPORT_INTENTS], idColumn: 'id', showColumns: ['text'], actor: 'test' });
    const run = await t.ws.retraining.run({ key: 'labelled-1', model: 'labelled', actor: 'test' });
    const data = run.steps.find((s) => s.step === 'training_data')!;
    expect(data.details).toMatchObject({ review_answers: 0, labeling: { 'small-intents': 20, 'empty-project': 0 } });
    expect(data.reason).toMatch(/plus 20 labels of project small-intents .*project empty-project: /);
    const derived = await t.ws.datasets.show(data.details['dataset'] as string);
    expect(derived.rowCount).toBe(1220);
    expect(derived.schema.map((c) => c.name)).toEqual(expect.arrayContaining(['intent', 'text']));
    expect(run.state).toBe('promoted');
  }, 120_000);

  it('records a failing gate and promotes nothing', async () => {
    const champion = await weakChampion('strict');
    await t.ws.retraining.setPolicy('test', policy('strict', { gate: { name: 'perfect', rules: [{ metric: 'accuracy', min: 0.999 }] } }));
    const run = await t.ws.retraining.run({ key: 'strict-1', model: 'strict', actor: 'test' });
    expect(run.state).toBe('gate_failed');
    expect(run.reason).toMatch(/gate 'perfect' failed: .*accuracy/);
    expect(run.steps.find((s) => s.step === 'gate')!.status).toBe('failed');
    expect(run.steps.find((s) => s.step === 'promote')!.status).toBe('skipped');
    expect((await t.ws.registry.getModel('strict')).aliases['champion']).toBe(champion);
  }, 120_000);

  it('a retried run (failed after training) resumes and makes one version', async () => {
    await weakChampion('retried');
    await t.ws.retraining.setPolicy('test', policy('retried'));
    let fail = true;
    const flaky = new Proxy(t.ws.registry, {
      get(target, prop, receiver) {
        if (prop === 'recordEvaluation' && fail) {
          return () => {
            fail = false;
            return Promise.reject(new Error('database went away'));
          };
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }) as RegistryService;
    const service = new RetrainingService(new SqlRetrainingStore(t.ws.backend.db), { datasets: t.ws.datasets, registry: flaky, serving: t.ws.serving, jobs: t.ws.jobs, monitoring: t.ws.monitoring, labeling: t.ws.labeling });
    await expect(service.run({ key: 'retried-1', model: 'retried', actor: 'test' })).rejects.toThrow('database went away');
    const failed = (await service.listRuns({ model: 'retried' }))[0]!;
    expect(failed.state).toBe('failed');
    expect(failed.steps.find((s) => s.step === 'evaluate')!.status).toBe('failed');
    const before = (await t.ws.registry.listVersions('retried')).length;
    const run = await service.run({ key: 'retried-1', model: 'retried', actor: 'test' });
    expect(run.id).toBe(failed.id);
    expect(run.state).toBe('promoted');
    expect((await t.ws.registry.listVersions('retried')).length).toBe(before);
    // A finished run is returned as it is.
    expect((await service.run({ key: 'retried-1', model: 'retried', actor: 'test' })).steps).toEqual(run.steps);
    expect((await t.ws.registry.listVersions('retried')).length).toBe(before);
  }, 120_000);

  it('waits for approval; approve promotes, reject records, late approvals are refused', async () => {
    const champion = await weakChampion('gated');
    await t.ws.retraining.setPolicy('test', policy('gated', { promotion: 'approval', approval: { expires_in_hours: 24 } }));
    const run = await t.ws.retraining.run({ key: 'gated-1', model: 'gated', actor: 'test' });
    expect(run.state).toBe('awaiting_approval');
    expect((await t.ws.registry.getModel('gated')).aliases['champion']).toBe(champion);
    const [pending] = (await t.ws.retraining.listApprovals({ status: 'pending' })).filter((a) => a.model === 'gated');
    expect(pending!.runId).toBe(run.id);
    expect(Date.parse(pending!.expiresAt) - Date.parse(pending!.createdAt)).toBe(24 * 3_600_000);
    expect(await code(t.ws.retraining.approve('boss', pending!.id, ' '))).toBe('INVALID_ARGUMENT');
    const { approval, move } = await t.ws.retraining.approve('boss', pending!.id, 'numbers look right');
    expect(approval.status).toBe('approved');
    expect(approval.decidedBy).toBe('boss');
    expect(move.toVersion).toBe(pending!.version);
    expect(move.actor).toBe('boss');
    expect((await t.ws.retraining.getRun(run.id)).state).toBe('promoted');
    expect(await code(t.ws.retraining.reject('boss', pending!.id, 'too late'))).toBe('FAILED_PRECONDITION');

    // Reject: nothing moves. (The weak champion comes back first, so the next challenger gates past it.)
    await t.ws.retraining.rollback('boss', 'gated@champion', 'compare the next challenger with the first model');
    const second = await t.ws.retraining.run({ key: 'gated-2', model: 'gated', actor: 'test' });
    const a2 = (await t.ws.retraining.listApprovals({ status: 'pending' })).find((a) => a.runId === second.id)!;
    const rejected = await t.ws.retraining.reject('boss', a2.id, 'not this month');
    expect(rejected.status).toBe('rejected');
    expect((await t.ws.retraining.getRun(second.id)).state).toBe('rejected');
    expect(second.state).toBe('awaiting_approval');
    expect((await t.ws.registry.getModel('gated')).aliases['champion']).toBe(champion);
    // Both decisions are in the workspace's audit log, newest first: who, when, what, the comment.
    const log = await t.ws.auth.audit(localPrincipal(), { target: 'model:gated' });
    // Policy changes are there too (policy.set, with the policy as set).
    expect(log.find((e) => e.action === 'policy.set')?.details['policy']).toMatchObject({ model: 'gated' });
    const audit = log.filter((e) => e.action.startsWith('approval.'));
    expect(audit.map((e) => [e.action, e.actor, e.details['approval'], e.details['comment']])).toEqual([
      ['approval.reject', 'boss', a2.id, 'not this month'],
      ['approval.approve', 'boss', pending!.id, 'numbers look right'],
    ]);
    expect(audit[1]!.at).toBe(approval.decidedAt);
    expect(audit[1]!.details).toMatchObject({ run: run.id, version: pending!.version });

    // Expiry: a service whose clock is two days on refuses the approval and marks it expired.
    const third = await t.ws.retraining.run({ key: 'gated-3', model: 'gated', actor: 'test' });
    const a3 = (await t.ws.retraining.listApprovals({ status: 'pending' })).find((a) => a.runId === third.id)!;
    const later = new RetrainingService(new SqlRetrainingStore(t.ws.backend.db), { datasets: t.ws.datasets, registry: t.ws.registry, serving: t.ws.serving, jobs: t.ws.jobs, monitoring: t.ws.monitoring, labeling: t.ws.labeling }, { clock: () => new Date(Date.now() + 48 * 3_600_000), audit: (e) => t.ws.auth.recordAudit(e) });
    expect(await code(later.approve('boss', a3.id, 'ok'))).toBe('FAILED_PRECONDITION');
    expect((await later.listApprovals()).find((a) => a.id === a3.id)!.status).toBe('expired');
    expect((await later.getRun(third.id)).state).toBe('expired');
    expect((await t.ws.auth.audit(localPrincipal(), { target: 'model:gated', limit: 1 }))[0]).toMatchObject({ action: 'approval.expire', actor: 'system', details: { approval: a3.id } });
    expect((await t.ws.registry.getModel('gated')).aliases['champion']).toBe(champion);
  }, 180_000);

  it('runs as a job on a worker: the job result names the run, and its log holds the steps', async () => {
    await weakChampion('queued');
    await t.ws.retraining.setPolicy('test', policy('queued', { evaluation: { holdout: { by: 'time', fraction: 0.2, seed: 3 } } }));
    const { job } = await t.ws.jobs.enqueue('test', { type: 'retrain', payload: { model: 'queued' }, key: 'queued-monthly-1' });
    const worker = new JobWorker(t.ws.jobs, { leaseMs: 30_000, pollMs: 10, types: ['retrain'] });
    // The queue also holds the job of the first test, whose run already finished: it returns that run.
    const reports = [];
    for (let r = await worker.runOnce(); r !== undefined; r = await worker.runOnce()) reports.push(r);
    expect(reports.map((r) => r.outcome)).toEqual(reports.map(() => 'succeeded'));
    const shown = await t.ws.jobs.show(job.id);
    expect(shown.job.state).toBe('succeeded');
    const result = shown.job.result as { id: string; state: string; challenger: string };
    expect(result.state).toBe('promoted');
    const run = await t.ws.retraining.getRun(result.id);
    expect(run.runKey).toBe('queued-monthly-1');
    expect((run.steps.find((s) => s.step === 'evaluation_data')!.details as { holdout: string }).holdout).toMatch(/^tickets-holdout@\d+$/);
    expect(shown.logs.map((l) => l.message).join('\n')).toContain('gate: gate');
    // The same key enqueued again is the same job: no second run.
    expect((await t.ws.jobs.enqueue('test', { type: 'retrain', payload: { model: 'queued' }, key: 'queued-monthly-1' })).created).toBe(false);
  }, 120_000);

  it('fails a run without a policy as NOT_FOUND', async () => {
    expect(await code(t.ws.retraining.run({ key: 'none', model: 'nobody', actor: 'test' }))).toBe('NOT_FOUND');
  });
});

describe('rollback', () => {
  it('moves the alias back to its previous version, recorded in the history', async () => {
    const champion = (await t.ws.registry.getModel('support')).aliases['champion']!;
    const move = await t.ws.retraining.rollback('ops', 'support@champion', 'error rate doubled');
    expect(move.fromVersion).toBe(champion);
    expect(move.toVersion).toBe(champion - 1);
    expect(move.reason).toBe('rollback: error rate doubled');
    expect((await t.ws.registry.history('support', 'champion')).at(-1)!.actor).toBe('ops');
    expect(await code(t.ws.retraining.rollback('ops', 'support@champion', ''))).toBe('INVALID_ARGUMENT');
    expect(await code(t.ws.retraining.rollback('ops', 'support', 'x'))).toBe('INVALID_ARGUMENT');
  });

  it('refuses when the alias has no previous version', async () => {
    const r = await trainModel({ datasets: t.ws.datasets, registry: t.ws.registry }, { dataset: 'small@1', name: 'lonely', ...settings, actor: 'test' });
    await t.ws.registry.setAlias('test', 'lonely', 'champion', r.version.version, 'first');
    expect(await code(t.ws.retraining.rollback('ops', 'lonely@champion', 'why not'))).toBe('FAILED_PRECONDITION');
  }, 60_000);
});
