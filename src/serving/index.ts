/**
 * Serving (issue 6): deployments that follow aliases, online inference (plain JSON and the Open
 * Inference Protocol) with human-review routing, an asynchronous bounded prediction log, ground
 * truth (review answers, feedback, imports), overload shedding, shadow and canary, batch scoring.
 */
export { checkDeploymentName, deploymentJson, reviewJson } from './serving.js';
export type { Deployment, Decision, PredictionRecord, PredictionRole, ReviewItem, GroundTruth, TruthSource } from './serving.js';
export type { ServingStore } from './serving-store.js';
export { DECISION_SORTS } from './prediction-stats.js';
export type { DayStats, DecisionRow, DecisionSort, DecisionsFilter, ModelTraffic } from './prediction-stats.js';
export { SqlServingStore } from './sql-serving-store.js';
export { ServingService } from './serving-service.js';
export type { DeployOptions, FeedbackImportResult, FeedbackImportIssue } from './serving-service.js';
export { ServingRuntime } from './serving-runtime.js';
export type { ServingRuntimeOptions, ServingRuntimeDeps, RuntimeLogger, ServedPrediction, ServedRow, DeploymentState } from './serving-runtime.js';
export { ServingMetrics } from './serving-metrics.js';
export type { CounterCell } from './serving-metrics.js';
export { PredictionLogWriter } from './prediction-log.js';
export type { PredictionLogOptions, PredictionLogEvents, PredictionLogStats } from './prediction-log.js';
export { validateRows, rowResults, storedThreshold, storedOutOfScopeThreshold, rejectOutOfScope, storedPlan, applyPlan, MicroBatcher } from './inference.js';
export { oipMetadata, oipRows, oipResponse } from './oip.js';
export { predictAnswerJson } from './answer-json.js';
export type { OipTensor } from './oip.js';
export type { LoadedModel, PlanDecision, RowResult, ValidatedRows } from './inference.js';
export { scoreFile, BATCH_FORMATS } from './batch-scoring.js';
export type { BatchScoreOptions, BatchScoreResult } from './batch-scoring.js';
export { demoServing } from './demo-serving.js';
export type { DemoServingOptions, DemoServingResult } from './demo-serving.js';
export { openPredictionLogStore } from './log-store.js';
export type { PredictionLogStore } from './log-store.js';
