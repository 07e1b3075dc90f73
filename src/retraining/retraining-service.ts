/**
 * The retraining pipeline: a policy per model; a run builds the training data (with review answers
 * when asked), trains a challenger, evaluates it and the champion on the same data, checks the
 * gate, and promotes or asks for approval. Every step is recorded with its reason.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetService } from '../datasets/index.js';
import { MloopError } from '../errors/index.js';
import { parseModelRef, type AliasMove, type RegistryService } from '../registry/index.js';
import type { ServingService } from '../serving/index.js';
import { newId } from '../storage/index.js';
import { evaluateModel, trainModel, type EvaluateResult, type TrainRequest } from '../training/index.js';
import { parsePolicy, type Approval, type RetrainingPolicy, type RetrainingRun, type RunState, type RunStep } from './retraining.js';
import type { RetrainingStore } from './retraining-store.js';

/** Services a run uses. */
export interface RetrainingDeps {
  datasets: DatasetService;
  registry: RegistryService;
  serving: ServingService;
}

/** What one run needs from its job. */
export interface RunRequest {
  /** The job key: the run, its datasets and its challenger are keyed by it. */
  key: string;
  model: string;
  actor: string;
  log?: (message: string) => Promise<void>;
}

const FINAL: ReadonlySet<RunState> = new Set(['promoted', 'gate_failed', 'awaiting_approval', 'rejected', 'expired']);
const MAX_REVIEW_ROWS = 1_000_000;
const HOUR_MS = 3_600_000;

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
const summaryOf = (r: EvaluateResult) => Object.fromEntries(Object.entries(r.report.metrics).map(([k, e]) => [k, e.value]));

export class RetrainingService {
  private readonly clock: () => Date;
  constructor(
    private readonly store: RetrainingStore,
    private readonly deps: RetrainingDeps,
    options: { clock?: () => Date } = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
  }

  private now(): string {
    return this.clock().toISOString();
  }

  /**
   * Validates and stores a model's policy (its gate inline). Issues fail with INVALID_ARGUMENT and
   * are listed in `details.issues`.
   *
   * @example
   * await ws.retraining.setPolicy('alice', { model: 'support', training: { dataset: 'tickets' }, gate: { rules: [{ metric: 'accuracy', beats_champion_by: 0 }] }, promotion: 'auto' });
   */
  async setPolicy(actor: string, raw: unknown): Promise<RetrainingPolicy> {
    const { policy, issues } = parsePolicy(raw);
    if (!policy) throw MloopError.validation(`the policy has ${issues.length} problem${issues.length === 1 ? '' : 's'}`, issues);
    await this.store.putPolicy(policy, this.now(), actor);
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

  listRuns(filter: { model?: string; limit?: number } = {}): Promise<RetrainingRun[]> {
    return this.store.listRuns({ ...(filter.model === undefined ? {} : { model: filter.model }), limit: filter.limit ?? 50 });
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
    let current = 'training_data';
    const step = async (name: string, status: RunStep['status'], reason: string, details: Record<string, unknown> = {}) => {
      await this.store.putStep(run.id, { step: name, status, reason, details, at: this.now() });
      await req.log?.(`${name}: ${reason}`);
    };
    try {
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
      const mine = await evaluateModel(this.deps, { model: challenger, dataset: evalRef, gate: policy.gate, champion });
      const theirs = champion === null ? null : await evaluateModel(this.deps, { model: champion, dataset: evalRef });
      const saved = await this.deps.registry.recordEvaluation(req.actor, challenger, mine.dataset, mine, summaryOf(mine), mine.gate?.passed ?? null);
      const savedChampion = theirs === null ? null : await this.deps.registry.recordEvaluation(req.actor, theirs.model, theirs.dataset, theirs, summaryOf(theirs), null);
      await step('evaluate', 'done', champion === null ? `evaluated ${challenger} on ${mine.dataset}; there is no champion yet` : `evaluated ${challenger} and ${champion} on ${mine.dataset}`, {
        dataset: mine.dataset,
        challenger: { ref: challenger, metrics: summaryOf(mine), evaluation: saved.id },
        champion: theirs === null ? null : { ref: champion, metrics: summaryOf(theirs), evaluation: savedChampion?.id ?? null },
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

      current = 'promote';
      const evidence = { run_id: run.id, evaluation_id: saved.id, dataset: mine.dataset, gate: gate.gate, champion, metrics: summaryOf(mine) };
      if (policy.promotion === 'auto') {
        const reason = `retraining run ${run.id}: gate '${gate.gate}' passed on ${mine.dataset}${champion === null ? '' : ` against ${champion}`}`;
        const now = await this.deps.registry.getModel(policy.model);
        if (now.aliases['champion'] !== trained.version.version) await this.deps.registry.setAlias(req.actor, policy.model, 'champion', trained.version.version, reason, evidence);
        await step('promote', 'done', `promoted ${challenger} to champion (policy: auto)`, evidence);
        await this.store.updateRun(run.id, { state: 'promoted', reason }, this.now());
      } else {
        const created = this.clock();
        const approval = await this.store.openApproval({
          id: newId('apr'),
          runId: run.id,
          model: policy.model,
          version: trained.version.version,
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
        await this.store.updateRun(run.id, { state: 'awaiting_approval', reason }, this.now());
      }
      return this.getRun(run.id);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await step(current, 'failed', message);
      await this.store.updateRun(run.id, { state: 'failed', reason: `${current} failed: ${message}` }, this.now());
      throw err;
    }
  }

  /** The training dataset: the policy's dataset, plus the review answers as labelled rows when asked. */
  private async trainingData(policy: RetrainingPolicy, req: RunRequest, step: (n: string, s: RunStep['status'], r: string, d?: Record<string, unknown>) => Promise<void>): Promise<string> {
    const base = await this.deps.datasets.show(policy.training.dataset);
    if (!policy.training.includeReviewAnswers) {
      await step('training_data', 'done', `training on ${base.ref} (review answers not asked for)`, { dataset: base.ref });
      return base.ref;
    }
    const settings = policy.training.settings;
    const label = typeof settings['label'] === 'string' ? settings['label'] : base.schema.find((c) => c.roles.includes('label'))?.name;
    if (label === undefined) throw MloopError.invalidArgument(`${base.ref} has no label column: name it in training.settings.label`);
    const columns = base.schema.map((c) => c.name);
    const answered = (await this.deps.serving.store.listReview({ status: 'answered', limit: MAX_REVIEW_ROWS })).filter((r) => r.model === policy.model && r.answer !== null && r.inputs !== undefined);
    if (answered.length === 0) {
      await step('training_data', 'done', `training on ${base.ref}: no answered review items for ${policy.model} yet`, { dataset: base.ref, review_answers: 0 });
      return base.ref;
    }
    const shared = columns.filter((c) => c !== label && answered.some((r) => r.inputs![c] !== undefined));
    const rows = answered.map((r) => JSON.stringify(Object.fromEntries([...shared.map((c) => [c, r.inputs![c] ?? null]), [label, r.answer]])));
    const dir = join(this.deps.datasets.tempDir, `review-${process.pid}-${newId('tmp')}`);
    mkdirSync(dir, { recursive: true });
    try {
      const file = join(dir, 'review-answers.jsonl');
      writeFileSync(file, `${rows.join('\n')}\n`);
      const reviews = await this.deps.datasets.importFile({ file, name: `${policy.model}-review-answers`, actor: req.actor, description: `answered review items of ${policy.model}` });
      const cols = [...shared, label].map(quote).join(', ');
      const derived = await this.deps.datasets.derive({
        sql: `SELECT ${cols} FROM {${base.ref}} UNION ALL BY NAME SELECT ${cols} FROM {${reviews.version.ref}}`,
        name: `${policy.model}-training`,
        actor: req.actor,
        description: `${base.ref} plus the review answers of ${policy.model}`,
      });
      await step('training_data', 'done', `built ${derived.version.ref}: ${base.ref} plus ${answered.length} review answers (${reviews.version.ref})`, {
        dataset: derived.version.ref,
        parents: [base.ref, reviews.version.ref],
        review_answers: answered.length,
      });
      return derived.version.ref;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** The evaluation dataset: the policy's, or a holdout split off the training data. */
  private async evaluationData(
    policy: RetrainingPolicy,
    trainingRef: string,
    req: RunRequest,
    step: (n: string, s: RunStep['status'], r: string, d?: Record<string, unknown>) => Promise<void>,
  ): Promise<{ trainRef: string; evalRef: string }> {
    const e = policy.evaluation;
    if ('dataset' in e) {
      const v = await this.deps.datasets.show(e.dataset);
      await step('evaluation_data', 'done', `evaluating on ${v.ref} (named by the policy)`, { dataset: v.ref });
      return { trainRef: trainingRef, evalRef: v.ref };
    }
    const { by, fraction, seed } = e.holdout;
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
    const move = await this.deps.registry.setAlias(actor, a.model, 'champion', a.version, reason, { ...a.evidence, approval: id });
    await this.store.putStep(a.runId, { step: 'approval', status: 'done', reason, details: { approval: id, actor }, at });
    await this.store.updateRun(a.runId, { state: 'promoted', reason }, at);
    return { approval: (await this.store.getApproval(id))!, move };
  }

  /** Rejects a pending challenger: nothing moves; the decision and comment are recorded. */
  async reject(actor: string, id: string, comment: string): Promise<Approval> {
    if (comment.trim() === '') throw MloopError.invalidArgument('a comment is required (--comment)');
    const a = await this.pending(id);
    const at = this.now();
    if (!(await this.store.decideApproval(id, { status: 'rejected', decidedBy: actor, decidedAt: at, comment }))) throw MloopError.conflict(`approval ${id} was decided meanwhile`);
    const reason = `rejected by ${actor} (approval ${id}): ${comment.trim()}`;
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
