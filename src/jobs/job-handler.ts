/** The handler interface every job type implements, and the built-in types. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DatasetService } from '../datasets/index.js';
import { MloopError, type ValidationIssue } from '../errors/index.js';
import type { RegistryService } from '../registry/index.js';
import { trainModel, type TrainRequest } from '../training/index.js';
import type { Job, JobProgress } from './job.js';

/** What a handler gets for one attempt. */
export interface JobContext {
  readonly job: Job;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Aborted when the job is cancelled, the lease is lost, or the worker shuts down; handlers stop at the next check. */
  readonly signal: AbortSignal;
  /** Records progress; stored with the next heartbeat. */
  progress(p: JobProgress): void;
  /** Appends a line to the job's log. */
  log(message: string, level?: 'info' | 'warn' | 'error'): Promise<void>;
}

/**
 * One job type. Its effect must be idempotent under `job.key`: a retried attempt (after a crash
 * or a lost lease) must find and reuse what an earlier attempt made, never make it twice.
 */
export interface JobHandler {
  /** Stable type name, such as `train`. */
  readonly type: string;
  /** One line for `mloop jobs types` and docs. */
  readonly description: string;
  /** Checks a payload when it is enqueued; issues make the enqueue fail with INVALID_ARGUMENT. */
  validate?(payload: Record<string, unknown>): ValidationIssue[];
  /** Runs one attempt; the result is stored on the job. Throw MloopError with a permanent code to fail without retrying. */
  run(ctx: JobContext): Promise<unknown>;
}

/** Services the built-in handlers use. */
export interface HandlerDeps {
  datasets: DatasetService;
  registry: RegistryService;
}

const TRAIN_FIELDS = new Set(['dataset', 'name', 'label', 'text', 'features', 'task', 'learner', 'params', 'seed', 'validation', 'validationFraction', 'targetPrecision', 'thresholdMethod', 'allowSensitive', 'outOfScope', 'actor']);

/** `train`: trains and registers a model version; the registry run key `job:<key>` makes a retry return the same version. */
export function trainHandler(deps: HandlerDeps): JobHandler {
  return {
    type: 'train',
    description: 'train a model on a dataset version and register it (one version per job key)',
    validate(p) {
      const issues: ValidationIssue[] = [];
      for (const f of ['dataset', 'name'] as const) {
        if (typeof p[f] !== 'string' || p[f] === '') issues.push({ path: f, code: 'required', message: `payload.${f} is required (a string)` });
      }
      for (const k of Object.keys(p)) {
        if (!TRAIN_FIELDS.has(k)) issues.push({ path: k, code: 'unknown_field', message: `payload.${k} is not a training option; known: ${[...TRAIN_FIELDS].join(', ')}` });
      }
      return issues;
    },
    async run(ctx) {
      const req = { actor: ctx.job.createdBy, ...ctx.job.payload, runKey: `job:${ctx.job.key}` } as unknown as TrainRequest;
      const r = await trainModel(deps, req, { signal: ctx.signal, onProgress: (p) => ctx.progress({ stage: p.stage, done: p.done, total: p.total }) });
      await ctx.log(`registered ${r.version.model}@${r.version.version}`);
      return { model: r.version.model, version: r.version.version, metrics: r.metrics, learner: r.learner };
    },
  };
}

/** `sleep`: waits `ms` milliseconds, cancellable; for checking that workers run and drain. */
export const sleepHandler: JobHandler = {
  type: 'sleep',
  description: 'wait payload.ms milliseconds (at most an hour); cancellable — checks that workers run, drain and cancel',
  validate(p) {
    const ms = p['ms'];
    return typeof ms === 'number' && Number.isInteger(ms) && ms >= 0 && ms <= 3_600_000
      ? []
      : [{ path: 'ms', code: 'out_of_range', message: 'payload.ms must be an integer from 0 to 3600000' }];
  },
  async run(ctx) {
    const ms = ctx.job.payload['ms'] as number;
    const step = Math.max(1, Math.min(1000, ms));
    for (let done = 0; done < ms; done += step) {
      await sleep(Math.min(step, ms - done), undefined, { signal: ctx.signal }).catch(() => undefined);
      if (ctx.signal.aborted) throw MloopError.conflict('sleep interrupted', { cause: ctx.signal.reason });
      ctx.progress({ stage: 'sleeping', done: Math.min(ms, done + step), total: ms });
    }
    return { slept: ms };
  },
};

/** The built-in job types. Later concepts (evaluation, monitoring, retraining) register theirs on the service. */
export function builtInHandlers(deps: HandlerDeps): JobHandler[] {
  return [trainHandler(deps), sleepHandler];
}
