/**
 * The demo's lifecycle loop, on the embedded default with a movable clock: a retraining policy
 * with its schedules, the daily monitoring run finding drift and recording why it retrains, people
 * answering the review queue, the retrain job (old data plus reviewed answers, gated past the
 * champion), a shadow period with its agreement report, a person's approval, the watch period
 * with accuracy recovering, and a second run left waiting for approval.
 */
import { redactText } from '../datasets/index.js';
import { JobWorker, Scheduler, type Job } from '../jobs/index.js';
import type { Decision, RetrainingRun } from '../retraining/index.js';
import type { ServingRuntime } from '../serving/index.js';
import { openWorkspace, type Workspace } from '../workspace/index.js';
import { generateSupportRequests, type SupportRequest } from './support-requests.js';

const HOUR = 3_600_000;
const pct = (v: number | null | undefined) => (v === null || v === undefined ? '-' : `${(v * 100).toFixed(1)}%`);

/**
 * The replayed months of traffic end on a Monday (so the last weekly window is full) six weeks or
 * more from now — the serving step's live requests fall in the middle, not in the last windows the
 * monitoring run judges — and away from the 1st of a month, so the monthly retraining check stays
 * quiet during the demo's week.
 */
export function replayPeriod(now: Date, months = 3): { start: string; end: string } {
  let end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 42);
  for (;;) {
    const d = new Date(end);
    if (d.getUTCDay() === 1 && d.getUTCDate() >= 2 && d.getUTCDate() <= 20) break;
    end += 86_400_000;
  }
  const e = new Date(end);
  const start = Date.UTC(e.getUTCFullYear(), e.getUTCMonth() - months, e.getUTCDate());
  return { start: new Date(start).toISOString(), end: e.toISOString() };
}

/** What one demo step reports. */
export interface LoopStepResult {
  ok: boolean;
  summary: string;
  details: Record<string, unknown>;
}

export interface DemoLoopOptions {
  dir: string;
  env: NodeJS.ProcessEnv;
  model: string;
  /** Training data of the first model (the pre-launch training split). */
  trainRef: string;
  seed: number;
  actor: string;
  /** The replayed period of the monitoring step, to know the true intents of its review items. */
  monitoring: { start: string; end: string; months: number; count: number; launch: string; product: string; seed: number };
  /** The serving step's requests (also in the review queue). */
  served: readonly SupportRequest[];
}

/** Runs the loop step by step on its own handle of the workspace, whose clock the demo moves. */
export class DemoLoop {
  private now: number;
  private ws!: Workspace;
  private runtime: ServingRuntime | null = null;
  private readonly truth = new Map<string, string>();
  private decision: Decision | null = null;
  private run: RetrainingRun | null = null;
  private traffic = 0;

  constructor(private readonly o: DemoLoopOptions) {
    // The loop's days start when the replayed traffic ends.
    const m = o.monitoring;
    this.now = Date.parse(m.end);
    const replayed = generateSupportRequests({ seed: m.seed, count: m.count, start: m.start, months: m.months, launch: { at: m.launch, product: m.product } });
    for (const r of [...replayed, ...o.served]) {
      this.truth.set(r.text, r.intent);
      this.truth.set(redactText(r.text).text, r.intent);
    }
  }

  async open(): Promise<void> {
    this.ws = await openWorkspace({ workspace: this.o.dir, env: this.o.env, clock: () => new Date(this.now) });
  }

  async close(): Promise<void> {
    await this.ws?.close();
  }

  private at(): string {
    return new Date(this.now).toISOString();
  }

  /** Moves the clock to the next daily monitoring slot (02:00 UTC) and fires the due schedules. */
  private async nextMorning(): Promise<Job[]> {
    const d = new Date(this.now);
    this.now = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + (d.getUTCHours() >= 2 ? 1 : 0), 2, 0, 5);
    const firings = await new Scheduler(this.ws.jobs).tick();
    return firings.map((f) => f.job);
  }

  /** Runs queued jobs of these types on an in-process worker until none is left. */
  private async work(types: string[]): Promise<Job[]> {
    const worker = new JobWorker(this.ws.jobs, { leaseMs: 120_000, pollMs: 10, types });
    const done: Job[] = [];
    for (let r = await worker.runOnce(); r !== undefined; r = await worker.runOnce()) done.push(await this.ws.jobs.get(r.jobId));
    return done;
  }

  /** Sends post-launch requests through the serving runtime; ground truth arrives for all (people answer what is routed to them). */
  private async serve(count: number): Promise<{ requests: number; review: number; correct: number; answered: number }> {
    const runtime = (this.runtime ??= this.ws.serving.runtime());
    await runtime.start();
    await runtime.sync();
    const shadowed = (await this.ws.serving.getDeployment(this.o.model)).shadowRef !== null;
    const logged = runtime.log.snapshot();
    const expected = logged.written + logged.dropped + count * (shadowed ? 2 : 1);
    const rows = generateSupportRequests({ seed: this.o.seed + 10 + this.traffic++, count, start: '2026-10-01T00:00:00Z', months: 1, launch: { at: '2026-10-01T00:00:00Z', product: this.o.monitoring.product } });
    const served: Array<{ id: string; label: string | null; decision: string; intent: string }> = [];
    for (const r of rows) {
      const p = await runtime.predict(this.o.model, [{ text: r.text }]);
      const row = p.rows[0]!;
      served.push({ id: row.predictionId, label: row.label, decision: row.decision, intent: r.intent });
    }
    // Shadow predictions are logged after the answers: wait (a few seconds at most) until every one is written.
    for (let i = 0; i < 100; i++) {
      await runtime.log.flush();
      const stats = runtime.log.snapshot();
      if (stats.written + stats.dropped >= expected) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    let answered = 0;
    for (const s of served) {
      if (s.decision === 'review') {
        await this.ws.serving.answerReview('reviewer', s.id, s.intent);
        answered++;
      } else await this.ws.serving.feedback('support-desk', s.id, s.intent);
    }
    return { requests: served.length, review: served.filter((s) => s.decision === 'review').length, correct: served.filter((s) => s.label === s.intent).length, answered };
  }

  async policy(): Promise<LoopStepResult> {
    await this.open();
    // A small demo's first model may have missed the release gate: the loop needs a champion to improve on.
    const model = await this.ws.registry.getModel(this.o.model);
    let seeded: number | null = null;
    if (model.aliases['champion'] === undefined) {
      seeded = model.aliases['challenger'] ?? model.latestVersion;
      await this.ws.registry.setAlias(this.o.actor, this.o.model, 'champion', seeded, 'small demo: the release gate kept every version out; the served version is the champion the loop must beat');
      await this.ws.serving.deploy(this.o.actor, `${this.o.model}@champion`, { name: this.o.model });
    }
    const p = await this.ws.retraining.setPolicy(this.o.actor, {
      model: this.o.model,
      training: { dataset: this.o.trainRef, include_review_answers: true, settings: { label: 'intent', text: 'text', targetPrecision: 0.97, seed: this.o.seed } },
      evaluation: { holdout: { by: 'stratified', fraction: 0.2, seed: this.o.seed } },
      // Non-inferiority on the held-out mix of old data and reviewed answers: at most 2 points worse than the champion.
      gate: { name: 'retrain', rules: [{ metric: 'accuracy', min: 0.6 }, { metric: 'accuracy', beats_champion_by: -0.02 }] },
      promotion: 'approval',
      approval: { expires_in_hours: 168 },
      triggers: {
        schedule: true,
        drift: { metric: 'drift.count', op: '>=', threshold: 1, consecutive: 1, window: '7d' },
        performance: { metric: 'estimated_accuracy', min: 0.75, window: '7d' },
        new_labels: { min: 40 },
        cooldown_hours: 24,
      },
      shadow: { requests: 80, min_agreement: 0.5 },
      watch: { hours: 72, max_error_rate: 0.35, max_review_share: 0.8, min_predictions: 40 },
    });
    const schedules = (await this.ws.jobs.listSchedules()).filter((s) => s.name.startsWith(`${this.o.model}.`));
    const rule = (await this.ws.monitoring.listRules()).find((r) => r.name === `${this.o.model}.drift`);
    const t = p.loop.triggers;
    return {
      ok: schedules.length === 2 && rule !== undefined,
      summary:
        `set ${this.o.model}'s retraining policy on ${this.at().slice(0, 10)}: retrain on a drift alert (rule ${rule?.name}: ${t.drift!.metric} ${t.drift!.op} ${t.drift!.threshold} in a ${t.drift!.window} window), ` +
        `CBPE-estimated accuracy below ${pct(t.performance!.min)}, ${t.newLabels!.min} new labels, or the monthly check; schedules ${schedules.map((s) => `${s.name} (${s.cron})`).join(', ')}; ` +
        `a ${p.loop.shadow!.requests}-request shadow, approval by a person, and a ${p.loop.watch!.hours}h watch (error rate ≤ ${pct(p.loop.watch!.maxErrorRate)})` +
        (seeded === null ? '' : `; champion set to the served version ${seeded}`),
      details: { schedules: schedules.map((s) => ({ name: s.name, cron: s.cron, job_type: s.jobType, next: s.nextSlot })), drift_rule: rule ?? null, triggers: t },
    };
  }

  async monitoringRun(): Promise<LoopStepResult> {
    const fired = await this.nextMorning();
    const jobs = await this.work(['monitor']);
    const d = (await this.ws.retraining.listDecisions({ model: this.o.model, limit: 1 }))[0] ?? null;
    this.decision = d;
    const drift = d?.triggers.find((x) => x.trigger === 'drift');
    const perf = d?.triggers.find((x) => x.trigger === 'performance');
    return {
      ok: d !== null && jobs.every((j) => j.state === 'succeeded'),
      summary:
        `on ${this.at().slice(0, 16)} the schedule fired ${fired.map((j) => `${j.type} (${j.key})`).join(', ')}; ` +
        `decision ${d?.id}: ${d?.retrain ? 'RETRAIN' : 'no retraining'} — ${drift?.fired ? drift.reason : `drift: ${drift?.reason}`}; ${perf?.reason}` +
        `${d?.jobId ? `; queued retrain job ${d.jobId}` : ''}`,
      details: { fired: fired.map((j) => j.key), decision: d, jobs: jobs.map((j) => ({ id: j.id, type: j.type, state: j.state, result: j.result })) },
    };
  }

  async reviewAnswers(): Promise<LoopStepResult> {
    this.now += HOUR;
    // The newest requests first, and no more than a day's work for the team.
    const pending = (await this.ws.serving.listReview({ status: 'pending', limit: 10000 })).reverse().slice(0, 300);
    const waiting = (await this.ws.serving.listReview({ status: 'pending', limit: 10000 })).length;
    let answered = 0;
    const byIntent: Record<string, number> = {};
    for (const item of pending) {
      const text = item.inputs?.['text'];
      const intent = typeof text === 'string' ? this.truth.get(text) : undefined;
      if (intent === undefined) continue;
      await this.ws.serving.answerReview('reviewer', item.predictionId, intent);
      byIntent[intent] = (byIntent[intent] ?? 0) + 1;
      answered++;
    }
    const top = Object.entries(byIntent).sort((a, b) => b[1] - a[1]);
    return {
      ok: answered > 0,
      summary: `while the retrain job waited, reviewers answered ${answered} of the ${waiting} requests in the review queue, newest first (${byIntent['device_setup'] ?? 0} of them 'device_setup', the launch's new intent; most: ${top.slice(0, 3).map(([k, n]) => `${k} ${n}`).join(', ')})`,
      details: { pending: waiting, answered, by_intent: byIntent },
    };
  }

  async retrain(): Promise<LoopStepResult> {
    this.now += HOUR;
    const jobs = await this.work(['retrain']);
    const job = jobs[0];
    const runId = (job?.result as { id?: string } | undefined)?.id;
    this.run = runId === undefined ? null : await this.ws.retraining.getRun(runId);
    const r = this.run;
    const step = (name: string) => r?.steps.find((s) => s.step === name);
    const ev = step('evaluate')?.details as { challenger?: { metrics: Record<string, number> }; champion?: { metrics: Record<string, number> } | null } | undefined;
    return {
      ok: r !== null && ['shadowing', 'awaiting_approval', 'gate_failed'].includes(r.state),
      summary:
        `retrain job ${job?.id ?? '-'} ran ${r?.id ?? 'no run'} (${r?.state ?? '-'}): ${step('training_data')?.reason ?? '-'}; ${step('train')?.reason ?? '-'}; ` +
        `on the held-out mix the challenger is ${pct(ev?.challenger?.metrics['accuracy'])} accurate, the champion ${pct(ev?.champion?.metrics['accuracy'])}; ${step('gate')?.reason ?? '-'}; ${step('shadow')?.reason ?? step('promote')?.reason ?? ''}`,
      details: { run: r?.id ?? null, state: r?.state ?? null, steps: r?.steps.map((s) => ({ step: s.step, status: s.status, reason: s.reason })) ?? [] },
    };
  }

  async shadow(): Promise<LoopStepResult> {
    if (this.run?.state !== 'shadowing') return { ok: true, summary: `no shadow: the run is ${this.run?.state ?? 'missing'}`, details: {} };
    this.now += HOUR;
    const sent = await this.serve(this.run.policy.loop.shadow!.requests + 10);
    this.now += HOUR;
    await this.ws.retraining.advance(this.o.actor, { model: this.o.model });
    this.run = await this.ws.retraining.getRun(this.run.id);
    const s = this.run.steps.find((x) => x.step === 'shadow')!;
    const report = s.details['report'] as { disagreements?: Array<{ champion: string; challenger: string; count: number }> } | undefined;
    const top = report?.disagreements?.[0];
    return {
      ok: ['awaiting_approval', 'watching', 'shadow_failed'].includes(this.run.state),
      summary: `${sent.requests} post-launch requests went through the deployment, the challenger shadowing: ${s.reason}${top ? `; most frequent disagreement: champion '${top.champion}' → challenger '${top.challenger}' (${top.count})` : ''}; the run is ${this.run.state.replace('_', ' ')}`,
      details: { sent, shadow: s.details['report'] ?? null, state: this.run.state },
    };
  }

  async approve(): Promise<LoopStepResult> {
    if (this.run?.state !== 'awaiting_approval') return { ok: true, summary: `nothing to approve: the run is ${this.run?.state ?? 'missing'}`, details: {} };
    const approval = (await this.ws.retraining.listApprovals({ status: 'pending' })).find((a) => a.runId === this.run!.id)!;
    this.now += 2 * HOUR;
    const r = await this.ws.retraining.approve('support-lead', approval.id, "the shadow and the held-out mix agree: it answers the launch's device_setup requests; the champion cannot");
    this.run = await this.ws.retraining.getRun(this.run.id);
    return {
      ok: this.run.state === 'watching' || this.run.state === 'promoted',
      summary: `support-lead approved ${approval.id}: ${r.move.model}@champion ${r.move.fromVersion} → ${r.move.toVersion}; ${this.run.steps.find((s) => s.step === 'watch')?.reason ?? this.run.reason}`,
      details: { approval: approval.id, move: r.move, state: this.run.state },
    };
  }

  async watch(before: number | null): Promise<LoopStepResult> {
    if (this.run?.state !== 'watching') return { ok: true, summary: `no watch: the run is ${this.run?.state ?? 'missing'}`, details: {} };
    this.now += HOUR;
    const sent = await this.serve(120);
    this.now += 73 * HOUR;
    await this.ws.retraining.advance(this.o.actor, { model: this.o.model });
    this.run = await this.ws.retraining.getRun(this.run.id);
    const after = sent.correct / sent.requests;
    const w = this.run.steps.find((x) => x.step === 'watch')!;
    return {
      ok: this.run.state === 'promoted' || this.run.state === 'rolled_back',
      summary: `the new champion answered ${sent.requests} post-launch requests: ${pct(after)} right (the old champion after the launch: ${pct(before)}); ${sent.answered} routed to people and answered; watch: ${w.reason}; the run is ${this.run.state}`,
      details: { sent, accuracy_after: after, accuracy_before: before, recovered: before !== null && after > before, watch: w, state: this.run.state },
    };
  }

  async nextRun(): Promise<LoopStepResult> {
    const fired = await this.nextMorning();
    await this.work(['monitor', 'retrain-check']);
    const d = (await this.ws.retraining.listDecisions({ model: this.o.model, limit: 1 }))[0]!;
    await this.work(['retrain']);
    let run = (await this.ws.retraining.listRuns({ model: this.o.model, limit: 1 }))[0]!;
    if (run.state === 'shadowing') {
      this.now += HOUR;
      await this.serve(run.policy.loop.shadow!.requests + 10);
      this.now += HOUR;
      await this.ws.retraining.advance(this.o.actor, { model: this.o.model });
      run = await this.ws.retraining.getRun(run.id);
    }
    const approval = (await this.ws.retraining.listApprovals({ status: 'pending' })).find((a) => a.runId === run.id) ?? null;
    const fresh = d.triggers.filter((x) => x.fired).map((x) => x.trigger);
    return {
      ok: d !== undefined,
      summary:
        `on ${this.at().slice(0, 10)} the daily run (${fired.map((j) => j.type).join(', ')}) decided ${d.id}: ${d.reason}; ` +
        (d.retrain ? `${run.id} is ${run.state.replace('_', ' ')}${approval ? ` — approval ${approval.id} waits for a person until ${approval.expiresAt.slice(0, 16)}` : ''}` : `fired: ${fresh.join(', ') || 'nothing'}`),
      details: { decision: d, run: run.id, state: run.state, approval: approval?.id ?? null },
    };
  }

  /** Why each step of the first run happened, as `mloop runs show` prints it. */
  async why(): Promise<LoopStepResult> {
    const decisions = await this.ws.retraining.listDecisions({ model: this.o.model });
    const first = this.run;
    return {
      ok: first !== null && first.steps[0]?.step === 'trigger',
      summary: `mloop runs show ${first?.id}: ${first?.steps.map((s) => `${s.step} ${s.status}`).join(' → ')}; mloop retraining decisions lists ${decisions.length} decision(s), ${decisions.filter((d) => d.retrain).length} to retrain`,
      details: { run: first, decisions: decisions.map((d) => ({ id: d.id, at: d.at, source: d.source, retrain: d.retrain, reason: d.reason })) },
    };
  }
}
