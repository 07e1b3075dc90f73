/** The JSON shapes of jobs and schedules shared by the CLI (`--json`) and the HTTP API. */
import type { Job, JobLogLine } from './job.js';
import type { ScheduleView } from './job-service.js';

export function jobJson(j: Job, logs?: JobLogLine[]): Record<string, unknown> {
  return {
    id: j.id,
    type: j.type,
    key: j.key,
    state: j.state,
    payload: j.payload,
    priority: j.priority,
    attempts: j.attempts,
    max_attempts: j.maxAttempts,
    backoff_ms: j.backoffMs,
    run_at: j.runAt,
    lease_owner: j.leaseOwner,
    lease_expires_at: j.leaseExpiresAt,
    cancel_requested: j.cancelRequested,
    progress: j.progress,
    result: j.result,
    error: j.error,
    schedule: j.schedule,
    created_at: j.createdAt,
    created_by: j.createdBy,
    updated_at: j.updatedAt,
    started_at: j.startedAt,
    finished_at: j.finishedAt,
    ...(logs ? { logs } : {}),
  };
}

export function scheduleJson(s: ScheduleView): Record<string, unknown> {
  return {
    name: s.name,
    cron: s.cron,
    timezone: s.timezone,
    job_type: s.jobType,
    payload: s.payload,
    enabled: s.enabled,
    last_slot: s.lastSlot,
    next_slot: s.nextSlot,
    created_at: s.createdAt,
    created_by: s.createdBy,
    ...(s.problem === undefined ? {} : { problem: s.problem }),
  };
}
