/**
 * Monitoring: drift tests as data, bounded-memory reference profiles and window summaries,
 * calibrated alarms, and the statistics they rest on (checked against scipy).
 */
export {
  DRIFT_TESTS,
  DRIFT_TEST_IDS,
  DEFAULT_DRIFT_TEST,
  getDriftTest,
  isDriftTestId,
  runDriftTest,
} from './drift/drift-tests.js';
export type {
  DriftTestConfig,
  DriftTestDefinition,
  DriftTestId,
  DriftTestResult,
  FeatureKind,
  FeatureProfile,
  FeatureWindowSummary,
} from './drift/drift-tests.js';
export { profileDataset, DriftWindow, computeDrift } from './drift/dataset-drift.js';
export type { Columns, DatasetProfile, DriftReport, FeatureSpec } from './drift/dataset-drift.js';
export { calibrateAlarms, evaluateAlarms, calibratedPValue } from './drift/alarms.js';
export type { AlarmCalibration, AlarmPolicy, AlarmReport, FeatureAlarm, FeatureCalibration } from './drift/alarms.js';
export {
  profileNumeric,
  NumericWindow,
  ksDifferenceFromCells,
  ksUpperBoundFromCells,
  wassersteinFromCells,
  DEFAULT_MAX_EXACT_VALUES,
  DEFAULT_SKETCH_SIZE,
} from './drift/numeric-summary.js';
export type { NumericProfile, NumericProfileOptions, NumericWindowSummary } from './drift/numeric-summary.js';
export { profileCategorical, CategoricalWindow, alignCategories } from './drift/categorical-summary.js';
export type { CategoricalProfile, CategoricalWindowSummary } from './drift/categorical-summary.js';
export { profileText, TextWindow, tokenize } from './drift/text-summary.js';
export type { TextProfile, TextWindowSummary } from './drift/text-summary.js';
export { ks2samp, ks2sampPValue, ks2sampFromDifference, ksDifferenceFromSorted, KS_MAX_AUTO_N } from './stats/ks-2samp.js';
export type { Ks2SampResult, KsDifference, KsMethod } from './stats/ks-2samp.js';
export { kolmogn, kolmogorov, kolmogorovCdf, smirnov } from './stats/kolmogorov.js';
export { chi2Sf, chi2LogSf, gammaP, gammaQ, logGammaQ, logGamma } from './stats/gamma.js';
export { chi2Contingency } from './stats/chi2-contingency.js';
export type { Chi2ContingencyResult } from './stats/chi2-contingency.js';
export { psiFromCounts, jensenShannonDistance, wassersteinSorted, PSI_EPSILON } from './stats/divergence.js';
export { quantileSorted, quantileEdges, searchSortedRight, binCounts } from './stats/quantile.js';
export { benjaminiHochberg } from './stats/benjamini-hochberg.js';
export type { BenjaminiHochbergResult } from './stats/benjamini-hochberg.js';
export { seededRandom, normal } from './stats/random.js';
export type { Random } from './stats/random.js';
export { compareDatasets } from './dataset-comparison.js';
export type { CompareRequest, DatasetDriftReport, FeatureDriftRow, SchemaChange } from './dataset-comparison.js';
export { parseWindow, parseInstant, checkMetric, breaches, ruleJson, alertJson, MONITORED_METRICS, RULE_OPS, ALERT_SORTS } from './monitoring.js';
export type { WindowSpec, AlertRule, Alert, RuleOp, AlertSort, AlertPageQuery } from './monitoring.js';
export type { MonitoringStore, MonitoredPrediction, PredictionScan, LogState } from './monitoring-store.js';
export { SqlMonitoringStore } from './sql-monitoring-store.js';
export { wilsonInterval, fitConfidenceCalibration, calibrate, PerformanceWindow } from './performance/performance.js';
export type { IntervalEstimate, ConfidenceCalibration, WindowPerformance } from './performance/performance.js';
export { monitorModel, featureDistributions, estimateLatestAccuracy } from './model-monitor.js';
export type { LatestEstimate, LatestEstimateRequest, MonitorRequest, MonitoringReport, MonitoringWindow, WindowFeatureDrift, FeatureDistribution, MonitorDeps } from './model-monitor.js';
export { evaluateRule } from './alerts/alert-rules.js';
export type { RuleBreach } from './alerts/alert-rules.js';
export { checkWebhookUrl, postWebhook, privateAddressReason, parseWebhookUrl, slackBody } from './alerts/webhook.js';
export type { WebhookOptions } from './alerts/webhook.js';
export { MonitoringService } from './monitoring-service.js';
export type { NewRule, RuleChanges, RuleOutcome, ModelRunResult, MonitoringServiceOptions, MonitoringAuditSink } from './monitoring-service.js';
export { demoMonitoring } from './demo-monitoring.js';
export type { DemoMonitoringOptions, DemoMonitoringResult } from './demo-monitoring.js';
export { renderMonitoringHtml, escapeHtml } from './report-html.js';
export { MonitoringResultCache } from './result-cache.js';
export type { CachedReport, MonitoringResultCacheOptions } from './result-cache.js';
