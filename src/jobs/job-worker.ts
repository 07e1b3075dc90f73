/**
 * A worker: takes jobs under a lease, heartbeats while a handler runs, and finishes the attempt
 * with its fencing token. A worker that loses its lease (paused, partitioned, or slower than the
 * lease) has its late outcome discarded by the store; its handler is aborted when it notices.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isMloopError, toMloopError } from '../errors/index.js';
import { backoffDelayMs, PERMANENT_ERROR_CODES, type Job, type JobProgress } from './job.js';
import type { JobContext } from './job-handler.js';
import type { JobService } from './job-service.js';
import type { Outcome } from './job-store.js';

export interface WorkerOptions {
  /** Name shown as the lease owner; default `host:pid:random`. */
  id?: string;
  /** Jobs run at once. Default 1. */
  concurrency?: number;
  /** How long a lease lasts without a heartbeat. */
  leaseMs: number;
  /** Time between heartbeats; default a third of the lease. */
  heartbeatMs?: number;
  /** Time between polls when the queue is empty. */
  pollMs: number;
  /** Job types to take; default all registered. */
  types?: readonly string[];
  /** Where the worker reports what it does (JSON logger in the CLI). */
  log?: WorkerLog;
}

export interface WorkerLog {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

const SILENT: WorkerLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
/** Longest pause between polls while the database is unreachable. */
const MAX_OUTAGE_BACKOFF_MS = 5000;

/** Why a handler's signal was aborted. */
type AbortCause = 'cancelled' | 'lease-lost' | 'shutdown';

/** What happened to one attempt this worker ran. */
export interface AttemptReport {
  jobId: string;
  attempt: number;
  outcome: Outcome['kind'] | 'discarded';
}

export class JobWorker {
  readonly id: string;
  private readonly concurrency: number;
  private readonly heartbeatMs: number;
  private readonly log: WorkerLog;
  private readonly active = new Map<string, { controller: AbortController; done: Promise<AttemptReport> }>();
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Every attempt this worker finished, newest last (tests and `mloop worker --json`). */
  readonly reports: AttemptReport[] = [];

  constructor(
    private readonly jobs: JobService,
    private readonly options: WorkerOptions,
  ) {
    this.id = options.id ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.concurrency = options.concurrency ?? 1;
    this.heartbeatMs = options.heartbeatMs ?? Math.max(10, Math.floor(options.leaseMs / 3));
    this.log = options.log ?? SILENT;
  }

  private types(): string[] {
    return [...(this.options.types ?? this.jobs.types().map((h) => h.type))];
  }

  private at(offsetMs = 0): string {
    return new Date(this.jobs.now().getTime() + offsetMs).toISOString();
  }

  /** Reaps expired leases, then takes and starts one job if a slot is free. Resolves with the started job's id. */
  async poll(): Promise<string | undefined> {
    if (this.active.size >= this.concurrency) return undefined;
    await this.jobs.store.reapExpired(this.at(), (job: Job) => this.at(backoffDelayMs(job.backoffMs, job.attempts)));
    const token = `att_${randomBytes(12).toString('base64url')}`;
    const claim = await this.jobs.store.claim(this.types(), this.id, token, this.at(), this.at(this.options.leaseMs));
    if (!claim) return undefined;
    const controller = new AbortController();
    const done = this.execute(claim.job, token, controller).then((report) => {
      this.reports.push(report);
      this.active.delete(claim.job.id);
      this.wake?.();
      return report;
    });
    this.active.set(claim.job.id, { controller, done });
    return claim.job.id;
  }

  /** Takes one job and runs it to the end (tests). Undefined when nothing was ready. */
  async runOnce(): Promise<AttemptReport | undefined> {
    const id = await this.poll();
    return id === undefined ? undefined : this.active.get(id)?.done ?? this.reports.find((r) => r.jobId === id);
  }

  /** Starts polling until `stop`. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.pollLoop();
  }

  private async pollLoop(): Promise<void> {
    let outage = 0;
    while (this.running) {
      let started: string | undefined;
      try {
        started = await this.poll();
        if (outage > 0) this.log.info({ worker: this.id }, 'database reachable again; taking jobs');
        outage = 0;
      } catch (err) {
        outage++;
        if (outage === 1) this.log.warn({ worker: this.id, err: describe(err) }, 'cannot poll for jobs; retrying');
      }
      if (!this.running) break;
      if (started !== undefined && this.active.size < this.concurrency) continue;
      const waitMs = outage > 0 ? Math.min(MAX_OUTAGE_BACKOFF_MS, this.options.pollMs * 2 ** Math.min(outage, 6)) : this.options.pollMs;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, waitMs);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /**
   * Stops taking jobs and waits for running ones to finish (drain). With `abort`, running handlers
   * are aborted first; their jobs go back to the queue as a failed attempt.
   */
  async stop(options: { abort?: boolean } = {}): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    if (options.abort) for (const a of this.active.values()) a.controller.abort('shutdown' satisfies AbortCause);
    await Promise.all([...this.active.values()].map((a) => a.done));
  }

  /** Jobs running now. */
  get activeJobs(): string[] {
    return [...this.active.keys()];
  }

  private async execute(job: Job, token: string, controller: AbortController): Promise<AttemptReport> {
    const attempt = job.attempts;
    const store = this.jobs.store;
    let progress: JobProgress | undefined;
    let leaseUntil = Date.parse(this.at(this.options.leaseMs));
    let lost = false;
    const abort = (cause: AbortCause) => {
      if (!controller.signal.aborted) controller.abort(cause);
    };
    const beat = async () => {
      try {
        const r = await store.heartbeat(job.id, token, this.at(), this.at(this.options.leaseMs), progress);
        if (!r) {
          lost = true;
          abort('lease-lost');
        } else {
          leaseUntil = Date.parse(this.at(this.options.leaseMs));
          if (r.cancelRequested) abort('cancelled');
        }
      } catch {
        // The database is unreachable: past our lease another worker may own the job, so stop.
        if (this.jobs.now().getTime() > leaseUntil) abort('lease-lost');
      }
    };
    const timer = setInterval(() => void beat(), this.heartbeatMs);
    const logLine = async (message: string, level: 'info' | 'warn' | 'error' = 'info') => {
      await store.appendLog(job.id, attempt, this.at(), level, message).catch(() => undefined);
    };
    const ctx: JobContext = {
      job,
      attempt,
      signal: controller.signal,
      progress: (p) => (progress = p),
      log: (message, level) => logLine(message, level),
    };
    this.log.info({ worker: this.id, job: job.id, type: job.type, key: job.key, attempt }, 'job started');
    await logLine(`attempt ${attempt} of ${job.maxAttempts} started by ${this.id}`);
    let outcome: Outcome;
    try {
      const handler = this.jobs.handler(job.type);
      if (job.cancelRequested) abort('cancelled');
      controller.signal.throwIfAborted();
      const result = await handler.run(ctx);
      outcome = { kind: 'succeeded', result: result ?? null };
    } catch (err) {
      const cause = controller.signal.aborted ? (controller.signal.reason as AbortCause) : undefined;
      if (cause === 'cancelled') outcome = { kind: 'cancelled' };
      else {
        const e = toMloopError(err);
        if (!isMloopError(err)) this.log.error({ worker: this.id, job: job.id, err: describe(err), stack: (err as Error)?.stack }, 'job handler failed');
        const message = cause === 'shutdown' ? 'interrupted by worker shutdown' : cause === 'lease-lost' ? 'lease lost' : e.message;
        const error = { code: e.code, message, attempt };
        const permanent = cause === undefined && PERMANENT_ERROR_CODES.includes(e.code);
        const final = permanent ? 'failed' : attempt >= job.maxAttempts ? 'dead' : null;
        outcome = { kind: 'failed', error, final, retryAt: this.at(cause === 'shutdown' ? 0 : backoffDelayMs(job.backoffMs, attempt)) };
      }
    } finally {
      clearInterval(timer);
    }
    const finished = lost ? false : await this.finish(job.id, token, outcome, leaseUntil);
    if (!finished) {
      this.log.warn({ worker: this.id, job: job.id, attempt, outcome: outcome.kind }, 'lease lost: outcome discarded');
      await logLine(`attempt ${attempt} by ${this.id} lost its lease; its outcome (${outcome.kind}) was discarded`, 'warn');
      return { jobId: job.id, attempt, outcome: 'discarded' };
    }
    const detail = outcome.kind === 'failed' ? `: ${outcome.error.code} ${outcome.error.message}${outcome.final ? ` (${outcome.final})` : `; retry at ${outcome.retryAt}`}` : '';
    await logLine(`attempt ${attempt} ${outcome.kind}${detail}`, outcome.kind === 'failed' ? 'warn' : 'info');
    this.log.info({ worker: this.id, job: job.id, attempt, outcome: outcome.kind }, 'job attempt finished');
    return { jobId: job.id, attempt, outcome: outcome.kind };
  }

  /** Finishes with the fencing token, retrying through a database outage until the lease would have run out. */
  private async finish(id: string, token: string, outcome: Outcome, leaseUntil: number): Promise<boolean> {
    for (let delay = 50; ; delay = Math.min(delay * 2, 2000)) {
      try {
        return await this.jobs.store.finish(id, token, this.at(), outcome);
      } catch (err) {
        if (this.jobs.now().getTime() > leaseUntil) {
          this.log.warn({ worker: this.id, job: id, err: describe(err) }, 'cannot record the outcome before the lease ran out');
          return false;
        }
        await sleep(delay);
      }
    }
  }
}

function describe(err: unknown): string {
  return isMloopError(err) ? `${err.code}: ${err.message}` : ((err as { code?: string })?.code ?? 'error');
}
