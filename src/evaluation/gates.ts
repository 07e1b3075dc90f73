/**
 * Gates: what a model must show before it may be promoted. A gate is data (a JSON file); checking it
 * against a report returns one result per rule instead of throwing.
 */
import { MloopError, type ValidationIssue } from '../errors/index.js';
import type { Estimate } from '../stats/index.js';
import { METRICS } from './metrics.js';
import type { ClassificationReport, RegressionReport } from './report.js';

/** Which number of an estimate a rule compares. */
export type Bound = 'value' | 'lower' | 'upper';

/** One rule of a gate. Exactly one of `min`, `max`, `beats_champion_by` is set. */
export interface GateRule {
  /** A metric id (`accuracy`, `ece`, …) or an automation figure (`automation.coverage`, `automation.precision`, `automation.review_share`). */
  metric: string;
  min?: number;
  max?: number;
  /** The challenger must beat the champion on this metric by at least this much (in the metric's better direction). */
  beats_champion_by?: number;
  /** Compare the point value (default) or a bound of its 95% interval, e.g. `lower` for "at least, with confidence". */
  bound?: Bound;
  /** Apply the floor or ceiling to every trusted slice of this column instead of the whole set. */
  slice?: string;
}

export interface GateSpec {
  name?: string;
  rules: GateRule[];
}

export interface RuleResult {
  rule: GateRule;
  status: 'pass' | 'fail' | 'skip';
  observed: number | null;
  expected: string;
  message: string;
}

export interface GateResult {
  gate: string;
  passed: boolean;
  rules: RuleResult[];
}

const DIRECTION: Record<string, 'higher' | 'lower'> = {
  ...Object.fromEntries(Object.values(METRICS).map((m) => [m.id, m.direction])),
  'automation.coverage': 'higher',
  'automation.precision': 'higher',
  'automation.review_share': 'lower',
};

/**
 * Rules of another concept (fairness) that a gate file may hold: rules whose metric starts with
 * `prefix` are validated by `validate` and checked by the caller's `checkExternal`.
 */
export interface GateRuleExtension {
  prefix: string;
  validate(raw: unknown, path: string): ValidationIssue[];
}

/** Validates a parsed gate file; INVALID_ARGUMENT with one issue per problem. */
export function parseGate(raw: unknown, source = 'gate', extensions: readonly GateRuleExtension[] = []): GateSpec {
  const issues: ValidationIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, code: 'invalid_gate', message });
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw MloopError.validation(`${source}: a gate must be a JSON object with "rules"`, [{ path: '', code: 'invalid_gate', message: 'expected an object' }]);
  }
  const obj = raw as Record<string, unknown>;
  for (const key of Object.keys(obj)) if (!['name', 'rules', '$schema'].includes(key)) add(key, `unknown key '${key}'`);
  if (!Array.isArray(obj['rules']) || obj['rules'].length === 0) add('rules', 'expected a non-empty array of rules');
  const rules: GateRule[] = [];
  (Array.isArray(obj['rules']) ? obj['rules'] : []).forEach((r: unknown, i: number) => {
    const path = `rules.${i}`;
    if (r === null || typeof r !== 'object' || Array.isArray(r)) return add(path, 'expected an object');
    const rule = r as Record<string, unknown>;
    const extension = typeof rule['metric'] === 'string' ? extensions.find((x) => (rule['metric'] as string).startsWith(x.prefix)) : undefined;
    if (extension) {
      issues.push(...extension.validate(rule, path));
      rules.push(rule as unknown as GateRule);
      return;
    }
    for (const key of Object.keys(rule)) if (!['metric', 'min', 'max', 'beats_champion_by', 'bound', 'slice'].includes(key)) add(`${path}.${key}`, `unknown key '${key}'`);
    if (typeof rule['metric'] !== 'string' || !(rule['metric'] in DIRECTION)) {
      add(`${path}.metric`, `unknown metric ${JSON.stringify(rule['metric'])}; valid: ${Object.keys(DIRECTION).join(', ')}`);
    }
    const kinds = ['min', 'max', 'beats_champion_by'].filter((k) => rule[k] !== undefined);
    if (kinds.length !== 1) add(path, 'set exactly one of min, max, beats_champion_by');
    for (const k of kinds) if (typeof rule[k] !== 'number' || !Number.isFinite(rule[k])) add(`${path}.${k}`, 'expected a number');
    if (rule['bound'] !== undefined && !['value', 'lower', 'upper'].includes(rule['bound'] as string)) add(`${path}.bound`, "expected 'value', 'lower' or 'upper'");
    if (rule['slice'] !== undefined && typeof rule['slice'] !== 'string') add(`${path}.slice`, 'expected a column name');
    if (rule['slice'] !== undefined && rule['beats_champion_by'] !== undefined) add(path, 'beats_champion_by cannot be combined with slice');
    rules.push(rule as unknown as GateRule);
  });
  if (issues.length > 0) throw MloopError.validation(`${source}: ${issues[0]!.path}: ${issues[0]!.message}`, issues);
  return { ...(typeof obj['name'] === 'string' ? { name: obj['name'] } : {}), rules };
}

type AnyReport = ClassificationReport | RegressionReport;

function estimateOf(report: AnyReport, metric: string): Estimate | undefined {
  if (metric.startsWith('automation.')) {
    if (report.task !== 'classification' || !report.automation) return undefined;
    const a = report.automation;
    return metric === 'automation.coverage' ? a.coverage : metric === 'automation.precision' ? a.precision : a.reviewShare;
  }
  return report.metrics[metric];
}

function pick(e: Estimate, bound: Bound): number | null {
  const v = bound === 'value' ? e.value : bound === 'lower' ? e.lower : e.upper;
  return v === null || !Number.isFinite(v) ? null : v;
}

/**
 * Checks every rule of `gate` against `report` (and `champion`, the current champion's report on
 * the same data, for `beats_champion_by` rules). A rule whose figure is missing fails, except a
 * champion comparison when there is no champion yet, which is skipped.
 */
export function checkGate(
  gate: GateSpec,
  report: AnyReport,
  champion?: AnyReport,
  checkExternal?: (rule: GateRule) => RuleResult | undefined,
): GateResult {
  const results: RuleResult[] = gate.rules.map((rule) => {
    if (!(rule.metric in DIRECTION)) {
      const external = checkExternal?.(rule);
      return external ?? { rule, status: 'fail', observed: null, expected: rule.metric, message: `no check is available for ${rule.metric}` };
    }
    const bound = rule.bound ?? 'value';
    const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4));
    if (rule.beats_champion_by !== undefined) {
      const expected = `beats champion by ≥ ${rule.beats_champion_by} on ${rule.metric} (${bound})`;
      if (!champion) return { rule, status: 'skip', observed: null, expected, message: 'no champion to compare with' };
      const mine = estimateOf(report, rule.metric);
      const theirs = estimateOf(champion, rule.metric);
      const m = mine && pick(mine, bound);
      const t = theirs && pick(theirs, 'value');
      if (m === null || m === undefined || t === null || t === undefined) {
        return { rule, status: 'fail', observed: null, expected, message: `${rule.metric} is not available for both models` };
      }
      const gain = DIRECTION[rule.metric] === 'higher' ? m - t : t - m;
      const pass = gain >= rule.beats_champion_by - 1e-12;
      return { rule, status: pass ? 'pass' : 'fail', observed: gain, expected, message: `${rule.metric}: challenger ${fmt(m)} vs champion ${fmt(t)}, gain ${fmt(gain)}` };
    }
    const limit = rule.min ?? rule.max!;
    const isMin = rule.min !== undefined;
    const expected = `${rule.metric}${bound === 'value' ? '' : ` (${bound} bound)`} ${isMin ? '≥' : '≤'} ${limit}${rule.slice ? ` in every trusted '${rule.slice}' slice` : ''}`;
    const ok = (v: number) => (isMin ? v >= limit - 1e-12 : v <= limit + 1e-12);
    if (rule.slice !== undefined) {
      const slices = report.slices.filter((s) => s.column === rule.slice && s.trusted);
      if (slices.length === 0) return { rule, status: 'fail', observed: null, expected, message: `no trusted slices of '${rule.slice}' in the report` };
      const values = slices.map((s) => ({ s, v: s.metrics[rule.metric] ? pick(s.metrics[rule.metric]!, bound) : null }));
      const failing = values.filter((x) => x.v === null || !ok(x.v));
      const worst = values.reduce<number | null>((w, x) => (x.v === null ? w : w === null ? x.v : isMin ? Math.min(w, x.v) : Math.max(w, x.v)), null);
      return {
        rule,
        status: failing.length === 0 ? 'pass' : 'fail',
        observed: worst,
        expected,
        message: failing.length === 0 ? `all ${slices.length} slices pass` : `failing slices: ${failing.map((x) => `${x.s.value} (${x.v === null ? 'n/a' : fmt(x.v)})`).join(', ')}`,
      };
    }
    const e = estimateOf(report, rule.metric);
    const v = e ? pick(e, bound) : null;
    if (v === null) return { rule, status: 'fail', observed: null, expected, message: `${rule.metric} is not available in this report` };
    return { rule, status: ok(v) ? 'pass' : 'fail', observed: v, expected, message: `${rule.metric} = ${fmt(v)}` };
  });
  return { gate: gate.name ?? 'gate', passed: results.every((r) => r.status !== 'fail'), rules: results };
}
