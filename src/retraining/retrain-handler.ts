/** The lifecycle loop's job types: `retrain` (one run per job key), `retrain-check` and `monitor`. */
import type { ValidationIssue } from '../errors/index.js';
import type { JobHandler } from '../jobs/index.js';
import { runJson } from './retraining.js';
import type { RetrainingService } from './retraining-service.js';
import { decisionJson } from './triggers.js';

function modelPayload(p: Record<string, unknown>, type: string, optional: readonly string[] = []): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (typeof p['model'] !== 'string' || p['model'] === '') issues.push({ path: 'model', code: 'required', message: 'payload.model is required (a model with a retraining policy)' });
  for (const k of Object.keys(p)) {
    if (k !== 'model' && !optional.includes(k)) issues.push({ path: k, code: 'unknown_field', message: `payload.${k} is not known; ${type} takes {model${optional.map((o) => `, ${o}?`).join('')}}` });
  }
  if (p['decision'] !== undefined && typeof p['decision'] !== 'string') issues.push({ path: 'decision', code: 'invalid_type', message: 'payload.decision is a decision id' });
  return issues;
}

/** `retrain`: runs the model's retraining policy; a retried job resumes its run and makes one challenger. */
export function retrainHandler(service: RetrainingService): JobHandler {
  return {
    type: 'retrain',
    description: "run a model's retraining policy: training data → challenger → evaluation against the champion → gate → shadow → promote or ask for approval",
    validate: (p) => modelPayload(p, 'retrain', ['decision']),
    async run(ctx) {
      const decision = ctx.job.payload['decision'];
      const run = await service.run({
        key: ctx.job.key,
        model: ctx.job.payload['model'] as string,
        actor: ctx.job.createdBy,
        ...(typeof decision === 'string' ? { decision } : {}),
        log: (m) => ctx.log(m),
      });
      const { steps: _steps, ...summary } = runJson(run);
      return summary;
    },
  };
}

/** `retrain-check`: the scheduled retraining check — moves waiting runs on, evaluates the triggers, records the decision. */
export function retrainCheckHandler(service: RetrainingService): JobHandler {
  return {
    type: 'retrain-check',
    description: "check a model's retraining triggers (the schedule trigger fires here) and record the decision; a retrain queues a retrain job",
    validate: (p) => modelPayload(p, 'retrain-check'),
    async run(ctx) {
      const model = ctx.job.payload['model'] as string;
      const runs = await service.advance(ctx.job.createdBy, { model });
      for (const r of runs) await ctx.log(`run ${r.id}: ${r.state} — ${r.reason}`);
      const d = await service.check(ctx.job.createdBy, { model, source: ctx.job.schedule === null ? 'manual' : 'schedule', key: ctx.job.key });
      await ctx.log(`decision ${d.id}: ${d.reason}`);
      return { decision: decisionJson(d), runs: runs.map((r) => ({ id: r.id, state: r.state })) };
    },
  };
}

/** `monitor`: the monitoring run of one model — alert rules, waiting runs, and a check of the triggers. */
export function monitorHandler(service: RetrainingService): JobHandler {
  return {
    type: 'monitor',
    description: "monitor a model with a retraining policy: evaluate its alert rules, move shadow and watch periods on, check its triggers",
    validate: (p) => modelPayload(p, 'monitor'),
    async run(ctx) {
      const r = await service.monitor(ctx.job.createdBy, ctx.job.payload['model'] as string, ctx.job.key, (m) => ctx.log(m));
      return { rules: r.rules.map((o) => ({ rule: o.rule, state: o.state, alert: o.alert?.id ?? null })), runs: r.runs.map((x) => ({ id: x.id, state: x.state })), decision: decisionJson(r.decision) };
    },
  };
}

/** Every job type of the loop, for the workspace to register. */
export function retrainingHandlers(service: RetrainingService): JobHandler[] {
  return [retrainHandler(service), retrainCheckHandler(service), monitorHandler(service)];
}
