/**
 * One check of a model's retraining triggers: each trigger's verdict with the numbers it looked at,
 * and the decision they add up to (a run in progress or the cool-down can hold a retrain back).
 */
import { MloopError } from '../errors/index.js';
import type { Job } from '../jobs/index.js';
import type { MonitoringReport } from '../monitoring/index.js';
import type { RetrainingDeps } from './retraining-service.js';
import type { RetrainingPolicy, RetrainingRun } from './retraining.js';
import { loopNames, type CheckSource, type Decision, type TriggerResult } from './triggers.js';

const HOUR_MS = 3_600_000;
const MAX_REVIEW = 10_000;
const DRIFT_METRIC = /^(drift\.|prediction\.(label|confidence)_drift$)/;
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export interface CheckContext {
  source: CheckSource;
  now: Date;
  /** The model's latest run, whatever its state. */
  lastRun: RetrainingRun | null;
  /** The latest decision that retrained (its label counts are the baseline of `new_labels`). */
  lastRetrain: Decision | null;
  /** Reports the monitoring run made already, by `<model ref> <window>`. */
  reports?: ReadonlyMap<string, MonitoringReport>;
}

/** Evaluates every trigger of the policy; a trigger the policy leaves off is listed as not enabled. */
export async function checkTriggers(deps: RetrainingDeps, policy: RetrainingPolicy, ctx: CheckContext): Promise<{ triggers: TriggerResult[]; labels: Record<string, number> }> {
  const t = policy.loop.triggers;
  const model = policy.model;
  const out: TriggerResult[] = [];

  // Schedule: the scheduled retraining check retrains when the policy says so.
  if (!t.schedule) out.push({ trigger: 'schedule', enabled: false, fired: false, reason: 'schedule: off', values: {} });
  else if (ctx.source === 'schedule') out.push({ trigger: 'schedule', enabled: true, fired: true, reason: `schedule: the scheduled retraining check is due (${policy.loop.schedules.retrainingCheck ?? 'no cron'})`, values: { cron: policy.loop.schedules.retrainingCheck } });
  else out.push({ trigger: 'schedule', enabled: true, fired: false, reason: `schedule: only a scheduled check retrains on schedule (this one is ${ctx.source})`, values: {} });

  // Drift: a firing drift alert on the model, raised after the last run started.
  if (!t.drift) out.push({ trigger: 'drift', enabled: false, fired: false, reason: 'drift: off', values: {} });
  else {
    const rule = loopNames(model).driftRule;
    const since = ctx.lastRun?.createdAt ?? '';
    const firing = (await deps.monitoring.listAlerts({ status: 'firing', limit: 1000 })).filter((a) => (a.model === model || a.model.startsWith(`${model}@`)) && (a.ruleName === rule || DRIFT_METRIC.test(a.metric)));
    const fresh = firing.filter((a) => a.createdAt > since);
    const a = fresh[0] ?? firing[0];
    const values = a ? { alert: a.id, rule: a.ruleName, metric: a.metric, value: a.value, threshold: a.threshold, first_window: a.firstWindow, windows: a.windows, raised_at: a.createdAt } : { firing: 0 };
    if (fresh.length > 0) out.push({ trigger: 'drift', enabled: true, fired: true, reason: `drift: alert ${a!.id} (${a!.ruleName}) firing — ${a!.message}`, values });
    else if (a) out.push({ trigger: 'drift', enabled: true, fired: false, reason: `drift: alert ${a.id} (${a.ruleName}) was already firing when run ${ctx.lastRun!.id} started`, values });
    else out.push({ trigger: 'drift', enabled: true, fired: false, reason: `drift: no drift alert firing (rule ${rule}: ${t.drift.metric} ${t.drift.op} ${t.drift.threshold} in ${t.drift.consecutive} ${t.drift.window} window(s))`, values });
  }

  // Performance: estimated (CBPE) or realized accuracy of the champion in its latest full window.
  if (!t.performance) out.push({ trigger: 'performance', enabled: false, fired: false, reason: 'performance: off', values: {} });
  else {
    const p = t.performance;
    const name = p.metric === 'estimated_accuracy' ? 'estimated accuracy (CBPE)' : 'realized accuracy';
    try {
      const report = ctx.reports?.get(`${model}@champion ${p.window}`) ?? (await deps.monitoring.report({ model: `${model}@champion`, window: p.window }));
      const windows = report.windows.filter((w) => (p.metric === 'estimated_accuracy' ? w.performance.predictions : w.performance.labels) >= p.minPredictions);
      const w = windows.at(-1);
      const est = w?.performance[p.metric] ?? null;
      if (!w || !est) {
        out.push({ trigger: 'performance', enabled: true, fired: false, reason: `performance: no ${p.window} window with ${p.minPredictions} ${p.metric === 'estimated_accuracy' ? 'predictions' : 'labelled predictions'} to judge ${name}`, values: { min: p.min, windows: report.windows.length } });
      } else {
        const values = { metric: p.metric, value: est.value, lower: est.lower, upper: est.upper, min: p.min, window_start: w.start, predictions: w.performance.predictions, labels: w.performance.labels, version: report.version };
        const below = est.value < p.min;
        out.push({ trigger: 'performance', enabled: true, fired: below, reason: `performance: ${name} of ${model}@champion ${pct(est.value)} (95% ${pct(est.lower)}–${pct(est.upper)}) in the window from ${w.start.slice(0, 10)} is ${below ? 'below' : 'at or above'} the floor ${pct(p.min)}`, values });
      }
    } catch (err) {
      if (!(err instanceof MloopError)) throw err;
      out.push({ trigger: 'performance', enabled: true, fired: false, reason: `performance: cannot measure ${model}@champion: ${err.message}`, values: { code: err.code } });
    }
  }

  // New labels: review answers on the model's predictions since its latest version, plus consensus labels since the last retrain.
  const labels: Record<string, number> = {};
  const projects = t.newLabels?.projects ?? [];
  const projectErrors: string[] = [];
  for (const project of projects) {
    try {
      labels[project] = (await deps.labeling.consensus(project)).items.length;
    } catch (err) {
      if (!(err instanceof MloopError)) throw err;
      projectErrors.push(`${project}: ${err.message}`);
    }
  }
  if (!t.newLabels) out.push({ trigger: 'new_labels', enabled: false, fired: false, reason: 'new_labels: off', values: {} });
  else {
    const versions = await deps.registry.listVersions(model).catch(() => []);
    const since = versions.reduce((m, v) => (v.createdAt > m ? v.createdAt : m), '');
    const reviews = (await deps.serving.listReview({ status: 'answered', limit: MAX_REVIEW })).filter((r) => r.model === model && (r.answeredAt ?? '') > since).length;
    const base = ctx.lastRetrain?.labels ?? {};
    const fromProjects = Object.fromEntries(Object.entries(labels).map(([k, n]) => [k, Math.max(0, n - (base[k] ?? 0))]));
    const total = reviews + Object.values(fromProjects).reduce((a, b) => a + b, 0);
    const fired = total >= t.newLabels.min;
    const parts = [`${reviews} review answers since the last training${since === '' ? '' : ` (${since})`}`, ...Object.entries(fromProjects).map(([k, n]) => `${n} new consensus labels in ${k}`), ...projectErrors];
    out.push({ trigger: 'new_labels', enabled: true, fired, reason: `new_labels: ${total} new labelled rows (${parts.join(', ')}) ${fired ? '≥' : '<'} ${t.newLabels.min}`, values: { total, min: t.newLabels.min, review_answers: reviews, projects: fromProjects, since: since || null } });
  }
  return { triggers: out, labels };
}

/** What the triggers add up to, and why. */
export function summarizeDecision(policy: RetrainingPolicy, triggers: readonly TriggerResult[], ctx: { active: RetrainingRun | null; job: Job | null; lastRun: RetrainingRun | null; now: Date }): { retrain: boolean; reason: string } {
  const fired = triggers.filter((t) => t.fired);
  const enabled = triggers.filter((t) => t.enabled);
  if (fired.length === 0) return { retrain: false, reason: `no trigger fired: ${enabled.length === 0 ? 'every trigger is off' : enabled.map((t) => t.reason).join('; ')}` };
  const why = fired.map((t) => t.reason).join('; ');
  if (ctx.job) return { retrain: false, reason: `held back: retrain job ${ctx.job.id} is ${ctx.job.state}; fired: ${why}` };
  if (ctx.active) return { retrain: false, reason: `held back: run ${ctx.active.id} is ${ctx.active.state.replace('_', ' ')}; fired: ${why}` };
  const cooldown = policy.loop.triggers.cooldownHours;
  if (ctx.lastRun && cooldown > 0 && Date.parse(ctx.lastRun.createdAt) > ctx.now.getTime() - cooldown * HOUR_MS) {
    return { retrain: false, reason: `held back: run ${ctx.lastRun.id} started ${ctx.lastRun.createdAt}, within the ${cooldown}h cool-down; fired: ${why}` };
  }
  return { retrain: true, reason: `retrain: ${why}` };
}
