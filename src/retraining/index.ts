/**
 * Retraining (issue 9 items 3–5): a policy per model, the `retrain` job (training data with review
 * answers → challenger → evaluation against the champion → gate → promotion or approval), runs with
 * their steps, approvals that expire, and alias rollback.
 */
export { PROMOTIONS, HOLDOUT_METHODS, RUN_STATES, parsePolicy, policyJson, runJson, approvalJson } from './retraining.js';
export type { Promotion, HoldoutMethod, RetrainingPolicy, RetrainingRun, RunState, RunStep, Approval } from './retraining.js';
export type { RetrainingStore } from './retraining-store.js';
export { SqlRetrainingStore } from './sql-retraining-store.js';
export { RetrainingService } from './retraining-service.js';
export type { RetrainingDeps, RunRequest } from './retraining-service.js';
export { retrainHandler } from './retrain-handler.js';
