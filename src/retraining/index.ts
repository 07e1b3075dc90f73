/**
 * Retraining (issue 9): a policy per model, the lifecycle loop's triggers and recorded decisions,
 * its default schedules, the `retrain` job (training data with review answers → challenger →
 * evaluation against the champion → gate → shadow → promotion or approval → watch), runs with
 * their steps, approvals that expire, and alias rollback (by hand or when a watch limit is crossed).
 */
export { PROMOTIONS, HOLDOUT_METHODS, RUN_STATES, parsePolicy, policyJson, runJson, approvalJson, withLoopDefaults } from './retraining.js';
export type { Promotion, HoldoutMethod, RetrainingPolicy, RetrainingRun, RunState, RunStep, Approval } from './retraining.js';
export { TRIGGERS, CHECK_SOURCES, DEFAULT_LOOP, DEFAULT_MONITORING_CRON, DEFAULT_CHECK_CRON, decisionJson, loopNames } from './triggers.js';
export type { LoopSettings, TriggerSettings, ScheduleSettings, ShadowSettings, WatchSettings, TriggerName, CheckSource, TriggerResult, Decision } from './triggers.js';
export { agreementReport, watchReport } from './loop-reports.js';
export type { AgreementReport, WatchReport } from './loop-reports.js';
export type { RetrainingStore } from './retraining-store.js';
export { SqlRetrainingStore } from './sql-retraining-store.js';
export { RetrainingService } from './retraining-service.js';
export type { AuditSink } from './retraining-service.js';
export type { RetrainingDeps, RunRequest, CheckRequest } from './retraining-service.js';
export { retrainHandler, retrainCheckHandler, monitorHandler, retrainingHandlers } from './retrain-handler.js';
