/**
 * Evaluation (issue 4): metrics with bootstrap intervals, calibration (reliability, ECE), the
 * coverage–precision curve and automation at a target precision, out-of-scope rejection, slices
 * and gates. Works on predictions; the training concept produces them.
 */
export type { ClassificationData, ClassScores, ReliabilityBin, Weights } from './classification-metrics.js';
export { accuracy, macroF1, perClass, confusionMatrix, logLoss, reliability, expectedCalibrationError, rocAuc, averagePrecision } from './classification-metrics.js';
export type { RegressionData } from './regression-metrics.js';
export { mae, rmse, r2 } from './regression-metrics.js';
export { METRICS, getMetric } from './metrics.js';
export type { MetricSpec } from './metrics.js';
export {
  coveragePrecisionCurve,
  chooseThreshold,
  choosePerClassThresholds,
  automationAt,
  outOfScopeAt,
  subset,
} from './automation.js';
export type { CurvePoint, ThresholdChoice, ThresholdMethod, AutomationReport, OutOfScopeReport } from './automation.js';
export { chooseRejectionThreshold, REJECTION_RULES } from './rejection.js';
export type { RejectionChoice, RejectionRule } from './rejection.js';
export { evaluateClassification, evaluateRegression } from './report.js';
export type { ClassificationReport, RegressionReport, SliceReport, ReportOptions } from './report.js';
export { parseGate, checkGate } from './gates.js';
export type { GateSpec, GateRule, GateResult, RuleResult, Bound, GateRuleExtension } from './gates.js';
