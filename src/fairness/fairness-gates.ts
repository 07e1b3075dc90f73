/**
 * Fairness gate rules: data in a gate file, in the style of evaluation's gates
 * (`{ "metric": "fairness.equalized_odds_difference", "attribute": "sex", "max": 0.05, "bound": "upper" }`).
 * Checking returns one result per rule instead of throwing.
 */
import { MloopError, type ValidationIssue } from '../errors/index.js';
import type { FairnessReport } from './fairness.js';
import { FAIRNESS_METRIC_IDS, getFairnessMetric } from './fairness-metrics.js';
import { attributeNameProblem } from './group-counts.js';

/** Which number of a difference a rule compares: the point value or a bound of its bootstrap interval. */
export type FairnessBound = 'value' | 'lower' | 'upper';

/** One fairness rule. Exactly one of `min`, `max`, `beats_champion_by` is set. */
export interface FairnessGateRule {
  /** A fairness metric id, e.g. `fairness.demographic_parity_difference` (see `FAIRNESS_METRIC_IDS`). */
  metric: string;
  /** The audited attribute the rule is about: a column (`sex`) or an intersection (`sex&race`). */
  attribute: string;
  /** Floor (for ratios, e.g. 0.8 for the four-fifths rule). */
  min?: number;
  /** Ceiling (for differences). */
  max?: number;
  /** The challenger must beat the champion by at least this much in the metric's better direction; a negative value allows that much widening. */
  beats_champion_by?: number;
  /** Compare the point value (default) or a bound of its interval: `upper` = "at most, with confidence" for differences. */
  bound?: FairnessBound;
  /** What a rule does when fewer than two groups can be compared: `fail` (default) or `skip`. */
  if_insufficient?: 'fail' | 'skip';
}

export interface FairnessGateSpec {
  name?: string;
  rules: FairnessGateRule[];
}

/** The outcome of one rule, shaped like evaluation's `RuleResult`. */
export interface FairnessRuleResult {
  rule: FairnessGateRule;
  status: 'pass' | 'fail' | 'skip';
  observed: number | null;
  expected: string;
  message: string;
}

export interface FairnessGateResult {
  gate: string;
  /** True when no rule failed (skipped rules do not block). */
  passed: boolean;
  rules: FairnessRuleResult[];
}

const RULE_KEYS = ['metric', 'attribute', 'min', 'max', 'beats_champion_by', 'bound', 'if_insufficient'];

/**
 * Validation issues of one fairness rule at `path` (e.g. `rules.2`); empty when valid. Evaluation's
 * gate parser can call this for rules whose metric starts with `fairness.`.
 */
export function validateFairnessRule(raw: unknown, path: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const add = (p: string, message: string) => issues.push({ path: p, code: 'invalid_gate', message });
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    add(path, 'expected an object');
    return issues;
  }
  const rule = raw as Record<string, unknown>;
  for (const key of Object.keys(rule))
    if (!RULE_KEYS.includes(key)) add(`${path}.${key}`, `unknown key '${key}'; valid: ${RULE_KEYS.join(', ')}`);
  if (typeof rule['metric'] !== 'string' || !FAIRNESS_METRIC_IDS.includes(rule['metric'])) {
    add(`${path}.metric`, `unknown fairness metric ${JSON.stringify(rule['metric'])}; valid: ${FAIRNESS_METRIC_IDS.join(', ')}`);
  }
  if (typeof rule['attribute'] !== 'string' || rule['attribute'].length === 0)
    add(`${path}.attribute`, 'expected the name of an audited attribute, e.g. "sex" or "sex&race"');
  else {
    const problem = attributeNameProblem(rule['attribute']);
    if (problem !== null) add(`${path}.attribute`, problem);
  }
  const kinds = ['min', 'max', 'beats_champion_by'].filter((k) => rule[k] !== undefined);
  if (kinds.length !== 1) add(path, 'set exactly one of min, max, beats_champion_by');
  for (const k of kinds)
    if (typeof rule[k] !== 'number' || !Number.isFinite(rule[k])) add(`${path}.${k}`, 'expected a finite number');
  if (rule['bound'] !== undefined && !['value', 'lower', 'upper'].includes(rule['bound'] as string))
    add(`${path}.bound`, "expected 'value', 'lower' or 'upper'");
  if (rule['if_insufficient'] !== undefined && !['fail', 'skip'].includes(rule['if_insufficient'] as string))
    add(`${path}.if_insufficient`, "expected 'fail' or 'skip'");
  return issues;
}

/**
 * Validates a parsed gate file of fairness rules; INVALID_ARGUMENT with one issue per problem,
 * each naming its path (`rules.1.metric`).
 *
 * @example
 * const gate = parseFairnessGate({ rules: [{ metric: 'fairness.equalized_odds_difference', attribute: 'sex', max: 0.05, bound: 'upper' }] });
 */
export function parseFairnessGate(raw: unknown, source = 'gate'): FairnessGateSpec {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw MloopError.validation(`${source}: a gate must be a JSON object with "rules"`, [
      { path: '', code: 'invalid_gate', message: 'expected an object' },
    ]);
  }
  const obj = raw as Record<string, unknown>;
  const issues: ValidationIssue[] = [];
  for (const key of Object.keys(obj))
    if (!['name', 'rules', '$schema'].includes(key))
      issues.push({ path: key, code: 'invalid_gate', message: `unknown key '${key}'` });
  if (obj['name'] !== undefined && typeof obj['name'] !== 'string')
    issues.push({ path: 'name', code: 'invalid_gate', message: 'expected a string' });
  const rules = Array.isArray(obj['rules']) ? obj['rules'] : [];
  if (rules.length === 0) issues.push({ path: 'rules', code: 'invalid_gate', message: 'expected a non-empty array of rules' });
  rules.forEach((r: unknown, i: number) => issues.push(...validateFairnessRule(r, `rules.${i}`)));
  if (issues.length > 0) throw MloopError.validation(`${source}: ${issues[0]!.path}: ${issues[0]!.message}`, issues);
  return { ...(typeof obj['name'] === 'string' ? { name: obj['name'] } : {}), rules: rules as FairnessGateRule[] };
}

const fmt = (v: number) => v.toFixed(4);

function describe(rule: FairnessGateRule, bound: FairnessBound): string {
  const what = `${rule.metric}${bound === 'value' ? '' : ` (${bound} bound)`} for '${rule.attribute}'`;
  if (rule.beats_champion_by !== undefined) return `${what} beats champion by ≥ ${rule.beats_champion_by}`;
  return rule.min !== undefined ? `${what} ≥ ${rule.min}` : `${what} ≤ ${rule.max}`;
}

/**
 * Checks one rule against a fairness report (and the champion's, for `beats_champion_by`). A missing
 * audit, attribute or figure fails; fewer than two comparable groups fails unless `if_insufficient`
 * is `skip`; a champion comparison without a champion is skipped.
 */
export function checkFairnessRule(
  rule: FairnessGateRule,
  report: FairnessReport | undefined,
  champion?: FairnessReport,
): FairnessRuleResult {
  const spec = getFairnessMetric(rule.metric);
  const bound = rule.bound ?? 'value';
  const expected = describe(rule, bound);
  const result = (status: FairnessRuleResult['status'], observed: number | null, message: string): FairnessRuleResult => ({
    rule,
    status,
    observed,
    expected,
    message,
  });
  if (!report) return result('fail', null, 'the report has no fairness audit');
  if (spec.needs === 'threshold' && report.threshold === null)
    return result('fail', null, `${rule.metric} needs an automation threshold; the audit had none`);
  const attr = report.attributes[rule.attribute];
  if (!attr)
    return result(
      'fail',
      null,
      `attribute '${rule.attribute}' was not audited; audited: ${Object.keys(report.attributes).join(', ') || 'none'}`,
    );
  const diff = attr.differences[spec.key];
  const excluded = attr.excluded.filter((e) => e.from === 'all' || e.from === diff?.rate);
  const shown = excluded
    .slice(0, 5)
    .map((e) => `${e.group}${e.from !== 'all' && e.class !== null ? ` (${e.from} of '${e.class}')` : ''}: ${e.reason}`);
  if (excluded.length > shown.length) shown.push(`and ${excluded.length - shown.length} more`);
  const note = shown.length === 0 ? '' : `; not compared: ${shown.join('; ')}`;
  if (!diff || diff.value === null) {
    const status = rule.if_insufficient ?? 'fail';
    return result(status, null, `fewer than two groups of '${rule.attribute}' can be compared on ${spec.key}${note}`);
  }
  const v = bound === 'value' ? diff.value : bound === 'lower' ? diff.lower : diff.upper;
  if (v === null)
    return result('fail', null, `${spec.key} for '${rule.attribute}' has no ${bound} bound (too few usable resamples)`);
  const where =
    diff.min && diff.max
      ? ` (${diff.rate}${diff.class !== null ? ` of class '${diff.class}'` : ''}: ${diff.min.group} ${fmt(diff.min.value)}, ${diff.max.group} ${fmt(diff.max.value)})`
      : '';
  if (rule.beats_champion_by !== undefined) {
    if (!champion) return result('skip', null, 'no champion to compare with');
    const theirs = champion.attributes[rule.attribute]?.differences[spec.key]?.value ?? null;
    if (theirs === null) return result('fail', null, `${spec.key} for '${rule.attribute}' is not available for the champion`);
    const gain = spec.direction === 'higher' ? v - theirs : theirs - v;
    const pass = gain >= rule.beats_champion_by - 1e-12;
    return result(
      pass ? 'pass' : 'fail',
      gain,
      `${spec.key} for '${rule.attribute}': challenger ${fmt(v)} vs champion ${fmt(theirs)}, gain ${fmt(gain)}${where}${note}`,
    );
  }
  const pass = rule.min !== undefined ? v >= rule.min - 1e-12 : v <= rule.max! + 1e-12;
  return result(
    pass ? 'pass' : 'fail',
    v,
    `${spec.key} for '${rule.attribute}' = ${fmt(v)}${bound === 'value' ? '' : ` (${bound} bound; point ${fmt(diff.value)})`}${where}${note}`,
  );
}

/** Checks every rule of `gate`; one result per rule. */
export function checkFairnessGate(
  gate: FairnessGateSpec,
  report: FairnessReport | undefined,
  champion?: FairnessReport,
): FairnessGateResult {
  const rules = gate.rules.map((r) => checkFairnessRule(r, report, champion));
  return { gate: gate.name ?? 'gate', passed: rules.every((r) => r.status !== 'fail'), rules };
}
