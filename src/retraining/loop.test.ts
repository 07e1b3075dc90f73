/**
 * The lifecycle loop on one workspace with a movable clock: default schedules, triggers and their
 * recorded decisions, the shadow period's agreement report, the watch period's automatic rollback,
 * and an approval that never comes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPrincipal } from '../auth/index.js';
import { generateSupportRequests, supportRequestsToCsv } from '../demo/index.js';
import type { PredictionRecord } from '../serving/index.js';
import { trainModel } from '../training/index.js';
import { openWorkspace, type Workspace } from '../workspace/index.js';
import { tempWorkspace, type TempWorkspace } from '../workspace/test-support/temp-workspace.js';
import { agreementReport, parsePolicy, RetrainingService, SqlRetrainingStore, watchReport } from './index.js';

let t: TempWorkspace;
let ws: Workspace;
let now = Date.parse('2026-12-01T00:00:00Z');
const HOUR = 3_600_000;
const settings = { label: 'intent', text: 'text', seed: 1 };
const policy = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  training: { dataset: 'tickets', settings },
  evaluation: { dataset: 'later@1' },
  gate: { name: 'sane', rules: [{ metric: 'accuracy', min: 0.3 }] },
  promotion: 'auto',
  ...extra,
});

async function champion(model: string): Promise<number> {
  const r = await trainModel({ datasets: ws.datasets, registry: ws.registry }, { dataset: 'small@1', name: model, ...settings, actor: 'test' });
  await ws.registry.setAlias('test', model, 'champion', r.version.version, 'first model');
  return r.version.version;
}

let seq = 0;
function prediction(model: string, version: number, extra: Partial<PredictionRecord> = {}): PredictionRecord {
  seq++;
  return {
    id: `prd_t${seq}`,
    at: new Date(now).toISOString(),
    deployment: model,
    model,
    version,
    role: 'primary',
    primaryId: null,
    requestId: null,
    inputs: { text: `where is my order ${seq}` },
    outputs: {},
    label: 'order_status',
    confidence: 0.9,
    decision: 'auto',
    latencyMs: 1,
    redacted: false,
    ...extra,
  };
}

beforeAll(async () => {
  t = await tempWorkspace();
  ws = await openWorkspace({ workspace: t.dir, env: {}, clock: () => new Date(now) });
  const write = async (name: string, count: number, seed: number) => {
    const file = join(t.dir, `${name}.csv`);
    writeFileSync(file, supportRequestsToCsv(generateSupportRequests({ count, seed, launch: false })));
    await ws.datasets.importFile({ file, name, actor: 'test', roles: { text: ['text'], label: ['intent'] } });
  };
  await write('tickets', 800, 3);
  await write('later', 300, 4);
  await write('small', 60, 5);
}, 120_000);
afterAll(async () => {
  await ws.close();
  await t.cleanup();
});

describe('loop settings in the policy', () => {
  it('defaults to a daily monitoring run and a monthly retraining check that retrains; lists every bad setting', () => {
    const ok = parsePolicy(policy('m')).policy!;
    expect(ok.loop.schedules).toEqual({ monitoring: '0 2 * * *', retrainingCheck: '0 3 1 * *', timezone: 'UTC' });
    expect(ok.loop.triggers).toMatchObject({ schedule: true, drift: null, performance: null, newLabels: null, cooldownHours: 24 });
    const full = parsePolicy(policy('m', { triggers: { drift: true, performance: { min: 0.8 }, new_labels: { min: 100, projects: ['p'] } }, shadow: { requests: 50 }, watch: { max_error_rate: 0.2 } })).policy!;
    expect(full.loop.triggers.drift).toEqual({ metric: 'drift.count', op: '>=', threshold: 1, consecutive: 1, window: '7d' });
    expect(full.loop.triggers.performance).toEqual({ metric: 'estimated_accuracy', min: 0.8, window: '7d', minPredictions: 30 });
    expect(full.loop.shadow).toEqual({ requests: 50, minAgreement: null });
    expect(full.loop.watch).toMatchObject({ hours: 72, maxErrorRate: 0.2, maxReviewShare: null });
    const bad = parsePolicy(policy('m', { triggers: { drift: { metric: 'nope' }, performance: { metric: 'f1' }, new_labels: {}, when: 1 }, schedules: { monitoring: 'often' }, shadow: { requests: 0 }, watch: {} }));
    expect(bad.policy).toBeNull();
    expect(bad.issues.map((i) => i.path).sort()).toEqual([
      'schedules.monitoring',
      'shadow.requests',
      'triggers.drift.metric',
      'triggers.new_labels.min',
      'triggers.performance.metric',
      'triggers.performance.min',
      'triggers.when',
      'watch',
    ]);
  });

  it('refuses an unknown time zone before the policy or its schedules are stored, and still checks the crons', async () => {
    const bad = parsePolicy(policy('m', { schedules: { monitoring: 'often', timezone: 'Mars/Base' } }));
    expect(bad.policy).toBeNull();
    expect(bad.issues).toEqual([
      expect.objectContaining({ path: 'schedules.timezone', code: 'invalid_value', message: expect.stringContaining("unknown time zone 'Mars/Base'") }),
      expect.objectContaining({ path: 'schedules.monitoring', message: expect.stringContaining("invalid cron expression 'often'") }),
    ]);
    expect(parsePolicy(policy('m', { schedules: { timezone: 'Europe/Berlin' } })).policy!.loop.schedules.timezone).toBe('Europe/Berlin');
    await expect(ws.retraining.setPolicy('test', policy('tzbad', { schedules: { monitoring: '0 2 * * *', retraining_check: false, timezone: 'Mars/Base' } }))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { issues: [expect.objectContaining({ path: 'schedules.timezone' })] },
    });
    await expect(ws.retraining.getPolicy('tzbad')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await ws.jobs.listSchedules()).filter((s) => s.name.startsWith('tzbad.'))).toEqual([]);
  });

  it('setting a policy creates the model schedules; schedules: false removes them; a drift trigger adds its alert rule on the champion', async () => {
    await champion('sched');
    await ws.retraining.setPolicy('test', policy('sched', { triggers: { drift: { threshold: 2 } } }));
    const mine = (await ws.jobs.listSchedules()).filter((s) => s.name.startsWith('sched.'));
    expect(mine.map((s) => [s.name, s.cron, s.jobType])).toEqual([
      ['sched.monitor', '0 2 * * *', 'monitor'],
      ['sched.retrain-check', '0 3 1 * *', 'retrain-check'],
    ]);
    expect((await ws.monitoring.listRules()).find((r) => r.name === 'sched.drift')).toMatchObject({ model: 'sched@champion', metric: 'drift.count', op: '>=', threshold: 2 });
    // Setting it again changes nothing; a new cron replaces the schedule.
    await ws.retraining.setPolicy('test', policy('sched', { triggers: { drift: { threshold: 2 } }, schedules: { monitoring: '0 */6 * * *' } }));
    expect((await ws.jobs.getSchedule('sched.monitor')).cron).toBe('0 */6 * * *');
    await ws.retraining.setPolicy('test', policy('sched', { schedules: false }));
    expect((await ws.jobs.listSchedules()).filter((s) => s.name.startsWith('sched.'))).toEqual([]);
    expect((await ws.monitoring.listRules()).find((r) => r.name === 'sched.drift')).toBeUndefined();
  }, 60_000);

  it('removing a policy removes its schedules and drift rule, and is audited; the model must exist to get one', async () => {
    await champion('gone');
    await ws.retraining.setPolicy('test', policy('gone', { triggers: { drift: true } }));
    expect((await ws.jobs.listSchedules()).filter((s) => s.name.startsWith('gone.'))).toHaveLength(2);
    expect((await ws.monitoring.listRules()).find((r) => r.name === 'gone.drift')).toBeDefined();
    expect((await ws.retraining.removePolicy('test', 'gone')).model).toBe('gone');
    await expect(ws.retraining.getPolicy('gone')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await ws.jobs.listSchedules()).filter((s) => s.name.startsWith('gone.'))).toEqual([]);
    expect((await ws.monitoring.listRules()).find((r) => r.name === 'gone.drift')).toBeUndefined();
    expect((await ws.auth.audit(localPrincipal(), { target: 'model:gone', limit: 1 }))[0]).toMatchObject({ action: 'policy.remove', actor: 'test', details: { policy: expect.objectContaining({ model: 'gone' }) } });
    await expect(ws.retraining.removePolicy('test', 'gone')).rejects.toMatchObject({ code: 'NOT_FOUND', message: "retraining policy 'gone' not found" });
    await expect(ws.retraining.setPolicy('test', policy('never-trained'))).rejects.toMatchObject({ code: 'NOT_FOUND', message: "model 'never-trained' not found" });
    // A drift trigger on a feature the model does not have: refused before anything is stored.
    await expect(ws.retraining.setPolicy('test', policy('gone', { triggers: { drift: { metric: 'drift.txet' } } }))).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining(':txet') });
    await expect(ws.retraining.getPolicy('gone')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await ws.retraining.setPolicy('test', policy('gone', { schedules: false, triggers: { drift: { metric: 'drift.text' } } }))).loop.triggers.drift?.metric).toBe('drift.text');
    await ws.retraining.removePolicy('test', 'gone');
    await expect(ws.retraining.getPolicy('never-trained')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await ws.jobs.listSchedules()).filter((s) => s.name.startsWith('never-trained.'))).toEqual([]);
  }, 60_000);
});

describe('decisions', () => {
  it('records why it does or does not retrain; the schedule trigger queues one retrain job per check key', async () => {
    await champion('dec');
    await ws.retraining.setPolicy('test', policy('dec', { schedules: false }));
    const manual = await ws.retraining.check('test', { model: 'dec', source: 'manual' });
    expect(manual).toMatchObject({ retrain: false, jobId: null, source: 'manual' });
    expect(manual.reason).toMatch(/^no trigger fired: schedule: only a scheduled check retrains/);
    expect(manual.triggers.map((x) => [x.trigger, x.enabled, x.fired])).toEqual([
      ['schedule', true, false],
      ['drift', false, false],
      ['performance', false, false],
      ['new_labels', false, false],
    ]);
    const due = await ws.retraining.check('test', { model: 'dec', source: 'schedule', key: 'schedule:dec.retrain-check:2026-12-01T03:00:00.000Z' });
    expect(due.retrain).toBe(true);
    expect(due.reason).toMatch(/^retrain: schedule: the scheduled retraining check is due/);
    const job = await ws.jobs.get(due.jobId!);
    expect(job).toMatchObject({ type: 'retrain', key: `retrain:${due.key}`, payload: { model: 'dec', decision: due.id } });
    // The same check again (a retried job) is the same decision and the same job.
    expect(await ws.retraining.check('test', { model: 'dec', source: 'schedule', key: due.key })).toEqual(due);
    // Another check while the job waits is held back, and says so.
    const held = await ws.retraining.check('test', { model: 'dec', source: 'schedule', key: 'k2' });
    expect(held.retrain).toBe(false);
    expect(held.reason).toContain(`held back: retrain job ${job.id} is queued`);
    // The run's first step says which decision started it.
    const run = await ws.retraining.run({ key: job.key, model: 'dec', actor: 'test', decision: due.id });
    expect(run.steps[0]).toMatchObject({ step: 'trigger', status: 'done' });
    expect(run.steps[0]!.reason).toContain(`schedule check ${due.id}`);
    await ws.jobs.cancel('test', job.id); // ran here instead of on a worker
    // Within the cool-down the next due check does not retrain.
    const cool = await ws.retraining.check('test', { model: 'dec', source: 'schedule', key: 'k3' });
    expect(cool.reason).toMatch(/within the 24h cool-down/);
    const listed = await ws.retraining.listDecisions({ model: 'dec' });
    expect(listed.map((d) => d.id)).toEqual(expect.arrayContaining([manual.id, due.id, held.id, cool.id]));
    expect(await ws.retraining.listDecisions({ model: 'dec', retrain: true })).toHaveLength(1);
  }, 120_000);

  it('a check that loses the database between recording its decision and queueing the run resumes on retry: one decision, one retrain job', async () => {
    await champion('flaky');
    await ws.retraining.setPolicy('test', policy('flaky', { schedules: false }));
    let down = true;
    const jobs = new Proxy(ws.jobs, {
      get(target, prop, receiver) {
        if (prop === 'enqueue' && down) {
          return () => {
            down = false;
            return Promise.reject(new Error('connection terminated unexpectedly'));
          };
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const service = new RetrainingService(new SqlRetrainingStore(ws.backend.db), { datasets: ws.datasets, registry: ws.registry, serving: ws.serving, jobs, monitoring: ws.monitoring, labeling: ws.labeling }, { clock: () => new Date(now) });
    const key = 'schedule:flaky.retrain-check:2027-01-01T03:00:00.000Z';
    await expect(service.check('test', { model: 'flaky', source: 'schedule', key })).rejects.toThrow('connection terminated');
    const recorded = (await service.listDecisions({ model: 'flaky' }))[0]!;
    expect(recorded).toMatchObject({ key, retrain: true, jobId: null });
    const retried = await service.check('test', { model: 'flaky', source: 'schedule', key });
    expect(retried.id).toBe(recorded.id);
    expect(retried.jobId).not.toBeNull();
    expect(await service.check('test', { model: 'flaky', source: 'schedule', key })).toEqual(retried);
    expect((await ws.jobs.list({ type: 'retrain' })).filter((j) => j.payload['model'] === 'flaky')).toHaveLength(1);
    expect(await service.listDecisions({ model: 'flaky' })).toHaveLength(1);
  }, 60_000);

  it('a firing drift alert, an accuracy below the floor and enough new labels each fire, with their numbers', async () => {
    const v = await champion('trig');
    await ws.retraining.setPolicy('test', policy('trig', { schedules: false, triggers: { schedule: false, drift: true, performance: { metric: 'realized_accuracy', min: 0.8, min_predictions: 20 }, new_labels: { min: 5 } } }));
    const rule = (await ws.monitoring.listRules()).find((r) => r.name === 'trig.drift')!;
    const quiet = await ws.retraining.check('test', { model: 'trig', source: 'monitoring' });
    expect(quiet.retrain).toBe(false);
    expect(quiet.triggers.find((x) => x.trigger === 'drift')!.reason).toContain('no drift alert firing');
    expect(quiet.triggers.find((x) => x.trigger === 'new_labels')!.values).toMatchObject({ total: 0, min: 5 });

    // Later: 30 predictions of the champion, 12 of them right (40%), 6 of them routed to review and answered.
    now += 60_000;
    const at = new Date(now).toISOString();
    const records = Array.from({ length: 30 }, (_, i) => prediction('trig', v, { decision: i < 6 ? 'review' : 'auto' }));
    await ws.serving.store.insertPredictions(records);
    for (const [i, r] of records.entries()) {
      if (i < 6) await ws.serving.answerReview('ann', r.id, 'refund_request');
      else await ws.serving.store.addTruth({ predictionId: r.id, label: i < 18 ? 'order_status' : 'refund_request', source: 'feedback', actor: 'test', at });
    }
    await ws.monitoring.store.upsertAlert({
      id: 'alt_t1', ruleId: rule.id, ruleName: rule.name, model: 'trig@champion', metric: 'drift.count', dedupKey: `${rule.id}:w1`, status: 'firing',
      firstWindow: at, lastWindow: at, windows: 1, value: 3, threshold: 1, message: 'drift.count = 3 >= 1 in 1 consecutive 7d window(s)',
      createdAt: at, updatedAt: at, resolvedAt: null, delivery: 'none', deliveryError: null, deliveredAt: null,
    });
    const d = await ws.retraining.check('test', { model: 'trig', source: 'monitoring' });
    const by = Object.fromEntries(d.triggers.map((x) => [x.trigger, x]));
    expect(d.retrain).toBe(true);
    expect(by['drift']).toMatchObject({ fired: true, values: { alert: 'alt_t1', metric: 'drift.count', value: 3 } });
    expect(by['performance']).toMatchObject({ fired: true, values: { metric: 'realized_accuracy', value: 0.4, min: 0.8, labels: 30 } });
    expect(by['performance']!.reason).toMatch(/realized accuracy of trig@champion 40\.0% .* below the floor 80\.0%/);
    expect(by['new_labels']).toMatchObject({ fired: true, values: { total: 6, review_answers: 6 } });
    expect(d.reason).toMatch(/^retrain: drift: .*; performance: .*; new_labels: /);
    expect(d.jobId).not.toBeNull();
  }, 120_000);
});

describe('shadow, watch and rollback', () => {
  async function shadowPairs(model: string, champ: number, challenger: number, n: number, disagree: number) {
    const recs: PredictionRecord[] = [];
    for (let i = 0; i < n; i++) {
      const p = prediction(model, champ);
      recs.push(p, prediction(model, challenger, { role: 'shadow', primaryId: p.id, label: i < disagree ? 'refund_request' : 'order_status' }));
    }
    await ws.serving.store.insertPredictions(recs);
  }

  it('the challenger shadows the deployment, its agreement report is recorded, it is promoted and watched; a crossed error-rate limit rolls it back in the alias history', async () => {
    const old = await champion('live');
    await ws.serving.deploy('test', 'live@champion');
    await ws.retraining.setPolicy('test', policy('live', { schedules: false, shadow: { requests: 20, min_agreement: 0.7 }, watch: { hours: 24, max_error_rate: 0.3, min_predictions: 10 } }));
    const run = await ws.retraining.run({ key: 'live-1', model: 'live', actor: 'test' });
    expect(run.state).toBe('shadowing');
    const version = Number(run.challenger!.split('@')[1]);
    expect((await ws.serving.getDeployment('live')).shadowRef).toBe(`live@${version}`);
    expect((await ws.registry.getModel('live')).aliases['champion']).toBe(old);

    await shadowPairs('live', old, version, 10, 1);
    expect(await ws.retraining.advance('test', { model: 'live' })).toEqual([]);
    expect((await ws.retraining.getRun(run.id)).steps.find((s) => s.step === 'shadow')!.reason).toMatch(/^10 of 20 shadowed requests so far/);
    await shadowPairs('live', old, version, 12, 2);
    const [shadowed] = await ws.retraining.advance('test', { model: 'live' });
    const step = shadowed!.steps.find((s) => s.step === 'shadow')!;
    expect(step.status).toBe('done');
    expect(step.reason).toBe('challenger and champion agreed on 86.4% of 22 shadowed requests');
    expect(step.details['report']).toMatchObject({ requests: 22, disagreements: [{ champion: 'order_status', challenger: 'refund_request', count: 3 }] });
    expect(shadowed!.state).toBe('watching');
    expect((await ws.serving.getDeployment('live')).shadowRef).toBeNull();
    const promoted = (await ws.registry.history('live', 'champion')).at(-1)!;
    expect(promoted.toVersion).toBe(version);
    expect(promoted.evidence['shadow']).toMatchObject({ requests: 22 });

    // Watch: 12 labelled predictions of the new champion, 6 wrong (50% > 30%).
    now += HOUR;
    const recs = Array.from({ length: 12 }, () => prediction('live', version));
    await ws.serving.store.insertPredictions(recs);
    for (const [i, r] of recs.entries()) await ws.serving.store.addTruth({ predictionId: r.id, label: i < 6 ? 'refund_request' : 'order_status', source: 'feedback', actor: 'test', at: r.at });
    // Two processes moving the run on at once roll back once.
    const movedOn = (await Promise.all([ws.retraining.advance('test', { model: 'live' }), ws.retraining.advance('test', { model: 'live' })])).flat();
    expect(movedOn).toHaveLength(1);
    const rolled = movedOn[0];
    expect(rolled!.state).toBe('rolled_back');
    expect((await ws.registry.history('live', 'champion')).filter((m) => m.reason.startsWith('rollback:'))).toHaveLength(1);
    expect(rolled!.steps.find((s) => s.step === 'watch')).toMatchObject({ status: 'failed' });
    expect((await ws.registry.getModel('live')).aliases['champion']).toBe(old);
    const back = (await ws.registry.history('live', 'champion')).at(-1)!;
    expect(back).toMatchObject({ fromVersion: version, toVersion: old, actor: 'system' });
    expect(back.reason).toMatch(new RegExp(`^rollback: watch of run ${run.id}: error rate 50\\.0% > 30\\.0% on 12 labelled predictions within 24h`));
  }, 120_000);

  it('a watch with no limit crossed ends when its period does; a shadow below the agreement floor promotes nothing', async () => {
    const old = await champion('calm');
    await ws.serving.deploy('test', 'calm@champion');
    await ws.retraining.setPolicy('test', policy('calm', { schedules: false, watch: { hours: 2, max_review_share: 0.5, min_predictions: 5 } }));
    const run = await ws.retraining.run({ key: 'calm-1', model: 'calm', actor: 'test' });
    expect(run.state).toBe('watching');
    const version = Number(run.challenger!.split('@')[1]);
    await ws.serving.store.insertPredictions(Array.from({ length: 8 }, (_, i) => prediction('calm', version, { decision: i < 2 ? 'review' : 'auto' })));
    expect(await ws.retraining.advance('test', { model: 'calm' })).toEqual([]);
    now += 3 * HOUR;
    const [done] = await ws.retraining.advance('test', { model: 'calm' });
    expect(done!.state).toBe('promoted');
    expect(done!.steps.find((s) => s.step === 'watch')!.reason).toMatch(/^no limit crossed by .*: 8 predictions \(0 labelled\): error rate -, review share 25\.0%/);
    expect((await ws.registry.getModel('calm')).aliases['champion']).toBe(version);

    // A shadow whose deployment was redeployed without it cannot complete: it fails, nothing is promoted.
    await ws.retraining.setPolicy('test', policy('calm', { schedules: false, shadow: { requests: 10 } }));
    const orphan = await ws.retraining.run({ key: 'calm-orphan', model: 'calm', actor: 'test' });
    expect(orphan.state).toBe('shadowing');
    await ws.serving.deploy('test', 'calm@champion');
    const [ended] = await ws.retraining.advance('test', { model: 'calm' });
    expect(ended).toMatchObject({ id: orphan.id, state: 'shadow_failed' });
    expect((await ws.registry.getModel('calm')).aliases['champion']).toBe(version);

    await ws.retraining.setPolicy('test', policy('calm', { schedules: false, shadow: { requests: 10, min_agreement: 0.9 } }));
    const second = await ws.retraining.run({ key: 'calm-2', model: 'calm', actor: 'test' });
    const challenger = Number(second.challenger!.split('@')[1]);
    await shadowPairs('calm', version, challenger, 10, 5);
    const [failed] = await ws.retraining.advance('test', { model: 'calm' });
    expect(failed!.state).toBe('shadow_failed');
    expect(failed!.reason).toMatch(/agreed on 50\.0% of 10 shadowed requests, below the policy's 90\.0%; nothing promoted/);
    expect((await ws.registry.getModel('calm')).aliases['champion']).toBe(version);
    expect(old).not.toBe(version);
  }, 120_000);

  it('an approval that never comes: the run waits visibly, and the monitoring run expires it by policy', async () => {
    await champion('late');
    await ws.retraining.setPolicy('test', policy('late', { schedules: false, promotion: 'approval', approval: { expires_in_hours: 48 } }));
    const run = await ws.retraining.run({ key: 'late-1', model: 'late', actor: 'test' });
    expect(run.state).toBe('awaiting_approval');
    now += 24 * HOUR;
    await ws.retraining.advance('system', { model: 'late' });
    expect((await ws.retraining.getRun(run.id)).state).toBe('awaiting_approval');
    now += 25 * HOUR;
    const monitored = await ws.retraining.monitor('system', 'late', 'monitor-late-1');
    expect(monitored.decision.model).toBe('late');
    const after = await ws.retraining.getRun(run.id);
    expect(after.state).toBe('expired');
    expect(after.steps.find((s) => s.step === 'approval')).toMatchObject({ status: 'failed' });
  }, 120_000);
});

describe('reports', () => {
  it('agreement pairs shadow and primary predictions; the watch counts only the version inside its period', () => {
    const p = (id: string, extra: Partial<PredictionRecord> & { truth?: string }) => ({ ...prediction('r', 1, { id, ...extra }), truth: extra.truth ? { predictionId: id, label: extra.truth, source: 'feedback' as const, actor: 'a', at: '' } : null });
    const log = [
      p('a', { label: 'x', truth: 'x' }),
      p('b', { label: 'x' }),
      p('sa', { role: 'shadow', version: 2, primaryId: 'a', label: 'y' }),
      p('sb', { role: 'shadow', version: 2, primaryId: 'b', label: 'x' }),
      p('sc', { role: 'shadow', version: 2, primaryId: 'missing', label: 'x' }),
    ];
    expect(agreementReport(log, { version: 2 })).toEqual({ requests: 2, agreement: 0.5, disagreements: [{ champion: 'x', challenger: 'y', count: 1 }], labelled: 1, championAccuracy: 1, challengerAccuracy: 0 });
    expect(agreementReport(log, { version: 3 }).agreement).toBeNull();
    expect(watchReport(log, { version: 1, until: '9999' })).toEqual({ predictions: 2, labelled: 1, errorRate: 0, reviewShare: 0 });
    expect(watchReport(log, { version: 1, until: '' }).predictions).toBe(0);
  });
});
