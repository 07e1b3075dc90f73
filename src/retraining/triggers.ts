/**
 * The lifecycle loop's settings in a retraining policy — what starts a run (triggers), the default
 * schedules, the shadow period and the watch after promotion — and the decisions a check records.
 */
import type { MloopError, ValidationIssue } from '../errors/index.js';
import { checkTimeZone, parseCron } from '../jobs/index.js';
import { checkMetric, parseWindow, RULE_OPS, type RuleOp } from '../monitoring/index.js';

/** What starts a retraining run. Each trigger is off when null. */
export interface TriggerSettings {
  /** The scheduled retraining check retrains (default true). */
  schedule: boolean;
  /** A firing drift alert of the policy's alert rule `<model>.drift` (on `model@champion`). */
  drift: { metric: string; op: RuleOp; threshold: number; consecutive: number; window: string } | null;
  /** Estimated (CBPE) or realized accuracy of `model@champion` in the latest window below a floor. */
  performance: { metric: 'estimated_accuracy' | 'realized_accuracy'; min: number; window: string; minPredictions: number } | null;
  /** At least `min` new labelled rows since the last training: review answers plus consensus labels of `projects`. */
  newLabels: { min: number; projects: string[] } | null;
  /** No new run within this many hours of the last one (default 24). */
  cooldownHours: number;
}

/** Schedules created for the model when its policy is set; null: none. */
export interface ScheduleSettings {
  /** Cron of the monitoring run (default daily at 02:00). */
  monitoring: string | null;
  /** Cron of the retraining check (default monthly, 03:00 on the 1st). */
  retrainingCheck: string | null;
  timezone: string;
}

/** Before promotion: the challenger shadows the champion's deployment for `requests` requests. */
export interface ShadowSettings {
  requests: number;
  /** Share of requests on which challenger and champion must agree to go on, or null (report only). */
  minAgreement: number | null;
}

/** After promotion: roll back when the new champion crosses a limit within `hours`. */
export interface WatchSettings {
  hours: number;
  /** Wrong answers among predictions whose ground truth arrived (review answers, feedback). */
  maxErrorRate: number | null;
  /** Share of predictions routed to people. */
  maxReviewShare: number | null;
  /** Predictions (labelled ones for the error rate) needed before a limit is judged. */
  minPredictions: number;
}

export interface LoopSettings {
  triggers: TriggerSettings;
  schedules: ScheduleSettings;
  shadow: ShadowSettings | null;
  watch: WatchSettings | null;
}

export const DEFAULT_MONITORING_CRON = '0 2 * * *';
export const DEFAULT_CHECK_CRON = '0 3 1 * *';

export const DEFAULT_LOOP: LoopSettings = Object.freeze({
  triggers: { schedule: true, drift: null, performance: null, newLabels: null, cooldownHours: 24 },
  schedules: { monitoring: DEFAULT_MONITORING_CRON, retrainingCheck: DEFAULT_CHECK_CRON, timezone: 'UTC' },
  shadow: null,
  watch: null,
});

/** Names of the schedules and the alert rule a policy manages for its model. */
export const loopNames = (model: string) => ({ monitoring: `${model}.monitor`, check: `${model}.retrain-check`, driftRule: `${model}.drift` });

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

type Issue = (path: string, code: string, message: string) => void;

function fields(o: Record<string, unknown>, path: string, known: string[], issue: Issue): void {
  for (const k of Object.keys(o)) if (!known.includes(k)) issue(`${path}.${k}`, 'unknown_field', `unknown field '${path}.${k}'; known: ${known.join(', ')}`);
}

function num(o: Record<string, unknown>, key: string, path: string, dflt: number | null, ok: (v: number) => boolean, what: string, issue: Issue): number | null {
  const v = o[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) {
    issue(`${path}.${key}`, 'out_of_range', `${path}.${key} is ${what}`);
    return dflt;
  }
  return v;
}

function section(raw: unknown, path: string, issue: Issue): Record<string, unknown> | null {
  if (raw === undefined || raw === null || raw === false) return null;
  if (raw === true) return {};
  if (!isObject(raw)) {
    issue(path, 'invalid_type', `${path} is an object of settings, true (defaults) or false (off)`);
    return null;
  }
  return raw;
}

function probability(v: number) {
  return v >= 0 && v <= 1;
}

/** Parses `triggers`, `schedules`, `shadow` and `watch` of a policy document, adding issues. */
export function parseLoopSettings(raw: Record<string, unknown>, model: string, issues: ValidationIssue[]): LoopSettings {
  const issue: Issue = (path, code, message) => issues.push({ path, code, message });
  const d = DEFAULT_LOOP;
  const t = raw['triggers'] ?? {};
  const triggers: TriggerSettings = { ...d.triggers };
  if (!isObject(t)) issue('triggers', 'invalid_type', 'triggers is {schedule?, drift?, performance?, new_labels?, cooldown_hours?}');
  else {
    fields(t, 'triggers', ['schedule', 'drift', 'performance', 'new_labels', 'cooldown_hours'], issue);
    if (t['schedule'] !== undefined && typeof t['schedule'] !== 'boolean') issue('triggers.schedule', 'invalid_type', 'triggers.schedule is true or false');
    else if (t['schedule'] !== undefined) triggers.schedule = t['schedule'];
    triggers.cooldownHours = num(t, 'cooldown_hours', 'triggers', d.triggers.cooldownHours, (v) => v >= 0 && v <= 24 * 366, 'a number of hours from 0 to 8784', issue)!;
    const drift = section(t['drift'], 'triggers.drift', issue);
    if (drift) {
      fields(drift, 'triggers.drift', ['metric', 'op', 'threshold', 'consecutive', 'window'], issue);
      const metric = typeof drift['metric'] === 'string' ? drift['metric'] : 'drift.count';
      try {
        checkMetric(metric);
      } catch (err) {
        issue('triggers.drift.metric', 'invalid_value', (err as MloopError).message);
      }
      const op = (drift['op'] ?? '>=') as RuleOp;
      if (!RULE_OPS.includes(op)) issue('triggers.drift.op', 'invalid_value', `triggers.drift.op is one of ${RULE_OPS.join(' ')}`);
      const window = typeof drift['window'] === 'string' ? drift['window'] : '7d';
      try {
        parseWindow(window);
      } catch (err) {
        issue('triggers.drift.window', 'invalid_value', (err as MloopError).message);
      }
      triggers.drift = {
        metric,
        op,
        threshold: num(drift, 'threshold', 'triggers.drift', 1, Number.isFinite, 'a number', issue)!,
        consecutive: num(drift, 'consecutive', 'triggers.drift', 1, (v) => Number.isInteger(v) && v >= 1 && v <= 1000, 'a whole number from 1 to 1000', issue)!,
        window,
      };
    }
    const perf = section(t['performance'], 'triggers.performance', issue);
    if (perf) {
      fields(perf, 'triggers.performance', ['metric', 'min', 'window', 'min_predictions'], issue);
      const metric = perf['metric'] ?? 'estimated_accuracy';
      if (metric !== 'estimated_accuracy' && metric !== 'realized_accuracy') issue('triggers.performance.metric', 'invalid_value', 'triggers.performance.metric is estimated_accuracy (CBPE) or realized_accuracy');
      if (perf['min'] === undefined) issue('triggers.performance.min', 'required', 'triggers.performance.min is required: the accuracy floor, from 0 to 1');
      const window = typeof perf['window'] === 'string' ? perf['window'] : '7d';
      try {
        parseWindow(window);
      } catch (err) {
        issue('triggers.performance.window', 'invalid_value', (err as MloopError).message);
      }
      triggers.performance = {
        metric: metric === 'realized_accuracy' ? 'realized_accuracy' : 'estimated_accuracy',
        min: num(perf, 'min', 'triggers.performance', 0, probability, 'a number from 0 to 1', issue)!,
        window,
        minPredictions: num(perf, 'min_predictions', 'triggers.performance', 30, (v) => Number.isInteger(v) && v >= 1, 'a whole number ≥ 1', issue)!,
      };
    }
    const labels = section(t['new_labels'], 'triggers.new_labels', issue);
    if (labels) {
      fields(labels, 'triggers.new_labels', ['min', 'projects'], issue);
      if (labels['min'] === undefined) issue('triggers.new_labels.min', 'required', 'triggers.new_labels.min is required: how many new labelled rows start a run');
      const projects = labels['projects'] ?? [];
      if (!Array.isArray(projects) || projects.some((p) => typeof p !== 'string' || p === '')) issue('triggers.new_labels.projects', 'invalid_type', 'triggers.new_labels.projects is a list of labeling project names');
      triggers.newLabels = {
        min: num(labels, 'min', 'triggers.new_labels', 1, (v) => Number.isInteger(v) && v >= 1, 'a whole number ≥ 1', issue)!,
        projects: Array.isArray(projects) ? projects.filter((p): p is string => typeof p === 'string') : [],
      };
    }
  }

  const s = raw['schedules'] ?? {};
  const schedules: ScheduleSettings = { ...d.schedules };
  if (s === false) {
    schedules.monitoring = null;
    schedules.retrainingCheck = null;
  } else if (!isObject(s)) issue('schedules', 'invalid_type', 'schedules is {monitoring?, retraining_check?, timezone?} (each a cron expression or false), or false');
  else {
    fields(s, 'schedules', ['monitoring', 'retraining_check', 'timezone'], issue);
    // Checked here so that a bad zone is refused before the policy and its schedules are stored.
    let zoneOk = true;
    if (s['timezone'] !== undefined) {
      if (typeof s['timezone'] !== 'string') {
        zoneOk = false;
        issue('schedules.timezone', 'invalid_type', 'schedules.timezone is an IANA time zone such as Europe/Berlin');
      } else {
        try {
          schedules.timezone = checkTimeZone(s['timezone']);
        } catch (err) {
          zoneOk = false;
          issue('schedules.timezone', 'invalid_value', `${(err as MloopError).message}: schedules.timezone is an IANA time zone such as Europe/Berlin`);
        }
      }
    }
    for (const [key, field] of [
      ['monitoring', 'monitoring'],
      ['retraining_check', 'retrainingCheck'],
    ] as const) {
      const v = s[key];
      if (v === undefined) continue;
      if (v === false || v === null) schedules[field] = null;
      else if (typeof v !== 'string') issue(`schedules.${key}`, 'invalid_type', `schedules.${key} is a cron expression or false`);
      else {
        try {
          // With a bad zone the cron is still checked, in UTC, so its own problems are listed too.
          parseCron(v, zoneOk ? schedules.timezone : 'UTC');
          schedules[field] = v;
        } catch (err) {
          issue(`schedules.${key}`, 'invalid_value', (err as MloopError).message);
        }
      }
    }
  }
  const names = loopNames(model);
  if (model !== '' && (schedules.monitoring !== null || schedules.retrainingCheck !== null || triggers.drift !== null) && names.check.length > 63) {
    issue('model', 'invalid_value', `the model name is too long for its schedules ('${names.check}' has more than 63 characters): set schedules: false and no drift trigger`);
  }

  const sh = section(raw['shadow'], 'shadow', issue);
  let shadow: ShadowSettings | null = null;
  if (sh) {
    fields(sh, 'shadow', ['requests', 'min_agreement'], issue);
    shadow = {
      // The shadow's requests are read back from the newest predictions of the log (see LOG_LIMIT).
      requests: num(sh, 'requests', 'shadow', 200, (v) => Number.isInteger(v) && v >= 1 && v <= 20_000, 'a whole number from 1 to 20000', issue)!,
      minAgreement: num(sh, 'min_agreement', 'shadow', null, probability, 'a share from 0 to 1', issue),
    };
  }
  const w = section(raw['watch'], 'watch', issue);
  let watch: WatchSettings | null = null;
  if (w) {
    fields(w, 'watch', ['hours', 'max_error_rate', 'max_review_share', 'min_predictions'], issue);
    watch = {
      hours: num(w, 'hours', 'watch', 72, (v) => v > 0 && v <= 24 * 366, 'a number of hours above 0', issue)!,
      maxErrorRate: num(w, 'max_error_rate', 'watch', null, probability, 'a share from 0 to 1', issue),
      maxReviewShare: num(w, 'max_review_share', 'watch', null, probability, 'a share from 0 to 1', issue),
      minPredictions: num(w, 'min_predictions', 'watch', 50, (v) => Number.isInteger(v) && v >= 1, 'a whole number ≥ 1', issue)!,
    };
    if (watch.maxErrorRate === null && watch.maxReviewShare === null) issue('watch', 'required', 'watch needs max_error_rate, max_review_share or both');
  }
  return { triggers, schedules, shadow, watch };
}

/** The loop settings in their file form (snake_case). */
export function loopSettingsJson(l: LoopSettings) {
  const t = l.triggers;
  return {
    triggers: {
      schedule: t.schedule,
      drift: t.drift,
      performance: t.performance && { metric: t.performance.metric, min: t.performance.min, window: t.performance.window, min_predictions: t.performance.minPredictions },
      new_labels: t.newLabels,
      cooldown_hours: t.cooldownHours,
    },
    schedules: { monitoring: l.schedules.monitoring ?? false, retraining_check: l.schedules.retrainingCheck ?? false, timezone: l.schedules.timezone },
    shadow: l.shadow && { requests: l.shadow.requests, min_agreement: l.shadow.minAgreement },
    watch: l.watch && { hours: l.watch.hours, max_error_rate: l.watch.maxErrorRate, max_review_share: l.watch.maxReviewShare, min_predictions: l.watch.minPredictions },
  };
}

/** The triggers a check evaluates. */
export const TRIGGERS = Object.freeze(['schedule', 'drift', 'performance', 'new_labels'] as const);
export type TriggerName = (typeof TRIGGERS)[number];

/** What started a check: a schedule slot, the monitoring run, or a person. */
export const CHECK_SOURCES = Object.freeze(['schedule', 'monitoring', 'manual'] as const);
export type CheckSource = (typeof CHECK_SOURCES)[number];

/** One trigger's verdict in a check, with the numbers it looked at. */
export interface TriggerResult {
  trigger: TriggerName;
  /** False when the policy does not set this trigger. */
  enabled: boolean;
  fired: boolean;
  reason: string;
  values: Record<string, unknown>;
}

/** One evaluation of a model's triggers: retrain or not, and why. */
export interface Decision {
  id: string;
  model: string;
  /** Natural key (the check's job key): a retried check records one decision. */
  key: string;
  at: string;
  source: CheckSource;
  retrain: boolean;
  reason: string;
  triggers: TriggerResult[];
  /** Consensus labels per labeling project at this check (the baseline of the next `new_labels` count). */
  labels: Record<string, number>;
  /** The retrain job it queued. */
  jobId: string | null;
  createdBy: string;
}

/** The JSON shape of a decision. */
export function decisionJson(d: Decision) {
  return {
    id: d.id,
    model: d.model,
    key: d.key,
    at: d.at,
    source: d.source,
    retrain: d.retrain,
    reason: d.reason,
    triggers: d.triggers,
    labels: d.labels,
    job_id: d.jobId,
    created_by: d.createdBy,
  };
}
