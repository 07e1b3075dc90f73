/** Labeling projects, their items, assignments, answers, adjudications and annotator states. */
import { MloopError } from '../errors/index.js';

/** Consensus methods a project can use, by their CLI names. */
export const CONSENSUS_METHODS = Object.freeze(['mv', 'ds'] as const);
export type ConsensusMethodName = (typeof CONSENSUS_METHODS)[number];

/** Everything that decides how a project is labelled. Stored as JSON; every field has a default. */
export interface ProjectConfig {
  /** The label set, in tie-breaking order (majority-vote ties go to the earlier label). */
  labels: string[];
  /** Column whose values identify items; null means the row number (0-based). */
  idColumn: string | null;
  /** Columns shown to annotators. */
  showColumns: string[];
  /** How many people label each item (k). */
  overlap: number;
  /** Share of served items that are gold questions, in [0, 1). */
  goldRate: number;
  /**
   * Secret seed that places each annotator's gold questions (with their name, it fixes the phase
   * of the even spacing); never shown to annotators. Projects made before it use their id.
   */
  goldSeed?: string;
  /** Column of the gold version that holds the gold label; null when there is no gold. */
  goldColumn: string | null;
  /** How long an annotator holds an item before it goes back to the queue. */
  leaseSeconds: number;
  /** Items whose consensus confidence is below this go to adjudication. */
  adjudicationThreshold: number;
  /** An annotator whose gold accuracy falls below this (after `minGoldAnswers`) is paused. */
  minGoldAccuracy: number;
  /** Gold answers needed before the accuracy rule applies. */
  minGoldAnswers: number;
  /** Default consensus method for adjudication and export. */
  consensus: ConsensusMethodName;
}

export const DEFAULT_PROJECT_CONFIG: Readonly<Omit<ProjectConfig, 'labels' | 'idColumn' | 'showColumns' | 'goldColumn'>> =
  Object.freeze({
    overlap: 1,
    goldRate: 0,
    leaseSeconds: 600,
    adjudicationThreshold: 0.7,
    minGoldAccuracy: 0.6,
    minGoldAnswers: 5,
    consensus: 'ds',
  });

/** A labeling project over one dataset version. */
export interface LabelingProject {
  id: string;
  name: string;
  /** The exact source version `name@N`. */
  datasetRef: string;
  /** The version that supplied gold labels, or null. */
  goldRef: string | null;
  config: ProjectConfig;
  /** Markdown or plain text shown to annotators (always rendered as text). */
  instructions: string;
  createdAt: string;
  createdBy: string;
}

/** One item to label, as stored. */
export interface LabelingItem {
  key: string;
  /** Row of the source version; gold-only items come after the last row. */
  position: number;
  isGold: boolean;
  goldLabel: string | null;
  /** False for gold-only items (rows of the gold version that are not in the dataset). */
  inDataset: boolean;
  /** Values of the shown columns. */
  data: Record<string, string | number | null>;
  priority: number;
  /** Live slots: active leases plus counted answers. */
  filled: number;
}

/** Assignment states: `leased` until submitted, skipped or expired; `flagged` once its annotator was paused. */
export type AssignmentState = 'leased' | 'submitted' | 'skipped' | 'expired' | 'flagged';

/** An item handed to one annotator. */
export interface Assignment {
  id: string;
  item: string;
  annotator: string;
  state: AssignmentState;
  /** Secret the submit must echo: a re-leased item gets a new one, so stale submits fail. */
  leaseToken: string;
  leasedAt: string;
  expiresAt: string;
}

/** An assignment with the item to show. */
export interface LeasedItem {
  assignment: Assignment;
  item: LabelingItem;
}

/** One stored answer. */
export interface AnswerRecord {
  item: string;
  worker: string;
  label: string;
  source: 'queue' | 'import';
  answeredAt: string;
  flagged: boolean;
  flagReason: string | null;
}

/** A reviewer's final decision on an item. */
export interface Adjudication {
  item: string;
  label: string;
  reviewer: string;
  note: string;
  /** The consensus at the time of the decision. */
  consensus: { label: string; confidence: number; method: string } | null;
  decidedAt: string;
}

/** An annotator's state in a project. */
export interface AnnotatorState {
  worker: string;
  state: 'active' | 'paused';
  reason: string | null;
  changedAt: string;
  changedBy: string;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** Throws INVALID_ARGUMENT unless `name` is a valid project name (it is also a role scope). */
export function assertProjectName(name: unknown): asserts name is string {
  if (typeof name === 'string' && NAME.test(name) && !name.includes('..')) return;
  const shown = typeof name === 'string' ? JSON.stringify(name.slice(0, 80)) : `<${typeof name}>`;
  throw MloopError.invalidArgument(`project name ${shown} is invalid`, {
    hint: 'use 1–63 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit',
  });
}

/** What an annotator sees of a project: no dataset, gold or thresholds. */
export function publicProjectJson(p: LabelingProject) {
  return {
    name: p.name,
    labels: p.config.labels,
    show_columns: p.config.showColumns,
    overlap: p.config.overlap,
    instructions: p.instructions,
  };
}

/** The JSON shape of a project for the CLI and for managers over the API. */
export function projectJson(p: LabelingProject) {
  return {
    ...publicProjectJson(p),
    dataset: p.datasetRef,
    gold: p.goldRef,
    gold_rate: p.config.goldRate,
    gold_column: p.config.goldColumn,
    id_column: p.config.idColumn,
    lease_seconds: p.config.leaseSeconds,
    adjudication_threshold: p.config.adjudicationThreshold,
    min_gold_accuracy: p.config.minGoldAccuracy,
    min_gold_answers: p.config.minGoldAnswers,
    consensus: p.config.consensus,
    created_at: p.createdAt,
    created_by: p.createdBy,
  };
}
