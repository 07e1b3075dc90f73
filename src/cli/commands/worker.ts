import type { Command } from 'commander';
import { JobWorker, Scheduler } from '../../jobs/index.js';
import { createLogger } from '../../server/index.js';
import { openWorkspace } from '../../workspace/index.js';
import { collect, parseIntOption } from '../options.js';
import type { Runner } from '../program.js';

export function registerWorker(program: Command, run: Runner): void {
  program
    .command('worker')
    .description('run jobs (and fire cron schedules) until SIGTERM or Ctrl-C, which drain running jobs; a second signal aborts them')
    .option('--concurrency <n>', 'jobs at once (default: setting jobs.concurrency)', parseIntOption(1, 64))
    .option('--types <types>', 'only these job types, comma-separated (default: all)', collect)
    .option('--no-schedules', 'do not fire cron schedules from this worker')
    .action(
      run(async (ctx, opts: { concurrency?: number; types?: string[]; schedules: boolean }) => {
        const ws = await openWorkspace({ workspace: ctx.flags.workspace, cwd: ctx.io.cwd, env: ctx.io.env });
        const logger = createLogger(ws.config.log.level);
        const worker = new JobWorker(ws.jobs, {
          concurrency: opts.concurrency ?? ws.config.jobs.concurrency,
          leaseMs: ws.config.jobs.leaseMs,
          pollMs: ws.config.jobs.pollMs,
          log: logger,
          ...(opts.types ? { types: opts.types } : {}),
        });
        const scheduler = new Scheduler(ws.jobs, (err) => logger.warn({ err: String((err as Error)?.message ?? err) }, 'schedule tick failed'));
        let signals = 0;
        let stopped!: () => void;
        const done = new Promise<void>((resolve) => (stopped = resolve));
        const onSignal = (signal: string) => {
          signals++;
          logger.info({ signal, worker: worker.id, running: worker.activeJobs }, signals === 1 ? 'draining: no new jobs; waiting for running ones' : 'aborting running jobs');
          if (signals === 1) void Promise.all([scheduler.stop(), worker.stop()]).then(stopped);
          else void worker.stop({ abort: true });
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
        try {
          for (const t of opts.types ?? []) ws.jobs.handler(t);
          worker.start();
          if (opts.schedules) scheduler.start(ws.config.jobs.scheduleIntervalMs);
          ctx.io.stderr.write(`mloop worker ${worker.id} taking ${opts.types?.join(', ') ?? 'all'} jobs (workspace ${ws.root}); Ctrl-C to drain and stop\n`);
          logger.info({ worker: worker.id, backend: ws.backend.name }, 'worker started');
          await done;
          logger.info({ worker: worker.id, attempts: worker.reports.length }, 'worker stopped');
        } finally {
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
          await ws.close();
        }
      }),
    );
}
