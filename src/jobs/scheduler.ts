/**
 * Fires cron schedules: each tick enqueues one job for the newest slot that is due. The job's key is
 * `schedule:<name>:<slot>`, so any number of schedulers (servers, workers), ticking at any time,
 * across restarts, make exactly one job per slot. Missed older slots are not replayed.
 */
import { MloopError } from '../errors/index.js';
import type { Job, Schedule } from './job.js';
import { parseCron, type JobService } from './job-service.js';

/** What one tick did for one schedule. */
export interface Firing {
  schedule: string;
  slot: string;
  job: Job;
  /** False when another scheduler (or an earlier tick) had enqueued this slot already. */
  created: boolean;
}

/** The key of the job a schedule's slot enqueues. */
export function slotKey(schedule: string, slot: string): string {
  return `schedule:${schedule}:${slot}`;
}

/** Most slots walked per tick; a schedule far behind jumps to its newest slot. */
const MAX_WALK = 10_000;

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<Firing[]> | undefined;

  constructor(
    private readonly jobs: JobService,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  /**
   * Enqueues the due slot of every enabled schedule, as of the service clock. A schedule that fails
   * (a stored time zone or cron that no longer parses) is skipped and reported to `onError`; the
   * others still fire.
   */
  async tick(): Promise<Firing[]> {
    const now = this.jobs.now();
    const out: Firing[] = [];
    for (const s of await this.jobs.store.listSchedules()) {
      if (!s.enabled) continue;
      try {
        const firing = await this.fire(s, now);
        if (firing) out.push(firing);
      } catch (err) {
        this.onError(new MloopError(err instanceof MloopError ? err.code : 'INTERNAL', `schedule '${s.name}' skipped: ${(err as Error)?.message ?? String(err)}`, { cause: err }));
      }
    }
    return out;
  }

  private async fire(s: Schedule, now: Date): Promise<Firing | undefined> {
    const cron = parseCron(s.cron, s.timezone);
    let from = new Date(s.lastSlot ?? s.createdAt);
    let due: Date | undefined;
    for (let i = 0; i < MAX_WALK; i++) {
      const next = cron.nextRun(from);
      if (!next || next.getTime() > now.getTime()) break;
      due = next;
      from = next;
    }
    if (!due) return undefined;
    const slot = due.toISOString();
    const { job, created } = await this.jobs.enqueue(s.createdBy, { type: s.jobType, payload: s.payload, key: slotKey(s.name, slot), schedule: s.name });
    await this.jobs.store.markSlot(s.name, slot);
    return { schedule: s.name, slot, job, created };
  }

  /** Ticks every `intervalMs` until `stop`. Errors (an unreachable database) go to `onError`; the next tick tries again. */
  start(intervalMs: number): void {
    if (this.timer) return;
    const run = () => {
      this.ticking ??= this.tick()
        .catch((err: unknown) => {
          this.onError(err);
          return [];
        })
        .finally(() => (this.ticking = undefined));
    };
    run();
    this.timer = setInterval(run, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
  }
}
