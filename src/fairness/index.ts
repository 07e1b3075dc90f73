/**
 * Fairness (issue 10): bias audits over sensitive attributes (group tables, Fairlearn's across-group
 * comparisons with bootstrap intervals, groups too small to judge marked), fairness gate rules as
 * data, and post-processing mitigation with group-specific thresholds. Works on predictions.
 */
export { auditFairness } from './audit.js';
export type {
  AttributeReport,
  ClassComparison,
  ClassRates,
  Exclusion,
  FairnessDifference,
  FairnessOptions,
  FairnessReport,
  GroupMetrics,
} from './fairness.js';
export {
  FAIRNESS_METRICS,
  FAIRNESS_METRIC_IDS,
  FAIRNESS_METRIC_KEYS,
  getFairnessMetric,
  isFairnessMetric,
} from './fairness-metrics.js';
export type { Comparison, FairnessMetricKey, FairnessMetricSpec, GroupRate } from './fairness-metrics.js';
export { attributeNameProblem, buildGroupings, splitAttributes, MISSING_GROUP, INTERSECTION_SEPARATOR } from './group-counts.js';
export type { AttributeSplit, Grouping, RateName } from './group-counts.js';
export { parseFairnessGate, validateFairnessRule, checkFairnessRule, checkFairnessGate } from './fairness-gates.js';
export type {
  FairnessBound,
  FairnessGateRule,
  FairnessGateSpec,
  FairnessGateResult,
  FairnessRuleResult,
} from './fairness-gates.js';
export { mitigateThresholds, applyThresholdPlan, evaluateThresholdPlan, thresholdsFor, decideWithPlan, planToJson, planFromJson, PARITY_CONSTRAINTS } from './mitigation.js';
export type { MitigationFigures, MitigationOptions, MitigationOutcome, ParityConstraint, ServedScores, ThresholdPlan } from './mitigation.js';
export { BiasWindow, BIAS_METRIC_KEYS, BIAS_METRICS_NEEDING_TRUTH } from './bias-window.js';
export type { BiasAttribute, BiasGap, BiasGroupRates, BiasMetricKey, BiasRow, BiasWindowOptions, BiasWindowResult } from './bias-window.js';
