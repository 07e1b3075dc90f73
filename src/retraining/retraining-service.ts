/**
 * The retraining pipeline: a policy per model; a run builds the training data (with review answers
 * when asked), trains a challenger, evaluates it and the champion on the same data, checks the
 * gate, and promotes or asks for approval. Every step is recorded with its reason.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetService } from '../datasets/index.js';
import { MloopError } from '../errors/index.js';
import type { JobService } from '../jobs/index.js';
import type { LabelingService } from '../labeling/index.js';
import type { MonitoringReport, MonitoringService, RuleOutcome } from '../monitoring/index.js';
import { parseModelRef, type AliasMove, type RegistryService } from '../registry/index.js';
import type { ServingService } from '../serving/index.js';
import { newId } from '../storage/index.js';
import { evaluateModel, trainModel, type EvaluateResult, type TrainRequest } from '../training/index.js';
import { checkTriggers, summarizeDecision } from './trigger-check.js';
import { agreementReport, watchReport } from './loop-reports.js';
import { parsePolicy, policyJson, type Approval, type RetrainingPolicy, type RetrainingRun, type RunState, type RunStep } from './retraining.js';
import type { RetrainingStore } from './retraining-store.js';
import { loopNames, type CheckSource, type Decision } from './triggers.js';

/**
 * INVALID_ARGUMENT when the policy's holdout cannot split `data`: `by: time` (the default) needs a
 * time column (role `time` or a datetime column), `by: stratified` a label column. The message names
 * the policy setting to change, since a policy has no `--column` to pass.
 */
export function checkHoldout(policy: RetrainingPolicy, data: { ref: string; schema: ReadonlyArray<{ name: string; type: string; roles: readonly string[] }> }): void {
  const e = policy.evaluation;
  if ('dataset' in e || e.holdout.by === 'random') return;
  const { by } = e.holdout;
  const role = by === 'time' ? 'time' : 'label';
  if (data.schema.some((c) => c.roles.includes(role) || (by === 'time' && c.type === 'datetime'))) return;
  const others = by === 'time' ? 'stratified or random' : 'time or random';
  throw MloopError.invalidArgument(
    `the policy of ${policy.model} holds out evaluation data by ${by} (evaluation.holdout.by: ${by}${by === 'time' ? ', the default' : ''}), but ${data.ref} has no ${role} column`,
    { hint: `set evaluation.holdout.by to ${others}, or name an evaluation.dataset, in the policy; or import the data with --${role} <col>` },
  );
}

/** Services a run uses. */
export interface RetrainingDeps {
  datasets: DatasetService;
  registry: RegistryService;
  serving: ServingService;
  /** For the policy's schedules and the retrain jobs a decision queues. */
  jobs: JobService;
  /** For the drift alert rule, alerts and performance estimates the triggers read. */
  monitoring: MonitoringService;
  /** For the consensus labels the `new_labels` trigger counts. */
  labeling: LabelingService;
}

/** Where decisions are written for the audit log (the workspace wires `AuthService.recordAudit`). */
export type AuditSink = (entry: { at: string; actor: string; action: string; target: string; details: Record<string, unknown> }) => Promise<void>;

/** What one run needs from its job. */
export interface RunRequest {
  /** The job key: the run, its datasets and its challenger are keyed by it. */
  key: string;
  model: string;
  actor: string;
  /** The decision that queued the run (recorded as its `trigger` step). */
  decision?: string;
  log?: (message: string) => Promise<void>;
}

/** What a check of a model's triggers needs. */
export interface CheckRequest {
  model: string;
  source: CheckSource;
  /** Natural key (a job key): a retried check returns the decision it recorded. Default: a fresh one. */
  key?: string;
}

type StepFn = (n: string, s: RunStep['status'], r: string, d?: Record<string, unknown>) => Promise<void>;

/** States a run leaves only by a later event (a shadow period, an approval, a watch period). */
const ACTIVE: readonly RunState[] = ['running', 'shadowing', 'awaiting_approval', 'watching'];
const FINAL: ReadonlySet<RunState> = new Set(['promoted', 'gate_failed', 'awaiting_approval', 'rejected', 'expired', 'shadowing', 'shadow_failed', 'watching', 'rolled_back']);
// Newest predictions read per deployment for a shadow or watch report (a shadow asks for at most 20000 requests).
const LOG_LIMIT = 50_000;
const MAX_REVIEW_ROWS = 1_000_000;
const HOUR_MS = 3_600_000;

const fmtShare = (v: number | null | undefined) => (v === null || v === undefined ? '-' : `${(v * 100).toFixed(1)}%`);
const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
const summaryOf = (r: EvaluateResult) => Object.fromEntries(Object.entries(r.report.metrics).map(([k, e]) => [k, e.value]));

export class RetrainingService {
  private readonly clock: () => Date;
  private readonly audit: AuditSink;
  constructor(
    private readonly store: RetrainingStore,
    private readonly deps: RetrainingDeps,
    options: { clock?: () => Date; audit?: AuditSink } = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.audit = options.audit ?? (async () => undefined);
  }

  /** Records an approval's decision in the audit log: who, when, what (approve, reject, expire), the comment. */
  private auditApproval(a: Approval, action: 'approve' | 'reject' | 'expire', actor: string, at: string, comment: string): Promise<void> {
    return this.audit({ at, actor, action: `approval.${action}`, target: `model:${a.model}`, details: { approval: a.id, run: a.runId, version: a.version, comment } });
  }

  private now(): string {
    return this.clock().toISOString();
  }

  /**
   * Validates and stores a model's policy (its gate inline). Issues fail with INVALID_ARGUMENT and
   * are listed in `details.issues`; a model that does not exist is NOT_FOUND (nothing is stored).
   *
   * @example
   * await ws.retraining.setPolicy('alice', { model: 'support', training: { dataset: 'tickets' }, gate: { rules: [{ metric: 'accuracy', beats_champion_by: 0 }] }, promotion: 'auto' });
   */
  async setPolicy(actor: string, raw: unknown): Promise<RetrainingPolicy> {
    const { policy, issues } = parsePolicy(raw);
    if (!policy) throw MloopError.validation(`the policy has ${issues.length} problem${issues.length === 1 ? '' : 's'}`, issues);
    // A typo in the model name would otherwise store a policy and two schedules for nothing.
    await this.deps.registry.getModel(policy.model);
    // A holdout the training data cannot be split by would only fail when a run starts. A dataset
    // that does not exist yet is checked then (the run's evaluation_data step).
    const data = await this.deps.datasets.show(policy.training.dataset).catch((err: unknown) => {
      if (err instanceof MloopError && err.code === 'NOT_FOUND') return null;
      throw err;
    });
    if (data) checkHoldout(policy, data);
    // The drift trigger's rule is added later, once there is a champion: its feature is checked now.
    const drift = policy.loop.triggers.drift;
    if (drift) await this.deps.monitoring.checkRuleMetric(policy.model, drift.metric);
    const at = this.now();
    await this.store.putPolicy(policy, at, actor);
    await this.audit({ at, actor, action: 'policy.set', target: `model:${policy.model}`, details: { policy: policyJson(policy) } });
    await this.ensureLoop(actor, policy);
    return policy;
  }

  /**
   * Creates (or updates, or removes) the model's schedules — `<model>.monitor` (the monitoring run,
   * daily by default) and `<model>.retrain-check` (monthly by default) — and its drift alert rule
   * `<model>.drift` on `model@champion` (once a champion exists).
   */
  async ensureLoop(actor: string, policy: RetrainingPolicy): Promise<void> {
    const names = loopNames(policy.model);
    const { schedules } = policy.loop;
    for (const [name, cron, type] of [
      [names.monitoring, schedules.monitoring, 'monitor'],
      [names.check, schedules.retrainingCheck, 'retrain-check'],
    ] as const) {
      const have = (await this.deps.jobs.listSchedules()).find((x) => x.name === name);
      const same = have !== undefined && cron !== null && have.cron === cron && have.timezone === schedules.timezone && have.jobType === type;
      if (same) continue;
      if (have) await this.deps.jobs.removeSchedule(name);
      if (cron !== null) await this.deps.jobs.addSchedule(actor, { name, cron, timezone: schedules.timezone, jobType: type, payload: { model: policy.model } });
    }
    await this.ensureDriftRule(actor, policy);
  }

  private async ensureDriftRule(actor: string, policy: RetrainingPolicy): Promise<void> {
    const name = loopNames(policy.model).driftRule;
    const want = policy.loop.triggers.drift;
    const have = (await this.deps.monitoring.listRules()).find((r) => r.name === name);
    const target = `${policy.model}@champion`;
    if (have && want && have.model === target && have.metric === want.metric && have.op === want.op && have.threshold === want.threshold && have.consecutive === want.consecutive && have.window === want.window) return;
    if (want) {
      const model = await this.deps.registry.getModel(policy.model).catch(() => null);
      // A rule needs a champion to watch; the monitoring run adds it once there is one.
      if (model?.aliases['champion'] === undefined) return;
    }
    if (have) await this.deps.monitoring.removeRule(actor, have.id);
    if (want) await this.deps.monitoring.addRule(actor, { name, model: target, metric: want.metric, op: want.op, threshold: want.threshold, consecutive: want.consecutive, window: want.window });
  }

  /**
   * Removes a model's policy with what `ensureLoop` made for it: its schedules `<model>.monitor`
   * and `<model>.retrain-check` and its drift rule `<model>.drift`. Runs, decisions and alerts stay.
   * NOT_FOUND without a policy; FAILED_PRECONDITION while a run of the model is in progress
   * (running, shadowing, awaiting approval, watching), since moving it on reads the policy.
   */
  async removePolicy(actor: string, model: string): Promise<RetrainingPolicy> {
    const { policy } = await this.getPolicy(model);
    const [active] = await this.store.listRuns({ model, states: ACTIVE, limit: 1 });
    if (active) {
      throw MloopError.failedPrecondition(`run ${active.id} of ${model} is ${active.state}; its policy is removed once the run ends`, {
        hint: active.state === 'awaiting_approval' ? "decide its approval first: 'mloop approvals list --status pending'" : `'mloop runs show ${active.id}' shows where it is`,
      });
    }
    const names = loopNames(model);
    for (const s of await this.deps.jobs.listSchedules()) if (s.name === names.monitoring || s.name === names.check) await this.deps.jobs.removeSchedule(s.name);
    const rule = (await this.deps.monitoring.listRules()).find((r) => r.name === names.driftRule);
    if (rule) await this.deps.monitoring.removeRule(actor, rule.id);
    await this.store.removePolicy(model);
    await this.audit({ at: this.now(), actor, action: 'policy.remove', target: `model:${model}`, details: { policy: policyJson(policy) } });
    return policy;
  }

  async getPolicy(model: string): Promise<{ policy: RetrainingPolicy; updatedAt: string; updatedBy: string }> {
    const p = await this.store.getPolicy(model);
    if (!p) throw MloopError.notFound('retraining policy', model, { hint: "set one with 'mloop policies set <model> <file>'" });
    return p;
  }

  listPolicies() {
    return this.store.listPolicies();
  }

  async getRun(id: string): Promise<RetrainingRun> {
    const r = await this.store.getRun(id);
    if (!r) throw MloopError.notFound('retraining run', id, { hint: "'mloop runs list' shows the runs" });
    return r;
  }

  listRuns(filter: { model?: string; states?: readonly RunState[]; limit?: number } = {}): Promise<RetrainingRun[]> {
    return this.store.listRuns({ ...(filter.model === undefined ? {} : { model: filter.model }), ...(filter.states === undefined ? {} : { states: filter.states }), limit: filter.limit ?? 50 });
  }

  /** One page of runs, newest first, with how many match in all. */
  async pageRuns(filter: { model?: string; states?: readonly RunState[]; limit: number; offset: number }): Promise<{ runs: RetrainingRun[]; total: number }> {
    const where = { ...(filter.model === undefined ? {} : { model: filter.model }), ...(filter.states === undefined ? {} : { states: filter.states }) };
    const [runs, total] = await Promise.all([this.store.listRuns({ ...where, limit: filter.limit, offset: filter.offset }), this.store.countRuns(where)]);
    return { runs, total };
  }

  /** Decisions (evaluations of the triggers), newest first. */
  listDecisions(filter: { model?: string; retrain?: boolean; limit?: number } = {}): Promise<Decision[]> {
    return this.store.listDecisions({ ...(filter.model === undefined ? {} : { model: filter.model }), ...(filter.retrain === undefined ? {} : { retrain: filter.retrain }), limit: filter.limit ?? 50 });
  }

  async getDecision(id: string): Promise<Decision> {
    const d = await this.store.getDecision(id);
    if (!d) throw MloopError.notFound('retraining decision', id, { hint: "'mloop retraining decisions' lists them" });
    return d;
  }

  /**
   * Evaluates the model's triggers once and records the decision — retrain or not, why, and the
   * numbers each trigger looked at. A decision to retrain queues a `retrain` job keyed by the
   * decision, so a retried check queues one run.
   *
   * @example
   * const d = await ws.retraining.check('alice', { model: 'support', source: 'manual' });
   * console.log(d.retrain, d.reason);
   */
  async check(actor: string, req: CheckRequest, reports?: ReadonlyMap<string, MonitoringReport>): Promise<Decision> {
    const key = req.key ?? newId('chk');
    const recorded = await this.store.getDecision(key);
    if (recorded) return this.queueFor(actor, recorded);
    const { policy } = await this.getPolicy(req.model);
    const at = this.clock();
    const runs = await this.store.listRuns({ model: policy.model, limit: 20 });
    const lastRetrain = (await this.store.listDecisions({ model: policy.model, retrain: true, limit: 1 }))[0] ?? null;
    const { triggers, labels } = await checkTriggers(this.deps, policy, { source: req.source, now: at, lastRun: runs[0] ?? null, lastRetrain, ...(reports ? { reports } : {}) });
    const active = runs.find((r) => ACTIVE.includes(r.state)) ?? null;
    const waiting = [...(await this.deps.jobs.list({ type: 'retrain', state: 'queued', limit: 1000 })), ...(await this.deps.jobs.list({ type: 'retrain', state: 'running', limit: 1000 }))];
    const job = waiting.find((j) => j.payload['model'] === policy.model) ?? null;
    const { retrain, reason } = summarizeDecision(policy, triggers, { active, job, lastRun: runs[0] ?? null, now: at });
    const { decision } = await this.store.putDecision({ id: newId('dec'), model: policy.model, key, at: at.toISOString(), source: req.source, retrain, reason, triggers, labels, jobId: null, createdBy: actor });
    return this.queueFor(actor, decision);
  }

  /** Queues the retrain job of a decision to retrain (once: the job is keyed by the decision). */
  private async queueFor(actor: string, d: Decision): Promise<Decision> {
    if (!d.retrain || d.jobId !== null) return d;
    const { job } = await this.deps.jobs.enqueue(actor, { type: 'retrain', key: `retrain:${d.key}`, payload: { model: d.model, decision: d.id } });
    await this.store.setDecisionJob(d.id, job.id);
    return { ...d, jobId: job.id };
  }

  /**
   * The monitoring run of one model: adds the policy's drift rule when missing, evaluates the
   * model's alert rules (recording and delivering alerts), moves its shadowing and watched runs
   * on, and checks its triggers (source `monitoring`).
   */
  async monitor(actor: string, model: string, key: string, log?: (m: string) => Promise<void>): Promise<{ rules: RuleOutcome[]; runs: RetrainingRun[]; decision: Decision }> {
    const { policy } = await this.getPolicy(model);
    await this.ensureDriftRule(actor, policy);
    const rules = (await this.deps.monitoring.listRules()).filter((r) => r.enabled && (r.model === model || r.model.startsWith(`${model}@`)));
    const outcomes: RuleOutcome[] = [];
    const reports = new Map<string, MonitoringReport>();
    for (const rule of rules) {
      const k = `${rule.model} ${rule.window}`;
      let report = reports.get(k);
      if (!report) {
        try {
          report = await this.deps.monitoring.report({ model: rule.model, window: rule.window });
        } catch (err) {
          if (!(err instanceof MloopError)) throw err;
          await log?.(`rule ${rule.name}: ${err.code}: ${err.message}`);
          continue;
        }
        reports.set(k, report);
      }
      const o = await this.deps.monitoring.applyRule(rule, report);
      outcomes.push(o);
      await log?.(`rule ${rule.name}: ${o.state}${o.alert ? ` — ${o.alert.message}` : ''}`);
    }
    const runs = await this.advance(actor, { model });
    for (const r of runs) await log?.(`run ${r.id}: ${r.state} — ${r.reason}`);
    // The rules' reports serve the triggers too, unless a run just moved the champion.
    const decision = await this.check(actor, { model, source: 'monitoring', key }, runs.length === 0 ? reports : undefined);
    await log?.(`decision ${decision.id}: ${decision.reason}`);
    return { rules: outcomes, runs, decision };
  }

  /**
   * Runs (or resumes) the retraining run of job `key`. A run that reached an outcome is returned
   * as it is; a retried attempt redoes its steps, which find what the earlier attempt made (the
   * datasets by content, the challenger by the run key `retrain:<key>`).
   */
  async run(req: RunRequest): Promise<RetrainingRun> {
    const { policy } = await this.getPolicy(req.model);
    const at = this.now();
    const opened = await this.store.openRun({
      id: newId('run'),
      model: policy.model,
      runKey: req.key,
      state: 'running',
      reason: 'started',
      policy,
      challenger: null,
      champion: null,
      createdAt: at,
      createdBy: req.actor,
      updatedAt: at,
    });
    const run = opened.run;
    if (FINAL.has(run.state)) return run;
    if (!opened.created) await this.store.updateRun(run.id, { state: 'running', reason: 'resumed by a retried attempt' }, this.now());
    let current = 'trigger';
    const step = async (name: string, status: RunStep['status'], reason: string, details: Record<string, unknown> = {}) => {
      await this.store.putStep(run.id, { step: name, status, reason, details, at: this.now() });
      await req.log?.(`${name}: ${reason}`);
    };
    try {
      await this.triggerStep(req, step);
      current = 'training_data';
      const trainingRef = await this.trainingData(policy, req, step);
      current = 'evaluation_data';
      const { trainRef, evalRef } = await this.evaluationData(policy, trainingRef, req, step);
      current = 'train';
      const trained = await trainModel(this.deps, { ...policy.training.settings, dataset: trainRef, name: policy.model, runKey: `retrain:${req.key}`, actor: req.actor } as TrainRequest);
      const challenger = trained.version.ref;
      await this.store.updateRun(run.id, { challenger }, this.now());
      await step('train', 'done', `trained ${challenger} on ${trainRef}`, { version: challenger, learner: trained.learner, metrics: trained.metrics, rows: trained.rows });

      current = 'evaluate';
      const model = await this.deps.registry.getModel(policy.model);
      const championVersion = model.aliases['champion'];
      const champion = championVersion !== undefined && championVersion !== trained.version.version ? `${policy.model}@${championVersion}` : null;
      await this.store.updateRun(run.id, { champion }, this.now());
      // Both audited over the same groups: the evaluation data's sensitive columns and any a fairness rule names.
      const sensitive = await this.sensitiveColumns(policy, evalRef);
      const mine = await evaluateModel(this.deps, { model: challenger, dataset: evalRef, gate: policy.gate, champion, sensitive });
      const theirs = champion === null ? null : await evaluateModel(this.deps, { model: champion, dataset: evalRef, sensitive });
      const saved = await this.deps.registry.recordEvaluation(req.actor, challenger, mine.dataset, mine, summaryOf(mine), mine.gate?.passed ?? null);
      const savedChampion = theirs === null ? null : await this.deps.registry.recordEvaluation(req.actor, theirs.model, theirs.dataset, theirs, summaryOf(theirs), null);
      const acc = (r: EvaluateResult | null) => (r?.report.metrics['accuracy'] === undefined ? '' : ` (accuracy ${fmtShare(r.report.metrics['accuracy'].value)})`);
      // A retrained challenger has no fairness mitigation plan: say so when the champion serves one.
      const mitigated = champion !== null && (await this.deps.registry.resolve(champion)).record.thresholds?.['groups'] !== undefined;
      const planNote = mitigated ? `; note: ${champion} serves group thresholds (fairness mitigation) and ${challenger} does not — run \`mloop fairness mitigate ${challenger} … --apply\` before serving it` : '';
      await step('evaluate', 'done', (champion === null ? `evaluated ${challenger}${acc(mine)} on ${mine.dataset}; there is no champion yet` : `evaluated ${challenger}${acc(mine)} and ${champion}${acc(theirs)} on ${mine.dataset}`) + planNote, {
        dataset: mine.dataset,
        challenger: { ref: challenger, metrics: summaryOf(mine), evaluation: saved.id },
        champion: theirs === null ? null : { ref: champion, metrics: summaryOf(theirs), evaluation: savedChampion?.id ?? null },
        ...(mitigated ? { mitigation_not_carried: true } : {}),
      });

      current = 'gate';
      const gate = mine.gate!;
      const failing = gate.rules.filter((r) => r.status === 'fail');
      if (!gate.passed) {
        const reason = `gate '${gate.gate}' failed: ${failing.map((r) => `${r.expected} — ${r.message}`).join('; ')}`;
        await step('gate', 'failed', reason, { gate });
        await step('promote', 'skipped', `nothing promoted: ${reason}`);
        await this.store.updateRun(run.id, { state: 'gate_failed', reason }, this.now());
        return this.getRun(run.id);
      }
      await step('gate', 'done', `gate '${gate.gate}' passed (${gate.rules.filter((r) => r.status === 'pass').length} rules passed, ${gate.rules.filter((r) => r.status === 'skip').length} skipped)`, { gate });

      const evidence = { run_id: run.id, evaluation_id: saved.id, dataset: mine.dataset, gate: gate.gate, champion, metrics: summaryOf(mine) };
      if (policy.loop.shadow) {
        current = 'shadow';
        if (await this.startShadow(run.id, policy, trained.version.version, evidence, req.actor, step)) return this.getRun(run.id);
      }
      current = 'promote';
      await this.promoteOrAsk(run.id, policy, trained.version.version, evidence, req.actor, step);
      return this.getRun(run.id);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await step(current, 'failed', message);
      await this.store.updateRun(run.id, { state: 'failed', reason: `${current} failed: ${message}` }, this.now());
      throw err;
    }
  }

  private async triggerStep(req: RunRequest, step: StepFn): Promise<void> {
    if (req.decision !== undefined) {
      const d = await this.store.getDecision(req.decision);
      if (d) {
        await step('trigger', 'done', `${d.source} check ${d.id} at ${d.at}: ${d.reason}`, { decision: d.id, source: d.source, fired: d.triggers.filter((t) => t.fired) });
        return;
      }
    }
    const by = req.key.startsWith('schedule:') ? `schedule '${req.key.split(':')[1]}'` : `${req.actor} (job key ${req.key})`;
    await step('trigger', 'done', `started by ${by}, not by a trigger`, { key: req.key });
  }

  /** Promotes at once (`auto`, then the watch when the policy has one) or opens an approval. */
  private async promoteOrAsk(runId: string, policy: RetrainingPolicy, version: number, evidence: Record<string, unknown>, actor: string, step: StepFn): Promise<void> {
    const challenger = `${policy.model}@${version}`;
    const champion = evidence['champion'] as string | null;
    if (policy.promotion === 'auto') {
      const reason = `retraining run ${runId}: gate '${String(evidence['gate'])}' passed on ${String(evidence['dataset'])}${champion === null ? '' : ` against ${champion}`}${evidence['shadow'] ? `; agreed with the champion on ${fmtShare((evidence['shadow'] as { agreement: number }).agreement)} of ${(evidence['shadow'] as { requests: number }).requests} shadowed requests` : ''}`;
      const now = await this.deps.registry.getModel(policy.model);
      if (now.aliases['champion'] !== version) await this.deps.registry.setAlias(actor, policy.model, 'champion', version, reason, evidence);
      await step('promote', 'done', `promoted ${challenger} to champion (policy: auto)`, evidence);
      await this.afterPromotion(runId, policy, version, reason, step);
      return;
    }
    const created = this.clock();
    const approval = await this.store.openApproval({
      id: newId('apr'),
      runId,
      model: policy.model,
      version,
      status: 'pending',
      evidence,
      createdAt: created.toISOString(),
      expiresAt: new Date(created.getTime() + policy.approvalExpiresHours * HOUR_MS).toISOString(),
      decidedBy: null,
      decidedAt: null,
      comment: null,
    });
    const reason = `waiting for approval ${approval.id} (expires ${approval.expiresAt})`;
    await step('promote', 'skipped', `policy asks for approval: ${reason}`, { approval: approval.id, expires_at: approval.expiresAt });
    await this.store.updateRun(runId, { state: 'awaiting_approval', reason }, this.now());
  }

  /** After a promotion: the watch period when the policy has one, else the run is done. */
  private async afterPromotion(runId: string, policy: RetrainingPolicy, version: number, reason: string, step: StepFn): Promise<void> {
    const watch = policy.loop.watch;
    if (!watch) {
      await this.store.updateRun(runId, { state: 'promoted', reason }, this.now());
      return;
    }
    const from = this.clock();
    const until = new Date(from.getTime() + watch.hours * HOUR_MS).toISOString();
    const limits = [watch.maxErrorRate === null ? null : `error rate ≤ ${fmtShare(watch.maxErrorRate)}`, watch.maxReviewShare === null ? null : `review share ≤ ${fmtShare(watch.maxReviewShare)}`].filter(Boolean).join(', ');
    await step('watch', 'running', `watching ${policy.model}@${version} as champion until ${until}: ${limits} (judged from ${watch.minPredictions} predictions)`, { version, from: from.toISOString(), until, ...watch });
    await this.store.updateRun(runId, { state: 'watching', reason: `${reason}; watched until ${until}` }, this.now());
  }

  /** Deploys the challenger as the shadow of the deployments serving `model@champion`; false when none does. */
  private async startShadow(runId: string, policy: RetrainingPolicy, version: number, evidence: Record<string, unknown>, actor: string, step: StepFn): Promise<boolean> {
    const shadow = policy.loop.shadow!;
    const deployments = (await this.deps.serving.listDeployments()).filter((d) => d.model === policy.model && d.ref === `${policy.model}@champion`);
    if (deployments.length === 0) {
      await step('shadow', 'skipped', `no deployment serves ${policy.model}@champion: nothing to shadow`);
      return false;
    }
    const challenger = `${policy.model}@${version}`;
    for (const d of deployments) await this.deps.serving.deploy(actor, d.ref, { name: d.name, shadow: challenger, ...(d.canaryRef === null ? {} : { canary: d.canaryRef, canaryPercent: d.canaryPercent }) });
    const from = this.now();
    await step('shadow', 'running', `${challenger} shadows ${deployments.map((d) => d.name).join(', ')} from ${from} until ${shadow.requests} requests are answered by both${shadow.minAgreement === null ? '' : ` (at least ${fmtShare(shadow.minAgreement)} must agree)`}`, {
      deployments: deployments.map((d) => d.name),
      version,
      from,
      requests: shadow.requests,
      min_agreement: shadow.minAgreement,
      evidence,
    });
    await this.store.updateRun(runId, { state: 'shadowing', reason: `shadowing ${deployments.map((d) => d.name).join(', ')} for ${shadow.requests} requests` }, this.now());
    return true;
  }

  /**
   * Moves runs on that wait for events: a shadow period that has its requests (agreement report;
   * then promotion or approval), a watch period that crossed a limit (rollback) or ended, and
   * approvals past their expiry. Returns the runs that changed.
   */
  async advance(actor: string, filter: { model?: string } = {}): Promise<RetrainingRun[]> {
    await this.expireDue();
    const changed: RetrainingRun[] = [];
    const runs = await this.store.listRuns({ ...(filter.model === undefined ? {} : { model: filter.model }), states: ['shadowing', 'watching'], limit: 1000 });
    for (const run of runs) {
      const step: StepFn = async (name, status, reason, details = {}) => this.store.putStep(run.id, { step: name, status, reason, details, at: this.now() });
      const moved = run.state === 'shadowing' ? await this.checkShadow(run, actor, step) : await this.checkWatch(run, step);
      if (moved) changed.push(await this.getRun(run.id));
    }
    return changed;
  }

  private async checkShadow(run: RetrainingRun, actor: string, step: StepFn): Promise<boolean> {
    const s = run.steps.find((x) => x.step === 'shadow')!;
    const d = s.details as { deployments: string[]; version: number; from: string; requests: number; min_agreement: number | null; evidence: Record<string, unknown> };
    const live = (await this.deps.serving.listDeployments()).filter((x) => d.deployments.includes(x.name) && x.shadowRef === `${run.model}@${d.version}`);
    if (live.length === 0) {
      // Nobody shadows any more (undeployed or redeployed by hand): the shadow cannot complete.
      if (!(await this.store.transitionRun(run.id, 'shadowing', { state: 'shadow_failed', reason: `shadow ended early: ${d.deployments.join(', ')} no longer run${d.deployments.length === 1 ? 's' : ''} ${run.model}@${d.version} as shadow; nothing promoted` }, this.now()))) return false;
      await step('shadow', 'failed', `no deployment shadows ${run.model}@${d.version} any more (${d.deployments.join(', ')} undeployed or redeployed); nothing promoted`, d);
      await step('promote', 'skipped', 'the shadow period did not complete');
      return true;
    }
    const logs = [];
    for (const name of d.deployments) logs.push(...(await this.deps.serving.store.listPredictions({ model: run.model, deployment: name, limit: LOG_LIMIT })));
    const report = agreementReport(logs, { version: d.version });
    if (report.requests < d.requests) {
      await step('shadow', 'running', `${report.requests} of ${d.requests} shadowed requests so far (agreement ${fmtShare(report.agreement)})`, { ...d, report });
      return false;
    }
    // Claim the end of the shadow: of two processes moving the run on, one does it.
    if (!(await this.store.transitionRun(run.id, 'shadowing', { state: 'running', reason: `shadow period ended after ${report.requests} requests` }, this.now()))) return false;
    // The shadow ends: deployments serve the champion alone again (unless someone changed them meanwhile).
    const challenger = `${run.model}@${d.version}`;
    for (const name of d.deployments) {
      const dep = await this.deps.serving.getDeployment(name).catch(() => null);
      if (dep?.shadowRef === challenger) await this.deps.serving.deploy(actor, dep.ref, { name: dep.name, ...(dep.canaryRef === null ? {} : { canary: dep.canaryRef, canaryPercent: dep.canaryPercent }) });
    }
    const summary = `challenger and champion agreed on ${fmtShare(report.agreement)} of ${report.requests} shadowed requests${report.labelled > 0 ? `; on the ${report.labelled} with ground truth the champion was ${fmtShare(report.championAccuracy)} right, the challenger ${fmtShare(report.challengerAccuracy)}` : ''}`;
    if (d.min_agreement !== null && (report.agreement ?? 0) < d.min_agreement) {
      const reason = `shadow failed: ${summary}, below the policy's ${fmtShare(d.min_agreement)}; nothing promoted`;
      await step('shadow', 'failed', reason, { ...d, report });
      await step('promote', 'skipped', reason);
      await this.store.updateRun(run.id, { state: 'shadow_failed', reason }, this.now());
      return true;
    }
    await step('shadow', 'done', summary, { ...d, report });
    const shadow = { requests: report.requests, agreement: report.agreement, champion_accuracy: report.championAccuracy, challenger_accuracy: report.challengerAccuracy };
    await this.promoteOrAsk(run.id, run.policy, d.version, { ...d.evidence, shadow }, actor, step);
    return true;
  }

  private async checkWatch(run: RetrainingRun, step: StepFn): Promise<boolean> {
    const s = run.steps.find((x) => x.step === 'watch')!;
    const d = s.details as { version: number; from: string; until: string; hours: number; maxErrorRate: number | null; maxReviewShare: number | null; minPredictions: number };
    const logs = [];
    for (const dep of (await this.deps.serving.listDeployments()).filter((x) => x.model === run.model)) logs.push(...(await this.deps.serving.store.listPredictions({ model: run.model, deployment: dep.name, limit: LOG_LIMIT })));
    const w = watchReport(logs, { version: d.version, until: d.until });
    const crossed: string[] = [];
    if (d.maxErrorRate !== null && w.labelled >= d.minPredictions && w.errorRate! > d.maxErrorRate) crossed.push(`error rate ${fmtShare(w.errorRate)} > ${fmtShare(d.maxErrorRate)} on ${w.labelled} labelled predictions`);
    if (d.maxReviewShare !== null && w.predictions >= d.minPredictions && w.reviewShare! > d.maxReviewShare) crossed.push(`review share ${fmtShare(w.reviewShare)} > ${fmtShare(d.maxReviewShare)} of ${w.predictions} predictions`);
    const seen = `${w.predictions} predictions (${w.labelled} labelled): error rate ${fmtShare(w.errorRate)}, review share ${fmtShare(w.reviewShare)}`;
    if (crossed.length > 0) {
      const model = await this.deps.registry.getModel(run.model);
      if (model.aliases['champion'] !== d.version) {
        if (!(await this.store.transitionRun(run.id, 'watching', { state: 'promoted', reason: 'watch ended: the champion moved on' }, this.now()))) return false;
        await step('watch', 'skipped', `${crossed.join('; ')}, but champion moved to version ${model.aliases['champion'] ?? 'none'} meanwhile: nothing rolled back`, { ...d, report: w });
        return true;
      }
      const reason = `watch of run ${run.id}: ${crossed.join('; ')} within ${d.hours}h of promotion`;
      // Claim the rollback first: two processes must never both move the alias back.
      if (!(await this.store.transitionRun(run.id, 'watching', { state: 'rolled_back', reason: `rolling back: ${crossed.join('; ')}` }, this.now()))) return false;
      const move = await this.rollback('system', `${run.model}@champion`, reason);
      await step('watch', 'failed', `rolled back to version ${move.toVersion}: ${reason}`, { ...d, report: w, rollback: { seq: move.seq, to_version: move.toVersion } });
      await this.store.updateRun(run.id, { state: 'rolled_back', reason: `rolled back to ${run.model}@${move.toVersion}: ${crossed.join('; ')}` }, this.now());
      return true;
    }
    if (this.now() >= d.until) {
      if (!(await this.store.transitionRun(run.id, 'watching', { state: 'promoted', reason: `${run.reason.replace(/; watched until .*$/, '')}; watch passed (${seen})` }, this.now()))) return false;
      await step('watch', 'done', `no limit crossed by ${d.until}: ${seen}`, { ...d, report: w });
      return true;
    }
    await step('watch', 'running', `watching until ${d.until}: ${seen} so far`, { ...d, report: w });
    return false;
  }

  /**
   * The training dataset: the policy's dataset, plus the review answers and the final labels of
   * the policy's labeling projects as labelled rows when asked (one derived version, both lineages).
   */
  private async trainingData(policy: RetrainingPolicy, req: RunRequest, step: StepFn): Promise<string> {
    const base = await this.deps.datasets.show(policy.training.dataset);
    const projects = policy.training.labelingProjects ?? [];
    if (!policy.training.includeReviewAnswers && projects.length === 0) {
      await step('training_data', 'done', `training on ${base.ref} (review answers not asked for)`, { dataset: base.ref });
      return base.ref;
    }
    const settings = policy.training.settings;
    const label = typeof settings['label'] === 'string' ? settings['label'] : base.schema.find((c) => c.roles.includes('label'))?.name;
    if (label === undefined) throw MloopError.invalidArgument(`${base.ref} has no label column: name it in training.settings.label`);
    const columns = base.schema.map((c) => c.name);
    // Each extra source: its version and the SELECT list that maps its columns onto the base's.
    const extra: Array<{ ref: string; select: string; what: string; columns: string[] }> = [];
    const notes: string[] = [];
    let reviewAnswers = 0;
    if (policy.training.includeReviewAnswers) {
      const answered = (await this.deps.serving.store.listReview({ status: 'answered', limit: MAX_REVIEW_ROWS })).filter((r) => r.model === policy.model && r.answer !== null && r.inputs !== undefined);
      reviewAnswers = answered.length;
      if (answered.length === 0) notes.push(`no answered review items for ${policy.model} yet`);
      else {
        const shared = columns.filter((c) => c !== label && answered.some((r) => r.inputs![c] !== undefined));
        const rows = answered.map((r) => JSON.stringify(Object.fromEntries([...shared.map((c) => [c, r.inputs![c] ?? null]), [label, r.answer]])));
        const dir = join(this.deps.datasets.tempDir, `review-${process.pid}-${newId('tmp')}`);
        mkdirSync(dir, { recursive: true });
        try {
          const file = join(dir, 'review-answers.jsonl');
          writeFileSync(file, `${rows.join('\n')}\n`);
          const reviews = await this.deps.datasets.importFile({ file, name: `${policy.model}-review-answers`, actor: req.actor, description: `answered review items of ${policy.model}` });
          extra.push({ ref: reviews.version.ref, select: [...shared, label].map(quote).join(', '), what: `${answered.length} review answers (${reviews.version.ref})`, columns: shared });
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
    }
    const labelingRows: Record<string, number> = {};
    for (const project of projects) {
      const consensus = `${label}_consensus`;
      try {
        const exported = await this.deps.labeling.export(project, { name: `${policy.model}-labels-${project}`.slice(0, 63), actor: req.actor, labelColumn: consensus });
        const have = new Set(exported.version.schema.map((c) => c.name));
        const shared = columns.filter((c) => c !== label && have.has(c));
        labelingRows[project] = exported.rows;
        extra.push({ ref: exported.version.ref, select: [...shared.map(quote), `${quote(consensus)} AS ${quote(label)}`].join(', '), what: `${exported.rows} labels of project ${project} (${exported.version.ref})`, columns: shared });
      } catch (err) {
        if (!(err instanceof MloopError) || err.code !== 'FAILED_PRECONDITION') throw err;
        notes.push(`project ${project}: ${err.message}`);
        labelingRows[project] = 0;
      }
    }
    const counts = { review_answers: reviewAnswers, ...(projects.length > 0 ? { labeling: labelingRows } : {}) };
    if (extra.length === 0) {
      await step('training_data', 'done', `training on ${base.ref}: ${notes.join('; ')}`, { dataset: base.ref, ...counts });
      return base.ref;
    }
    // The base's columns the added rows carry (the model's inputs, as logged or labelled) and the label.
    const cols = [...columns.filter((c) => c !== label && extra.some((x) => x.columns.includes(c))), label].map(quote).join(', ');
    const derived = await this.deps.datasets.derive({
      sql: [`SELECT ${cols} FROM {${base.ref}}`, ...extra.map((x) => `SELECT ${x.select} FROM {${x.ref}}`)].join(' UNION ALL BY NAME '),
      name: `${policy.model}-training`,
      actor: req.actor,
      description: `${base.ref} plus ${extra.map((x) => x.what).join(' and ')}`,
    });
    await step('training_data', 'done', `built ${derived.version.ref}: ${base.ref} plus ${extra.map((x) => x.what).join(' plus ')}${notes.length > 0 ? `; ${notes.join('; ')}` : ''}`, {
      dataset: derived.version.ref,
      parents: [base.ref, ...extra.map((x) => x.ref)],
      ...counts,
    });
    return derived.version.ref;
  }

  /** Columns to audit for fairness: the dataset's sensitive columns plus those the gate's `fairness.*` rules name. */
  private async sensitiveColumns(policy: RetrainingPolicy, dataset: string): Promise<string[]> {
    const marked = (await this.deps.datasets.show(dataset)).schema.filter((c) => c.roles.includes('sensitive')).map((c) => c.name);
    // Intersections (`sex&race`) stay whole: evaluateModel audits them, so the champion's evaluation has their table too.
    const named = policy.gate.rules.filter((r) => r.metric.startsWith('fairness.')).map((r) => String((r as { attribute?: unknown }).attribute ?? ''));
    return [...new Set([...marked, ...named.filter((c) => c !== '')])];
  }

  private async evaluationData(
    policy: RetrainingPolicy,
    trainingRef: string,
    req: RunRequest,
    step: StepFn,
  ): Promise<{ trainRef: string; evalRef: string }> {
    const e = policy.evaluation;
    if ('dataset' in e) {
      const v = await this.deps.datasets.show(e.dataset);
      await step('evaluation_data', 'done', `evaluating on ${v.ref} (named by the policy)`, { dataset: v.ref });
      return { trainRef: trainingRef, evalRef: v.ref };
    }
    const { by, fraction, seed } = e.holdout;
    checkHoldout(policy, await this.deps.datasets.show(trainingRef));
    const parts = await this.deps.datasets.split(trainingRef, { by, ratios: [1 - fraction, fraction], seed, names: ['train', 'holdout'], actor: req.actor });
    const train = parts.find((p) => p.part === 'train')!.version.ref;
    const held = parts.find((p) => p.part === 'holdout')!.version.ref;
    await step('evaluation_data', 'done', `held out ${held} (${by}, ${fraction}) from ${trainingRef}; training on ${train}`, { train, holdout: held, by, fraction, seed });
    return { trainRef: train, evalRef: held };
  }

  /** Approvals, newest first; pending ones past their expiry are marked expired first. */
  async listApprovals(filter: { status?: Approval['status']; limit?: number } = {}): Promise<Approval[]> {
    await this.expireDue();
    return this.store.listApprovals({ ...(filter.status === undefined ? {} : { status: filter.status }), limit: filter.limit ?? 50 });
  }

  private async expireDue(): Promise<void> {
    const now = this.now();
    for (const a of await this.store.listApprovals({ status: 'pending', limit: 1000 })) {
      if (a.expiresAt <= now && (await this.store.decideApproval(a.id, { status: 'expired', decidedBy: 'system', decidedAt: now, comment: 'expired by policy' }))) {
        await this.store.updateRun(a.runId, { state: 'expired', reason: `approval ${a.id} expired at ${a.expiresAt}` }, now);
        await this.store.putStep(a.runId, { step: 'approval', status: 'failed', reason: `expired at ${a.expiresAt} without a decision`, details: { approval: a.id }, at: now });
        await this.auditApproval(a, 'expire', 'system', now, 'expired by policy');
      }
    }
  }

  /** One approval as it stands (a pending one past its expiry is marked expired first). */
  async getApproval(id: string): Promise<Approval> {
    const a = await this.store.getApproval(id);
    if (!a) throw MloopError.notFound('approval', id, { hint: "'mloop approvals list' shows them" });
    if (a.status !== 'pending') return a;
    await this.expireDue();
    return (await this.store.getApproval(id))!;
  }

  private async pending(id: string): Promise<Approval> {
    const a = await this.store.getApproval(id);
    if (!a) throw MloopError.notFound('approval', id, { hint: "'mloop approvals list' shows them" });
    await this.expireDue();
    const fresh = (await this.store.getApproval(id))!;
    if (fresh.status !== 'pending') throw MloopError.failedPrecondition(`approval ${id} is ${fresh.status}${fresh.status === 'expired' ? ` (it expired at ${fresh.expiresAt})` : ` by ${fresh.decidedBy ?? 'someone'}`}; only a pending approval can be decided`);
    return fresh;
  }

  /** Approves a pending challenger: it becomes champion, with the run's evidence and the comment. */
  async approve(actor: string, id: string, comment: string): Promise<{ approval: Approval; move: AliasMove }> {
    if (comment.trim() === '') throw MloopError.invalidArgument('a comment is required (--comment)');
    const a = await this.pending(id);
    const at = this.now();
    if (!(await this.store.decideApproval(id, { status: 'approved', decidedBy: actor, decidedAt: at, comment }))) throw MloopError.conflict(`approval ${id} was decided meanwhile`);
    const reason = `approved by ${actor} (approval ${id}): ${comment.trim()}`;
    await this.auditApproval(a, 'approve', actor, at, comment.trim());
    const move = await this.deps.registry.setAlias(actor, a.model, 'champion', a.version, reason, { ...a.evidence, approval: id });
    await this.store.putStep(a.runId, { step: 'approval', status: 'done', reason, details: { approval: id, actor }, at });
    const run = await this.getRun(a.runId);
    await this.afterPromotion(run.id, run.policy, a.version, reason, async (name, status, r, details = {}) => this.store.putStep(run.id, { step: name, status, reason: r, details, at: this.now() }));
    return { approval: (await this.store.getApproval(id))!, move };
  }

  /** Rejects a pending challenger: nothing moves; the decision and comment are recorded. */
  async reject(actor: string, id: string, comment: string): Promise<Approval> {
    if (comment.trim() === '') throw MloopError.invalidArgument('a comment is required (--comment)');
    const a = await this.pending(id);
    const at = this.now();
    if (!(await this.store.decideApproval(id, { status: 'rejected', decidedBy: actor, decidedAt: at, comment }))) throw MloopError.conflict(`approval ${id} was decided meanwhile`);
    const reason = `rejected by ${actor} (approval ${id}): ${comment.trim()}`;
    await this.auditApproval(a, 'reject', actor, at, comment.trim());
    await this.store.putStep(a.runId, { step: 'approval', status: 'failed', reason, details: { approval: id, actor }, at });
    await this.store.updateRun(a.runId, { state: 'rejected', reason }, at);
    return (await this.store.getApproval(id))!;
  }

  /**
   * Moves `model@alias` back to the version it pointed at before its latest move (from the alias
   * history); the rollback is itself a move in the history, with its reason.
   */
  async rollback(actor: string, ref: string, reason: string): Promise<AliasMove> {
    const parsed = parseModelRef(ref);
    if (parsed.alias === undefined) throw MloopError.invalidArgument(`rollback needs '<model>@<alias>', got '${ref}'`);
    if (reason.trim() === '') throw MloopError.invalidArgument('a reason is required (--reason)');
    const model = await this.deps.registry.getModel(parsed.name);
    const current = model.aliases[parsed.alias];
    if (current === undefined) throw MloopError.notFound('alias', ref);
    const moves = await this.deps.registry.history(parsed.name, parsed.alias);
    const last = [...moves].reverse().find((m) => m.toVersion === current);
    if (last?.fromVersion === null || last?.fromVersion === undefined) throw MloopError.failedPrecondition(`${ref} has no previous version to roll back to`);
    return this.deps.registry.setAlias(actor, parsed.name, parsed.alias, last.fromVersion, `rollback: ${reason.trim()}`, { rollback_of: last.seq, from_version: current });
  }
}
