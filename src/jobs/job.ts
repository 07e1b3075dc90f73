/** Jobs: the entities, their states, and the retry policy. */
import { MloopError } from '../errors/index.js';

/** Every state a job can be in. `succeeded`, `failed`, `cancelled` and `dead` are final. */
export const JOB_STATES = Object.freeze(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'dead'] as const);
export type JobState = (typeof JOB_STATES)[number];
export const FINAL_STATES: readonly JobState[] = Object.freeze(['succeeded', 'failed', 'cancelled', 'dead']);

/** Progress a handler reports: a stage and how far along it is. */
export interface JobProgress {
  stage: string;
  done: number;
  total: number;
}

/** An error as stored on a job: safe to show. */
export interface JobError {
  code: string;
  message: string;
  attempt: number;
}

/** One durable job. */
export interface Job {
  id: string;
  type: string;
  /** Natural key: enqueueing the same key twice gives this one job; handlers key their effects by it. */
  key: string;
  payload: Record<string, unknown>;
  state: JobState;
  priority: number;
  /** Attempts started so far (the running one included). */
  attempts: number;
  maxAttempts: number;
  /** Base of the exponential backoff between attempts. */
  backoffMs: number;
  /** Earliest time the next attempt may start. */
  runAt: string;
  /** Worker holding the lease while running. */
  leaseOwner: string | null;
  leaseExpiresAt: string | null;
  cancelRequested: boolean;
  progress: JobProgress | null;
  result: unknown;
  error: JobError | null;
  /** The schedule that enqueued it, if any. */
  schedule: string | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** One line of a job's log. */
export interface JobLogLine {
  seq: number;
  attempt: number;
  at: string;
  level: 'info' | 'warn' | 'error';
  message: string;
}

/** What `enqueue` needs. */
export interface EnqueueInput {
  type: string;
  payload?: Record<string, unknown>;
  /** Natural key; default: a fresh one (no deduplication). */
  key?: string;
  priority?: number;
  maxAttempts?: number;
  backoffMs?: number;
  /** Do not start before this time. */
  runAt?: Date;
  schedule?: string;
}

/** A cron schedule that enqueues one job per slot. */
export interface Schedule {
  name: string;
  cron: string;
  timezone: string;
  jobType: string;
  payload: Record<string, unknown>;
  enabled: boolean;
  /** The newest slot this schedule enqueued a job for. */
  lastSlot: string | null;
  createdAt: string;
  createdBy: string;
}

const KEY = /^[\x21-\x7e]{1,200}$/;
const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** Validates a natural key: 1–200 printable ASCII characters without spaces. */
export function checkJobKey(key: string): string {
  if (!KEY.test(key)) throw MloopError.invalidArgument(`job key must be 1–200 printable characters without spaces, got '${key.slice(0, 40)}'`);
  return key;
}

/** Validates a schedule name: lower-case letters, digits, `.`, `_`, `-`, at most 63. */
export function checkScheduleName(name: string): string {
  if (!NAME.test(name)) throw MloopError.invalidArgument(`schedule name must be lower-case letters, digits, '.', '_' or '-' (at most 63), got '${name}'`);
  return name;
}

/** Most time between two attempts, whatever the backoff base. */
export const MAX_BACKOFF_MS = 3_600_000;

/** Delay before attempt `attempt + 1` after attempt `attempt` failed: base·2^(attempt−1), capped at an hour. */
export function backoffDelayMs(baseMs: number, attempt: number): number {
  return Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * Error codes that another attempt cannot fix: the job fails at once instead of retrying.
 * CANCELLED is here for work cancelled from inside the handler; a worker's own shutdown still
 * retries (the worker records that cause separately).
 */
export const PERMANENT_ERROR_CODES: readonly string[] = Object.freeze([
  'INVALID_ARGUMENT',
  'CANCELLED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'FAILED_PRECONDITION',
  'PERMISSION_DENIED',
]);
