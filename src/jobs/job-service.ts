/** The jobs service: enqueue with natural keys, inspect, cancel, retry; job types; schedules; workers. */
import { Cron } from 'croner';
import { MloopError } from '../errors/index.js';
import { newId } from '../storage/index.js';
import { checkJobKey, checkScheduleName, FINAL_STATES, JOB_STATES, type EnqueueInput, type Job, type JobLogLine, type JobState, type Schedule } from './job.js';
import type { JobHandler } from './job-handler.js';
import type { JobFilter, JobStore } from './job-store.js';

/** Defaults for new jobs and workers (from the `jobs.*` settings). */
export interface JobDefaults {
  maxAttempts: number;
  backoffMs: number;
}

export interface AddScheduleInput {
  name: string;
  cron: string;
  /** IANA time zone of the cron expression; default UTC. */
  timezone?: string;
  jobType: string;
  payload?: Record<string, unknown>;
}

/** A schedule as listed: with its next slot. */
export interface ScheduleView extends Schedule {
  /** The next slot, or null when there is none (or the schedule cannot fire: see `problem`). */
  nextSlot: string | null;
  /** Why a stored schedule cannot fire (its time zone or cron no longer parses); absent when it can. */
  problem?: string;
}

const MAX_LIST = 1000;

/**
 * Checks an IANA time zone name (`Europe/Berlin`, `UTC`) with the same Intl database the cron
 * library uses; returns it unchanged, or throws INVALID_ARGUMENT naming it.
 */
export function checkTimeZone(timezone: string): string {
  try {
    if (timezone.trim() === '') throw new RangeError('empty');
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return timezone;
  } catch {
    throw MloopError.invalidArgument(`unknown time zone '${timezone}'`, { hint: 'an IANA time zone name such as UTC, Europe/Berlin or America/New_York' });
  }
}

/** Parses a cron expression (5 or 6 fields) in a time zone; INVALID_ARGUMENT when either does not parse. */
export function parseCron(cron: string, timezone: string): Cron {
  // Croner checks the zone only when it computes a run, so an unknown one would pass here and fail later.
  checkTimeZone(timezone);
  try {
    return new Cron(cron, { timezone, paused: true, mode: 'auto' });
  } catch (err) {
    throw MloopError.invalidArgument(`invalid cron expression '${cron}' (time zone ${timezone}): ${(err as Error).message}`, {
      hint: "five fields: minute hour day-of-month month day-of-week, such as '0 3 1 * *' (03:00 on the 1st of each month)",
    });
  }
}

export class JobService {
  private readonly handlers = new Map<string, JobHandler>();
  private readonly clock: () => Date;

  constructor(
    /** The store; workers and schedulers share it. */
    readonly store: JobStore,
    handlers: readonly JobHandler[],
    readonly defaults: JobDefaults,
    options: { clock?: () => Date } = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    for (const h of handlers) this.register(h);
  }

  /** The service's clock (tests move it). */
  now(): Date {
    return this.clock();
  }

  /** Adds a job type. Throws ALREADY_EXISTS when the type is taken. */
  register(handler: JobHandler): void {
    if (this.handlers.has(handler.type)) throw MloopError.alreadyExists('job type', handler.type);
    this.handlers.set(handler.type, handler);
  }

  /** Every registered job type, sorted. */
  types(): JobHandler[] {
    return [...this.handlers.values()].sort((a, b) => a.type.localeCompare(b.type));
  }

  /** The handler of `type`; INVALID_ARGUMENT listing the known types when there is none. */
  handler(type: string): JobHandler {
    const h = this.handlers.get(type);
    if (!h) throw MloopError.invalidArgument(`unknown job type '${type}'; known types: ${[...this.handlers.keys()].sort().join(', ')}`);
    return h;
  }

  /**
   * Enqueues a job. The same key twice gives one job (`created: false` the second time).
   *
   * @example
   * const { job } = await jobs.enqueue('alice', { type: 'train', key: 'support-2025-06', payload: { dataset: 'tickets@3', name: 'support' } });
   */
  async enqueue(actor: string, input: EnqueueInput): Promise<{ job: Job; created: boolean }> {
    const handler = this.handler(input.type);
    const payload = input.payload ?? {};
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) throw MloopError.invalidArgument('a job payload must be a JSON object');
    const issues = handler.validate?.(payload) ?? [];
    if (issues.length > 0) throw MloopError.validation(`invalid payload for job type '${input.type}': ${issues[0]!.message}`, issues);
    const maxAttempts = input.maxAttempts ?? this.defaults.maxAttempts;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100) throw MloopError.invalidArgument(`maxAttempts must be an integer from 1 to 100, got ${maxAttempts}`);
    const backoffMs = input.backoffMs ?? this.defaults.backoffMs;
    if (!Number.isInteger(backoffMs) || backoffMs < 0 || backoffMs > 3_600_000) throw MloopError.invalidArgument(`backoffMs must be an integer from 0 to 3600000, got ${backoffMs}`);
    const id = newId('job');
    const now = this.clock().toISOString();
    return this.store.enqueue({
      id,
      type: input.type,
      key: input.key === undefined ? id : checkJobKey(input.key),
      payload,
      priority: input.priority ?? 0,
      maxAttempts,
      backoffMs,
      runAt: input.runAt ? input.runAt.toISOString() : now,
      schedule: input.schedule ?? null,
      createdAt: now,
      createdBy: actor,
    });
  }

  async get(id: string): Promise<Job> {
    const job = await this.store.get(id);
    if (!job) throw MloopError.notFound('job', id, { hint: "'mloop jobs list' shows the jobs" });
    return job;
  }

  /** A job with the newest `logLimit` lines of its log. */
  async show(id: string, logLimit = 200): Promise<{ job: Job; logs: JobLogLine[] }> {
    const job = await this.get(id);
    return { job, logs: await this.store.logs(id, logLimit) };
  }

  async list(filter: JobFilter = {}): Promise<Job[]> {
    if (filter.state !== undefined && !JOB_STATES.includes(filter.state)) {
      throw MloopError.invalidArgument(`unknown job state '${filter.state}'; states: ${JOB_STATES.join(', ')}`);
    }
    return this.store.list({ ...filter, limit: Math.min(MAX_LIST, Math.max(1, filter.limit ?? 100)) });
  }

  counts(): Promise<Record<JobState, number>> {
    return this.store.counts();
  }

  /** Cancels a queued job at once, or asks a running one to stop (its handler sees the abort). */
  async cancel(actor: string, id: string): Promise<Job> {
    const before = await this.get(id);
    if (FINAL_STATES.includes(before.state)) throw MloopError.failedPrecondition(`job ${id} is ${before.state} already; only queued or running jobs can be cancelled`);
    const after = (await this.store.requestCancel(id, this.clock().toISOString()))!;
    await this.store.appendLog(id, after.attempts, this.clock().toISOString(), 'warn', `cancel requested by ${actor}`);
    return after;
  }

  /** Queues a failed, dead or cancelled job again with fresh attempts (same key, so its effect stays single). */
  async retry(actor: string, id: string): Promise<Job> {
    const before = await this.get(id);
    if (!['failed', 'dead', 'cancelled'].includes(before.state)) {
      throw MloopError.failedPrecondition(`job ${id} is ${before.state}; only failed, dead or cancelled jobs can be retried`);
    }
    const after = (await this.store.retry(id, this.clock().toISOString()))!;
    await this.store.appendLog(id, 0, this.clock().toISOString(), 'info', `retried by ${actor}`);
    return after;
  }

  /** Adds a cron schedule; adding the same definition again is a no-op, a different one under the name ALREADY_EXISTS. */
  async addSchedule(actor: string, input: AddScheduleInput): Promise<{ schedule: ScheduleView; created: boolean }> {
    checkScheduleName(input.name);
    const timezone = input.timezone ?? 'UTC';
    parseCron(input.cron, timezone);
    const payload = input.payload ?? {};
    const handler = this.handler(input.jobType);
    const issues = handler.validate?.(payload) ?? [];
    if (issues.length > 0) throw MloopError.validation(`invalid payload for job type '${input.jobType}': ${issues[0]!.message}`, issues);
    const { schedule, created } = await this.store.putSchedule({
      name: input.name,
      cron: input.cron,
      timezone,
      jobType: input.jobType,
      payload,
      enabled: true,
      lastSlot: null,
      createdAt: this.clock().toISOString(),
      createdBy: actor,
    });
    const same = schedule.cron === input.cron && schedule.timezone === timezone && schedule.jobType === input.jobType && JSON.stringify(schedule.payload) === JSON.stringify(payload);
    if (!created && !same) throw MloopError.alreadyExists('schedule', input.name, { hint: `remove it first: mloop schedules remove ${input.name}` });
    return { schedule: this.view(schedule), created };
  }

  async listSchedules(): Promise<ScheduleView[]> {
    return (await this.store.listSchedules()).map((s) => this.view(s));
  }

  async getSchedule(name: string): Promise<ScheduleView> {
    const s = await this.store.getSchedule(name);
    if (!s) throw MloopError.notFound('schedule', name, { hint: "'mloop schedules list' shows the schedules" });
    return this.view(s);
  }

  /** Removes a schedule; jobs it enqueued stay. */
  async removeSchedule(name: string): Promise<void> {
    if (!(await this.store.removeSchedule(name))) throw MloopError.notFound('schedule', name, { hint: "'mloop schedules list' shows the schedules" });
  }

  /** A stored schedule that no longer parses is listed with its `problem` instead of failing the list. */
  private view(s: Schedule): ScheduleView {
    try {
      const next = parseCron(s.cron, s.timezone).nextRun(this.clock());
      return { ...s, nextSlot: next ? next.toISOString() : null };
    } catch (err) {
      return { ...s, nextSlot: null, problem: (err as Error).message };
    }
  }
}
