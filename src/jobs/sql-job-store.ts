/**
 * The job store over Kysely. A claim is one guarded UPDATE … RETURNING over a sub-select of the
 * next ready job; where the backend supports it the sub-select takes `FOR UPDATE SKIP LOCKED` so
 * concurrent workers never wait on each other (SQLite serialises writers anyway).
 */
import type { Kysely, Selectable } from 'kysely';
import { isUniqueViolation, type BackendCapabilities, type DatabaseSchema, type JobsTable, type JobSchedulesTable } from '../storage/index.js';
import { JOB_STATES, type Job, type JobLogLine, type JobProgress, type JobState, type Schedule } from './job.js';
import type { Claim, JobFilter, JobStore, NewJob, Outcome } from './job-store.js';

const parse = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

function toJob(r: Selectable<JobsTable>): Job {
  return {
    id: r.id,
    type: r.type,
    key: r.job_key,
    payload: JSON.parse(r.payload_json) as Record<string, unknown>,
    state: r.state as JobState,
    priority: Number(r.priority),
    attempts: Number(r.attempts),
    maxAttempts: Number(r.max_attempts),
    backoffMs: Number(r.backoff_ms),
    runAt: r.run_at,
    leaseOwner: r.lease_owner,
    leaseExpiresAt: r.lease_expires_at,
    cancelRequested: Number(r.cancel_requested) === 1,
    progress: parse<JobProgress>(r.progress_json),
    result: parse<unknown>(r.result_json),
    error: parse<Job['error']>(r.error_json),
    schedule: r.schedule,
    createdAt: r.created_at,
    createdBy: r.created_by,
    updatedAt: r.updated_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

function toSchedule(r: Selectable<JobSchedulesTable>): Schedule {
  return {
    name: r.name,
    cron: r.cron,
    timezone: r.timezone,
    jobType: r.job_type,
    payload: JSON.parse(r.payload_json) as Record<string, unknown>,
    enabled: Number(r.enabled) === 1,
    lastSlot: r.last_slot,
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
}

export class SqlJobStore implements JobStore {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly caps: BackendCapabilities,
  ) {}

  async enqueue(job: NewJob): Promise<{ job: Job; created: boolean }> {
    const existing = await this.getByKey(job.key);
    if (existing) return { job: existing, created: false };
    try {
      const row = await this.db
        .insertInto('jobs')
        .values({
          id: job.id,
          type: job.type,
          job_key: job.key,
          payload_json: JSON.stringify(job.payload),
          state: 'queued',
          priority: job.priority,
          attempts: 0,
          max_attempts: job.maxAttempts,
          backoff_ms: job.backoffMs,
          run_at: job.runAt,
          lease_token: null,
          lease_owner: null,
          lease_expires_at: null,
          cancel_requested: 0,
          progress_json: null,
          result_json: null,
          error_json: null,
          schedule: job.schedule,
          created_at: job.createdAt,
          created_by: job.createdBy,
          updated_at: job.createdAt,
          started_at: null,
          finished_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { job: toJob(row), created: true };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      // Enqueued concurrently by another process under the same key.
      const raced = await this.getByKey(job.key);
      if (!raced) throw err;
      return { job: raced, created: false };
    }
  }

  async get(id: string): Promise<Job | undefined> {
    const r = await this.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toJob(r);
  }

  async getByKey(key: string): Promise<Job | undefined> {
    const r = await this.db.selectFrom('jobs').selectAll().where('job_key', '=', key).executeTakeFirst();
    return r && toJob(r);
  }

  async list(filter: JobFilter): Promise<Job[]> {
    const rows = await this.db
      .selectFrom('jobs')
      .selectAll()
      .$if(filter.state !== undefined, (q) => q.where('state', '=', filter.state!))
      .$if(filter.type !== undefined, (q) => q.where('type', '=', filter.type!))
      .$if(filter.schedule !== undefined, (q) => q.where('schedule', '=', filter.schedule!))
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map(toJob);
  }

  async claim(types: readonly string[], owner: string, token: string, now: string, leaseExpiresAt: string): Promise<Claim | undefined> {
    if (types.length === 0) return undefined;
    const row = await this.db
      .updateTable('jobs')
      .set((eb) => ({
        state: 'running',
        attempts: eb('attempts', '+', 1),
        lease_token: token,
        lease_owner: owner,
        lease_expires_at: leaseExpiresAt,
        updated_at: now,
        started_at: now,
      }))
      .where('id', '=', (eb) =>
        eb
          .selectFrom('jobs')
          .select('id')
          .where('state', '=', 'queued')
          .where('run_at', '<=', now)
          .where('type', 'in', [...types])
          .orderBy('priority', 'desc')
          .orderBy('run_at')
          .orderBy('id')
          .limit(1)
          .$if(this.caps.supportsSkipLocked, (q) => q.forUpdate().skipLocked()),
      )
      .where('state', '=', 'queued')
      .returningAll()
      .executeTakeFirst();
    return row && { job: toJob(row), token };
  }

  async reapExpired(now: string, backoff: (job: Job) => string): Promise<Job[]> {
    const expired = await this.db
      .selectFrom('jobs')
      .selectAll()
      .where('state', '=', 'running')
      .where('lease_expires_at', '<', now)
      .limit(100)
      .execute();
    const touched: Job[] = [];
    for (const row of expired) {
      const job = toJob(row);
      const state: JobState = job.cancelRequested ? 'cancelled' : job.attempts >= job.maxAttempts ? 'dead' : 'queued';
      const error = { code: 'UNAVAILABLE', message: `lease expired: worker ${job.leaseOwner ?? '?'} stopped heartbeating`, attempt: job.attempts };
      const res = await this.db
        .updateTable('jobs')
        .set({
          state,
          run_at: state === 'queued' ? backoff(job) : job.runAt,
          lease_token: null,
          lease_owner: null,
          lease_expires_at: null,
          error_json: JSON.stringify(error),
          updated_at: now,
          finished_at: state === 'queued' ? null : now,
        })
        .where('id', '=', job.id)
        .where('state', '=', 'running')
        .where('lease_token', '=', row.lease_token)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 1) {
        await this.appendLog(job.id, job.attempts, now, 'warn', `${error.message}; ${state === 'queued' ? 'requeued' : state}`);
        touched.push({ ...job, state });
      }
    }
    return touched;
  }

  async heartbeat(id: string, token: string, now: string, leaseExpiresAt: string, progress?: JobProgress): Promise<{ cancelRequested: boolean } | undefined> {
    const row = await this.db
      .updateTable('jobs')
      .set({ lease_expires_at: leaseExpiresAt, updated_at: now, ...(progress ? { progress_json: JSON.stringify(progress) } : {}) })
      .where('id', '=', id)
      .where('lease_token', '=', token)
      .where('state', '=', 'running')
      .returning('cancel_requested')
      .executeTakeFirst();
    return row && { cancelRequested: Number(row.cancel_requested) === 1 };
  }

  async finish(id: string, token: string, now: string, outcome: Outcome): Promise<boolean> {
    const base = { lease_token: null, lease_owner: null, lease_expires_at: null, updated_at: now };
    const set =
      outcome.kind === 'succeeded'
        ? { ...base, state: 'succeeded', result_json: JSON.stringify(outcome.result ?? null), error_json: null, finished_at: now }
        : outcome.kind === 'cancelled'
          ? { ...base, state: 'cancelled', finished_at: now }
          : outcome.final === null
            ? { ...base, state: 'queued', run_at: outcome.retryAt, error_json: JSON.stringify(outcome.error) }
            : { ...base, state: outcome.final, error_json: JSON.stringify(outcome.error), finished_at: now };
    const res = await this.db
      .updateTable('jobs')
      .set(set)
      .where('id', '=', id)
      .where('lease_token', '=', token)
      .where('state', '=', 'running')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async requestCancel(id: string, now: string): Promise<Job | undefined> {
    await this.db
      .updateTable('jobs')
      .set({ state: 'cancelled', cancel_requested: 1, updated_at: now, finished_at: now })
      .where('id', '=', id)
      .where('state', '=', 'queued')
      .execute();
    await this.db.updateTable('jobs').set({ cancel_requested: 1, updated_at: now }).where('id', '=', id).where('state', '=', 'running').execute();
    return this.get(id);
  }

  async retry(id: string, now: string): Promise<Job | undefined> {
    await this.db
      .updateTable('jobs')
      .set({ state: 'queued', attempts: 0, cancel_requested: 0, run_at: now, updated_at: now, finished_at: null, error_json: null })
      .where('id', '=', id)
      .where('state', 'in', ['failed', 'dead', 'cancelled'])
      .execute();
    return this.get(id);
  }

  async appendLog(jobId: string, attempt: number, at: string, level: JobLogLine['level'], message: string): Promise<void> {
    await this.db.insertInto('job_logs').values({ job_id: jobId, attempt, at, level, message: message.slice(0, 4000) }).execute();
  }

  async logs(jobId: string, limit: number): Promise<JobLogLine[]> {
    const rows = await this.db.selectFrom('job_logs').selectAll().where('job_id', '=', jobId).orderBy('seq', 'desc').limit(limit).execute();
    return rows.reverse().map((r) => ({ seq: Number(r.seq), attempt: Number(r.attempt), at: r.at, level: r.level as JobLogLine['level'], message: r.message }));
  }

  async counts(): Promise<Record<JobState, number>> {
    const rows = await this.db.selectFrom('jobs').select((eb) => ['state', eb.fn.countAll<string>().as('n')]).groupBy('state').execute();
    const out = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
    for (const r of rows) out[r.state as JobState] = Number(r.n);
    return out;
  }

  async putSchedule(s: Schedule): Promise<{ schedule: Schedule; created: boolean }> {
    try {
      await this.db
        .insertInto('job_schedules')
        .values({
          name: s.name,
          cron: s.cron,
          timezone: s.timezone,
          job_type: s.jobType,
          payload_json: JSON.stringify(s.payload),
          enabled: s.enabled ? 1 : 0,
          last_slot: s.lastSlot,
          created_at: s.createdAt,
          created_by: s.createdBy,
        })
        .execute();
      return { schedule: s, created: true };
    } catch (err) {
      const existing = isUniqueViolation(err) ? await this.getSchedule(s.name) : undefined;
      if (!existing) throw err;
      return { schedule: existing, created: false };
    }
  }

  async getSchedule(name: string): Promise<Schedule | undefined> {
    const r = await this.db.selectFrom('job_schedules').selectAll().where('name', '=', name).executeTakeFirst();
    return r && toSchedule(r);
  }

  async listSchedules(): Promise<Schedule[]> {
    return (await this.db.selectFrom('job_schedules').selectAll().orderBy('name').execute()).map(toSchedule);
  }

  async removeSchedule(name: string): Promise<boolean> {
    const res = await this.db.deleteFrom('job_schedules').where('name', '=', name).executeTakeFirst();
    return Number(res.numDeletedRows) === 1;
  }

  async markSlot(name: string, slot: string): Promise<void> {
    await this.db
      .updateTable('job_schedules')
      .set({ last_slot: slot })
      .where('name', '=', name)
      .where((eb) => eb.or([eb('last_slot', 'is', null), eb('last_slot', '<', slot)]))
      .execute();
  }
}
