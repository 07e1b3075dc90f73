/**
 * Jobs (issue 9): durable jobs with natural keys, leases and fencing tokens, retries with
 * exponential backoff and a dead state, cancellation, workers, and cron schedules.
 */
export { JOB_STATES, FINAL_STATES, PERMANENT_ERROR_CODES, MAX_BACKOFF_MS, backoffDelayMs, checkJobKey, checkScheduleName } from './job.js';
export type { Job, JobState, JobProgress, JobError, JobLogLine, EnqueueInput, Schedule } from './job.js';
export type { JobStore, NewJob, Claim, Outcome, JobFilter } from './job-store.js';
export { SqlJobStore } from './sql-job-store.js';
export { JobService, checkTimeZone, parseCron } from './job-service.js';
export type { JobDefaults, AddScheduleInput, ScheduleView } from './job-service.js';
export { builtInHandlers, trainHandler, sleepHandler } from './job-handler.js';
export type { JobHandler, JobContext, HandlerDeps } from './job-handler.js';
export { JobWorker } from './job-worker.js';
export type { WorkerOptions, WorkerLog, AttemptReport } from './job-worker.js';
export { Scheduler, slotKey } from './scheduler.js';
export type { Firing } from './scheduler.js';
export { jobJson, scheduleJson } from './job-json.js';
