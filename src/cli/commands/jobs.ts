import { InvalidArgumentError, type Command } from 'commander';
import { localPrincipal } from '../../auth/index.js';
import { JOB_STATES, jobJson, type Job, type JobState } from '../../jobs/index.js';
import { table } from '../context.js';
import { parseIntOption } from '../options.js';
import type { Runner } from '../program.js';

/** Parses a JSON object flag such as --payload. */
export function parseJsonObject(flag: string) {
  return (value: string): Record<string, unknown> => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch (err) {
      throw new InvalidArgumentError(`${flag} must be JSON: ${(err as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidArgumentError(`${flag} must be a JSON object`);
    return parsed as Record<string, unknown>;
  };
}

function parseState(value: string): JobState {
  if (!JOB_STATES.includes(value as JobState)) throw new InvalidArgumentError(`expected one of ${JOB_STATES.join(', ')}, got '${value}'`);
  return value as JobState;
}

const progressOf = (j: Job) => (j.progress ? `${j.progress.stage} ${j.progress.done}/${j.progress.total}` : '');

function jobLine(j: Job): string {
  const err = j.error ? ` — ${j.error.code}: ${j.error.message}` : '';
  return `${j.id} ${j.type} [${j.state}] attempt ${j.attempts}/${j.maxAttempts}${err}`;
}

export function registerJobs(program: Command, run: Runner): void {
  const jobs = program.command('jobs').description('durable jobs: list, show, enqueue, cancel, retry (run them with mloop worker or mloop server)');
  jobs
    .command('list')
    .description('list jobs, newest first')
    .option('--state <state>', `one of ${JOB_STATES.join(', ')}`, parseState)
    .option('--type <type>', 'only jobs of this type')
    .option('--schedule <name>', 'only jobs a schedule enqueued')
    .option('--limit <n>', 'at most this many', parseIntOption(1, 1000), 50)
    .action(
      run(async (ctx, opts: { state?: JobState; type?: string; schedule?: string; limit: number }) => {
        const list = await ctx.withWorkspace((ws) =>
          ws.jobs.list({ limit: opts.limit, ...(opts.state ? { state: opts.state } : {}), ...(opts.type ? { type: opts.type } : {}), ...(opts.schedule ? { schedule: opts.schedule } : {}) }),
        );
        ctx.emit({ jobs: list.map((j) => jobJson(j)) }, () =>
          list.length === 0
            ? 'no jobs'
            : table(['id', 'type', 'state', 'attempts', 'progress', 'key', 'created'], list.map((j) => [j.id, j.type, j.state, `${j.attempts}/${j.maxAttempts}`, progressOf(j), j.key, j.createdAt])),
        );
      }),
    );
  jobs
    .command('show')
    .description('one job with its progress, result, error and log')
    .argument('<id>', 'job id')
    .option('--logs <n>', 'newest log lines to show', parseIntOption(0, 10000), 200)
    .action(
      run(async (ctx, id: string, opts: { logs: number }) => {
        const { job, logs } = await ctx.withWorkspace((ws) => ws.jobs.show(id, opts.logs));
        ctx.emit(jobJson(job, logs), () =>
          [
            jobLine(job),
            `key        ${job.key}`,
            `payload    ${JSON.stringify(job.payload)}`,
            `created    ${job.createdAt} by ${job.createdBy}${job.schedule ? ` (schedule ${job.schedule})` : ''}`,
            ...(job.state === 'running' ? [`lease      ${job.leaseOwner} until ${job.leaseExpiresAt}${job.cancelRequested ? ' (cancel requested)' : ''}`] : []),
            ...(job.state === 'queued' ? [`next run   ${job.runAt}`] : []),
            ...(job.progress ? [`progress   ${progressOf(job)}`] : []),
            ...(job.result !== null ? [`result     ${JSON.stringify(job.result)}`] : []),
            ...(job.finishedAt ? [`finished   ${job.finishedAt}`] : []),
            '',
            ...logs.map((l) => `${l.at} #${l.attempt} ${l.level.padEnd(5)} ${l.message}`),
          ].join('\n'),
        );
      }),
    );
  jobs
    .command('enqueue')
    .description('queue a job; the same --key twice gives the one job')
    .argument('<type>', "job type ('mloop jobs types' lists them)")
    .option('--payload <json>', 'the job payload, a JSON object', parseJsonObject('--payload'), {})
    .option('--key <key>', 'natural key (idempotency): enqueueing the same key again returns the existing job')
    .option('--max-attempts <n>', 'attempts before the job is dead (default: setting jobs.maxAttempts)', parseIntOption(1, 100))
    .option('--priority <n>', 'higher runs first', parseIntOption(-1000, 1000), 0)
    .action(
      run(async (ctx, type: string, opts: { payload: Record<string, unknown>; key?: string; maxAttempts?: number; priority: number }) => {
        const r = await ctx.withWorkspace((ws) =>
          ws.jobs.enqueue(localPrincipal().userName, {
            type,
            payload: opts.payload,
            priority: opts.priority,
            ...(opts.key === undefined ? {} : { key: opts.key }),
            ...(opts.maxAttempts === undefined ? {} : { maxAttempts: opts.maxAttempts }),
          }),
        );
        ctx.emit({ created: r.created, job: jobJson(r.job) }, () => `${r.created ? 'queued' : 'exists already'}: ${jobLine(r.job)}`);
      }),
    );
  jobs
    .command('cancel')
    .description('cancel a queued job, or ask a running one to stop')
    .argument('<id>', 'job id')
    .action(
      run(async (ctx, id: string) => {
        const job = await ctx.withWorkspace((ws) => ws.jobs.cancel(localPrincipal().userName, id));
        ctx.emit(jobJson(job), () => (job.state === 'cancelled' ? `cancelled: ${jobLine(job)}` : `cancel requested; the worker stops it at its next heartbeat: ${jobLine(job)}`));
      }),
    );
  jobs
    .command('retry')
    .description('queue a failed, dead or cancelled job again with fresh attempts')
    .argument('<id>', 'job id')
    .action(
      run(async (ctx, id: string) => {
        const job = await ctx.withWorkspace((ws) => ws.jobs.retry(localPrincipal().userName, id));
        ctx.emit(jobJson(job), () => `queued again: ${jobLine(job)}`);
      }),
    );
  jobs
    .command('types')
    .description('the job types this mloop can run')
    .action(
      run(async (ctx) => {
        const types = await ctx.withWorkspace(async (ws) => ws.jobs.types().map((h) => ({ type: h.type, description: h.description })));
        ctx.emit({ types }, () => table(['type', 'description'], types.map((t) => [t.type, t.description])));
      }),
    );
}
