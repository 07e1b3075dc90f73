/** Test support: a job service over a test backend with a clock the test moves, and test job types. */
import { MloopError } from '../../errors/index.js';
import type { BackendFactory, TestBackend } from '../../storage/test-support/backends.js';
import { JobService, JobWorker, SqlJobStore, type JobHandler, type WorkerOptions } from '../index.js';

/** A clock that stands still until the test moves it. */
export class TestClock {
  constructor(public ms: number) {}
  readonly now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
  set(iso: string): void {
    this.ms = Date.parse(iso);
  }
}

/** Effects recorded under job keys: `effects` holds one entry per key however often it ran. */
export class EffectLog {
  readonly effects = new Map<string, string>();
  runs = 0;
  handler(): JobHandler {
    return {
      type: 'effect',
      description: 'records one effect under the job key',
      run: async (ctx) => {
        this.runs++;
        if (!this.effects.has(ctx.job.key)) this.effects.set(ctx.job.key, `attempt ${ctx.attempt}`);
        return { effect: this.effects.get(ctx.job.key) };
      },
    };
  }
}

/** A handler that waits until released (or aborted), for pause and cancel tests. */
export function gateHandler(type = 'gate'): JobHandler & { release(value?: unknown): void; started: Promise<void> } {
  let release!: (v: unknown) => void;
  let started!: () => void;
  const released = new Promise<unknown>((r) => (release = r));
  const startedP = new Promise<void>((r) => (started = r));
  return {
    type,
    description: 'waits for the test',
    started: startedP,
    release: (v?: unknown) => release(v ?? 'released'),
    run: async (ctx) => {
      started();
      const aborted = new Promise<never>((_, reject) =>
        ctx.signal.addEventListener('abort', () => reject(MloopError.conflict(`aborted: ${String(ctx.signal.reason)}`)), { once: true }),
      );
      return { value: await Promise.race([released, aborted]) };
    },
  };
}

/** A handler that fails with `code` on every attempt. */
export function failingHandler(code: 'UNAVAILABLE' | 'INVALID_ARGUMENT' | 'CANCELLED', type = `fail-${code.toLowerCase()}`): JobHandler {
  return {
    type,
    description: 'always fails',
    run: async () => {
      throw new MloopError(code, `planned failure (${code})`);
    },
  };
}

export interface JobsFixture {
  tb: TestBackend;
  clock: TestClock;
  service(handlers: JobHandler[]): JobService;
  worker(service: JobService, options?: Partial<WorkerOptions>): JobWorker;
}

export async function jobsFixture(factory: BackendFactory): Promise<JobsFixture> {
  const tb = await factory.make();
  const clock = new TestClock(Date.parse('2025-01-15T12:00:00.000Z'));
  return {
    tb,
    clock,
    service: (handlers) => new JobService(new SqlJobStore(tb.backend.db, tb.backend.capabilities), handlers, { maxAttempts: 3, backoffMs: 1000 }, { clock: clock.now }),
    worker: (service, options = {}) => new JobWorker(service, { leaseMs: 30_000, pollMs: 10, heartbeatMs: 60_000, ...options }),
  };
}
