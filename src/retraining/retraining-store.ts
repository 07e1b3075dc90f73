/** The store retraining needs: policies, runs with steps, approvals. */
import type { Approval, RetrainingPolicy, RetrainingRun, RunState, RunStep } from './retraining.js';
import type { Decision } from './triggers.js';

export interface RetrainingStore {
  /** Creates or replaces the policy of `policy.model`. */
  putPolicy(policy: RetrainingPolicy, at: string, actor: string): Promise<void>;
  getPolicy(model: string): Promise<{ policy: RetrainingPolicy; updatedAt: string; updatedBy: string } | undefined>;
  listPolicies(): Promise<Array<{ policy: RetrainingPolicy; updatedAt: string; updatedBy: string }>>;
  /** Deletes the policy of `model`; false when it has none. Its runs and decisions stay. */
  removePolicy(model: string): Promise<boolean>;
  /** The run under `runKey`, created when it does not exist yet (a retried job finds its run). */
  openRun(run: Omit<RetrainingRun, 'steps'>): Promise<{ run: RetrainingRun; created: boolean }>;
  getRun(id: string): Promise<RetrainingRun | undefined>;
  /** Newest first; `offset` skips that many of the newest matching runs. */
  listRuns(filter: { model?: string; states?: readonly RunState[]; limit: number; offset?: number }): Promise<RetrainingRun[]>;
  /** How many runs match the filter. */
  countRuns(filter: { model?: string; states?: readonly RunState[] }): Promise<number>;
  updateRun(id: string, patch: { state?: RunState; reason?: string; challenger?: string | null; champion?: string | null }, at: string): Promise<void>;
  /** Moves a run from state `from` (and only from it) to `patch.state`; false when it was not in `from` (another process moved it). */
  transitionRun(id: string, from: RunState, patch: { state: RunState; reason: string }, at: string): Promise<boolean>;
  /** Records a step, replacing an earlier record of the same step (a retried attempt). */
  putStep(runId: string, step: Omit<RunStep, 'seq'>): Promise<void>;
  /** Creates the approval of a run, or returns the one it has. */
  openApproval(a: Approval): Promise<Approval>;
  getApproval(id: string): Promise<Approval | undefined>;
  listApprovals(filter: { status?: Approval['status']; limit: number }): Promise<Approval[]>;
  /** Sets the decision when the approval is still pending; false when it was decided already. */
  decideApproval(id: string, decision: { status: Approval['status']; decidedBy: string; decidedAt: string; comment: string | null }): Promise<boolean>;
  /** Records a decision, or returns the one recorded under its key (`created: false`). */
  putDecision(d: Decision): Promise<{ decision: Decision; created: boolean }>;
  /** Sets the retrain job of a decision. */
  setDecisionJob(id: string, jobId: string): Promise<void>;
  getDecision(idOrKey: string): Promise<Decision | undefined>;
  /** Newest first. */
  listDecisions(filter: { model?: string; retrain?: boolean; limit: number }): Promise<Decision[]>;
}
