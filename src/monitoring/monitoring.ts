/** Monitoring entities: windows of the prediction log, alert rules and alerts. */
import { MloopError } from '../errors/index.js';
import { BIAS_METRIC_KEYS } from '../fairness/index.js';

/** How the prediction log is cut into windows: by time (UTC-aligned) or by a count of predictions. */
export type WindowSpec = { kind: 'time'; ms: number; text: string } | { kind: 'count'; size: number; text: string };

const UNIT_MS: Record<string, number> = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** Parses `12h`, `1d`, `7d`, `2w` (time windows) or `500` / `500p` (windows of 500 predictions). */
export function parseWindow(text: string): WindowSpec {
  const t = text.trim();
  const time = /^(\d{1,4})([hdw])$/.exec(t);
  if (time) {
    const n = Number(time[1]);
    if (n >= 1) return { kind: 'time', ms: n * UNIT_MS[time[2]!]!, text: t };
  }
  const count = /^(\d{1,9})p?$/.exec(t);
  if (count && Number(count[1]) >= 10) return { kind: 'count', size: Number(count[1]), text: t };
  throw MloopError.invalidArgument(`invalid window '${text}': use a duration such as 12h, 1d, 7d or 2w, or a number of predictions (at least 10) such as 500`);
}

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Parses an ISO 8601 date (`2026-11-27`: midnight UTC) or date and time (`2026-11-27T08:00`,
 * `2026-11-27T08:00:00.5+02:00`; without an offset, UTC) into the UTC form the prediction log
 * stores (`2026-11-27T06:00:00.000Z`), so that comparing the texts compares the instants.
 * INVALID_ARGUMENT naming `what` (such as `--since`) for anything else.
 */
export function parseInstant(text: string, what: string): string {
  const m = ISO_INSTANT.exec(text.trim());
  const bad = () =>
    MloopError.invalidArgument(`${what}: '${text}' is not an ISO 8601 date or time`, { hint: 'such as 2026-11-27, 2026-11-27T08:00:00Z or 2026-11-27T08:00:00+02:00 (without an offset, UTC)' });
  if (!m) throw bad();
  const [y, mo, d, h, mi, sec] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number];
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3));
  const zone = m[8] ?? 'Z';
  let offsetMin = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(-2));
    if (oh > 23 || om > 59) throw bad();
    offsetMin = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  if (h > 23 || mi > 59 || sec > 59) throw bad();
  const date = new Date(Date.UTC(2000, mo - 1, d, h, mi, sec, ms));
  date.setUTCFullYear(y, mo - 1, d);
  // Date rolls 2026-02-30 over to March; such a date is refused instead.
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) throw bad();
  return new Date(date.getTime() - offsetMin * 60_000).toISOString();
}

/** Comparison of an alert rule. */
export const RULE_OPS = Object.freeze(['>', '>=', '<', '<='] as const);
export type RuleOp = (typeof RULE_OPS)[number];

/** An alert rule: raise when `metric op threshold` holds in `consecutive` windows in a row. */
export interface AlertRule {
  id: string;
  /** Unique name. */
  name: string;
  /** Model monitored: `name`, `name@N` or `name@alias`. */
  model: string;
  /** A monitored value of each window (see {@link MONITORED_METRICS}), e.g. `performance.estimated_accuracy`. */
  metric: string;
  op: RuleOp;
  threshold: number;
  /** Windows in a row the condition must hold (≥ 1). */
  consecutive: number;
  /** Window spec, e.g. `7d`. */
  window: string;
  /** Where alerts are posted (Slack-compatible JSON), or null. */
  webhook: string | null;
  enabled: boolean;
  createdAt: string;
  createdBy: string;
}

/** An alert: one breach of a rule, however many runs see it. */
export interface Alert {
  id: string;
  ruleId: string;
  ruleName: string;
  model: string;
  metric: string;
  dedupKey: string;
  status: 'firing' | 'resolved';
  /** Start of the first and of the latest window in breach. */
  firstWindow: string;
  lastWindow: string;
  /** Windows in breach so far. */
  windows: number;
  value: number | null;
  threshold: number;
  message: string;
  createdAt: string;
  updatedAt: string;
  resolvedAt: string | null;
  delivery: 'none' | 'delivered' | 'failed';
  deliveryError: string | null;
  deliveredAt: string | null;
}

/** Columns an alert list can be sorted by (`value`: alerts without one sort lowest). */
export const ALERT_SORTS = Object.freeze(['updated_at', 'created_at', 'model', 'rule', 'status', 'value', 'windows'] as const);
export type AlertSort = (typeof ALERT_SORTS)[number];

/** One page of the alert history: filtered, sorted (ties by id, in the same order) and cut in SQL. */
export interface AlertPageQuery {
  /** A model name: its alerts under the name and under any `name@…` reference. */
  model?: string;
  status?: Alert['status'];
  sort: AlertSort;
  order: 'asc' | 'desc';
  offset: number;
  limit: number;
}

/**
 * Monitored values every window carries (patterns: `<feature>` is a model input, `<attribute>` a
 * logged group column, `<gap>` one of fairness's gaps tracked over time: {@link BIAS_METRIC_KEYS}).
 * Rules on other names are refused with this list.
 */
export const MONITORED_METRICS = Object.freeze([
  'predictions',
  'drift.share',
  'drift.count',
  'drift.<feature>',
  'drift.<feature>.statistic',
  'prediction.label_drift',
  'prediction.confidence_drift',
  'prediction.review_share',
  'prediction.mean_confidence',
  'performance.labels',
  'performance.realized_accuracy',
  'performance.estimated_accuracy',
  'fairness.<attribute>.<gap>',
  'fairness.<attribute>.<gap>.lower',
  'fairness.<attribute>.<gap>.upper',
] as const);

const GAPS = BIAS_METRIC_KEYS.join('|');
const PATTERNS = MONITORED_METRICS.map(
  (m) => new RegExp(`^${m.replace(/\./g, '\\.').replace('<feature>', '[^\\s]+').replace('<attribute>', '[^\\s]+').replace('<gap>', `(?:${GAPS})`)}$`),
);

/** Validates a metric name against {@link MONITORED_METRICS}. */
export function checkMetric(metric: string): string {
  if (!PATTERNS.some((p) => p.test(metric))) {
    throw MloopError.invalidArgument(`unknown monitored value '${metric}'`, { hint: `monitored values: ${MONITORED_METRICS.join(', ')} (<gap>: ${BIAS_METRIC_KEYS.join(', ')})` });
  }
  return metric;
}

/** Whether `value op threshold`. */
export function breaches(op: RuleOp, value: number | null, threshold: number): boolean {
  if (value === null || !Number.isFinite(value)) return false;
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
  }
}

/** JSON shape of a rule in CLI `--json` and HTTP answers. */
export function ruleJson(r: AlertRule) {
  return { id: r.id, name: r.name, model: r.model, metric: r.metric, op: r.op, threshold: r.threshold, consecutive: r.consecutive, window: r.window, webhook: r.webhook, enabled: r.enabled, created_at: r.createdAt, created_by: r.createdBy };
}

/** JSON shape of an alert. */
export function alertJson(a: Alert) {
  return {
    id: a.id,
    rule: a.ruleName,
    model: a.model,
    metric: a.metric,
    status: a.status,
    first_window: a.firstWindow,
    last_window: a.lastWindow,
    windows: a.windows,
    value: a.value,
    threshold: a.threshold,
    message: a.message,
    created_at: a.createdAt,
    updated_at: a.updatedAt,
    resolved_at: a.resolvedAt,
    delivery: a.delivery,
    delivery_error: a.deliveryError,
    delivered_at: a.deliveredAt,
  };
}
