/** What the registry needs from the metadata store. */
import type { AliasMove, ArtifactRef, Model, ModelDescription, ModelVersion, SavedEvaluation, Task, VersionRecord } from './registry.js';

export interface NewModelVersion {
  model: string;
  task: Task;
  /** Natural key of the producing run; a second create with the same key returns the first version. */
  runKey?: string;
  record: VersionRecord;
  artifacts: ArtifactRef[];
  tags?: Record<string, string>;
  notes?: string;
  description?: ModelDescription;
  createdAt: string;
  createdBy: string;
}

export interface RegistryStore {
  /**
   * Creates the model if needed and its next version, numbered in the same transaction (gap-free,
   * never colliding under concurrency). Returns the existing version when `runKey` was used before.
   * FAILED_PRECONDITION when the model exists with another task.
   */
  createVersion(v: NewModelVersion): Promise<{ version: ModelVersion; created: boolean }>;
  getModel(name: string): Promise<Model | undefined>;
  listModels(): Promise<Model[]>;
  getVersion(name: string, version: number): Promise<ModelVersion | undefined>;
  listVersions(name: string): Promise<ModelVersion[]>;
  /** Updates the editable description of a model. */
  updateDescription(name: string, description: ModelDescription): Promise<void>;
  /** Replaces tags and notes of a version. */
  annotateVersion(name: string, version: number, patch: { tags?: Record<string, string>; notes?: string }): Promise<void>;
  /**
   * Points `alias` at `version` (or removes it when `version` is null) and appends the move to the
   * history, in one transaction. Returns the move. NOT_FOUND when the version does not exist.
   */
  moveAlias(move: { model: string; alias: string; version: number | null; at: string; actor: string; reason: string; evidence: Record<string, unknown> }): Promise<AliasMove>;
  /** The alias history, oldest first. Nothing updates or deletes it. */
  aliasHistory(name: string, alias?: string): Promise<AliasMove[]>;
  /** Records an evaluation of a version (NOT_FOUND when the version does not exist). */
  saveEvaluation(e: Omit<SavedEvaluation, 'id'>): Promise<SavedEvaluation>;
  /** Saved evaluations of one version, newest first. */
  listEvaluations(name: string, version: number): Promise<SavedEvaluation[]>;
}
