/** Retraining entities: the policy of a model, runs with their steps, and approvals. */
import { MloopError, type ValidationIssue } from '../errors/index.js';
import type { GateSpec } from '../evaluation/index.js';
import { checkModelName } from '../registry/index.js';
import { parseGateFile } from '../training/index.js';
import { parseLoopSettings, loopSettingsJson, DEFAULT_LOOP, type LoopSettings } from './triggers.js';

/** How a challenger that passed its gate becomes champion. */
export const PROMOTIONS = Object.freeze(['auto', 'approval'] as const);
export type Promotion = (typeof PROMOTIONS)[number];

/** How the evaluation data is held out of the training data when no dataset is named. */
export const HOLDOUT_METHODS = Object.freeze(['time', 'stratified', 'random'] as const);
export type HoldoutMethod = (typeof HOLDOUT_METHODS)[number];

/** A model's retraining policy: what to train on, how, what to evaluate on, the gate, and who promotes. */
export interface RetrainingPolicy {
  model: string;
  training: {
    /** Dataset reference, `name@N` or `name` (the latest version when the run starts). */
    dataset: string;
    /** Add the answered review items of the model's deployments as labelled rows. */
    includeReviewAnswers: boolean;
    /** Labeling projects whose final labels (consensus, gold, adjudication) are added as labelled rows. */
    labelingProjects: string[];
    /** Passed to `trainModel` (label, text, features, learner, params, seed, targetPrecision, …). */
    settings: Record<string, unknown>;
  };
  evaluation: { dataset: string } | { holdout: { by: HoldoutMethod; fraction: number; seed: number } };
  gate: GateSpec;
  promotion: Promotion;
  /** Hours a pending approval stays open before it expires. */
  approvalExpiresHours: number;
  /** What starts a run (triggers), the default schedules, the shadow period and the watch after promotion. */
  loop: LoopSettings;
}

const POLICY_FIELDS = ['model', 'training', 'evaluation', 'gate', 'promotion', 'approval', 'triggers', 'schedules', 'shadow', 'watch'];
const TRAIN_SETTINGS = new Set(['label', 'text', 'features', 'task', 'learner', 'params', 'seed', 'validationFraction', 'targetPrecision', 'thresholdMethod', 'allowSensitive', 'outOfScope']);
const DEFAULT_EXPIRY_HOURS = 168;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Validates a policy document (snake_case keys, as in the file). Returns the policy or the issues,
 * one per problem; never throws for bad input.
 */
export function parsePolicy(raw: unknown): { policy: RetrainingPolicy | null; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = [];
  const issue = (path: string, code: string, message: string) => issues.push({ path, code, message });
  if (!isObject(raw)) return { policy: null, issues: [{ path: '', code: 'invalid_type', message: 'a policy is an object' }] };
  for (const k of Object.keys(raw)) {
    if (!POLICY_FIELDS.includes(k)) issue(k, 'unknown_field', `unknown field '${k}'; known: ${POLICY_FIELDS.join(', ')}`);
  }
  let model = '';
  if (typeof raw['model'] !== 'string') issue('model', 'required', 'model is required (a model name)');
  else {
    try {
      model = checkModelName(raw['model']);
    } catch (err) {
      issue('model', 'invalid_value', (err as Error).message);
    }
  }
  const t = raw['training'];
  let training: RetrainingPolicy['training'] = { dataset: '', includeReviewAnswers: false, labelingProjects: [], settings: {} };
  if (!isObject(t)) issue('training', 'required', 'training is required: {dataset, include_review_answers?, labeling_projects?, settings?}');
  else {
    if (typeof t['dataset'] !== 'string' || t['dataset'] === '') issue('training.dataset', 'required', 'training.dataset is required (name or name@N)');
    const inc = t['include_review_answers'] ?? false;
    if (typeof inc !== 'boolean') issue('training.include_review_answers', 'invalid_type', 'training.include_review_answers is true or false');
    const settings = t['settings'] ?? {};
    if (!isObject(settings)) issue('training.settings', 'invalid_type', 'training.settings is an object of training options');
    else for (const k of Object.keys(settings)) if (!TRAIN_SETTINGS.has(k)) issue(`training.settings.${k}`, 'unknown_field', `'${k}' is not a training option; known: ${[...TRAIN_SETTINGS].join(', ')}`);
    // The automation target is set from the dashboard too: a wrong one is refused here, not when a run trains.
    if (isObject(settings) && settings['targetPrecision'] !== undefined) {
      const tp = settings['targetPrecision'];
      if (typeof tp !== 'number' || !(tp > 0 && tp <= 1)) issue('training.settings.targetPrecision', 'out_of_range', 'training.settings.targetPrecision is a number above 0 and at most 1');
    }
    const projects = t['labeling_projects'] ?? [];
    if (!Array.isArray(projects) || projects.some((p) => typeof p !== 'string' || p === '')) issue('training.labeling_projects', 'invalid_type', 'training.labeling_projects is a list of labeling project names');
    for (const k of Object.keys(t)) if (!['dataset', 'include_review_answers', 'labeling_projects', 'settings'].includes(k)) issue(`training.${k}`, 'unknown_field', `unknown field 'training.${k}'`);
    training = {
      dataset: String(t['dataset'] ?? ''),
      includeReviewAnswers: inc === true,
      labelingProjects: Array.isArray(projects) ? projects.filter((p): p is string => typeof p === 'string' && p !== '') : [],
      settings: isObject(settings) ? settings : {},
    };
  }
  const e = raw['evaluation'] ?? { holdout: {} };
  let evaluation: RetrainingPolicy['evaluation'] = { holdout: { by: 'time', fraction: 0.2, seed: 42 } };
  if (!isObject(e)) issue('evaluation', 'invalid_type', 'evaluation is {dataset} or {holdout: {by, fraction, seed}}');
  else if (typeof e['dataset'] === 'string' && e['dataset'] !== '') {
    if (e['holdout'] !== undefined) issue('evaluation', 'conflict', 'evaluation names a dataset or a holdout, not both');
    evaluation = { dataset: e['dataset'] };
  } else if (e['dataset'] !== undefined) issue('evaluation.dataset', 'invalid_type', 'evaluation.dataset is a dataset reference');
  else {
    const h = e['holdout'] ?? {};
    if (!isObject(h)) issue('evaluation.holdout', 'invalid_type', 'evaluation.holdout is {by, fraction, seed}');
    else {
      const by = h['by'] ?? 'time';
      const fraction = h['fraction'] ?? 0.2;
      const seed = h['seed'] ?? 42;
      if (!HOLDOUT_METHODS.includes(by as HoldoutMethod)) issue('evaluation.holdout.by', 'invalid_value', `evaluation.holdout.by is one of ${HOLDOUT_METHODS.join(', ')}`);
      if (typeof fraction !== 'number' || !(fraction > 0 && fraction < 0.9)) issue('evaluation.holdout.fraction', 'out_of_range', 'evaluation.holdout.fraction is a number between 0 and 0.9');
      if (typeof seed !== 'number' || !Number.isInteger(seed)) issue('evaluation.holdout.seed', 'invalid_type', 'evaluation.holdout.seed is an integer');
      evaluation = { holdout: { by: by as HoldoutMethod, fraction: Number(fraction), seed: Number(seed) } };
    }
  }
  let gate: GateSpec = { rules: [] };
  if (raw['gate'] === undefined) issue('gate', 'required', 'gate is required: a gate ({name?, rules}) or, in a policy file, the path of a gate file');
  else {
    try {
      gate = parseGateFile(raw['gate'], 'gate');
    } catch (err) {
      const found = err instanceof MloopError ? (err.details as { issues?: ValidationIssue[] } | undefined)?.issues : undefined;
      const details = found ?? [];
      if (details.length === 0) issue('gate', 'invalid_value', (err as Error).message);
      for (const d of details) issue(`gate.${d.path}`.replace(/\.$/, ''), d.code, d.message);
    }
  }
  const promotion = raw['promotion'] ?? 'approval';
  if (!PROMOTIONS.includes(promotion as Promotion)) issue('promotion', 'invalid_value', `promotion is one of ${PROMOTIONS.join(', ')}`);
  let approvalExpiresHours = DEFAULT_EXPIRY_HOURS;
  const a = raw['approval'];
  if (a !== undefined) {
    if (!isObject(a)) issue('approval', 'invalid_type', 'approval is {expires_in_hours}');
    else if (a['expires_in_hours'] !== undefined) {
      const h = a['expires_in_hours'];
      if (typeof h !== 'number' || !(h > 0)) issue('approval.expires_in_hours', 'out_of_range', 'approval.expires_in_hours is a positive number');
      else approvalExpiresHours = h;
    }
  }
  const loop = parseLoopSettings(raw, model, issues);
  if (issues.length > 0) return { policy: null, issues };
  return { policy: { model, training, evaluation, gate, promotion: promotion as Promotion, approvalExpiresHours, loop }, issues };
}

/** The policy as its file form (snake_case): what `policies show` prints and what `parsePolicy` reads back. */
export function policyJson(p: RetrainingPolicy) {
  return {
    model: p.model,
    training: { dataset: p.training.dataset, include_review_answers: p.training.includeReviewAnswers, labeling_projects: p.training.labelingProjects ?? [], settings: p.training.settings },
    evaluation: p.evaluation,
    gate: p.gate,
    promotion: p.promotion,
    approval: { expires_in_hours: p.approvalExpiresHours },
    ...loopSettingsJson(p.loop ?? DEFAULT_LOOP),
  };
}

/** A stored policy with the settings later versions added filled in with their defaults. */
export function withLoopDefaults(p: RetrainingPolicy): RetrainingPolicy {
  const training = p.training.labelingProjects === undefined ? { ...p.training, labelingProjects: [] } : p.training;
  return { ...p, training, loop: p.loop ?? DEFAULT_LOOP };
}

/** Where a run stands. */
export const RUN_STATES = Object.freeze(['running', 'shadowing', 'shadow_failed', 'awaiting_approval', 'watching', 'promoted', 'rolled_back', 'gate_failed', 'rejected', 'expired', 'failed'] as const);
export type RunState = (typeof RUN_STATES)[number];

/** One recorded step of a run. */
export interface RunStep {
  step: string;
  seq: number;
  /** `running`: the step is under way (a shadow period, a watch period). */
  status: 'done' | 'skipped' | 'failed' | 'running';
  reason: string;
  details: Record<string, unknown>;
  at: string;
}

/** A retraining run: the challenger it made, the champion it faced, and each step with its reason. */
export interface RetrainingRun {
  id: string;
  model: string;
  runKey: string;
  state: RunState;
  reason: string;
  policy: RetrainingPolicy;
  challenger: string | null;
  champion: string | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  steps: RunStep[];
}

/** A challenger waiting for a person. */
export interface Approval {
  id: string;
  runId: string;
  model: string;
  version: number;
  status: 'pending' | 'approved' | 'rejected' | 'expired';
  evidence: Record<string, unknown>;
  createdAt: string;
  expiresAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  comment: string | null;
}

/** The JSON shape of a run. */
export function runJson(r: RetrainingRun) {
  return {
    id: r.id,
    model: r.model,
    run_key: r.runKey,
    state: r.state,
    reason: r.reason,
    challenger: r.challenger,
    champion: r.champion,
    created_at: r.createdAt,
    created_by: r.createdBy,
    updated_at: r.updatedAt,
    steps: r.steps.map((s) => ({ step: s.step, status: s.status, reason: s.reason, details: s.details, at: s.at })),
  };
}

/** The JSON shape of an approval. */
export function approvalJson(a: Approval) {
  return {
    id: a.id,
    run_id: a.runId,
    model: a.model,
    version: a.version,
    status: a.status,
    evidence: a.evidence,
    created_at: a.createdAt,
    expires_at: a.expiresAt,
    decided_by: a.decidedBy,
    decided_at: a.decidedAt,
    comment: a.comment,
  };
}
