/** What the jobs concept needs from storage. One SQL implementation serves SQLite and PostgreSQL. */
import type { Job, JobError, JobLogLine, JobProgress, JobState, Schedule } from './job.js';

/** A job row to insert. */
export interface NewJob {
  id: string;
  type: string;
  key: string;
  payload: Record<string, unknown>;
  priority: number;
  maxAttempts: number;
  backoffMs: number;
  runAt: string;
  schedule: string | null;
  createdAt: string;
  createdBy: string;
}

/** A job taken by a worker: the job and the fencing token of this attempt. */
export interface Claim {
  job: Job;
  /** Fencing token: only the holder of the current token may heartbeat, log progress or finish. */
  token: string;
}

/** How an attempt ended, as the worker reports it. */
export type Outcome =
  | { kind: 'succeeded'; result: unknown }
  | { kind: 'cancelled' }
  /** `retryAt` set: back to the queue at that time; otherwise final (`failed` or `dead`). */
  | { kind: 'failed'; error: JobError; final: 'failed' | 'dead' | null; retryAt: string };

export interface JobFilter {
  state?: JobState;
  type?: string;
  schedule?: string;
  limit?: number;
}

export interface JobStore {
  /** Inserts the job, or returns the existing one with the same key (`created: false`). */
  enqueue(job: NewJob): Promise<{ job: Job; created: boolean }>;
  get(id: string): Promise<Job | undefined>;
  getByKey(key: string): Promise<Job | undefined>;
  /** Newest first. */
  list(filter: JobFilter): Promise<Job[]>;
  /**
   * Takes the next ready job (queued, `run_at` ≤ now) of one of `types` for `owner`: state running,
   * attempts + 1, a fresh fencing token and a lease until `leaseExpiresAt`. Two workers never take the same job.
   */
  claim(types: readonly string[], owner: string, token: string, now: string, leaseExpiresAt: string): Promise<Claim | undefined>;
  /**
   * Requeues (or ends, when out of attempts: `dead`; when cancel was asked: `cancelled`) every running
   * job whose lease expired before `now`. Their tokens stop being valid. Returns the jobs touched.
   */
  reapExpired(now: string, backoff: (job: Job) => string): Promise<Job[]>;
  /**
   * Extends the lease and stores progress, if `token` is still the job's token. Returns undefined when
   * the lease is lost, else whether a cancel was requested.
   */
  heartbeat(id: string, token: string, now: string, leaseExpiresAt: string, progress?: JobProgress): Promise<{ cancelRequested: boolean } | undefined>;
  /** Ends the attempt if `token` is still current; false means the lease was lost and the outcome was discarded. */
  finish(id: string, token: string, now: string, outcome: Outcome): Promise<boolean>;
  /** Queued → cancelled at once; running → cancel requested (the worker aborts). Returns the job after. */
  requestCancel(id: string, now: string): Promise<Job | undefined>;
  /** A finished job (failed, dead, cancelled) back to queued with its attempts reset. */
  retry(id: string, now: string): Promise<Job | undefined>;
  appendLog(jobId: string, attempt: number, at: string, level: JobLogLine['level'], message: string): Promise<void>;
  logs(jobId: string, limit: number): Promise<JobLogLine[]>;
  /** Counts by state, for `mloop status` and metrics. */
  counts(): Promise<Record<JobState, number>>;

  putSchedule(schedule: Schedule): Promise<{ schedule: Schedule; created: boolean }>;
  getSchedule(name: string): Promise<Schedule | undefined>;
  listSchedules(): Promise<Schedule[]>;
  removeSchedule(name: string): Promise<boolean>;
  /** Moves `last_slot` forward (never back). */
  markSlot(name: string, slot: string): Promise<void>;
}
