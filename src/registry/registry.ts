/** Registry entities: models, versions, aliases and alias moves. */
import { MloopError } from '../errors/index.js';

/** Tasks a model can serve. */
export const TASKS = Object.freeze(['text-classification', 'tabular-classification', 'regression'] as const);
export type Task = (typeof TASKS)[number];

/** A stored file of a model version: data only (JSON or binary arrays), named by its hash. */
export interface ArtifactRef {
  /** File name inside the version, e.g. `weights.f32`. */
  name: string;
  sha256: string;
  size: number;
  /** `application/json` or `application/octet-stream`. */
  mediaType: string;
}

/** Everything recorded about how a version was made and how good it was. */
export interface VersionRecord {
  /** Dataset versions it was trained on, as `name@N`. */
  datasets: string[];
  /** Dataset version it was evaluated on, if any. */
  evaluationDataset?: string;
  labelingProject?: string;
  /** Input schema: the columns a request must carry, with their types and roles. */
  inputSchema: Array<{ name: string; type: string; role?: string }>;
  /** The label column and the classes, for classifiers. */
  label?: string;
  classes?: string[];
  learner: string;
  params: Record<string, unknown>;
  seed: number;
  /** mloop version and git commit (when known) that trained it. */
  codeVersion: string;
  metrics: Record<string, unknown>;
  /** Decision thresholds (automation at a target precision). */
  thresholds?: Record<string, unknown>;
  gates?: unknown;
  trainSeconds?: number;
  /** Anything else a learner wants to keep (warnings, calibration). */
  extra?: Record<string, unknown>;
}

export interface ModelVersion {
  id: string;
  model: string;
  version: number;
  ref: string;
  task: Task;
  runKey: string | null;
  record: VersionRecord;
  artifacts: ArtifactRef[];
  tags: Record<string, string>;
  notes: string;
  aliases: string[];
  createdAt: string;
  createdBy: string;
}

export interface ModelDescription {
  /** What the model is for (editable, shown in the card). */
  intendedUse?: string;
  /** Where it must not be used. */
  outOfScopeUse?: string;
  /** Known limitations, in people's words. */
  limitations?: string;
}

export interface Model {
  id: string;
  name: string;
  task: Task;
  description: ModelDescription;
  latestVersion: number;
  aliases: Record<string, number>;
  createdAt: string;
  createdBy: string;
}

/** One move of an alias, kept forever. */
export interface AliasMove {
  seq: number;
  model: string;
  alias: string;
  fromVersion: number | null;
  toVersion: number | null;
  at: string;
  actor: string;
  reason: string;
  evidence: Record<string, unknown>;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const ALIAS = /^[a-z][a-z0-9_-]{0,31}$/;

/** Validates a model name (no path characters). */
export function checkModelName(name: string): string {
  if (!NAME.test(name)) {
    throw MloopError.invalidArgument(`invalid model name '${name}': use 1–63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  return name;
}

/** Validates an alias name: a lowercase word, not a number (so `name@3` is always a version). */
export function checkAlias(alias: string): string {
  if (!ALIAS.test(alias)) {
    throw MloopError.invalidArgument(`invalid alias '${alias}': use 1–32 lowercase letters, digits, '_' or '-', starting with a letter`);
  }
  return alias;
}

/** A parsed model reference: `name`, `name@3` or `name@champion`. */
export type ModelRef = { name: string; version?: number; alias?: string };

/** Parses `name`, `name@N` or `name@alias`. */
export function parseModelRef(ref: string): ModelRef {
  const at = ref.indexOf('@');
  const name = checkModelName(at < 0 ? ref : ref.slice(0, at));
  if (at < 0) return { name };
  const tail = ref.slice(at + 1);
  if (/^\d+$/.test(tail)) {
    const version = Number(tail);
    if (version < 1) throw MloopError.invalidArgument(`invalid model reference '${ref}': versions start at 1`);
    return { name, version };
  }
  return { name, alias: checkAlias(tail) };
}

export function formatModelRef(name: string, version: number): string {
  return `${name}@${version}`;
}

/** A saved evaluation of a version: the evidence cards and promotions cite. */
export interface SavedEvaluation {
  id: string;
  /** The evaluated version, `name@N`. */
  model: string;
  dataset: string;
  reportSha256: string;
  summary: Record<string, unknown>;
  gatePassed: boolean | null;
  createdAt: string;
  createdBy: string;
}
